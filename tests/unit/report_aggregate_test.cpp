// build_report() and its parts on hand-built run summaries: grouping, driver order, change and
// ratio maths, direction, regression episodes, fleet outliers, charts.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "report/aggregate_internal.hpp"
#include "report/model.hpp"

namespace gpuval::report {
namespace {

constexpr const char* kH100 = "NVIDIA H100 80GB HBM3";
constexpr const char* kA100 = "NVIDIA A100-SXM4-80GB";

struct Spec {
  std::string host = "node-1";
  std::string model = kH100;
  std::string driver = "550.54.15";
  std::string mode = "baremetal";
  std::string date = "2026-10-01";
  std::map<std::string, double> values;  // benchmark id -> median ("...-latency": lower is better)
};

RunSummary run(const Spec& s) {
  RunSummary r;
  r.path = s.host + "_" + s.date + "_" + s.mode + ".json";
  r.host = s.host;
  r.gpu_model = s.model;
  r.driver = s.driver;
  r.mode = s.mode;
  r.date = s.date;
  r.started_at = s.date + "T02:00:00Z";
  r.verdict = "pass";
  for (const auto& [id, v] : s.values) {
    BenchPoint b;
    b.id = id;
    b.key = id + " gpu0";
    const bool latency = id.find("latency") != std::string::npos;
    b.unit = latency ? "us" : "GB/s";
    b.higher_is_better = !latency;
    b.status = "PASS";
    b.median = v;
    r.benchmarks.push_back(b);
  }
  return r;
}

std::string night(int i) {  // 0 -> 2026-10-01
  return std::string("2026-10-") + (i + 1 < 10 ? "0" : "") + std::to_string(i + 1);
}

// One node's series: values[i] on night i, with the driver of that night.
std::vector<RunSummary> series(const std::string& host, const std::vector<double>& values,
                               const std::string& id = "stream-triad",
                               const std::vector<std::string>& drivers = {}) {
  std::vector<RunSummary> runs;
  for (std::size_t i = 0; i < values.size(); ++i) {
    Spec s;
    s.host = host;
    s.date = night(static_cast<int>(i));
    s.driver = drivers.empty() ? "550.54.15" : drivers[i];
    s.values[id] = values[i];
    runs.push_back(run(s));
  }
  return runs;
}

const MetricRow& row(const Report& r, std::size_t model, const std::string& key) {
  for (const MetricRow& m : r.models.at(model).metrics) {
    if (m.key == key) return m;
  }
  throw std::runtime_error("no row " + key);
}

TEST(DriverLess, OrdersByNumericComponents) {
  EXPECT_TRUE(driver_less("535.104.05", "550.54.14"));
  EXPECT_TRUE(driver_less("550.54.14", "550.54.15"));
  EXPECT_TRUE(driver_less("550.54.15", "570.86.10"));
  EXPECT_TRUE(driver_less("535.54.03", "535.104.05"));  // 54 < 104, not as text
  EXPECT_TRUE(driver_less("99.1", "100.0"));
  EXPECT_TRUE(driver_less("550.54", "550.54.15"));
  EXPECT_TRUE(driver_less("570.86.10", "none"));  // no driver sorts after every version
  EXPECT_FALSE(driver_less("570.86.10", "570.86.10"));
  EXPECT_FALSE(driver_less("570.86.10", "550.54.15"));
  // A strict order even where the numbers are equal.
  EXPECT_NE(driver_less("550.54.05", "550.54.5"), driver_less("550.54.5", "550.54.05"));
}

TEST(IsWorse, IsDirectionAware) {
  EXPECT_TRUE(is_worse(-0.06, true, 0.05));
  EXPECT_FALSE(is_worse(-0.04, true, 0.05));
  EXPECT_FALSE(is_worse(+0.20, true, 0.05));
  EXPECT_TRUE(is_worse(+0.06, false, 0.05));
  EXPECT_FALSE(is_worse(-0.20, false, 0.05));
}

TEST(BuildReport, GroupsByModelWithNoGpuLastAndUncharted) {
  std::vector<RunSummary> runs = {
      run({"n1", kH100, "550.54.15", "baremetal", night(0), {{"stream-triad", 3000}}}),
      run({"n2", kA100, "550.54.15", "baremetal", night(0), {{"stream-triad", 1800}}}),
      run({"vm", kNoGpu, "none", "container", night(1), {}}),
  };
  const Report r = build_report(runs, {}, {{"x.json", "malformed"}});
  EXPECT_EQ(r.runs, 3u);
  EXPECT_EQ(r.nights, 2u);
  EXPECT_EQ(r.first_date, night(0));
  EXPECT_EQ(r.last_date, night(1));
  ASSERT_EQ(r.bad_files.size(), 1u);
  ASSERT_EQ(r.models.size(), 3u);
  EXPECT_EQ(r.models[0].gpu_model, kA100);
  EXPECT_EQ(r.models[1].gpu_model, kH100);
  EXPECT_EQ(r.models[2].gpu_model, kNoGpu);
  EXPECT_FALSE(r.models[1].charts.empty());
  EXPECT_TRUE(r.models[2].charts.empty());
  EXPECT_TRUE(r.models[2].metrics.empty());
  EXPECT_EQ(r.models[2].checks.size(), 1u);
}

TEST(BuildReport, DriversOrderedByVersionAndCellsAreMediansOfRunMedians) {
  std::vector<RunSummary> runs;
  for (const auto& [driver, v] : std::vector<std::pair<std::string, double>>{{"570.86.10", 90},
                                                                             {"535.104.05", 100},
                                                                             {"550.54.15", 100},
                                                                             {"570.86.10", 96},
                                                                             {"570.86.10", 93}}) {
    runs.push_back(run({"n1", kH100, driver, "baremetal", night(0), {{"stream-triad", v}}}));
  }
  const Report r = build_report(runs, {});
  const ModelSection& m = r.models.at(0);
  EXPECT_EQ(m.drivers, (std::vector<std::string>{"535.104.05", "550.54.15", "570.86.10"}));
  const MetricRow& t = row(r, 0, "stream-triad gpu0");
  ASSERT_EQ(t.baremetal.size(), 3u);
  EXPECT_EQ(t.baremetal[2].median, 93.0);
  EXPECT_EQ(t.baremetal[2].runs, 3u);
  EXPECT_FALSE(t.container[2].median.has_value());
  EXPECT_EQ(t.container[2].runs, 0u);
}

TEST(BuildReport, ChangeFromPreviousDriverAndRegressionMarker) {
  const std::vector<RunSummary> runs = {
      run({"n1",
           kH100,
           "550.54.15",
           "baremetal",
           night(0),
           {{"stream-triad", 100}, {"launch-latency", 2.0}}}),
      run({"n1",
           kH100,
           "560.35.03",
           "baremetal",
           night(1),
           {{"stream-triad", 90}, {"launch-latency", 2.2}}}),
      run({"n1",
           kH100,
           "570.86.10",
           "baremetal",
           night(2),
           {{"stream-triad", 99}, {"launch-latency", 1.8}}}),
  };
  const Report r = build_report(runs, {});
  const MetricRow& t = row(r, 0, "stream-triad gpu0");
  EXPECT_FALSE(t.change_from_previous[0].has_value());
  EXPECT_NEAR(*t.change_from_previous[1], -0.10, 1e-12);
  EXPECT_NEAR(*t.change_from_previous[2], 0.10, 1e-12);
  EXPECT_EQ(t.driver_regression, (std::vector<bool>{false, true, false}));
  // Lower is better: +10 % latency is the regression, -18 % the improvement.
  const MetricRow& l = row(r, 0, "launch-latency gpu0");
  EXPECT_FALSE(l.higher_is_better);
  EXPECT_NEAR(*l.change_from_previous[1], 0.10, 1e-12);
  EXPECT_EQ(l.driver_regression, (std::vector<bool>{false, true, false}));
}

TEST(BuildReport, ChangeSkipsDriversWithoutFiguresAndFallsBackToContainer) {
  const std::vector<RunSummary> runs = {
      run({"n1", kH100, "550.54.15", "container", night(0), {{"stream-triad", 100}}}),
      run({"n1", kH100, "560.35.03", "container", night(1), {{"other", 1}}}),
      run({"n1", kH100, "570.86.10", "container", night(2), {{"stream-triad", 97}}}),
  };
  const Report r = build_report(runs, {});
  const MetricRow& t = row(r, 0, "stream-triad gpu0");
  EXPECT_FALSE(t.change_from_previous[1].has_value());
  ASSERT_TRUE(t.change_from_previous[2].has_value());
  EXPECT_NEAR(*t.change_from_previous[2], -0.03, 1e-12);  // against 550, the nearest with data
  EXPECT_FALSE(t.driver_regression[2]);
}

TEST(BuildReport, ContainerOverBaremetalPerDriver) {
  const std::vector<RunSummary> runs = {
      run({"n1", kH100, "550.54.15", "baremetal", night(0), {{"stream-triad", 200}}}),
      run({"n1", kH100, "550.54.15", "container", night(0), {{"stream-triad", 190}}}),
      run({"n1", kH100, "560.35.03", "container", night(1), {{"stream-triad", 190}}}),
  };
  const Report r = build_report(runs, {});
  const MetricRow& t = row(r, 0, "stream-triad gpu0");
  EXPECT_NEAR(*t.container_over_baremetal[0], 0.95, 1e-12);
  EXPECT_FALSE(t.container_over_baremetal[1].has_value());  // no bare-metal figure
}

TEST(BuildReport, FractionOfPeakFromTheNewestDriverPreferringBareMetal) {
  std::vector<RunSummary> runs = {
      run({"n1", kH100, "550.54.15", "baremetal", night(0), {{"stream-triad", 200}}}),
      run({"n1", kH100, "570.86.10", "baremetal", night(1), {{"stream-triad", 200}}}),
      run({"n1", kH100, "570.86.10", "container", night(1), {{"stream-triad", 200}}}),
  };
  runs[0].benchmarks[0].fraction_of_peak = 0.5;
  runs[1].benchmarks[0].fraction_of_peak = 0.9;
  runs[2].benchmarks[0].fraction_of_peak = 0.8;
  const Report r = build_report(runs, {});
  EXPECT_EQ(row(r, 0, "stream-triad gpu0").fraction_of_peak, 0.9);
}

TEST(BuildReport, CheckOutcomesPerDriver) {
  std::vector<RunSummary> runs;
  for (int i = 0; i < 3; ++i) {
    RunSummary r = run({"n" + std::to_string(i), kH100, "550.54.15", "baremetal", night(0), {}});
    r.checks = {{"shm", i == 0 ? "WARN" : "PASS", ""},
                {"device-access", i < 2 ? "FAIL" : "PASS", ""},
                {"memlock", i == 2 ? "FAIL" : "SKIP", ""}};
    r.verdict = "fail";
    runs.push_back(r);
  }
  runs.push_back(run({"n9", kH100, "570.86.10", "baremetal", night(1), {}}));
  const Report rep = build_report(runs, {});
  const auto& checks = rep.models.at(0).checks;
  ASSERT_EQ(checks.size(), 2u);
  const CheckOutcome& c = checks[0];
  EXPECT_EQ(c.driver, "550.54.15");
  EXPECT_EQ(c.runs, 3u);
  EXPECT_EQ(c.runs_failed, 3u);
  EXPECT_EQ(c.pass, 3u);
  EXPECT_EQ(c.warn, 1u);
  EXPECT_EQ(c.fail, 3u);
  EXPECT_EQ(c.skip, 2u);
  EXPECT_EQ(c.failing_checks,
            (std::vector<std::string>{"device-access (2 runs)", "memlock (1 run)"}));
  EXPECT_EQ(checks[1].runs_failed, 0u);
  EXPECT_TRUE(checks[1].failing_checks.empty());
}

// Runs usually list benchmarks in the same order; when they do not, keys still match.
TEST(BuildReport, BenchmarksInAnyOrderAreMatchedByKey) {
  std::vector<RunSummary> runs;
  for (int i = 0; i < 6; ++i) {
    for (const char* host : {"a", "b", "c"}) {
      const bool slow = std::string(host) == "c";
      RunSummary r =
          run({host,
               kH100,
               "550.54.15",
               "baremetal",
               night(i),
               {{"gemm-bf16", slow ? 600 : 750}, {"stream-triad", i < 4 ? 3000 : 2000}}});
      if ((i + (slow ? 1 : 0)) % 2 == 1) std::swap(r.benchmarks[0], r.benchmarks[1]);
      if (i == 2 && !slow) r.benchmarks.erase(r.benchmarks.begin());
      runs.push_back(r);
    }
  }
  const Report r = build_report(runs, {});
  EXPECT_EQ(row(r, 0, "gemm-bf16 gpu0").baremetal[0].runs, 16u);
  EXPECT_EQ(row(r, 0, "gemm-bf16 gpu0").baremetal[0].median, 750);
  EXPECT_EQ(row(r, 0, "stream-triad gpu0").baremetal[0].runs, 18u);
  ASSERT_EQ(r.outliers.size(), 1u);
  EXPECT_EQ(r.outliers[0].host, "c");
  EXPECT_EQ(r.outliers[0].benchmark, "gemm-bf16 gpu0");
  ASSERT_EQ(r.regressions.size(), 3u);  // stream-triad on every node from night 4
  for (const Regression& g : r.regressions) {
    EXPECT_EQ(g.benchmark, "stream-triad gpu0");
    EXPECT_EQ(g.first_date, night(4));
    EXPECT_EQ(g.nights, 2u);
  }
}

// --- regression episodes -----------------------------------------------------------------------

TEST(Regressions, ADipAndRecoveryIsOneEpisode) {
  const auto runs = series("n1", {100, 101, 99, 100, 100, 85, 84, 100, 100});
  const auto found = find_regressions(runs, {});
  ASSERT_EQ(found.size(), 1u);
  const Regression& g = found[0];
  EXPECT_EQ(g.host, "n1");
  EXPECT_EQ(g.gpu_model, kH100);
  EXPECT_EQ(g.mode, "baremetal");
  EXPECT_EQ(g.benchmark, "stream-triad gpu0");
  EXPECT_EQ(g.unit, "GB/s");
  EXPECT_EQ(g.first_date, night(5));
  EXPECT_EQ(g.last_date, night(6));
  EXPECT_EQ(g.nights, 2u);
  EXPECT_FALSE(g.ongoing);
  EXPECT_EQ(g.value, 85);
  EXPECT_EQ(g.baseline, 100);
  EXPECT_NEAR(g.change, -0.15, 1e-12);
  EXPECT_EQ(g.run_path, "n1_" + night(5) + "_baremetal.json");
}

TEST(Regressions, SustainedDropAfterADriverUpgradeIsOneOngoingEpisodeFromTheUpgradeNight) {
  std::vector<double> values;
  std::vector<std::string> drivers;
  for (int i = 0; i < 25; ++i) {
    values.push_back(i < 10 ? 100 : 90);
    drivers.push_back(i < 10 ? "550.54.15" : "560.35.03");
  }
  const auto found = find_regressions(series("n1", values, "stream-triad", drivers), {});
  ASSERT_EQ(found.size(), 1u);
  const Regression& g = found[0];
  EXPECT_EQ(g.first_date, night(10));
  EXPECT_EQ(g.last_date, night(24));
  EXPECT_EQ(g.nights, 15u);
  EXPECT_TRUE(g.ongoing);
  EXPECT_EQ(g.driver, "560.35.03");
  EXPECT_EQ(g.previous_driver, "550.54.15");
}

// The rolling baseline (kept sorted as nights come and go) against a plain recomputation: for
// random series with drops, recoveries and ties, every window size, the same episodes.
TEST(Regressions, RollingBaselineEqualsTheMedianOfThePreviousHealthyNights) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> level(0, 9);
  for (int window : {1, 2, 3, 4, 7, 10}) {
    std::vector<double> values;
    for (int i = 0; i < 300; ++i) {
      const int l = level(rng);
      values.push_back(l == 0 ? 80.0 : l == 1 ? 100.0 : 100.0 + l * 0.5);  // ties on purpose
    }
    std::vector<RunSummary> runs;
    for (std::size_t i = 0; i < values.size(); ++i) {
      Spec s;
      s.date = fmt::format("2027-{:02}-{:02}", 1 + i / 28, 1 + i % 28);
      s.values["stream-triad"] = values[i];
      runs.push_back(run(s));
    }
    ReportOptions options;
    options.window = window;
    // Expected: healthy nights form the baseline (the latest `window` of them, their median).
    std::vector<std::pair<std::string, double>> expected;  // first night, baseline
    std::vector<double> healthy;
    bool open = false;
    for (std::size_t i = 0; i < values.size(); ++i) {
      bool regressed = false;
      double baseline = 0;
      if (healthy.size() >= static_cast<std::size_t>(std::min(window, 3))) {
        std::vector<double> last(
            healthy.end() -
                std::min<std::ptrdiff_t>(window, static_cast<std::ptrdiff_t>(healthy.size())),
            healthy.end());
        std::sort(last.begin(), last.end());
        const std::size_t mid = last.size() / 2;
        baseline = last.size() % 2 ? last[mid] : (last[mid - 1] + last[mid]) / 2;
        regressed = values[i] / baseline - 1 < -options.regression_threshold;
      }
      if (regressed && !open) expected.emplace_back(runs[i].date, baseline);
      open = regressed;
      if (!regressed) healthy.push_back(values[i]);
    }
    std::vector<Regression> found = find_regressions(runs, options);
    std::sort(found.begin(), found.end(),
              [](const Regression& a, const Regression& b) { return a.first_date < b.first_date; });
    ASSERT_EQ(found.size(), expected.size()) << "window " << window;
    ASSERT_GT(found.size(), 10u) << "the series has drops";
    for (std::size_t e = 0; e < found.size(); ++e) {
      EXPECT_EQ(found[e].first_date, expected[e].first) << "window " << window;
      EXPECT_DOUBLE_EQ(found[e].baseline, expected[e].second) << "window " << window;
    }
  }
}

TEST(Regressions, LowerIsBetterRegressesUpwards) {
  const auto up = find_regressions(series("n1", {2.0, 2.0, 2.0, 2.0, 2.3}, "launch-latency"), {});
  ASSERT_EQ(up.size(), 1u);
  EXPECT_NEAR(up[0].change, 0.15, 1e-12);
  EXPECT_TRUE(up[0].ongoing);
  EXPECT_TRUE(
      find_regressions(series("n1", {2.0, 2.0, 2.0, 2.0, 1.5}, "launch-latency"), {}).empty());
}

TEST(Regressions, ImprovementsAndChangesWithinTheThresholdAreNotRegressions) {
  EXPECT_TRUE(find_regressions(series("n1", {100, 100, 100, 100, 120, 96, 104}), {}).empty());
}

TEST(Regressions, NeedAFewNightsOfHistory) {
  EXPECT_TRUE(find_regressions(series("n1", {100, 50, 50}), {}).empty());
  EXPECT_EQ(find_regressions(series("n1", {100, 100, 100, 50}), {}).size(), 1u);
}

TEST(Regressions, ThresholdAndWindowComeFromTheOptions) {
  const auto runs = series("n1", {100, 100, 100, 100, 97});
  ReportOptions strict;
  strict.regression_threshold = 0.02;
  EXPECT_EQ(find_regressions(runs, strict).size(), 1u);
  EXPECT_TRUE(find_regressions(runs, {}).empty());
  // Window 3: the baseline is the last three healthy nights (110), not the older 100s.
  ReportOptions short_window;
  short_window.window = 3;
  const auto drift = series("n1", {100, 100, 100, 100, 110, 110, 110, 103});
  EXPECT_EQ(find_regressions(drift, short_window).size(), 1u);
  EXPECT_TRUE(find_regressions(drift, {}).empty());
}

TEST(Regressions, SeveralRunsOfOneNightCountByTheirMedian) {
  auto runs = series("n1", {100, 100, 100, 100});
  Spec s;
  s.host = "n1";
  s.date = night(3);
  for (double v : {50.0, 100.0, 101.0}) {  // one bad rerun among good ones
    s.values["stream-triad"] = v;
    runs.push_back(run(s));
  }
  EXPECT_TRUE(find_regressions(runs, {}).empty());
}

TEST(Regressions, OngoingFirstThenNewestFirst) {
  auto runs = series("old", {100, 100, 100, 80, 100, 100, 100, 100, 100});
  for (auto& r : series("new", {100, 100, 100, 100, 100, 100, 80, 100, 100})) runs.push_back(r);
  for (auto& r : series("now", {100, 100, 100, 100, 100, 80, 80, 80, 80})) runs.push_back(r);
  const auto found = find_regressions(runs, {});
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].host, "now");
  EXPECT_TRUE(found[0].ongoing);
  EXPECT_EQ(found[1].host, "new");
  EXPECT_EQ(found[2].host, "old");
}

TEST(Regressions, SeriesAreSeparatePerModeAndNode) {
  auto runs = series("n1", {100, 100, 100, 100, 100});
  auto other = series("n2", {80, 80, 80, 80, 80});  // lower, but steady: no regression
  runs.insert(runs.end(), other.begin(), other.end());
  for (RunSummary r : series("n1", {80, 80, 80, 80, 80})) {
    r.mode = "container";
    runs.push_back(r);
  }
  EXPECT_TRUE(find_regressions(runs, {}).empty());
}

// --- fleet outliers ----------------------------------------------------------------------------

std::vector<RunSummary> fleet(const std::map<std::string, double>& node_values,
                              const std::string& id = "gemm-bf16",
                              const std::string& driver = "550.54.15") {
  std::vector<RunSummary> runs;
  for (const auto& [host, v] : node_values) {
    for (int i = 0; i < 3; ++i) {
      runs.push_back(run({host, kH100, driver, "baremetal", night(i), {{id, v}}}));
    }
  }
  return runs;
}

TEST(Outliers, ANodeWellBelowItsModelsMedianIsListed) {
  const auto found = find_outliers(fleet({{"a", 750}, {"b", 752}, {"c", 600}}), {});
  ASSERT_EQ(found.size(), 1u);
  const Outlier& o = found[0];
  EXPECT_EQ(o.host, "c");
  EXPECT_EQ(o.gpu_model, kH100);
  EXPECT_EQ(o.driver, "550.54.15");
  EXPECT_EQ(o.mode, "baremetal");
  EXPECT_EQ(o.benchmark, "gemm-bf16 gpu0");
  EXPECT_EQ(o.node_median, 600);
  EXPECT_EQ(o.group_median, 750);
  EXPECT_NEAR(o.change, -0.2, 1e-12);
  EXPECT_EQ(o.group_nodes, 3u);
}

TEST(Outliers, GroupsOfFewerThanThreeNodesAreIgnored) {
  EXPECT_TRUE(find_outliers(fleet({{"a", 750}, {"c", 300}}), {}).empty());
}

TEST(Outliers, WithinTheThresholdOrFasterIsNoOutlier) {
  EXPECT_TRUE(find_outliers(fleet({{"a", 750}, {"b", 752}, {"c", 700}, {"d", 900}}), {}).empty());
}

TEST(Outliers, LowerIsBetterOutliersAreTheSlowOnesAndWorstComesFirst) {
  auto runs = fleet({{"a", 2.0}, {"b", 2.0}, {"c", 2.5}}, "launch-latency");
  for (auto& r : fleet({{"a", 750}, {"b", 752}, {"c", 740}, {"d", 500}})) runs.push_back(r);
  const auto found = find_outliers(runs, {});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].host, "d");  // -33 % first
  EXPECT_EQ(found[1].host, "c");  // +25 % latency
  EXPECT_NEAR(found[1].change, 0.25, 1e-12);
}

TEST(Outliers, DriversAreSeparateGroups) {
  auto runs = fleet({{"a", 750}, {"b", 750}}, "gemm-bf16", "550.54.15");
  for (auto& r : fleet({{"c", 600}}, "gemm-bf16", "560.35.03")) runs.push_back(r);
  EXPECT_TRUE(find_outliers(runs, {}).empty());
}

// --- charts ------------------------------------------------------------------------------------

TEST(Charts, KeyMetricsInTheirOrderWithNightlyMediansAndRegressedNights) {
  std::vector<RunSummary> runs;
  for (int i = 0; i < 8; ++i) {
    const std::string driver = i < 4 ? "550.54.15" : "560.35.03";
    for (const char* host : {"a", "b", "c"}) {
      const double triad = (std::string(host) == "c" && i >= 6) ? 2500 : 3000 + i;
      runs.push_back(run({host,
                          kH100,
                          driver,
                          "baremetal",
                          night(i),
                          {{"stream-triad", triad}, {"gemm-bf16", 750}, {"not-key", 1}}}));
    }
  }
  ReportOptions options;
  options.key_metrics = {"stream-triad", "gemm-bf16"};
  const Report r = build_report(runs, options);
  const auto& charts = r.models.at(0).charts;
  ASSERT_EQ(charts.size(), 2u);
  EXPECT_EQ(charts[0].id, "stream-triad gpu0");
  EXPECT_EQ(charts[1].id, "gemm-bf16 gpu0");
  const Chart& c = charts[0];
  EXPECT_EQ(c.drivers, (std::vector<std::string>{"550.54.15", "560.35.03"}));
  ASSERT_EQ(c.over_time_baremetal.size(), 8u);
  EXPECT_TRUE(c.over_time_container.empty());
  EXPECT_EQ(c.over_time_baremetal[3].date, night(3));
  EXPECT_EQ(c.over_time_baremetal[3].driver, "550.54.15");
  EXPECT_EQ(c.over_time_baremetal[4].driver, "560.35.03");
  EXPECT_EQ(c.over_time_baremetal[3].value, 3003);
  EXPECT_FALSE(c.over_time_baremetal[5].regression);
  EXPECT_TRUE(c.over_time_baremetal[6].regression);
  EXPECT_TRUE(c.over_time_baremetal[7].regression);
  EXPECT_FALSE(charts[1].over_time_baremetal[6].regression);  // other benchmark
}

TEST(Charts, EveryBenchmarkWhenNoKeyMetricHasData) {
  ReportOptions options;
  options.key_metrics = {"not-measured"};
  const Report r = build_report(
      {run({"a", kH100, "550.54.15", "baremetal", night(0), {{"x", 1}, {"y", 2}}})}, options);
  EXPECT_EQ(r.models.at(0).charts.size(), 2u);
}

}  // namespace
}  // namespace gpuval::report
