// The aggregated view `gpuval report` renders (HTML in report/html.cpp, Markdown in
// report/markdown.cpp): built from run summaries by build_report() (report/aggregate.cpp). Pure
// data; every number a renderer shows is computed here so HTML and Markdown always agree.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "report/summary.hpp"

namespace gpuval::report {

struct ReportOptions {
  // A night is a regression when its value is worse than the median of the previous `window`
  // nights of the same series (host, model, mode, benchmark) by more than this fraction.
  double regression_threshold = 0.05;
  int window = 7;
  // A node is a fleet outlier when its median is worse than its group's median by more than this.
  double outlier_threshold = 0.10;
  // Benchmarks charted (by id; every benchmark with data when empty or none present).
  std::vector<std::string> key_metrics = {"stream-triad", "stream-copy", "stream-dot",
                                          "memcpy-d2d",   "h2d-pinned",  "d2h-pinned",
                                          "gemm-bf16",    "gemm-fp8",    "gemm-fp64"};
  std::string title = "gpuval report";
};

// One cell: the median over runs of the per-run medians, and how many runs it summarises.
struct Cell {
  std::optional<double> median;
  std::size_t runs = 0;
};

// Rows of a GPU model's table: one per benchmark key, columns per driver version.
struct MetricRow {
  std::string key;  // BenchPoint::key
  std::string id;
  std::string unit;
  bool higher_is_better = true;
  // Indexed like ModelSection::drivers.
  std::vector<Cell> baremetal;
  std::vector<Cell> container;
  // Relative change of the median from the previous driver (same mode; container when there is
  // no bare-metal figure), e.g. -0.07; indexed like drivers; absent for the first driver.
  std::vector<std::optional<double>> change_from_previous;
  // container median / bare-metal median per driver; absent when either is missing.
  std::vector<std::optional<double>> container_over_baremetal;
  // True where change_from_previous is worse than -regression_threshold (direction-aware).
  std::vector<bool> driver_regression;
  std::optional<double> fraction_of_peak;  // median, latest driver, when documents carry it
};

// Check outcomes per driver version: how many runs had each status, and which checks failed.
struct CheckOutcome {
  std::string driver;
  std::size_t runs = 0, pass = 0, warn = 0, fail = 0, skip = 0;  // counts of check results
  std::size_t runs_failed = 0;                                   // runs whose verdict is fail
  std::vector<std::string> failing_checks;  // "id (n runs)", most frequent first
};

// One point of a time series: the median over the night's runs (all nodes) in one mode.
struct TimePoint {
  std::string date;    // YYYY-MM-DD
  std::string driver;  // the driver that night (the most common one when nodes differ)
  double value = 0;
  bool regression = false;  // some series of this benchmark regressed that night
};

// A chart: one benchmark of one GPU model.
struct Chart {
  std::string id;  // benchmark key
  std::string unit;
  bool higher_is_better = true;
  std::vector<std::string> drivers;       // x axis of the by-driver chart (ordered)
  std::vector<Cell> by_driver_baremetal;  // indexed like drivers
  std::vector<Cell> by_driver_container;
  std::vector<TimePoint> over_time_baremetal;  // by date
  std::vector<TimePoint> over_time_container;
};

// A regression episode: consecutive nights of one series worse than its rolling baseline.
struct Regression {
  std::string host;
  std::string gpu_model;
  std::string mode;
  std::string benchmark;  // key
  std::string unit;
  std::string first_date;  // the night it started
  std::string last_date;   // the latest night still regressed (== first_date for one night)
  std::size_t nights = 0;
  bool ongoing = false;         // the series' latest night is still regressed
  std::string driver;           // the driver on first_date
  std::string previous_driver;  // the driver the night before ("" when unknown)
  double value = 0;             // the value on first_date
  double baseline = 0;          // the rolling median it was compared with
  double change = 0;            // value / baseline - 1 (negative = lower)
  std::string run_path;         // the document of first_date
};

// A node well below its model's median for a benchmark (same driver and mode).
struct Outlier {
  std::string host;
  std::string gpu_model;
  std::string driver;
  std::string mode;
  std::string benchmark;
  std::string unit;
  double node_median = 0;
  double group_median = 0;
  double change = 0;  // node / group - 1
  std::size_t group_nodes = 0;
};

struct ModelSection {
  std::string gpu_model;
  std::vector<std::string> drivers;  // ordered by version (numeric components)
  std::vector<std::string> hosts;    // sorted
  std::size_t runs = 0;
  std::vector<MetricRow> metrics;    // sorted by key
  std::vector<CheckOutcome> checks;  // indexed like drivers
  std::vector<Chart> charts;         // key metrics
};

struct Report {
  ReportOptions options;
  std::size_t runs = 0;
  std::size_t nights = 0;  // distinct dates (YYYY-MM-DD) with at least one run
  std::string first_date, last_date;
  std::vector<BadFile> bad_files;
  std::vector<Outlier> outliers;        // worst first
  std::vector<Regression> regressions;  // ongoing first, then newest first
  std::vector<ModelSection> models;     // sorted by model name
};

struct RunTable;  // report/run_table.hpp

// Runs in the loader's order ((started_at, path), as load_run_table and the history index give
// them).
Report build_report(const RunTable& runs, const ReportOptions& options,
                    std::vector<BadFile> bad_files = {});
// The same from summaries (in any order: they are sorted first).
Report build_report(const std::vector<RunSummary>& runs, const ReportOptions& options,
                    std::vector<BadFile> bad_files = {});

// Driver versions compare by numeric components: 535.104.05 < 550.54.14 < 570.86.10.
bool driver_less(const std::string& a, const std::string& b);

std::string render_html(const Report& report);
std::string render_markdown(const Report& report);

}  // namespace gpuval::report
