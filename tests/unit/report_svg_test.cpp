// The report's SVG chart primitives: nice axes, tick labels, line and bar charts, and their
// behaviour on degenerate data (one point, equal values, NaN, hostile labels).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "report/svg.hpp"

namespace gpuval::report::svg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// "nan" or "inf" as a word anywhere (fmt prints them so; "-nan" included).
bool prints_non_finite(const std::string& text) {
  static const std::regex word("(^|[^a-z])(nan|inf)([^a-z]|$)", std::regex::icase);
  return std::regex_search(text, word);
}

// The cx attributes of the circles of one class, in document order.
std::vector<double> circle_x(const std::string& svg, const std::string& css_class) {
  std::vector<double> xs;
  const std::regex circle("<circle class=\"" + css_class + "\" cx=\"([-0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), circle); it != std::sregex_iterator();
       ++it) {
    xs.push_back(std::stod((*it)[1]));
  }
  return xs;
}

// Step is 1, 2 or 5 times a power of ten.
bool round_step(double step) {
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (std::fabs(mantissa - m) < 1e-9) return true;
  }
  return false;
}

void expect_sane(const Axis& a) {
  EXPECT_TRUE(std::isfinite(a.min) && std::isfinite(a.max) && std::isfinite(a.step));
  EXPECT_LT(a.min, a.max);
  ASSERT_GE(a.ticks.size(), 2u);
  EXPECT_DOUBLE_EQ(a.ticks.front(), a.min);
  EXPECT_DOUBLE_EQ(a.ticks.back(), a.max);
}

TimePoint point(const std::string& date, const std::string& driver, double value,
                bool regression = false) {
  return TimePoint{date, driver, value, regression};
}

LineChartSpec series_over(std::vector<TimePoint> points) {
  LineChartSpec spec;
  spec.title = "stream-triad over time";
  spec.unit = "GB/s";
  spec.series.push_back({"bare metal", "series-baremetal", "#1f6feb", std::move(points)});
  return spec;
}

TEST(ReportSvgAxis, CoversTheRangeWithRoundTicks) {
  const Axis a = nice_axis(2874.3, 3091.7, 6);
  expect_sane(a);
  EXPECT_LE(a.min, 2874.3);
  EXPECT_GE(a.max, 3091.7);
  EXPECT_TRUE(round_step(a.step)) << a.step;
  EXPECT_LE(a.ticks.size(), 8u);
  for (const double t : a.ticks) EXPECT_DOUBLE_EQ(std::round(t / a.step) * a.step, t);
}

TEST(ReportSvgAxis, EqualValuesGetASpanAroundThem) {
  const Axis a = nice_axis(3085.0, 3085.0, 6);
  expect_sane(a);
  EXPECT_LT(a.min, 3085.0);
  EXPECT_GT(a.max, 3085.0);
  EXPECT_GT(a.max - a.min, 3085.0 * 0.05);  // a visible span, not a hair
}

TEST(ReportSvgAxis, AllZeroIsZeroToOne) {
  const Axis a = nice_axis(0, 0, 6);
  EXPECT_DOUBLE_EQ(a.min, 0);
  EXPECT_DOUBLE_EQ(a.max, 1);
}

TEST(ReportSvgAxis, NonFiniteBoundsAreIgnored) {
  const Axis one = nice_axis(kNaN, 5.0, 6);
  expect_sane(one);
  EXPECT_LE(one.min, 5.0);
  EXPECT_GE(one.max, 5.0);
  expect_sane(nice_axis(kNaN, kNaN, 6));
  expect_sane(nice_axis(kInf, -kInf, 6));
  expect_sane(nice_axis(-1e308, 1e308, 6));
}

TEST(ReportSvgAxis, ReversedBoundsAreSwapped) {
  const Axis a = nice_axis(10, 2, 6);
  expect_sane(a);
  EXPECT_LE(a.min, 2);
  EXPECT_GE(a.max, 10);
}

TEST(ReportSvgTicks, LabelsHaveTheDecimalsTheStepNeeds) {
  EXPECT_EQ(tick_label(2.5, 0.5), "2.5");
  EXPECT_EQ(tick_label(3000, 500), "3000");
  EXPECT_EQ(tick_label(0.1 + 0.2, 0.1), "0.3");
  EXPECT_EQ(tick_label(0.25, 0.05), "0.25");
  EXPECT_EQ(tick_label(-1e-17, 0.2), "0.0");  // no "-0.0"
  EXPECT_EQ(tick_label(kNaN, 1), "n/a");
}

TEST(ReportSvgTicks, ValueTextPrecisionAndNonFinite) {
  EXPECT_EQ(value_text(3085.24), "3085.2");
  EXPECT_EQ(value_text(55.123), "55.12");
  EXPECT_EQ(value_text(45), "45.00");
  EXPECT_EQ(value_text(2.1), "2.100");
  EXPECT_EQ(value_text(0.012345), "0.01235");
  EXPECT_EQ(value_text(kNaN), "n/a");
  EXPECT_EQ(value_text(-kInf), "n/a");
}

TEST(ReportSvgLine, MarksRegressionsAndDriverChanges) {
  const std::string svg = line_chart(series_over({
      point("2026-10-01", "550.54.15", 3085),
      point("2026-10-02", "550.54.15", 3080),
      point("2026-10-03", "560.35.03", 3090),
      point("2026-10-04", "560.35.03", 2620, true),
      point("2026-10-05", "570.86.10", 2630, true),
  }));
  EXPECT_TRUE(svg.starts_with("<svg class=\"chart line-chart\""));
  EXPECT_TRUE(svg.ends_with("</svg>"));
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 5u);
  EXPECT_EQ(count(svg, "<circle class=\"reg\""), 2u);
  EXPECT_EQ(count(svg, "class=\"driver-rule\""), 2u);  // 550 -> 560 -> 570
  EXPECT_NE(svg.find(">560.35.03</text>"), std::string::npos);
  EXPECT_NE(svg.find(">GB/s</text>"), std::string::npos);
  EXPECT_NE(svg.find("<path class=\"line\" d=\"M"), std::string::npos);
  EXPECT_EQ(svg.find("xmlns"), std::string::npos);  // inline SVG: no namespace URL
  EXPECT_FALSE(prints_non_finite(svg));
}

TEST(ReportSvgLine, MissingNightsLeaveAGap) {
  const std::string svg = line_chart(series_over(
      {point("2026-10-01", "d", 1), point("2026-10-02", "d", 2), point("2026-10-04", "d", 3)}));
  const std::vector<double> x = circle_x(svg, "point");
  ASSERT_EQ(x.size(), 3u);
  EXPECT_NEAR(x[2] - x[1], 2 * (x[1] - x[0]), 0.5);
}

TEST(ReportSvgLine, MonthsAndYearsCountInDays) {
  // 2026-12-31 -> 2027-01-01 is one night, as 2026-02-28 -> 2026-03-01.
  const std::string svg = line_chart(series_over(
      {point("2026-12-30", "d", 1), point("2026-12-31", "d", 2), point("2027-01-01", "d", 3)}));
  const std::vector<double> x = circle_x(svg, "point");
  ASSERT_EQ(x.size(), 3u);
  EXPECT_NEAR(x[2] - x[1], x[1] - x[0], 0.5);
}

TEST(ReportSvgLine, OnePointRendersSaneAxes) {
  const std::string svg = line_chart(series_over({point("2026-10-01", "550.54.15", 3085)}));
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 1u);
  EXPECT_GE(count(svg, "<g class=\"tick\""), 1u);
  EXPECT_FALSE(prints_non_finite(svg));
  const std::vector<double> x = circle_x(svg, "point");
  ASSERT_EQ(x.size(), 1u);
  EXPECT_GT(x[0], 58);   // inside the plot, not on the axis
  EXPECT_LT(x[0], 628);  // nor past its right edge
}

TEST(ReportSvgLine, EqualValuesGetDistinctTicks) {
  const std::string svg = line_chart(series_over(
      {point("2026-10-01", "d", 50), point("2026-10-02", "d", 50), point("2026-10-03", "d", 50)}));
  // Tick labels of the value axis, e.g. 47.5 .. 52.5: at least two distinct ones.
  const std::regex tick(R"(<text x="52" y="[0-9.]+">([^<]+)</text>)");
  std::vector<std::string> labels;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tick); it != std::sregex_iterator();
       ++it) {
    labels.push_back((*it)[1]);
  }
  ASSERT_GE(labels.size(), 2u);
  EXPECT_NE(labels.front(), labels.back());
  EXPECT_FALSE(prints_non_finite(svg));
}

// The value axis labels of a chart, bottom to top.
std::vector<double> value_ticks(const std::string& svg) {
  const std::regex tick(R"(<text x="52" y="[0-9.]+">([^<]+)</text>)");
  std::vector<double> ticks;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tick); it != std::sregex_iterator();
       ++it) {
    ticks.push_back(std::stod((*it)[1]));
  }
  return ticks;
}

TEST(ReportSvgLine, NoiseDoesNotFillTheHeight) {
  const std::string svg =
      line_chart(series_over({point("2026-10-01", "d", 3082), point("2026-10-02", "d", 3088),
                              point("2026-10-03", "d", 3085)}));
  const std::vector<double> ticks = value_ticks(svg);
  ASSERT_GE(ticks.size(), 2u);
  EXPECT_GE(ticks.back() - ticks.front(), 0.1 * 3085);  // 0.2 % noise on a >= 10 % axis
  EXPECT_LE(ticks.front(), 3082);
  EXPECT_GE(ticks.back(), 3088);
}

TEST(ReportSvgLine, ALargeDropUsesItsOwnSpan) {
  const std::string svg = line_chart(
      series_over({point("2026-10-01", "d", 3085), point("2026-10-02", "d", 1500, true)}));
  const std::vector<double> ticks = value_ticks(svg);
  ASSERT_GE(ticks.size(), 2u);
  EXPECT_LE(ticks.front(), 1500);
  EXPECT_GE(ticks.back(), 3085);
  EXPECT_LT(ticks.back() - ticks.front(), 2 * (3085 - 1500));  // not padded further
}

TEST(ReportSvgLine, AYearOfNightsDrawsTheLineWithoutDots) {
  std::vector<TimePoint> points;
  for (int day = 1; day <= 28; ++day) {
    for (int month = 1; month <= 12; ++month) {
      const std::string date = fmt::format("2026-{:02d}-{:02d}", month, day);
      points.push_back(point(date, month < 7 ? "550.54.15" : "570.86.10", 3000 + day, day == 28));
    }
  }
  const std::string svg = line_chart(series_over(points));
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 0u);
  EXPECT_EQ(count(svg, "<circle class=\"reg\""), 12u);  // regression marks stay
  EXPECT_EQ(count(svg, " L"), 28u * 12 - 1);            // one line through every night
  EXPECT_EQ(count(svg, "class=\"driver-rule\""), 1u);
  EXPECT_LT(svg.size(), 20000u);
}

TEST(ReportSvgLine, NonFiniteValuesAreSkipped) {
  const std::string svg =
      line_chart(series_over({point("2026-10-01", "d", kNaN), point("2026-10-02", "d", 10),
                              point("2026-10-03", "d", kInf, true)}));
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 1u);
  EXPECT_EQ(count(svg, "<circle class=\"reg\""), 0u);
  EXPECT_FALSE(prints_non_finite(svg));
}

TEST(ReportSvgLine, NoPointsSaysNoData) {
  const std::string svg = line_chart(series_over({}));
  EXPECT_NE(svg.find(">no data</text>"), std::string::npos);
  EXPECT_TRUE(svg.ends_with("</svg>"));
  EXPECT_FALSE(prints_non_finite(svg));
}

TEST(ReportSvgLine, HostileTextIsEscaped) {
  LineChartSpec spec = series_over(
      {point("2026-10-01", "<script>alert(1)</script>", 1), point("2026-10-02", "\"><b>", 2)});
  spec.title = "<script>x</script>";
  spec.unit = "&<>";
  spec.series[0].label = "</svg><img src=x>";
  const std::string svg = line_chart(spec);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("<img"), std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  EXPECT_EQ(count(svg, "</svg>"), 1u);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("&amp;&lt;&gt;"), std::string::npos);
}

BarChartSpec drivers_chart() {
  BarChartSpec spec;
  spec.title = "stream-triad by driver";
  spec.unit = "GB/s";
  spec.categories = {"550.54.15", "560.35.03", "570.86.10"};
  spec.series = {{"bare metal", "series-baremetal", "#1f6feb", {3085.0, 3090.0, 2620.0}},
                 {"container", "series-container", "#e36209", {3070.0, std::nullopt, 2610.0}}};
  return spec;
}

TEST(ReportSvgBar, OneBarPerValueAndNaForMissing) {
  const std::string svg = bar_chart(drivers_chart());
  EXPECT_TRUE(svg.starts_with("<svg class=\"chart bar-chart\""));
  EXPECT_EQ(count(svg, "<rect class=\"bar "), 5u);
  EXPECT_EQ(count(svg, "<rect class=\"bar series-container\""), 2u);
  EXPECT_EQ(count(svg, ">n/a</text>"), 1u);
  for (const char* driver : {">550.54.15</text>", ">560.35.03</text>", ">570.86.10</text>"}) {
    EXPECT_NE(svg.find(driver), std::string::npos) << driver;
  }
  EXPECT_NE(svg.find(">0</text>"), std::string::npos);  // bars start at zero
  EXPECT_FALSE(prints_non_finite(svg));
}

TEST(ReportSvgBar, TallerValueTallerBar) {
  BarChartSpec spec = drivers_chart();
  spec.series.resize(1);
  const std::string svg = bar_chart(spec);
  const std::regex bar(
      R"re(<rect class="bar [^"]*" x="[-0-9.]+" y="[-0-9.]+" width="[-0-9.]+" height="([-0-9.]+)")re");
  std::vector<double> heights;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar); it != std::sregex_iterator();
       ++it) {
    heights.push_back(std::stod((*it)[1]));
  }
  ASSERT_EQ(heights.size(), 3u);
  EXPECT_GT(heights[1], heights[0]);  // 3090 > 3085
  EXPECT_GT(heights[0], heights[2]);  // 3085 > 2620
  EXPECT_NEAR(heights[2] / heights[0], 2620.0 / 3085.0, 0.01);
}

TEST(ReportSvgBar, OneValueAndManyDrivers) {
  BarChartSpec spec;
  spec.unit = "TFLOP/s";
  for (int i = 0; i < 14; ++i) spec.categories.push_back("5" + std::to_string(10 + i) + ".1.1");
  spec.series = {{"bare metal", "series-baremetal", "#1f6feb", {752.0}}};
  const std::string svg = bar_chart(spec);
  EXPECT_EQ(count(svg, "<rect class=\"bar "), 1u);
  EXPECT_NE(svg.find("rotate(-30"), std::string::npos);  // narrow groups: slanted labels
  EXPECT_FALSE(prints_non_finite(svg));
}

TEST(ReportSvgBar, NoValuesSaysNoData) {
  BarChartSpec spec = drivers_chart();
  for (BarSeries& s : spec.series) s.values = {std::nullopt, kNaN, std::nullopt};
  const std::string svg = bar_chart(spec);
  EXPECT_NE(svg.find(">no data</text>"), std::string::npos);
  EXPECT_EQ(count(svg, "<rect class=\"bar "), 0u);
  EXPECT_FALSE(prints_non_finite(svg));
}

}  // namespace
}  // namespace gpuval::report::svg
