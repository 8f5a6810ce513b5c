// Regression episodes over time. Per series (host, GPU model, mode, benchmark key) ordered by
// night, a night is regressed when its value is worse than the median of the series' previous
// `window` healthy nights by more than regression_threshold. Regressed nights never enter the
// baseline, so a sustained drop (e.g. from a driver upgrade) stays one episode, from the night
// it started until the value recovers, instead of fading into a new normal after a few nights.
#include <algorithm>
#include <cmath>
#include <deque>
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
  double median() const {
    if (reruns.empty()) return value;
    std::vector<double> all = reruns;
    all.push_back(value);
    return median_of(std::move(all));
  }
};

struct Series {
  std::string host, model, mode, key, unit;
  bool higher_is_better = true;
  std::vector<Night> nights;  // by date
};

// Nights of history a baseline needs before a night can be judged.
std::size_t min_history(int window) { return static_cast<std::size_t>(std::clamp(window, 1, 3)); }

void detect(const RunTable& t, const Series& s, const ReportOptions& options,
            std::vector<Regression>& out) {
  const std::size_t window = static_cast<std::size_t>(std::max(options.window, 1));
  std::deque<double> healthy;  // the latest `window` healthy nights' values
  std::vector<double> scratch;
  std::optional<Regression> open;
  for (std::size_t i = 0; i < s.nights.size(); ++i) {
    const Night& n = s.nights[i];
    const double value = n.median();
    bool regressed = false;
    double baseline = 0, change = 0;
    if (healthy.size() >= min_history(options.window)) {
      scratch.assign(healthy.begin(), healthy.end());
      baseline = median_of(std::move(scratch));
      scratch.clear();
      if (baseline != 0) {
        change = value / baseline - 1;
        regressed = is_worse(change, s.higher_is_better, options.regression_threshold);
      }
    }
    const std::string& date = t.text.at(t.runs[n.first].date);
    if (regressed) {
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
    healthy.push_back(value);
    if (healthy.size() > window) healthy.pop_front();
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
  for (const auto& [group, runs] : groups) {
    const auto [host, model, mode] = group;
    if (t.text.at(model) == kNoGpu) continue;
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
      for (const Slot& slot : slots) {
        const std::uint32_t r = runs[slot.run];
        const double value = t.median(t.runs[r], slot.slot);
        if (s.nights.empty() || t.runs[s.nights.back().first].date != t.runs[r].date) {
          s.nights.push_back({r, r, value, {}});
        } else {
          s.nights.back().reruns.push_back(value);
          s.nights.back().last = r;
        }
      }
      detect(t, s, options, out);
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
