// build_report(): run summaries -> the Report every renderer shows. Per GPU model: benchmark
// medians per driver and mode (medians of per-run medians), change from the previous driver,
// container / bare-metal ratio, check outcomes, charts; across the fleet: regression episodes
// (regressions.cpp) and node outliers (outliers.cpp).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "report/aggregate_internal.hpp"
#include "report/run_table.hpp"

namespace gpuval::report {
namespace {

constexpr std::size_t kBaremetal = 0, kContainer = 1;
constexpr const char* kModes[] = {"baremetal", "container"};

std::optional<double> ratio(const Cell& numerator, const Cell& denominator) {
  if (!numerator.median || !denominator.median || *denominator.median == 0) return std::nullopt;
  return *numerator.median / *denominator.median;
}

// What one benchmark key of one GPU model comes to, per mode (0 bare metal, 1 container).
struct KeyFigures {
  std::uint32_t series = 0;        // its first entry: id, unit, direction
  std::vector<Cell> by_driver[2];  // indexed like ModelSection::drivers
  // The median fraction of peak at the newest driver that has one (bare metal when it has).
  std::optional<double> fraction_of_peak;
  std::vector<std::optional<double>> nightly[2];  // median by night (Nights::dates); charts only
};

MetricRow metric_row(const std::string& key, const RunTable& t, const KeyFigures& f,
                     double threshold) {
  MetricRow row;
  const BenchSeries& s = t.series[f.series];
  row.key = key;
  row.id = t.text.at(s.id);
  row.unit = t.text.at(s.unit);
  row.higher_is_better = s.higher_is_better;
  row.baremetal = f.by_driver[kBaremetal];
  row.container = f.by_driver[kContainer];
  const std::size_t n = row.baremetal.size();
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
  row.fraction_of_peak = f.fraction_of_peak;
  return row;
}

CheckOutcome check_outcome(const std::string& driver, const RunTable& t,
                           const std::vector<std::uint32_t>& runs) {
  CheckOutcome c;
  c.driver = driver;
  std::map<std::string, std::size_t> failing;  // check id -> runs where it failed
  for (std::uint32_t i : runs) {
    const TableRun& r = t.runs[i];
    ++c.runs;
    if (r.verdict_fail) ++c.runs_failed;
    c.pass += r.pass;
    c.warn += r.warn;
    c.fail += r.fail;
    c.skip += r.skip;
    for (std::uint32_t k = 0; k < r.failed_count; ++k) {
      ++failing[t.text.at(t.failed_checks[r.failed + k])];
    }
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

// The nights of one GPU model's runs and, per mode and night, the drivers the runs used.
struct Nights {
  std::vector<std::string> dates;                              // sorted
  std::unordered_map<std::uint32_t, std::size_t> index;        // date text id -> night
  std::vector<std::map<std::string, std::size_t>> drivers[2];  // [mode][night] -> runs per driver
};

Nights nights_of(const RunTable& t, const std::vector<std::uint32_t>& runs) {
  Nights n;
  std::map<std::string, std::vector<std::uint32_t>> dates;  // date -> its text ids (one)
  for (std::uint32_t i : runs) {
    const std::uint32_t date = t.runs[i].date;
    if (n.index.emplace(date, 0).second) dates[t.text.at(date)].push_back(date);
  }
  for (const auto& [date, ids] : dates) {
    for (std::uint32_t id : ids) n.index[id] = n.dates.size();
    n.dates.push_back(date);
  }
  for (auto& per_mode : n.drivers) per_mode.resize(n.dates.size());
  for (std::uint32_t i : runs) {
    const TableRun& r = t.runs[i];
    ++n.drivers[r.container ? kContainer : kBaremetal][n.index[r.date]][t.text.at(r.driver)];
  }
  return n;
}

// Per night, in one mode: the median over the night's runs (all nodes); regressed where some
// series of this model, mode and benchmark was in a regression episode.
std::vector<TimePoint> over_time(const Nights& nights,
                                 const std::vector<std::optional<double>>& values, std::size_t mode,
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
    if (!values[i]) continue;
    points.push_back(
        {nights.dates[i], most_common(nights.drivers[mode][i]), *values[i], regressed[i]});
  }
  return points;
}

std::vector<Chart> charts_of(const ModelSection& section, const Nights& nights,
                             const std::map<std::string, KeyFigures>& figures,
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
    const KeyFigures& f = figures.at(m->key);
    Chart c;
    c.id = m->key;
    c.unit = m->unit;
    c.higher_is_better = m->higher_is_better;
    c.drivers = section.drivers;
    c.by_driver_baremetal = m->baremetal;
    c.by_driver_container = m->container;
    c.over_time_baremetal = over_time(nights, f.nightly[kBaremetal], kBaremetal, section.gpu_model,
                                      m->key, regressions);
    c.over_time_container = over_time(nights, f.nightly[kContainer], kContainer, section.gpu_model,
                                      m->key, regressions);
    charts.push_back(std::move(c));
  }
  return charts;
}

std::optional<double> median_if_any(const CellMedians::Result& r) {
  return r.count > 0 ? std::optional<double>(r.median) : std::nullopt;
}

// A GPU model's section, and what its charts are drawn from once the regressions (which mark
// the charts' nights) are known.
struct ModelWork {
  ModelSection section;
  Nights nights;
  std::map<std::string, KeyFigures> figures;
};

ModelWork model_section(const std::string& model, const RunTable& t, const DenseKeys& keys,
                        const std::vector<std::uint32_t>& runs, const ReportOptions& options) {
  ModelWork work;
  ModelSection& s = work.section;
  s.gpu_model = model;
  s.runs = runs.size();
  std::set<std::string> hosts, drivers;
  {
    std::set<std::uint32_t> host_ids, driver_ids;
    for (std::uint32_t i : runs) {
      host_ids.insert(t.runs[i].host);
      driver_ids.insert(t.runs[i].driver);
    }
    for (std::uint32_t h : host_ids) hosts.insert(t.text.at(h));
    for (std::uint32_t d : driver_ids) drivers.insert(t.text.at(d));
  }
  s.hosts.assign(hosts.begin(), hosts.end());
  s.drivers.assign(drivers.begin(), drivers.end());
  std::sort(s.drivers.begin(), s.drivers.end(), driver_less);
  const std::size_t n = s.drivers.size();
  std::unordered_map<std::string, std::size_t> driver_index;
  for (std::size_t i = 0; i < n; ++i) driver_index[s.drivers[i]] = i;
  work.nights = nights_of(t, runs);
  const Nights& nights = work.nights;
  const std::size_t night_count = nights.dates.size();

  // Per run of the model: its driver and night, its mode, where its values are.
  std::vector<std::uint32_t> driver_of(runs.size()), night_of(runs.size());
  std::vector<std::uint8_t> mode_of(runs.size());
  std::vector<std::uint64_t> values_of(runs.size());
  std::vector<std::vector<std::uint32_t>> by_driver(n);
  {
    std::unordered_map<std::uint32_t, std::uint32_t> driver_by_text;
    for (std::size_t p = 0; p < runs.size(); ++p) {
      const TableRun& r = t.runs[runs[p]];
      auto it = driver_by_text.find(r.driver);
      if (it == driver_by_text.end()) {
        it =
            driver_by_text
                .emplace(r.driver, static_cast<std::uint32_t>(driver_index.at(t.text.at(r.driver))))
                .first;
      }
      driver_of[p] = it->second;
      night_of[p] = static_cast<std::uint32_t>(nights.index.at(r.date));
      mode_of[p] = r.container ? kContainer : kBaremetal;
      values_of[p] = r.values;
      by_driver[it->second].push_back(runs[p]);
    }
  }

  std::map<std::string, KeyFigures>& figures = work.figures;
  KeyWalker walker(t, keys);
  CellMedians cells;
  // Per entry of the key being walked: its median, fraction of peak and (mode, driver) cell,
  // fetched once from the table (scattered reads) and then read in order.
  std::vector<double> medians, peaks;
  std::vector<std::int32_t> driver_cells;
  std::vector<std::size_t> peak_counts;
  const std::set<std::string> charted_ids(options.key_metrics.begin(), options.key_metrics.end());
  bool any_charted = false;
  const auto fetch = [&](std::span<const Slot> slots) {
    medians.resize(slots.size());
    peaks.resize(slots.size());
    driver_cells.resize(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const std::uint32_t p = slots[i].run;
      const std::uint64_t at = values_of[p] + slots[i].slot;
      medians[i] = t.medians[at];
      peaks[i] = t.peaks[at];
      driver_cells[i] = static_cast<std::int32_t>(mode_of[p] * n + driver_of[p]);
    }
  };
  // Medians per night, for a key's charts (only charted keys need them).
  const auto nightly_of = [&](KeyFigures& f, std::span<const Slot> slots) {
    const auto& nightly = cells.compute(
        2 * night_count, slots.size(),
        [&](std::size_t i) {
          const std::uint32_t p = slots[i].run;
          return static_cast<std::int32_t>(mode_of[p] * night_count + night_of[p]);
        },
        [&](std::size_t i) { return medians[i]; });
    for (std::size_t m = 0; m < 2; ++m) {
      f.nightly[m].resize(night_count);
      for (std::size_t i = 0; i < night_count; ++i) {
        f.nightly[m][i] = median_if_any(nightly[m * night_count + i]);
      }
    }
  };
  walker.walk(runs, [&](std::uint32_t key, std::span<const Slot> slots) {
    KeyFigures& f = figures[t.text.at(keys.key_text[key])];
    const Slot first = slots.front();
    f.series = t.layouts[t.runs[runs[first.run]].layout][first.slot];
    fetch(slots);
    const auto& values = cells.compute(
        2 * n, slots.size(), [&](std::size_t i) { return driver_cells[i]; },
        [&](std::size_t i) { return medians[i]; });
    for (std::size_t m = 0; m < 2; ++m) {
      f.by_driver[m].resize(n);
      for (std::size_t d = 0; d < n; ++d) {
        f.by_driver[m][d] = {median_if_any(values[m * n + d]), values[m * n + d].count};
      }
    }
    // The fraction of peak of the newest driver that has one: bare metal, else container.
    peak_counts.assign(2 * n, 0);
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (!std::isnan(peaks[i])) ++peak_counts[static_cast<std::size_t>(driver_cells[i])];
    }
    std::int32_t target = -1;
    for (std::size_t d = n; d-- > 0 && target < 0;) {
      if (peak_counts[kBaremetal * n + d] > 0) {
        target = static_cast<std::int32_t>(kBaremetal * n + d);
      } else if (peak_counts[kContainer * n + d] > 0) {
        target = static_cast<std::int32_t>(kContainer * n + d);
      }
    }
    if (target >= 0) {
      const auto& fraction = cells.compute(
          1, slots.size(),
          [&](std::size_t i) {
            return driver_cells[i] == target && !std::isnan(peaks[i]) ? 0 : -1;
          },
          [&](std::size_t i) { return peaks[i]; });
      f.fraction_of_peak = fraction[0].median;
    }
    if (charted_ids.contains(t.text.at(t.series[f.series].id))) {
      any_charted = true;
      nightly_of(f, slots);
    }
  });
  // A model with none of the key metrics charts every benchmark.
  if (!any_charted && model != kNoGpu) {
    walker.walk(runs, [&](std::uint32_t key, std::span<const Slot> slots) {
      fetch(slots);
      nightly_of(figures[t.text.at(keys.key_text[key])], slots);
    });
  }
  for (const auto& [key, f] : figures) {
    s.metrics.push_back(metric_row(key, t, f, options.regression_threshold));
  }
  for (std::size_t d = 0; d < n; ++d)
    s.checks.push_back(check_outcome(s.drivers[d], t, by_driver[d]));
  return work;
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

double median_of(std::vector<double> values) { return median_in_place(values); }

double median_in_place(std::span<double> values) {
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

DenseKeys::DenseKeys(const RunTable& t) {
  std::unordered_map<std::uint32_t, std::uint32_t> dense;  // key text id -> dense key
  of_series.reserve(t.series.size());
  for (const BenchSeries& s : t.series) {
    const auto [it, added] = dense.try_emplace(s.key, static_cast<std::uint32_t>(key_text.size()));
    if (added) key_text.push_back(s.key);
    of_series.push_back(it->second);
  }
}

Report build_report(const RunTable& table, const ReportOptions& options,
                    std::vector<BadFile> bad_files) {
  Report report;
  report.options = options;
  report.runs = table.runs.size();
  report.bad_files = std::move(bad_files);
  std::set<std::uint32_t> dates;
  std::uint32_t previous_date = 0;
  for (std::size_t i = 0; i < table.runs.size(); ++i) {
    const std::uint32_t date = table.runs[i].date;
    if (i > 0 && date == previous_date) continue;  // the same night as the run before
    previous_date = date;
    dates.insert(date);
    const std::string& d = table.text.at(date);
    if (report.first_date.empty() || d < report.first_date) report.first_date = d;
    if (d > report.last_date) report.last_date = d;
  }
  report.nights = dates.size();  // distinct dates: one text id per distinct string
  const DenseKeys keys(table);
  // Regressions and outliers on threads of their own while this one does the GPU models: the
  // table is only read, each has its own scratch.
  const auto policy =
      std::thread::hardware_concurrency() > 1 ? std::launch::async : std::launch::deferred;
  auto regressions = std::async(policy, [&] { return find_regressions(table, keys, options); });
  auto outliers = std::async(policy, [&] { return find_outliers(table, keys, options); });
  std::map<std::string, std::vector<std::uint32_t>> by_model;
  for (auto& [model, runs] : group_runs(table, [](const TableRun& r) { return r.model; })) {
    by_model.emplace(table.text.at(model), std::move(runs));
  }
  std::vector<ModelWork> models;
  for (const auto& [model, model_runs] : by_model) {
    if (model == kNoGpu) continue;
    models.push_back(model_section(model, table, keys, model_runs, options));
  }
  if (auto it = by_model.find(kNoGpu); it != by_model.end()) {  // runs without a GPU come last
    models.push_back(model_section(kNoGpu, table, keys, it->second, options));
  }
  report.regressions = regressions.get();
  report.outliers = outliers.get();
  for (ModelWork& m : models) {
    if (m.section.gpu_model != kNoGpu) {
      m.section.charts = charts_of(m.section, m.nights, m.figures, report.regressions, options);
    }
    report.models.push_back(std::move(m.section));
  }
  return report;
}

Report build_report(const std::vector<RunSummary>& runs, const ReportOptions& options,
                    std::vector<BadFile> bad_files) {
  return build_report(*make_run_table(runs), options, std::move(bad_files));
}

}  // namespace gpuval::report
