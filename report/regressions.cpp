// Regression episodes over time. Per series (host, GPU model, mode, benchmark key) ordered by
// night, a night is regressed when its value is worse than the median of the series' previous
// `window` healthy nights by more than regression_threshold. Regressed nights never enter the
// baseline, so a sustained drop (e.g. from a driver upgrade) stays one episode, from the night
// it started until the value recovers, instead of fading into a new normal after a few nights.
#include <algorithm>
#include <cmath>
#include <deque>
#include <tuple>
#include <unordered_map>

#include "report/aggregate_internal.hpp"

namespace gpuval::report {
namespace {

struct Night {
  const RunSummary* first;     // the night's first run (date, document)
  const RunSummary* last;      // and last (the driver that night)
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

void detect(const Series& s, const ReportOptions& options, std::vector<Regression>& out) {
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
    if (regressed) {
      if (!open) {
        Regression r;
        r.host = s.host;
        r.gpu_model = s.model;
        r.mode = s.mode;
        r.benchmark = s.key;
        r.unit = s.unit;
        r.first_date = n.first->date;
        r.driver = n.last->driver;
        r.previous_driver = i > 0 ? s.nights[i - 1].last->driver : "";
        r.value = value;
        r.baseline = baseline;
        r.change = change;
        r.run_path = n.first->path;
        open = std::move(r);
      }
      open->last_date = n.first->date;
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

std::vector<Regression> find_regressions(const std::vector<RunSummary>& runs,
                                         const ReportOptions& options) {
  std::vector<const RunSummary*> ordered;
  ordered.reserve(runs.size());
  for (const RunSummary& r : runs) {
    if (r.gpu_model != kNoGpu) ordered.push_back(&r);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const RunSummary* a, const RunSummary* b) {
    return std::tie(a->started_at, a->path) < std::tie(b->started_at, b->path);
  });

  std::vector<Series> series;
  std::unordered_map<std::string, SlotCache> slots;  // per (host, model, mode): key -> series
  for (const RunSummary* r : ordered) {
    SlotCache& cache = slots[r->host + '\x1f' + r->gpu_model + '\x1f' + r->mode];
    for (std::size_t i = 0; i < r->benchmarks.size(); ++i) {
      const BenchPoint& b = r->benchmarks[i];
      if (!b.median) continue;
      const std::size_t k = cache.slot(i, b.key, [&] {
        series.push_back({r->host, r->gpu_model, r->mode, b.key, b.unit, b.higher_is_better, {}});
        return series.size() - 1;
      });
      std::vector<Night>& nights = series[k].nights;
      if (nights.empty() || nights.back().first->date != r->date) {
        nights.push_back({r, r, *b.median, {}});
      } else {
        nights.back().reruns.push_back(*b.median);
        nights.back().last = r;
      }
    }
  }

  std::vector<Regression> out;
  for (const Series& s : series) detect(s, options, out);
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

}  // namespace gpuval::report
