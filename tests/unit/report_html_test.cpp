// render_html on hand-built Reports: page structure and order, escaping of hostile names, no
// external references, tables and charts per model, highlighting, and degenerate input (an empty
// report, NaN and infinite figures).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "report/html_escape.hpp"
#include "report/model.hpp"

namespace gpuval::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

bool prints_non_finite(const std::string& text) {
  static const std::regex word("(^|[^a-z])(nan|inf)([^a-z]|$)", std::regex::icase);
  return std::regex_search(text, word);
}

// The text of the element that starts with `open` (up to the matching "</section>").
std::string section(const std::string& html, const std::string& open) {
  const std::size_t begin = html.find(open);
  if (begin == std::string::npos) return "";
  return html.substr(begin, html.find("</section>", begin) - begin);
}

// Every start tag is closed in order (void and self-closed elements aside); script and style
// content is skipped. Returns "" when balanced, else what went wrong.
std::string unbalanced(const std::string& html) {
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "link", "input"};
  std::vector<std::string> open;
  std::size_t at = 0;
  while ((at = html.find('<', at)) != std::string::npos) {
    const std::size_t end = html.find('>', at);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(at);
    const std::string tag = html.substr(at + 1, end - at - 1);
    at = end + 1;
    if (tag.starts_with("!")) continue;
    if (tag.starts_with("/")) {
      if (open.empty() || open.back() != tag.substr(1)) {
        return "</" + tag.substr(1) + "> closes <" + (open.empty() ? "" : open.back()) + ">";
      }
      open.pop_back();
      continue;
    }
    const std::string name = tag.substr(0, tag.find_first_of(" \n/"));
    if (tag.ends_with("/") || kVoid.contains(name)) continue;
    if (name == "script" || name == "style") {
      at = html.find("</" + name + ">", at);
      if (at == std::string::npos) return "unclosed " + name;
      at += name.size() + 3;
      continue;
    }
    open.push_back(name);
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

Cell cell(double median, std::size_t runs = 3) { return Cell{median, runs}; }

MetricRow triad_row() {
  MetricRow row;
  row.key = "stream-triad gpu0 bytes=805306368";
  row.id = "stream-triad";
  row.unit = "GB/s";
  row.baremetal = {cell(3085.24), cell(3090.0), cell(2622.0)};
  row.container = {cell(3070.0), cell(3075.0), cell(2609.0)};
  row.change_from_previous = {std::nullopt, 0.0016, -0.1515};
  row.container_over_baremetal = {0.995, 0.9951, 0.995};
  row.driver_regression = {false, false, true};
  row.fraction_of_peak = 0.782;
  return row;
}

MetricRow latency_row() {
  MetricRow row;
  row.key = "launch-latency gpu0 kernel=empty";
  row.id = "launch-latency";
  row.unit = "us";
  row.higher_is_better = false;
  row.baremetal = {cell(2.1), cell(1.8), Cell{}};
  row.container = {cell(2.2), cell(1.9), Cell{}};
  row.change_from_previous = {std::nullopt, -0.1429, std::nullopt};
  row.container_over_baremetal = {1.048, 1.056, std::nullopt};
  row.driver_regression = {false, false, false};
  return row;
}

Chart triad_chart() {
  Chart c;
  c.id = "stream-triad gpu0 bytes=805306368";
  c.unit = "GB/s";
  c.drivers = {"550.54.15", "560.35.03", "570.86.10"};
  c.by_driver_baremetal = {cell(3085), cell(3090), cell(2622)};
  c.by_driver_container = {cell(3070), cell(3075), cell(2609)};
  c.over_time_baremetal = {{"2026-10-01", "550.54.15", 3085, false},
                           {"2026-10-02", "560.35.03", 3090, false},
                           {"2026-10-03", "570.86.10", 2622, true}};
  c.over_time_container = {{"2026-10-01", "550.54.15", 3070, false},
                           {"2026-10-02", "560.35.03", 3075, false},
                           {"2026-10-03", "570.86.10", 2609, true}};
  return c;
}

ModelSection model(const std::string& name, const std::vector<std::string>& hosts) {
  ModelSection m;
  m.gpu_model = name;
  m.drivers = {"550.54.15", "560.35.03", "570.86.10"};
  m.hosts = hosts;
  m.runs = 18;
  m.metrics = {latency_row(), triad_row()};
  CheckOutcome ok{"550.54.15", 6, 150, 6, 0, 0, 0, {}};
  CheckOutcome failing{"560.35.03", 6, 150, 4, 1, 1, 1, {"device-access (1 run)"}};
  CheckOutcome later{"570.86.10", 6, 156, 0, 0, 0, 0, {}};
  m.checks = {ok, failing, later};
  Chart latency;
  latency.id = "launch-latency gpu0 kernel=empty";
  latency.unit = "us";
  latency.higher_is_better = false;
  latency.drivers = m.drivers;
  latency.by_driver_baremetal = {cell(2.1), cell(1.8), Cell{}};
  latency.over_time_baremetal = {{"2026-10-01", "550.54.15", 2.1, false}};
  m.charts = {triad_chart(), latency};
  return m;
}

Report sample() {
  Report r;
  r.runs = 36;
  r.nights = 3;
  r.first_date = "2026-10-01";
  r.last_date = "2026-10-03";
  r.bad_files = {{"runs/broken.json", "not JSON: unexpected end of input at byte 812"}};
  r.outliers = {{"gpu-h100-03", "NVIDIA H100 80GB HBM3", "570.86.10", "baremetal",
                 "gemm-bf16 gpu0 k=8192 m=8192 n=8192 shape=square", "TFLOP/s", 601.6, 752.0, -0.2,
                 3}};
  Regression reg;
  reg.host = "gpu-h100-02";
  reg.gpu_model = "NVIDIA H100 80GB HBM3";
  reg.mode = "baremetal";
  reg.benchmark = "stream-triad gpu0 bytes=805306368";
  reg.unit = "GB/s";
  reg.first_date = reg.last_date = "2026-10-03";
  reg.nights = 1;
  reg.ongoing = true;
  reg.driver = "570.86.10";
  reg.previous_driver = "560.35.03";
  reg.value = 2622.0;
  reg.baseline = 3087.5;
  reg.change = -0.1508;
  reg.run_path = "runs/gpu-h100-02_2026-10-03_baremetal.json";
  r.regressions = {reg};
  r.models = {model("NVIDIA A100-SXM4-80GB", {"gpu-a100-01", "gpu-a100-02"}),
              model("NVIDIA H100 80GB HBM3", {"gpu-h100-01", "gpu-h100-02", "gpu-h100-03"})};
  return r;
}

TEST(ReportHtml, IsOneCompleteBalancedPage) {
  const std::string html = render_html(sample());
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
  EXPECT_TRUE(html.ends_with("</html>\n"));
  EXPECT_TRUE(has(html, "<meta charset=\"utf-8\">"));
  EXPECT_TRUE(has(html, "<title>gpuval report</title>"));
  EXPECT_EQ(count(html, "<style>"), 1u);
  EXPECT_EQ(unbalanced(html), "");
}

TEST(ReportHtml, HasNoExternalReferences) {
  const std::string html = render_html(sample());
  for (const char* ref : {"http:", "https:", "src=", "@import", "url(", "<link", "<iframe"}) {
    EXPECT_FALSE(has(html, ref)) << ref;
  }
  // Links only point inside the page, at ids that exist.
  const std::regex href("href=\"([^\"]*)\"");
  std::size_t links = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), href); it != std::sregex_iterator();
       ++it, ++links) {
    const std::string target = (*it)[1];
    ASSERT_TRUE(target.starts_with("#")) << target;
    EXPECT_TRUE(has(html, "id=\"" + target.substr(1) + "\"")) << target;
  }
  EXPECT_GT(links, 0u);
}

TEST(ReportHtml, HeadlineCountsRunsNightsModelsBadFiles) {
  const std::string html = render_html(sample());
  EXPECT_TRUE(has(html,
                  "36 runs &middot; 3 nights (2026-10-01 to 2026-10-03) &middot; 2 GPU models "
                  "&middot; 1 bad file"));
  EXPECT_TRUE(has(html,
                  "<p class=\"status bad\">1 regression episode (1 ongoing) &middot; 1 fleet "
                  "outlier</p>"));
}

TEST(ReportHtml, OutliersComeFirstThenRegressionsThenModelsThenBadFiles) {
  const std::string html = render_html(sample());
  const std::size_t outliers = html.find("<section id=\"outliers\">");
  const std::size_t regressions = html.find("<section id=\"regressions\">");
  const std::size_t a100 =
      html.find("<section class=\"model\" id=\"model-nvidia-a100-sxm4-80gb\">");
  const std::size_t h100 =
      html.find("<section class=\"model\" id=\"model-nvidia-h100-80gb-hbm3\">");
  const std::size_t bad = html.find("<section id=\"bad-files\">");
  ASSERT_NE(outliers, std::string::npos);
  EXPECT_LT(html.find("<h1>"), outliers);
  EXPECT_LT(outliers, regressions);
  EXPECT_LT(regressions, a100);
  EXPECT_LT(a100, h100);
  EXPECT_LT(h100, bad);
  EXPECT_NE(bad, std::string::npos);
}

TEST(ReportHtml, OutlierRowNamesNodeModelAndShortfall) {
  const std::string outliers = section(render_html(sample()), "<section id=\"outliers\">");
  EXPECT_TRUE(has(outliers, "more than 10 % worse"));
  EXPECT_TRUE(has(outliers,
                  "<tr class=\"outlier\"><td>gpu-h100-03</td><td><a "
                  "href=\"#model-nvidia-h100-80gb-hbm3\">NVIDIA H100 80GB HBM3</a>"));
  EXPECT_TRUE(has(outliers, ">601.6 TFLOP/s<"));
  EXPECT_TRUE(has(outliers, ">752.0 TFLOP/s<"));
  EXPECT_TRUE(has(outliers, ">-20.0 %<"));
}

TEST(ReportHtml, RegressionEpisodeRowIsHighlightedWithItsFacts) {
  const std::string regressions = section(render_html(sample()), "<section id=\"regressions\">");
  EXPECT_EQ(count(regressions, "<tr class=\"regression ongoing\">"), 1u);
  for (const char* fact :
       {"<td class=\"date\">2026-10-03</td>", "<td>gpu-h100-02</td>", "<td>bare metal</td>",
        "<td class=\"key\">stream-triad gpu0 bytes=805306368</td>", "<td>570.86.10</td>",
        "<td>560.35.03</td>", ">2622.0 GB/s<", ">3087.5 GB/s<", ">-15.1 %<", "<td>ongoing</td>"}) {
    EXPECT_TRUE(has(regressions, fact)) << fact;
  }
}

TEST(ReportHtml, EveryModelSectionHasItsTablesAndCharts) {
  const Report report = sample();
  const std::string html = render_html(report);
  for (const ModelSection& m : report.models) {
    const std::string s = section(html, "id=\"" + model_anchor(m.gpu_model) + "\"");
    ASSERT_FALSE(s.empty()) << m.gpu_model;
    EXPECT_TRUE(has(s, "<h2>" + m.gpu_model)) << m.gpu_model;
    EXPECT_EQ(count(s, "<table class=\"summary\">"), 1u);
    EXPECT_EQ(count(s, "<table class=\"checks\">"), 1u);
    EXPECT_EQ(count(s, "<tr class=\"metric"), m.metrics.size());
    EXPECT_EQ(count(s, "<figure class=\"metric\""), m.charts.size());
    // triad: by driver and over time; latency: both too (bare metal only).
    EXPECT_EQ(count(s, "<svg class=\"chart bar-chart\""), 2u);
    EXPECT_EQ(count(s, "<svg class=\"chart line-chart\""), 2u);
    for (const std::string& host : m.hosts) EXPECT_TRUE(has(s, host)) << host;
    for (const std::string& driver : m.drivers) EXPECT_TRUE(has(s, driver)) << driver;
  }
  // The page's own counts, for the browser test to compare with what rendered.
  EXPECT_TRUE(has(html, "<body data-tables=\"7\" data-charts=\"8\">"));
}

TEST(ReportHtml, SummaryTableShowsMediansChangeRatioAndPeak) {
  const std::string s = section(render_html(sample()), "id=\"model-nvidia-h100-80gb-hbm3\"");
  // Driver versions head their column groups; the first has no change column.
  EXPECT_TRUE(has(s,
                  "<th class=\"group\" colspan=\"3\">550.54.15</th><th class=\"group\" "
                  "colspan=\"4\">560.35.03</th><th class=\"group\" colspan=\"4\">570.86.10</th>"));
  EXPECT_TRUE(has(s, "<td class=\"num group\" title=\"median of 3 runs\">3085.2</td>"));
  EXPECT_TRUE(has(s, ">2609.0</td>"));
  EXPECT_TRUE(has(s, ">0.995</td>"));
  EXPECT_TRUE(has(s, ">78.2 %</td>"));
  EXPECT_TRUE(has(s, "GB/s, higher is better"));
  EXPECT_TRUE(has(s, "us, lower is better"));
  // Every row has the same cells: key, 3 + 4 + 4 figures, fraction of peak.
  const std::regex row("<tr class=\"metric[^\"]*\">(.*?)</tr>");
  std::size_t rows = 0;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), row); it != std::sregex_iterator();
       ++it, ++rows) {
    EXPECT_EQ(count((*it)[1], "<td"), 13u) << (*it)[1];
  }
  EXPECT_EQ(rows, 2u);
  // The latency row has no figures for the third driver.
  EXPECT_TRUE(has(s,
                  "<td class=\"num group\">&ndash;</td><td class=\"num\">&ndash;</td><td "
                  "class=\"num\">&ndash;</td><td class=\"num\">&ndash;</td>"));
}

TEST(ReportHtml, DriverRegressionRedImprovementGreen) {
  const std::string s = section(render_html(sample()), "id=\"model-nvidia-h100-80gb-hbm3\"");
  EXPECT_TRUE(has(s,
                  "<td class=\"num regression\" title=\"regression from the previous "
                  "driver\">-15.2 %</td>"));
  EXPECT_EQ(count(s, "<tr class=\"metric driver-regression\">"), 1u);
  // Latency 14 % lower is better: an improvement, not a regression.
  EXPECT_TRUE(has(s, "<td class=\"num improvement\">-14.3 %</td>"));
  // +0.2 % is within the threshold: neither.
  EXPECT_TRUE(has(s, "<td class=\"num\">+0.2 %</td>"));
}

TEST(ReportHtml, CheckOutcomesPerDriverWithFailingChecks) {
  const std::string s = section(render_html(sample()), "id=\"model-nvidia-a100-sxm4-80gb\"");
  const std::string checks = s.substr(s.find("<table class=\"checks\">"));
  EXPECT_EQ(count(checks.substr(0, checks.find("</table>")), "<tr class=\"fail\">"), 1u);
  EXPECT_TRUE(has(checks, "<td>device-access (1 run)</td>"));
}

TEST(ReportHtml, ChartsMarkRegressionNightsAndDriverChanges) {
  const std::string s = section(render_html(sample()), "id=\"model-nvidia-h100-80gb-hbm3\"");
  EXPECT_EQ(count(s, "<circle class=\"reg\""), 2u);  // bare metal and container, night 3
  EXPECT_EQ(count(s, "class=\"driver-rule\""), 2u);  // triad chart: 550 -> 560 -> 570
}

TEST(ReportHtml, ModelAnchorsAreStableAndSafe) {
  EXPECT_EQ(model_anchor("NVIDIA H100 80GB HBM3"), "model-nvidia-h100-80gb-hbm3");
  EXPECT_EQ(model_anchor("NVIDIA A100-SXM4-80GB"), "model-nvidia-a100-sxm4-80gb");
  EXPECT_EQ(model_anchor("  <GPU>  "), "model-gpu");
  EXPECT_EQ(model_anchor("\"><"), "model-unnamed");
  EXPECT_EQ(model_anchor(""), "model-unnamed");
  EXPECT_TRUE(std::regex_match(model_anchor("x\"onload='a'\xc3\xa9"), std::regex("[a-z0-9-]+")));
}

TEST(ReportHtml, CollidingAnchorsAreMadeUnique) {
  Report r;
  r.models = {model("GPU A", {"h1"}), model("GPU-A", {"h2"})};
  const std::string html = render_html(r);
  EXPECT_TRUE(has(html, "id=\"model-gpu-a\""));
  EXPECT_TRUE(has(html, "id=\"model-gpu-a-2\""));
  EXPECT_TRUE(has(html, "<a href=\"#model-gpu-a-2\">GPU-A</a>"));
}

TEST(ReportHtml, EscapesHostileStrings) {
  const std::string script = "<script>alert(1)</script>";
  const std::string attr = "x\" src=\"//evil/x.js\" onload=\"alert(2)";
  Report r = sample();
  r.options.title = script;
  r.models[0].gpu_model = "GPU " + script;
  r.models[0].hosts = {script, attr};
  r.models[0].drivers[0] = script;
  r.models[0].metrics[0].key = "</table>" + script;
  r.models[0].metrics[0].unit = attr;
  r.models[0].charts[0].id = attr;
  r.models[0].charts[0].drivers[0] = script;
  r.models[0].charts[0].over_time_baremetal[0].driver = script;
  r.models[0].checks[1].failing_checks = {script};
  r.outliers[0].host = script;
  r.outliers[0].gpu_model = r.models[0].gpu_model;
  r.regressions[0].host = attr;
  r.regressions[0].benchmark = "<img src=x onerror=alert(3)>";
  r.bad_files[0] = {"runs/" + script + ".json", attr};
  const std::string html = render_html(r);
  EXPECT_EQ(count(html, "<script"), 1u);  // the render check only
  EXPECT_FALSE(has(html, "alert(1)</script>"));
  EXPECT_FALSE(has(html, "<img"));
  EXPECT_FALSE(has(html, "src=\""));
  EXPECT_FALSE(has(html, "onload=\""));
  EXPECT_TRUE(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(has(html, "<title>&lt;script&gt;"));
  EXPECT_TRUE(has(html, "x&quot; src=&quot;//evil/x.js&quot;"));
  EXPECT_EQ(unbalanced(html), "");
  EXPECT_EQ(count(html, "<table"), count(html, "</table>"));
}

TEST(ReportHtml, EscapeReplacesEveryMarkupCharacter) {
  EXPECT_EQ(html_escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(html_escape(std::string("x\0y\x1b", 4)), "x\xEF\xBF\xBDy\xEF\xBF\xBD");
  EXPECT_EQ(html_escape("tab\tline\n\xc3\xa9"), "tab\tline\n\xc3\xa9");
}

TEST(ReportHtml, EmptyReportIsStillAValidPage) {
  const std::string html = render_html(Report{});
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_EQ(unbalanced(html), "");
  EXPECT_TRUE(has(html, "0 runs"));
  EXPECT_TRUE(has(html, "0 GPU models"));
  EXPECT_TRUE(has(html, "<p class=\"status ok\">"));
  EXPECT_TRUE(has(html, "No outliers"));
  EXPECT_TRUE(has(html, "No regressions."));
  EXPECT_TRUE(has(html, "No GPU model sections"));
  EXPECT_FALSE(has(html, "id=\"bad-files\""));
  EXPECT_TRUE(has(html, "<body data-tables=\"0\" data-charts=\"0\">"));
  EXPECT_FALSE(prints_non_finite(html));
}

TEST(ReportHtml, ModelWithoutDataSaysSo) {
  Report r;
  r.runs = 2;
  ModelSection m;
  m.gpu_model = "no GPU";
  m.runs = 2;
  r.models = {m};
  const std::string html = render_html(r);
  const std::string s = section(html, "id=\"model-no-gpu\"");
  EXPECT_TRUE(has(s, "No benchmark results."));
  EXPECT_TRUE(has(s, "No check results."));
  EXPECT_TRUE(has(s, "No key metrics measured."));
  EXPECT_EQ(unbalanced(html), "");
}

TEST(ReportHtml, NonFiniteFiguresAreNeverPrinted) {
  Report r = sample();
  MetricRow& row = r.models[1].metrics[1];
  row.baremetal = {cell(kNaN), cell(kInf), cell(-kInf)};
  row.change_from_previous = {kNaN, kInf, -kInf};
  row.container_over_baremetal = {kNaN, kInf, std::nullopt};
  row.fraction_of_peak = kNaN;
  Chart& chart = r.models[1].charts[0];
  chart.by_driver_baremetal = {cell(kNaN), cell(kInf), cell(3000)};
  chart.over_time_baremetal[0].value = kNaN;
  chart.over_time_container[1].value = -kInf;
  r.outliers[0].node_median = kNaN;
  r.outliers[0].change = kInf;
  r.regressions[0].value = kInf;
  r.regressions[0].baseline = kNaN;
  r.regressions[0].change = kNaN;
  r.options.regression_threshold = kNaN;
  const std::string html = render_html(r);
  EXPECT_FALSE(prints_non_finite(html));
  EXPECT_TRUE(has(html, "n/a"));
  EXPECT_EQ(unbalanced(html), "");
}

}  // namespace
}  // namespace gpuval::report
