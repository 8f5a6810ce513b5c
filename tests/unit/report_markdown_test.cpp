// render_markdown on hand-built Reports: order of the sections, what each row says, escaping,
// and the limits that keep a PR comment readable.
#include <gtest/gtest.h>

#include <string>

#include "report/model.hpp"

namespace gpuval::report {
namespace {

Report sample_report() {
  Report r;
  r.runs = 180;
  r.nights = 30;
  r.first_date = "2026-10-01";
  r.last_date = "2026-10-30";
  r.bad_files = {{"runs/broken.json", "malformed JSON at byte 12: syntax error"}};
  r.outliers = {{"gpu-h100-03", "NVIDIA H100 80GB HBM3", "570.86.10", "baremetal",
                 "gemm-bf16 gpu0 k=8192", "TFLOP/s", 601.6, 752.0, -0.2, 3}};
  Regression g;
  g.host = "gpu-h100-02";
  g.gpu_model = "NVIDIA H100 80GB HBM3";
  g.mode = "container";
  g.benchmark = "stream-triad gpu0 bytes=805306368";
  g.unit = "GB/s";
  g.first_date = "2026-10-25";
  g.last_date = "2026-10-30";
  g.nights = 6;
  g.ongoing = true;
  g.driver = "570.86.10";
  g.previous_driver = "570.86.10";
  g.value = 2622.3;
  g.baseline = 3085.0;
  g.change = 2622.3 / 3085.0 - 1;
  Regression upgrade = g;
  upgrade.host = "gpu-h100-01";
  upgrade.first_date = "2026-10-11";
  upgrade.last_date = "2026-10-12";
  upgrade.nights = 2;
  upgrade.ongoing = false;
  upgrade.driver = "560.35.03";
  upgrade.previous_driver = "550.54.15";
  r.regressions = {g, upgrade};

  ModelSection m;
  m.gpu_model = "NVIDIA H100 80GB HBM3";
  m.drivers = {"550.54.15", "560.35.03"};
  m.hosts = {"gpu-h100-01", "gpu-h100-02", "gpu-h100-03"};
  m.runs = 180;
  MetricRow row;
  row.key = "stream-triad gpu0 bytes=805306368";
  row.id = "stream-triad";
  row.unit = "GB/s";
  row.baremetal = {{3085.0, 30}, {2776.4, 30}};
  row.container = {{3070.0, 30}, {std::nullopt, 0}};
  row.change_from_previous = {std::nullopt, -0.1};
  row.container_over_baremetal = {3070.0 / 3085.0, std::nullopt};
  row.driver_regression = {false, true};
  row.fraction_of_peak = 0.828;
  m.metrics = {row};
  CheckOutcome c1;
  c1.driver = "550.54.15";
  c1.runs = 90;
  c1.pass = 2000;
  c1.runs_failed = 2;
  c1.fail = 2;
  c1.failing_checks = {"device-access (2 runs)"};
  CheckOutcome c2;
  c2.driver = "560.35.03";
  c2.runs = 90;
  m.checks = {c1, c2};
  r.models = {m};
  return r;
}

std::size_t at(const std::string& text, const std::string& what) {
  const std::size_t pos = text.find(what);
  EXPECT_NE(pos, std::string::npos) << "missing: " << what << "\n" << text;
  return pos;
}

TEST(ReportMarkdown, HeadlineCountsRunsNightsModelsAndBadFiles) {
  const std::string md = render_markdown(sample_report());
  EXPECT_EQ(md.rfind("# gpuval report\n", 0), 0u) << md;
  at(md,
     "**180 runs** over **30 nights** (2026-10-01 to 2026-10-30) · **1 GPU model** · "
     "**1 bad file** (listed at the end)");
  at(md, "**2 regression episodes** (1 ongoing) · **1 fleet outlier**");
}

TEST(ReportMarkdown, OutliersComeFirstThenRegressionsThenModelsThenBadFiles) {
  const std::string md = render_markdown(sample_report());
  const std::size_t outliers = at(md, "## Fleet outliers");
  const std::size_t regressions = at(md, "## Regressions");
  const std::size_t model = at(md, "## NVIDIA H100 80GB HBM3");
  const std::size_t bad = at(md, "## Bad files (1)");
  EXPECT_LT(outliers, regressions);
  EXPECT_LT(regressions, model);
  EXPECT_LT(model, bad);
  at(md, "- `runs/broken.json`: malformed JSON at byte 12: syntax error");
}

TEST(ReportMarkdown, OutlierRowNamesNodeBenchmarkDriverAndChange) {
  const std::string md = render_markdown(sample_report());
  at(md,
     "| **gpu-h100-03** | NVIDIA H100 80GB HBM3 | `gemm-bf16 gpu0 k=8192` | 570.86.10 | bare "
     "metal | 602 TFLOP/s | 752 TFLOP/s | **-20.0 %** | 3 |");
  at(md,
     "| node | GPU model | benchmark | drivers | modes | node median | fleet median | change |");
}

TEST(ReportMarkdown, RegressionRowsNameNightNodeDriverAndStatus) {
  const std::string md = render_markdown(sample_report());
  at(md,
     "| **2026-10-25** | **gpu-h100-02** | NVIDIA H100 80GB HBM3 | `stream-triad gpu0 "
     "bytes=805306368` | container | 570.86.10 | 2622 GB/s | 3085 GB/s | **-15.0 %** | "
     "**ongoing** (6 nights) |");
  at(md, "550.54.15 → **560.35.03** (upgraded that night)");
  at(md, "recovered after 2 nights (last 2026-10-12)");
  EXPECT_LT(md.find("2026-10-25"), md.find("2026-10-11"));  // the report's order is kept
}

TEST(ReportMarkdown, ModelTableHasMediansRatioChangeMarkerAndPeak) {
  const std::string md = render_markdown(sample_report());
  at(md,
     "3 nodes (gpu-h100-01, gpu-h100-02, gpu-h100-03) · 180 runs · drivers 550.54.15, "
     "560.35.03");
  at(md, "| benchmark | unit | 550.54.15 | 560.35.03 | Δ | peak |");
  at(md,
     "| `stream-triad gpu0 bytes=805306368` | GB/s | 3085 / 3070 (×0.995) | 2776 / — | "
     "**-10.0 %** ⚠️ | 83 % |");
}

TEST(ReportMarkdown, CheckOutcomesPerDriver) {
  const std::string md = render_markdown(sample_report());
  at(md, "| 550.54.15 | 90 | **2** | 2000 | 0 | 2 | 0 | device-access (2 runs) |");
  at(md, "| 560.35.03 | 90 | 0 | 0 | 0 | 0 | 0 |  |");
}

TEST(ReportMarkdown, OnlyTheNewestDriversGetColumns) {
  Report r = sample_report();
  ModelSection& m = r.models[0];
  m.drivers = {"470.1", "510.1", "535.1", "550.1", "560.1", "570.1"};
  MetricRow& row = m.metrics[0];
  row.baremetal.assign(6, {100.0, 1});
  row.container.assign(6, {});
  row.change_from_previous.assign(6, 0.0);
  row.container_over_baremetal.assign(6, std::nullopt);
  row.driver_regression.assign(6, false);
  m.checks.clear();
  const std::string md = render_markdown(r);
  at(md, "2 older drivers are in the HTML report.");
  at(md, "| benchmark | unit | 535.1 | Δ | 550.1 | Δ | 560.1 | Δ | 570.1 | Δ | peak |");
  EXPECT_EQ(md.find("| 510.1 |"), std::string::npos);
}

TEST(ReportMarkdown, OneOutlierRowPerNodeAndBenchmarkWithItsDriversAndModes) {
  Report r = sample_report();
  Outlier o = r.outliers[0];
  o.driver = "550.54.15";
  o.mode = "container";
  o.change = -0.15;
  r.outliers.push_back(o);
  o.benchmark = "stream-triad gpu0";
  r.outliers.push_back(o);
  const std::string md = render_markdown(r);
  at(md,
     "| **gpu-h100-03** | NVIDIA H100 80GB HBM3 | `gemm-bf16 gpu0 k=8192` | 550.54.15, "
     "570.86.10 | bare metal, container | 602 TFLOP/s | 752 TFLOP/s | **-20.0 %** | 3 |");
  EXPECT_LT(md.find("`gemm-bf16 gpu0 k=8192`"), md.find("`stream-triad gpu0`"));
  EXPECT_EQ(md.find("`gemm-bf16 gpu0 k=8192`", md.find("`gemm-bf16 gpu0 k=8192`") + 1),
            std::string::npos);
}

TEST(ReportMarkdown, ALargeFleetNamesItsFirstNodesOnly) {
  Report r = sample_report();
  r.models[0].hosts.clear();
  for (int i = 10; i < 60; ++i) r.models[0].hosts.push_back("n" + std::to_string(i));
  at(render_markdown(r), "50 nodes (n10, n11, n12, n13, n14, n15, n16, n17, … and 42 more) · ");
}

TEST(ReportMarkdown, PipesInNamesDoNotBreakTables) {
  Report r = sample_report();
  r.outliers[0].host = "odd|host";
  const std::string md = render_markdown(r);
  at(md, "| **odd\\|host** |");
}

TEST(ReportMarkdown, LongListsAreCutWithACount) {
  Report r = sample_report();
  for (int i = 0; i < 24; ++i) {
    r.outliers.push_back(r.outliers[0]);
    r.outliers.back().host = "node-" + std::to_string(i);
  }
  for (int i = 0; i < 60; ++i) r.bad_files.push_back({"f" + std::to_string(i), "bad"});
  const std::string md = render_markdown(r);
  at(md, "… and 5 more (see the HTML report).");
  at(md, "- … and 11 more");
}

TEST(ReportMarkdown, EmptyReportSaysSo) {
  const std::string md = render_markdown(Report{});
  at(md, "**0 runs** over **0 nights** · **0 GPU models** · **0 bad files**");
  at(md, "✅ No regressions and no fleet outliers.");
  at(md, "No run documents were found.");
  EXPECT_EQ(md.find("## Bad files"), std::string::npos);
}

}  // namespace
}  // namespace gpuval::report
