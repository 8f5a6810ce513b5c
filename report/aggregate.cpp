// build_report(): run summaries -> the Report every renderer shows. Per GPU model: benchmark
// medians per driver and mode (medians of per-run medians), change from the previous driver,
// container / bare-metal ratio, check outcomes, charts; across the fleet: regression episodes
// (regressions.cpp) and node outliers (outliers.cpp).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include "report/aggregate_internal.hpp"

namespace gpuval::report {
namespace {

// Values of one benchmark key in one model, per mode (0 bare metal, 1 container).
struct MetricValues {
  std::string id, unit;
  bool higher_is_better = true;
  std::vector<std::vector<double>> by_driver[2];  // indexed like ModelSection::drivers
  std::vector<std::vector<double>> peak[2];       // fraction of peak, by driver
  std::vector<std::vector<double>> nightly[2];    // indexed like Nights::dates
};

Cell cell_of(const std::vector<double>& values) {
  Cell c;
  c.runs = values.size();
  if (!values.empty()) c.median = median_of(values);
  return c;
}

std::optional<double> ratio(const Cell& numerator, const Cell& denominator) {
  if (!numerator.median || !denominator.median || *denominator.median == 0) return std::nullopt;
  return *numerator.median / *denominator.median;
}

MetricRow metric_row(const std::string& key, const MetricValues& v, double threshold) {
  MetricRow row;
  row.key = key;
  row.id = v.id;
  row.unit = v.unit;
  row.higher_is_better = v.higher_is_better;
  const std::size_t n = v.by_driver[0].size();
  for (std::size_t d = 0; d < n; ++d) {
    row.baremetal.push_back(cell_of(v.by_driver[0][d]));
    row.container.push_back(cell_of(v.by_driver[1][d]));
  }
  row.change_from_previous.assign(n, std::nullopt);
  row.container_over_baremetal.assign(n, std::nullopt);
  row.driver_regression.assign(n, false);
  for (std::size_t d = 0; d < n; ++d) {
    row.container_over_baremetal[d] = ratio(row.container[d], row.baremetal[d]);
    // Same mode on both sides: bare metal when this driver has it, else container; compared
    // with the nearest older driver that has a figure in that mode.
    const std::vector<Cell>& cells = row.baremetal[d].median ? row.baremetal : row.container;
    if (!cells[d].median) continue;
    for (std::size_t p = d; p-- > 0;) {
      if (!cells[p].median) continue;
      if (auto r = ratio(cells[d], cells[p])) {
        row.change_from_previous[d] = *r - 1;
        row.driver_regression[d] = is_worse(*r - 1, row.higher_is_better, threshold);
      }
      break;
    }
  }
  for (std::size_t d = n; d-- > 0;) {  // the latest driver with a fraction of peak
    const auto& peaks = v.peak[0][d].empty() ? v.peak[1][d] : v.peak[0][d];
    if (!peaks.empty()) {
      row.fraction_of_peak = median_of(peaks);
      break;
    }
  }
  return row;
}

CheckOutcome check_outcome(const std::string& driver, const std::vector<const RunSummary*>& runs) {
  CheckOutcome c;
  c.driver = driver;
  std::map<std::string, std::size_t> failing;  // check id -> runs where it failed
  for (const RunSummary* r : runs) {
    ++c.runs;
    if (r->verdict == "fail") ++c.runs_failed;
    std::set<std::string> failed_here;
    for (const CheckPoint& k : r->checks) {
      if (k.status == "PASS") ++c.pass;
      if (k.status == "WARN") ++c.warn;
      if (k.status == "SKIP") ++c.skip;
      if (k.status == "FAIL") {
        ++c.fail;
        failed_here.insert(k.id);
      }
    }
    for (const std::string& id : failed_here) ++failing[id];
  }
  std::vector<std::pair<std::string, std::size_t>> sorted(failing.begin(), failing.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [id, n] : sorted) {
    c.failing_checks.push_back(id + " (" + std::to_string(n) + (n == 1 ? " run)" : " runs)"));
  }
  return c;
}

// The driver most runs used (the newest on a tie).
std::string most_common(const std::map<std::string, std::size_t>& counts) {
  std::string best;
  std::size_t best_n = 0;
  for (const auto& [driver, n] : counts) {
    if (n > best_n || (n == best_n && driver_less(best, driver))) {
      best = driver;
      best_n = n;
    }
  }
  return best;
}

constexpr std::size_t kBaremetal = 0, kContainer = 1;
constexpr const char* kModes[] = {"baremetal", "container"};

// The nights of one GPU model's runs and, per mode and night, the drivers the runs used.
struct Nights {
  std::vector<std::string> dates;  // sorted
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::map<std::string, std::size_t>> drivers[2];  // [mode][night] -> runs per driver
};

Nights nights_of(const std::vector<const RunSummary*>& runs) {
  Nights n;
  std::set<std::string> dates;
  for (const RunSummary* r : runs) dates.insert(r->date);
  n.dates.assign(dates.begin(), dates.end());
  for (std::size_t i = 0; i < n.dates.size(); ++i) n.index[n.dates[i]] = i;
  for (auto& per_mode : n.drivers) per_mode.resize(n.dates.size());
  for (const RunSummary* r : runs) {
    ++n.drivers[r->mode == "container" ? kContainer : kBaremetal][n.index[r->date]][r->driver];
  }
  return n;
}

// Per night, in one mode: the median over the night's runs (all nodes); regressed where some
// series of this model, mode and benchmark was in a regression episode.
std::vector<TimePoint> over_time(const Nights& nights,
                                 const std::vector<std::vector<double>>& values, std::size_t mode,
                                 const std::string& model, const std::string& key,
                                 const std::vector<Regression>& regressions) {
  std::vector<bool> regressed(nights.dates.size(), false);
  for (const Regression& g : regressions) {
    if (g.gpu_model != model || g.benchmark != key || g.mode != kModes[mode]) continue;
    auto first = std::lower_bound(nights.dates.begin(), nights.dates.end(), g.first_date);
    auto last = std::upper_bound(nights.dates.begin(), nights.dates.end(), g.last_date);
    for (auto it = first; it < last; ++it) regressed[it - nights.dates.begin()] = true;
  }
  std::vector<TimePoint> points;
  for (std::size_t i = 0; i < nights.dates.size(); ++i) {
    if (values[i].empty()) continue;
    points.push_back({nights.dates[i], most_common(nights.drivers[mode][i]), median_of(values[i]),
                      regressed[i]});
  }
  return points;
}

std::vector<Chart> charts_of(const ModelSection& section, const Nights& nights,
                             const std::unordered_map<std::string, MetricValues>& values,
                             const std::vector<Regression>& regressions,
                             const ReportOptions& options) {
  // Which rows: the key metrics in their listed order, or every row when none of them has data.
  std::vector<const MetricRow*> rows;
  for (const std::string& id : options.key_metrics) {
    for (const MetricRow& m : section.metrics) {
      if (m.id == id) rows.push_back(&m);
    }
  }
  if (rows.empty()) {
    for (const MetricRow& m : section.metrics) rows.push_back(&m);
  }
  std::vector<Chart> charts;
  for (const MetricRow* m : rows) {
    const MetricValues& v = values.at(m->key);
    Chart c;
    c.id = m->key;
    c.unit = m->unit;
    c.higher_is_better = m->higher_is_better;
    c.drivers = section.drivers;
    c.by_driver_baremetal = m->baremetal;
    c.by_driver_container = m->container;
    c.over_time_baremetal = over_time(nights, v.nightly[kBaremetal], kBaremetal, section.gpu_model,
                                      m->key, regressions);
    c.over_time_container = over_time(nights, v.nightly[kContainer], kContainer, section.gpu_model,
                                      m->key, regressions);
    charts.push_back(std::move(c));
  }
  return charts;
}

ModelSection model_section(const std::string& model, const std::vector<const RunSummary*>& runs,
                           const std::vector<Regression>& regressions,
                           const ReportOptions& options) {
  ModelSection s;
  s.gpu_model = model;
  s.runs = runs.size();
  std::set<std::string> hosts, drivers;
  for (const RunSummary* r : runs) {
    hosts.insert(r->host);
    drivers.insert(r->driver);
  }
  s.hosts.assign(hosts.begin(), hosts.end());
  s.drivers.assign(drivers.begin(), drivers.end());
  std::sort(s.drivers.begin(), s.drivers.end(), driver_less);
  std::unordered_map<std::string, std::size_t> driver_index;
  for (std::size_t i = 0; i < s.drivers.size(); ++i) driver_index[s.drivers[i]] = i;
  const Nights nights = nights_of(runs);

  std::unordered_map<std::string, MetricValues> metrics;
  std::vector<std::vector<const RunSummary*>> by_driver(s.drivers.size());
  const std::size_t n = s.drivers.size();
  std::vector<MetricValues*> slots;  // SlotCache slot -> its entry in `metrics`
  SlotCache cache;
  for (const RunSummary* r : runs) {
    const std::size_t d = driver_index[r->driver];
    const std::size_t night = nights.index.at(r->date);
    by_driver[d].push_back(r);
    const std::size_t mode = r->mode == "container" ? kContainer : kBaremetal;
    for (std::size_t i = 0; i < r->benchmarks.size(); ++i) {
      const BenchPoint& b = r->benchmarks[i];
      if (!b.median) continue;
      bool added = false;
      const std::size_t slot = cache.slot(i, b.key, [&] {
        added = true;
        slots.push_back(&metrics[b.key]);  // unordered_map values do not move either
        return slots.size() - 1;
      });
      MetricValues& v = *slots[slot];
      if (added) {
        v.id = b.id;
        v.unit = b.unit;
        v.higher_is_better = b.higher_is_better;
        for (auto* per_driver : {&v.by_driver[0], &v.by_driver[1], &v.peak[0], &v.peak[1]}) {
          per_driver->resize(n);
        }
        for (auto& per_night : v.nightly) per_night.resize(nights.dates.size());
      }
      v.by_driver[mode][d].push_back(*b.median);
      v.nightly[mode][night].push_back(*b.median);
      if (b.fraction_of_peak) v.peak[mode][d].push_back(*b.fraction_of_peak);
    }
  }
  std::vector<std::string> keys;
  for (const auto& entry : metrics) keys.push_back(entry.first);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    s.metrics.push_back(metric_row(key, metrics.at(key), options.regression_threshold));
  }
  for (std::size_t d = 0; d < n; ++d) s.checks.push_back(check_outcome(s.drivers[d], by_driver[d]));
  if (model != kNoGpu) s.charts = charts_of(s, nights, metrics, regressions, options);
  return s;
}

// Splits "550.54.15" / "r535_00" into runs of digits and of other characters.
std::vector<std::string> version_parts(const std::string& v) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < v.size();) {
    const bool digits = std::isdigit(static_cast<unsigned char>(v[i])) != 0;
    std::size_t j = i;
    while (j < v.size() && (std::isdigit(static_cast<unsigned char>(v[j])) != 0) == digits) ++j;
    parts.push_back(v.substr(i, j - i));
    i = j;
  }
  return parts;
}

}  // namespace

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

bool is_worse(double change, bool higher_is_better, double threshold) {
  return badness(change, higher_is_better) > threshold;
}

double badness(double change, bool higher_is_better) { return higher_is_better ? -change : change; }

bool driver_less(const std::string& a, const std::string& b) {
  const std::vector<std::string> pa = version_parts(a), pb = version_parts(b);
  for (std::size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
    const bool da = std::isdigit(static_cast<unsigned char>(pa[i][0])) != 0;
    const bool db = std::isdigit(static_cast<unsigned char>(pb[i][0])) != 0;
    if (da != db) return da;  // numbers before words ("none" after every version)
    if (da) {
      // Numerically: strip leading zeros, then a shorter number is smaller.
      const std::size_t za = pa[i].find_first_not_of('0'), zb = pb[i].find_first_not_of('0');
      const std::string_view na = za == std::string::npos ? "" : std::string_view(pa[i]).substr(za);
      const std::string_view nb = zb == std::string::npos ? "" : std::string_view(pb[i]).substr(zb);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
    } else if (pa[i] != pb[i]) {
      return pa[i] < pb[i];
    }
  }
  if (pa.size() != pb.size()) return pa.size() < pb.size();
  return a < b;  // equal numerically ("05" vs "5"): any strict order
}

Report build_report(const std::vector<RunSummary>& runs, const ReportOptions& options,
                    std::vector<BadFile> bad_files) {
  Report report;
  report.options = options;
  report.runs = runs.size();
  report.bad_files = std::move(bad_files);
  std::map<std::string, std::vector<const RunSummary*>> by_model;
  std::set<std::string> dates;
  for (const RunSummary& r : runs) {
    by_model[r.gpu_model].push_back(&r);
    dates.insert(r.date);
    if (report.first_date.empty() || r.date < report.first_date) report.first_date = r.date;
    if (r.date > report.last_date) report.last_date = r.date;
  }
  report.nights = dates.size();
  report.regressions = find_regressions(runs, options);
  report.outliers = find_outliers(runs, options);
  for (const auto& [model, model_runs] : by_model) {
    if (model == kNoGpu) continue;
    report.models.push_back(model_section(model, model_runs, report.regressions, options));
  }
  if (auto it = by_model.find(kNoGpu); it != by_model.end()) {  // runs without a GPU come last
    report.models.push_back(model_section(kNoGpu, it->second, report.regressions, options));
  }
  return report;
}

}  // namespace gpuval::report
