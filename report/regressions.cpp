// Regression episodes over time. Per series (host, GPU model, mode, benchmark key) ordered by
// night, a night is regressed when its value is worse than the median of the series' previous
// `window` healthy nights by more than regression_threshold. Regressed nights never enter the
// baseline, so a sustained drop (e.g. from a driver upgrade) stays one episode, from the night
// it started until the value recovers, instead of fading into a new normal after a few nights.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <tuple>

#include "report/aggregate_internal.hpp"

namespace gpuval::report {
namespace {

struct Night {
  std::uint32_t first;         // the night's first run (date, document): a table index
  std::uint32_t last;          // and last (the driver that night)
  double value = 0;            // the first run's value: usually the only one
  std::vector<double> reruns;  // further runs that night: the median of all counts
  double median(std::vector<double>& scratch) const {
    if (reruns.empty()) return value;
    scratch.assign(reruns.begin(), reruns.end());
    scratch.push_back(value);
    return median_in_place(scratch);
  }
};

struct Series {
  std::string host, model, mode, key, unit;
  bool higher_is_better = true;
  std::vector<Night> nights;  // by date
};

// Nights of history a baseline needs before a night can be judged.
std::size_t min_history(int window) { return static_cast<std::size_t>(std::clamp(window, 1, 3)); }

// The median of the latest `window` healthy nights, kept sorted as nights come and go: a year
// of nights of a thousand nodes' benchmarks is tens of millions of windows.
class Window {
 public:
  void reset(std::size_t size) {
    size_ = size;
    head_ = 0;
    ring_.assign(size, 0);
    sorted_.clear();
  }
  std::size_t count() const { return sorted_.size(); }
  void push(double v) {
    if (sorted_.size() < size_) {
      ring_[(head_ + sorted_.size()) % size_] = v;
      sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), v), v);
      return;
    }
    // Full: the oldest night leaves as this one comes; one shift moves v into its place.
    const double old = ring_[head_];
    ring_[head_] = v;
    head_ = (head_ + 1) % size_;
    auto at = std::lower_bound(sorted_.begin(), sorted_.end(), old);
    while (at + 1 != sorted_.end() && *(at + 1) < v) {
      *at = *(at + 1);
      ++at;
    }
    while (at != sorted_.begin() && *(at - 1) > v) {
      *at = *(at - 1);
      --at;
    }
    *at = v;
  }
  // As median_of(): the middle value, or the mean of the two middle ones.
  double median() const {
    const std::size_t mid = sorted_.size() / 2;
    if (sorted_.size() % 2 == 1) return sorted_[mid];
    return (sorted_[mid - 1] + sorted_[mid]) / 2;
  }

 private:
  std::size_t size_ = 1, head_ = 0;
  std::vector<double> ring_;    // the latest nights, oldest at head_ once full
  std::vector<double> sorted_;  // the same values, ascending
};

void detect(const RunTable& t, const Series& s, const ReportOptions& options, Window& healthy,
            std::vector<double>& scratch, std::vector<Regression>& out) {
  healthy.reset(static_cast<std::size_t>(std::max(options.window, 1)));
  std::optional<Regression> open;
  for (std::size_t i = 0; i < s.nights.size(); ++i) {
    const Night& n = s.nights[i];
    const double value = n.median(scratch);
    bool regressed = false;
    double baseline = 0, change = 0;
    if (healthy.count() >= min_history(options.window)) {
      baseline = healthy.median();
      if (baseline != 0) {
        change = value / baseline - 1;
        regressed = is_worse(change, s.higher_is_better, options.regression_threshold);
      }
    }
    if (regressed) {
      const std::string& date = t.text.at(t.runs[n.first].date);
      if (!open) {
        Regression r;
        r.host = s.host;
        r.gpu_model = s.model;
        r.mode = s.mode;
        r.benchmark = s.key;
        r.unit = s.unit;
        r.first_date = date;
        r.driver = t.text.at(t.runs[n.last].driver);
        r.previous_driver = i > 0 ? t.text.at(t.runs[s.nights[i - 1].last].driver) : "";
        r.value = value;
        r.baseline = baseline;
        r.change = change;
        r.run_path = t.path_of ? t.path_of(n.first) : std::string();
        open = std::move(r);
      }
      open->last_date = date;
      ++open->nights;
      continue;
    }
    if (open) {
      out.push_back(std::move(*open));
      open.reset();
    }
    healthy.push(value);
  }
  if (open) {
    open->ongoing = true;
    out.push_back(std::move(*open));
  }
}

}  // namespace

std::vector<Regression> find_regressions(const RunTable& t, const DenseKeys& keys,
                                         const ReportOptions& options) {
  std::vector<Regression> out;
  const auto groups = group_runs(t, [](const TableRun& r) {
    return std::tuple{r.host, r.model, r.mode};
  });
  KeyWalker walker(t, keys);
  Series s;
  Window window;
  std::vector<double> scratch;
  std::vector<std::uint32_t> date_of;    // per run of the group: its date
  std::vector<std::uint64_t> values_of;  // and where its values are
  for (const auto& [group, runs] : groups) {
    const auto [host, model, mode] = group;
    if (t.text.at(model) == kNoGpu) continue;
    date_of.resize(runs.size());
    values_of.resize(runs.size());
    for (std::size_t p = 0; p < runs.size(); ++p) {
      date_of[p] = t.runs[runs[p]].date;
      values_of[p] = t.runs[runs[p]].values;
    }
    walker.walk(runs, [&](std::uint32_t key, std::span<const Slot> slots) {
      const Slot first = slots.front();
      const BenchSeries& b = t.series[t.layouts[t.runs[runs[first.run]].layout][first.slot]];
      s.host = t.text.at(host);
      s.model = t.text.at(model);
      s.mode = t.text.at(mode);
      s.key = t.text.at(keys.key_text[key]);
      s.unit = t.text.at(b.unit);
      s.higher_is_better = b.higher_is_better;
      s.nights.clear();
      std::uint32_t night_date = 0;
      for (const Slot& slot : slots) {
        const std::uint32_t p = slot.run;
        const double value = t.medians[values_of[p] + slot.slot];
        if (s.nights.empty() || night_date != date_of[p]) {
          s.nights.push_back({runs[p], runs[p], value, {}});
          night_date = date_of[p];
        } else {
          s.nights.back().reruns.push_back(value);
          s.nights.back().last = runs[p];
        }
      }
      detect(t, s, options, window, scratch, out);
    });
  }
  std::sort(out.begin(), out.end(), [](const Regression& a, const Regression& b) {
    if (a.ongoing != b.ongoing) return a.ongoing;
    if (a.first_date != b.first_date) return a.first_date > b.first_date;
    if (std::fabs(a.change) != std::fabs(b.change)) {
      return std::fabs(a.change) > std::fabs(b.change);  // the larger loss first
    }
    return std::tie(a.gpu_model, a.host, a.benchmark, a.mode) <
           std::tie(b.gpu_model, b.host, b.benchmark, b.mode);
  });
  return out;
}

std::vector<Regression> find_regressions(const std::vector<RunSummary>& runs,
                                         const ReportOptions& options) {
  const std::unique_ptr<RunTable> table = make_run_table(runs);
  return find_regressions(*table, DenseKeys(*table), options);
}

}  // namespace gpuval::report
