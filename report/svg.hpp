// Inline SVG charts for the HTML report: a line chart of a metric over time (regression nights
// marked, driver changes as vertical rules) and a grouped bar chart by driver version (bare metal
// beside container), both with "nice" axis ticks and the unit on the value axis. Output is an
// <svg> element for inlining in HTML5 (no xmlns, no external references); every text is escaped
// and no coordinate or label is ever NaN or infinite. Colours are presentation attributes that
// the page's CSS may override (classes series-*, reg, driver-rule, grid, axis).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "report/model.hpp"

namespace gpuval::report::svg {

// A value axis whose ticks are round numbers (1, 2 or 5 times a power of ten apart) covering
// [lo, hi]. Degenerate input is made sane: equal values get a +-5 % span ([0, 1] for zero),
// non-finite bounds are ignored (both non-finite: [0, 1]). min < max always.
struct Axis {
  double min = 0;
  double max = 1;
  double step = 1;
  std::vector<double> ticks;  // min, min + step, ..., max
};
Axis nice_axis(double lo, double hi, int max_ticks = 6);

// A tick label with just the decimals the step needs: (2.5, 0.5) -> "2.5", (3000, 500) -> "3000".
std::string tick_label(double value, double step);

// A measured value for tables, labels and tooltips: one decimal from 100 up, else four
// significant digits (3085.2, 55.10, 2.100, 0.01235); "n/a" when not finite.
std::string value_text(double value);

struct LineSeries {
  std::string label;      // legend text: "bare metal"
  std::string css_class;  // "series-baremetal"
  std::string color;      // default stroke when no CSS applies: "#1f6feb"
  std::vector<TimePoint> points;
};

struct LineChartSpec {
  std::string title;  // accessible name (the <title> element)
  std::string unit;
  std::vector<LineSeries> series;
  // The value axis spans at least this fraction of the values' midpoint, so that 0.3 % noise
  // looks flat and a 15 % drop does not.
  double min_relative_span = 0.1;
  // Each point gets a dot with a tooltip up to this many points per series; beyond, only the
  // line and the regression marks are drawn (a year of nights would bloat the page).
  std::size_t max_point_marks = 120;
  int width = 640;
  int height = 260;
};

// Points at their date (days apart; gaps show), one line per series; points with regression set
// get a red mark; where the driver changes from one night to the next a dashed rule with the new
// version. A series without finite points is left out; no points at all draws "no data".
std::string line_chart(const LineChartSpec& spec);

struct BarSeries {
  std::string label;
  std::string css_class;
  std::string color;
  std::vector<std::optional<double>> values;  // indexed like BarChartSpec::categories
};

struct BarChartSpec {
  std::string title;
  std::string unit;
  std::vector<std::string> categories;  // driver versions
  std::vector<BarSeries> series;
  int width = 380;
  int height = 260;
};

// One group of bars per category, the value axis from zero; a missing value is marked "n/a".
std::string bar_chart(const BarChartSpec& spec);

}  // namespace gpuval::report::svg
