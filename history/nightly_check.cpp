#include "history/nightly_check.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <tuple>

#include "core/exit_codes.hpp"
#include "core/plural.hpp"
#include "core/run_document.hpp"
#include "history/index.hpp"

namespace gpuval::history {
namespace {

using nlohmann::json;

int rank(int code) {
  switch (code) {
    case exit_code::kPass:
      return 0;
    case exit_code::kNoGpu:
      return 1;
    case exit_code::kFailed:
      return 2;
    default:
      return 3;
  }
}

std::string str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string bench_name(const compare::BenchmarkComparison& b) {
  const std::string params = compare::describe_params(b.device, b.params);
  return params.empty() ? b.id : b.id + " " + params;
}

// Selects the baseline and compares; fills baseline, comparison, regressions, baseline_error.
void compare_with_baseline(const std::filesystem::path& root, DocumentResult& r,
                           const NightlyOptions& options, Index* index) {
  try {
    r.baseline = select_baseline(root, r.id, options.baseline, index);
  } catch (const BaselineError& e) {
    r.baseline_error = e.what();
    return;
  }
  if (r.baseline->empty()) return;
  try {
    r.comparison = compare::compare_runs(build_reference(*r.baseline), r.doc, options.compare,
                                         "baseline " + r.baseline->description, r.path);
  } catch (const DocumentError& e) {
    r.baseline_error = fmt::format("cannot compare with the baseline: {}", e.what());
  }
  // The comparison holds what the outputs need; the documents are most of the memory.
  for (BaselineDocument& d : r.baseline->documents) d.doc = nullptr;
  if (!r.comparison) return;
  for (const compare::BenchmarkComparison& b : r.comparison->benchmarks) {
    if (b.verdict == compare::BenchVerdict::kWorse) {
      r.regressions.push_back({bench_name(b), b.reason});
    } else if (b.n_reference > 0 && b.n_candidate == 0) {
      // A benchmark the baseline measured and tonight did not (removed, skipped, crashed, a
      // validate-only document) must not pass the gate: a lost figure is not "nothing worse".
      r.regressions.push_back(
          {bench_name(b),
           b.verdict == compare::BenchVerdict::kRemoved
               ? std::string("missing tonight; the baseline measured it")
               : fmt::format("no measurement tonight (the baseline has {} repetitions)",
                             b.n_reference)});
    }
  }
}

// "REGRESSION: 1 benchmark worse than the baseline (stream-triad ...)", "OK: ...", ...
std::string headline_of(const DocumentResult& r, bool failed_run) {
  std::vector<std::string> parts;
  if (!r.regressions.empty()) {
    std::string names;
    for (std::size_t i = 0; i < r.regressions.size() && i < 3; ++i) {
      names += (i == 0 ? "" : ", ") + r.regressions[i].benchmark;
    }
    if (r.regressions.size() > 3) names += fmt::format(", and {} more", r.regressions.size() - 3);
    parts.push_back(fmt::format("{} worse than the baseline ({})",
                                plural(r.regressions.size(), "benchmark"), names));
  }
  if (!r.failed_checks.empty()) {
    parts.push_back(fmt::format("{} ({})", plural(r.failed_checks.size(), "failed check"),
                                r.failed_checks.front().id));
  } else if (failed_run) {
    parts.push_back(fmt::format("run {}: {}", r.id.verdict, r.id.verdict_summary));
  }
  if (!r.baseline_error.empty()) parts.push_back(r.baseline_error);
  if (parts.empty()) {
    return r.comparison ? "OK: nothing worse than the baseline" : "OK: no baseline yet";
  }
  std::string out = !r.regressions.empty()                   ? "REGRESSION: "
                    : !r.failed_checks.empty() || failed_run ? "FAILED: "
                                                             : "ERROR: ";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
  return out;
}

void evaluate(const std::filesystem::path& root, DocumentResult& r, const NightlyOptions& options,
              Index* index) {
  for (const json& c : r.doc["checks"]) {
    if (str(c, "status") == "FAIL") {
      r.failed_checks.push_back({str(c, "id"), str(c, "message"), str(c, "hint")});
    }
  }
  // Without a GPU the failed checks are the diagnosis and there is nothing to compare.
  if (r.id.verdict == "no-gpu") {
    r.exit_code = exit_code::kNoGpu;
    r.headline = "NO GPU: " + r.id.verdict_summary;
    return;
  }
  compare_with_baseline(root, r, options, index);
  const bool failed_run = r.id.verdict == "fail" || r.id.verdict == "interrupted";
  if (!r.regressions.empty() || !r.failed_checks.empty() || failed_run) {
    r.exit_code = exit_code::kFailed;
  }
  if (!r.baseline_error.empty()) r.exit_code = worse_exit_code(r.exit_code, exit_code::kBadInput);
  r.headline = headline_of(r, failed_run);
}

}  // namespace

int worse_exit_code(int a, int b) {
  const int worst = rank(a) >= rank(b) ? a : b;
  return rank(worst) == 3 ? exit_code::kBadInput : worst;
}

std::size_t NightlyResult::regression_count() const {
  std::size_t n = 0;
  for (const DocumentResult& d : documents) n += d.regressions.size();
  return n;
}

std::size_t NightlyResult::failed_check_count() const {
  std::size_t n = 0;
  for (const DocumentResult& d : documents) n += d.failed_checks.size();
  return n;
}

NightlyResult check_documents(const std::filesystem::path& root, std::vector<InputDocument> docs,
                              std::vector<BadInput> bad, const NightlyOptions& options,
                              std::int64_t now) {
  NightlyResult result;
  result.checked_at = now;
  result.bad = std::move(bad);
  std::unique_ptr<Index> index;
  if (has_index(root)) {
    try {
      index = Index::open(root, Index::Access::kRead);
    } catch (const IndexError& e) {
      result.index_warning = e.what();
    }
  }
  for (InputDocument& in : docs) {
    DocumentResult r;
    r.path = std::move(in.path);
    r.doc = std::move(in.doc);
    r.id = std::move(in.id);
    evaluate(root, r, options, index.get());
    result.exit_code = worse_exit_code(result.exit_code, r.exit_code);
    result.documents.push_back(std::move(r));
  }
  // The latest run of each series: the history's (tonight's runs are filed first), and tonight's
  // where the index does not have them.
  std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> latest;
  if (index) {
    try {
      for (const Index::LastRun& l : index->last_runs()) {
        latest[{l.host, l.gpu_model, l.mode}] = l.started_epoch;
      }
    } catch (const IndexError& e) {
      result.index_warning = e.what();
    }
  }
  for (const DocumentResult& d : result.documents) {
    std::int64_t& t = latest[{d.id.host, d.id.gpu_model, d.id.mode}];
    t = std::max(t, d.id.started_epoch);
  }
  for (const auto& [series, epoch] : latest) {
    result.last_runs.push_back(
        {std::get<0>(series), std::get<1>(series), std::get<2>(series), epoch});
  }
  if (!result.bad.empty())
    result.exit_code = worse_exit_code(result.exit_code, exit_code::kBadInput);
  return result;
}

}  // namespace gpuval::history
