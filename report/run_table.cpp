#include "report/run_table.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace gpuval::report {

std::uint32_t StringPool::intern(std::string_view text) {
  if (auto it = ids_.find(text); it != ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(strings_.size());
  const std::string& stored = strings_.emplace_back(text);
  ids_.emplace(stored, id);
  return id;
}

std::size_t RunTableBuilder::LayoutHash::operator()(const std::vector<std::uint32_t>& v) const {
  std::size_t h = v.size();
  for (std::uint32_t x : v) h = h * 1000003u ^ x;
  return h;
}

RunTableBuilder::RunTableBuilder() : table_(std::make_unique<RunTable>()) {}

std::uint32_t RunTableBuilder::series(const BenchSeries& s) {
  const auto [it, added] =
      series_ids_.try_emplace(std::tuple{s.key, s.id, s.unit, s.higher_is_better},
                              static_cast<std::uint32_t>(table_->series.size()));
  if (added) table_->series.push_back(s);
  return it->second;
}

std::uint32_t RunTableBuilder::layout(const std::vector<std::uint32_t>& series_ids) {
  const auto [it, added] =
      layout_ids_.try_emplace(series_ids, static_cast<std::uint32_t>(table_->layouts.size()));
  if (added) table_->layouts.push_back(series_ids);
  return it->second;
}

std::size_t RunTableBuilder::add(TableRun run, std::span<const double> medians,
                                 std::span<const double> peaks,
                                 std::span<const std::uint32_t> failed_checks) {
  RunTable& t = *table_;
  run.values = t.medians.size();
  for (std::size_t i = 0; i < medians.size(); ++i) {
    t.medians.push_back(medians[i]);
    t.peaks.push_back(i < peaks.size() ? peaks[i] : kNoPeak);
  }
  run.failed = static_cast<std::uint32_t>(t.failed_checks.size());
  run.failed_count = static_cast<std::uint32_t>(failed_checks.size());
  t.failed_checks.insert(t.failed_checks.end(), failed_checks.begin(), failed_checks.end());
  t.runs.push_back(run);
  return t.runs.size() - 1;
}

std::size_t RunTableBuilder::add(const RunSummary& r) {
  TableRun run;
  run.host = text(r.host);
  run.model = text(r.gpu_model);
  run.driver = text(r.driver);
  run.mode = text(r.mode);
  run.date = text(r.date);
  run.container = r.mode == "container";
  run.verdict_fail = r.verdict == "fail";
  scratch_failed_.clear();
  for (const CheckPoint& c : r.checks) {
    if (c.status == "PASS") ++run.pass;
    if (c.status == "WARN") ++run.warn;
    if (c.status == "SKIP") ++run.skip;
    if (c.status == "FAIL") {
      ++run.fail;
      const std::uint32_t id = text(c.id);
      if (std::find(scratch_failed_.begin(), scratch_failed_.end(), id) == scratch_failed_.end()) {
        scratch_failed_.push_back(id);
      }
    }
  }
  scratch_series_.clear();
  scratch_medians_.clear();
  scratch_peaks_.clear();
  for (const BenchPoint& b : r.benchmarks) {
    if (!b.median) continue;
    scratch_series_.push_back(series({text(b.key), text(b.id), text(b.unit), b.higher_is_better}));
    scratch_medians_.push_back(*b.median);
    scratch_peaks_.push_back(b.fraction_of_peak ? *b.fraction_of_peak : kNoPeak);
  }
  run.layout = layout(scratch_series_);
  return add(run, scratch_medians_, scratch_peaks_, scratch_failed_);
}

void RunTableBuilder::reorder(const std::vector<std::size_t>& order) {
  std::vector<TableRun> runs;
  runs.reserve(order.size());
  for (std::size_t i : order) runs.push_back(table_->runs[i]);
  table_->runs = std::move(runs);
}

std::unique_ptr<RunTable> make_run_table(const std::vector<RunSummary>& runs) {
  std::vector<const RunSummary*> ordered;
  ordered.reserve(runs.size());
  for (const RunSummary& r : runs) ordered.push_back(&r);
  std::stable_sort(ordered.begin(), ordered.end(), [](const RunSummary* a, const RunSummary* b) {
    return std::tie(a->started_at, a->path) < std::tie(b->started_at, b->path);
  });
  RunTableBuilder builder;
  auto paths = std::make_shared<std::vector<std::string>>();
  paths->reserve(ordered.size());
  for (const RunSummary* r : ordered) {
    builder.add(*r);
    paths->push_back(r->path);
  }
  std::unique_ptr<RunTable> table = builder.finish();
  table->path_of = [paths](std::size_t i) { return (*paths)[i]; };
  return table;
}

}  // namespace gpuval::report
