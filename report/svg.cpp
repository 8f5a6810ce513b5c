#include "report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>

#include "report/html_escape.hpp"

namespace gpuval::report::svg {
namespace {

// Heckbert's "nice number": 1, 2, 5 or 10 times a power of ten near x (x > 0, finite).
double nice_number(double x, bool round) {
  const double exponent = std::floor(std::log10(x));
  const double fraction = x / std::pow(10.0, exponent);
  double nice = 10;
  if (round) {
    nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  } else {
    nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  }
  return nice * std::pow(10.0, exponent);
}

// A coordinate: one decimal is plenty at screen resolution; never NaN or infinite.
std::string coord(double v) {
  if (!std::isfinite(v)) v = 0;
  std::string s = fmt::format("{:.1f}", v);
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return s;
}

// The drawing area inside the margins, and the value-to-pixel mapping of the value axis.
struct Frame {
  double width, height;
  double left, right, top, bottom;  // plot edges in pixels
  Axis y;

  double y_of(double v) const { return bottom - (v - y.min) / (y.max - y.min) * (bottom - top); }
};

Frame make_frame(int width, int height, const Axis& y) {
  const double w = std::max(width, 160);
  const double h = std::max(height, 120);
  return {w, h, 58, w - 12, 40, h - 34, y};
}

std::string open_svg(const char* kind, const Frame& f, const std::string& title) {
  return fmt::format(
      "<svg class=\"chart {}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"{}\" font-family=\"sans-serif\" font-size=\"11\">"
      "<title>{}</title>",
      kind, coord(f.width), coord(f.height), coord(f.width), coord(f.height), html_escape(title),
      html_escape(title));
}

// Grid lines with tick labels, the axis lines, and the unit above the value axis.
std::string value_axis(const Frame& f, const std::string& unit) {
  std::string out = "<g class=\"grid\" stroke=\"#d0d7de\" stroke-width=\"1\">";
  for (const double t : f.y.ticks) {
    const std::string y = coord(f.y_of(t));
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", coord(f.left), y,
                       coord(f.right), y);
  }
  out += "</g><g class=\"tick\" fill=\"#57606a\" text-anchor=\"end\">";
  for (const double t : f.y.ticks) {
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>", coord(f.left - 6), coord(f.y_of(t) + 4),
                       tick_label(t, f.y.step));
  }
  out += "</g>";
  out += fmt::format(
      "<g class=\"axis\" stroke=\"#57606a\" stroke-width=\"1\"><line x1=\"{0}\" y1=\"{1}\" "
      "x2=\"{0}\" y2=\"{2}\"/><line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\"/></g>",
      coord(f.left), coord(f.top), coord(f.bottom), coord(f.right));
  if (!unit.empty()) {
    out += fmt::format("<text class=\"unit\" x=\"{}\" y=\"14\" fill=\"#57606a\">{}</text>",
                       coord(4), html_escape(unit));
  }
  return out;
}

// Legend entries right-aligned in the top margin, one per series that has data.
struct LegendEntry {
  std::string label, css_class, color;
};

std::string legend(const Frame& f, const std::vector<LegendEntry>& entries) {
  std::string out = "<g class=\"legend\">";
  double x = f.right;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    x -= 7.0 * static_cast<double>(it->label.size()) + 18;
    out += fmt::format(
        "<rect class=\"{}\" x=\"{}\" y=\"5\" width=\"10\" height=\"10\" fill=\"{}\" "
        "stroke=\"none\"/><text x=\"{}\" y=\"14\" fill=\"#24292f\">{}</text>",
        html_escape(it->css_class), coord(x), html_escape(it->color), coord(x + 14),
        html_escape(it->label));
  }
  return out + "</g>";
}

std::string no_data(const Frame& f) {
  return fmt::format(
      "<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#57606a\">no "
      "data</text>",
      coord((f.left + f.right) / 2), coord((f.top + f.bottom) / 2));
}

// Days since 1970-01-01 of a YYYY-MM-DD date (H. Hinnant's days_from_civil), if it is one.
std::optional<std::int64_t> day_number(const std::string& date) {
  int y = 0, m = 0, d = 0;
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  for (std::size_t i = 0; i < 10; ++i) {
    if (i == 4 || i == 7) continue;
    if (date[i] < '0' || date[i] > '9') return std::nullopt;
  }
  y = std::stoi(date.substr(0, 4));
  m = std::stoi(date.substr(5, 2));
  d = std::stoi(date.substr(8, 2));
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// x positions of the dates: by day number when every date parses (gaps show), else by rank.
std::map<std::string, double> date_positions(const std::vector<std::string>& dates) {
  std::map<std::string, double> pos;
  bool all_dates = true;
  for (const std::string& d : dates) {
    const auto n = day_number(d);
    if (!n) {
      all_dates = false;
      break;
    }
    pos[d] = static_cast<double>(*n);
  }
  if (!all_dates) {
    pos.clear();
    double rank = 0;
    for (const std::string& d : dates) pos[d] = rank++;
  }
  return pos;
}

bool finite_point(const TimePoint& p) { return std::isfinite(p.value); }

}  // namespace

Axis nice_axis(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo)) lo = hi;
  if (!std::isfinite(hi)) hi = lo;
  if (!std::isfinite(lo)) lo = hi = 0;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= 1e-9 * std::max(std::fabs(lo), std::fabs(hi))) {
    const double pad = std::fabs(lo) * 0.05;
    if (pad == 0) {
      lo = 0;
      hi = 1;
    } else {
      lo -= pad;
      hi += pad;
    }
  }
  max_ticks = std::clamp(max_ticks, 2, 20);
  Axis axis;
  const double range = nice_number(hi - lo, false);
  axis.step = nice_number(range / (max_ticks - 1), true);
  if (!std::isfinite(range) || !std::isfinite(axis.step) || axis.step <= 0) {
    // Spans beyond the double range: plain bounds, no rounding.
    axis.min = std::isfinite(lo) ? lo : -1;
    axis.max = std::isfinite(hi) && hi > axis.min ? hi : axis.min + 1;
    axis.step = axis.max / 2 - axis.min / 2;
    axis.ticks = {axis.min, axis.max};
    return axis;
  }
  axis.min = std::floor(lo / axis.step) * axis.step;
  axis.max = std::ceil(hi / axis.step) * axis.step;
  if (axis.max <= axis.min) axis.max = axis.min + axis.step;
  const auto count = std::llround((axis.max - axis.min) / axis.step);
  for (long long i = 0; i <= count && i <= 50; ++i) {
    double t = axis.min + static_cast<double>(i) * axis.step;
    t = std::round(t / axis.step) * axis.step;  // no 0.30000000000000004
    axis.ticks.push_back(t);
  }
  return axis;
}

std::string tick_label(double value, double step) {
  if (!std::isfinite(value)) return "n/a";
  int decimals = 0;
  if (std::isfinite(step) && step > 0) {
    while (decimals < 10) {
      const double scaled = step * std::pow(10.0, decimals);
      if (std::fabs(scaled - std::round(scaled)) <= 1e-6 * scaled) break;
      ++decimals;
    }
    if (std::fabs(value) < step * 1e-6) value = 0;
  }
  return fmt::format("{:.{}f}", value, decimals);
}

std::string value_text(double value) {
  if (!std::isfinite(value)) return "n/a";
  const double magnitude = std::fabs(value);
  if (magnitude >= 100) return fmt::format("{:.1f}", value);
  if (magnitude >= 10) return fmt::format("{:.2f}", value);
  if (magnitude >= 1) return fmt::format("{:.3f}", value);
  return fmt::format("{:.4g}", value);
}

std::string line_chart(const LineChartSpec& spec) {
  std::vector<std::string> dates;
  double lo = INFINITY, hi = -INFINITY;
  for (const LineSeries& s : spec.series) {
    for (const TimePoint& p : s.points) {
      if (!finite_point(p)) continue;
      dates.push_back(p.date);
      lo = std::min(lo, p.value);
      hi = std::max(hi, p.value);
    }
  }
  std::sort(dates.begin(), dates.end());
  dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
  // A minimum span keeps run-to-run noise from filling the whole height.
  const double mid = (lo + hi) / 2, min_span = spec.min_relative_span * std::fabs(mid);
  if (std::isfinite(min_span) && hi - lo < min_span) {
    lo = mid - min_span / 2;
    hi = mid + min_span / 2;
  }
  const Frame f = make_frame(spec.width, spec.height, nice_axis(lo, hi, 6));
  std::string out = open_svg("line-chart", f, spec.title);
  out += value_axis(f, spec.unit);
  if (dates.empty()) return out + no_data(f) + "</svg>";

  // x: day numbers mapped onto the plot with half a night of padding each side.
  const std::map<std::string, double> pos = date_positions(dates);
  const double first = pos.at(dates.front()), last = pos.at(dates.back());
  const double span = last - first + 1;
  auto x_of = [&](const std::string& date) {
    return f.left + (pos.at(date) - first + 0.5) / span * (f.right - f.left);
  };

  // The driver each night: the first series that has the night decides.
  std::map<std::string, std::string> driver_of;
  for (const LineSeries& s : spec.series) {
    for (const TimePoint& p : s.points) {
      if (finite_point(p)) driver_of.emplace(p.date, p.driver);
    }
  }
  out += "<g class=\"drivers\">";
  double label_end = -INFINITY;  // keeps driver labels from overprinting each other
  for (std::size_t i = 0; i < dates.size(); ++i) {
    const std::string& driver = driver_of[dates[i]];
    if (i > 0 && driver == driver_of[dates[i - 1]]) continue;
    double x = f.left;
    if (i > 0) {
      x = (x_of(dates[i - 1]) + x_of(dates[i])) / 2;
      out += fmt::format(
          "<line class=\"driver-rule\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" "
          "stroke=\"#8250df\" stroke-width=\"1\" stroke-dasharray=\"4 3\"><title>driver {3} "
          "from {4}</title></line>",
          coord(x), coord(f.top - 10), coord(f.bottom), html_escape(driver), html_escape(dates[i]));
    }
    const std::string text = html_escape(driver.empty() ? "driver ?" : driver);
    if (x + 3 >= label_end) {
      out +=
          fmt::format("<text class=\"driver-label\" x=\"{}\" y=\"32\" fill=\"#8250df\">{}</text>",
                      coord(x + 3), text);
      label_end = x + 3 + 6.2 * static_cast<double>(driver.size()) + 6;
    }
  }
  out += "</g>";

  // Date labels: at most about one per 80 pixels, the first always.
  const std::size_t max_labels =
      std::max<std::size_t>(1, static_cast<std::size_t>((f.right - f.left) / 80));
  const std::size_t every = (dates.size() + max_labels - 1) / max_labels;
  const bool one_year = dates.front().substr(0, 4) == dates.back().substr(0, 4) &&
                        day_number(dates.front()).has_value();
  out += "<g class=\"tick\" fill=\"#57606a\" text-anchor=\"middle\">";
  for (std::size_t i = 0; i < dates.size(); i += every) {
    const std::string label = one_year ? dates[i].substr(5) : dates[i];
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>", coord(x_of(dates[i])),
                       coord(f.bottom + 16), html_escape(label));
  }
  out += "</g>";
  if (one_year) {
    out += fmt::format(
        "<text class=\"unit\" x=\"{}\" y=\"{}\" fill=\"#57606a\" "
        "text-anchor=\"end\">{}</text>",
        coord(f.right), coord(f.bottom + 30), html_escape(dates.front().substr(0, 4)));
  }

  std::vector<LegendEntry> entries;
  std::string marks;
  for (const LineSeries& s : spec.series) {
    std::vector<const TimePoint*> points;
    for (const TimePoint& p : s.points) {
      if (finite_point(p) && pos.contains(p.date)) points.push_back(&p);
    }
    if (points.empty()) continue;
    std::stable_sort(points.begin(), points.end(),
                     [](const TimePoint* a, const TimePoint* b) { return a->date < b->date; });
    entries.push_back({s.label, s.css_class, s.color});
    std::string path;
    for (const TimePoint* p : points) {
      path += fmt::format("{}{},{}", path.empty() ? "M" : " L", coord(x_of(p->date)),
                          coord(f.y_of(p->value)));
    }
    out += fmt::format(
        "<g class=\"{0}\"><path class=\"line\" d=\"{1}\" fill=\"none\" stroke=\"{2}\" "
        "stroke-width=\"1.5\"/>",
        html_escape(s.css_class), path, html_escape(s.color));
    for (const TimePoint* p : points) {
      const std::string tip =
          fmt::format("{} {}: {} {} (driver {}){}", p->date, s.label, value_text(p->value),
                      spec.unit, p->driver, p->regression ? " - regression" : "");
      if (points.size() <= spec.max_point_marks) {
        out += fmt::format(
            "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"><title>{}"
            "</title></circle>",
            coord(x_of(p->date)), coord(f.y_of(p->value)), html_escape(s.color), html_escape(tip));
      }
      if (p->regression) {
        // Drawn after every line so no later series hides a mark.
        marks += fmt::format(
            "<circle class=\"reg\" cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"#d1242f\" stroke=\"#ffffff\" "
            "stroke-width=\"1.5\"><title>{}</title></circle>",
            coord(x_of(p->date)), coord(f.y_of(p->value)), html_escape(tip));
      }
    }
    out += "</g>";
  }
  out += marks;
  out += legend(f, entries);
  return out + "</svg>";
}

std::string bar_chart(const BarChartSpec& spec) {
  double hi = 0;
  double lo = 0;
  bool any = false;
  for (const BarSeries& s : spec.series) {
    for (const auto& v : s.values) {
      if (!v || !std::isfinite(*v)) continue;
      any = true;
      hi = std::max(hi, *v);
      lo = std::min(lo, *v);
    }
  }
  const Frame f = make_frame(spec.width, spec.height, nice_axis(lo, hi, 6));
  std::string out = open_svg("bar-chart", f, spec.title);
  out += value_axis(f, spec.unit);
  if (!any || spec.categories.empty() || spec.series.empty()) return out + no_data(f) + "</svg>";

  const double n = static_cast<double>(spec.categories.size());
  const double group = (f.right - f.left) / n;
  const double bar = std::min(48.0, group * 0.8 / static_cast<double>(spec.series.size()));
  const double zero = f.y_of(std::clamp(0.0, f.y.min, f.y.max));
  const bool rotate = group < 64;
  std::vector<LegendEntry> entries;
  for (const BarSeries& s : spec.series) entries.push_back({s.label, s.css_class, s.color});

  for (std::size_t c = 0; c < spec.categories.size(); ++c) {
    const double center = f.left + group * (static_cast<double>(c) + 0.5);
    double x = center - bar * static_cast<double>(spec.series.size()) / 2;
    for (const BarSeries& s : spec.series) {
      const std::optional<double> v = c < s.values.size() ? s.values[c] : std::nullopt;
      if (v && std::isfinite(*v)) {
        const double y = f.y_of(*v);
        const std::string tip = fmt::format("driver {} {}: {} {}", spec.categories[c], s.label,
                                            value_text(*v), spec.unit);
        out += fmt::format(
            "<rect class=\"bar {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">"
            "<title>{}</title></rect>",
            html_escape(s.css_class), coord(x + 1), coord(std::min(y, zero)), coord(bar - 2),
            coord(std::max(1.0, std::fabs(zero - y))), html_escape(s.color), html_escape(tip));
        if (bar >= 34) {
          out += fmt::format(
              "<text class=\"bar-value\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" "
              "font-size=\"9\" fill=\"#24292f\">{}</text>",
              coord(x + bar / 2), coord(std::min(y, zero) - 3), value_text(*v));
        }
      } else {
        out += fmt::format(
            "<text class=\"missing\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"9\" "
            "fill=\"#57606a\">n/a</text>",
            coord(x + bar / 2), coord(zero - 3));
      }
      x += bar;
    }
    const std::string label = html_escape(spec.categories[c]);
    if (rotate) {
      out += fmt::format(
          "<text class=\"tick\" x=\"{0}\" y=\"{1}\" fill=\"#57606a\" text-anchor=\"end\" "
          "transform=\"rotate(-30 {0} {1})\">{2}</text>",
          coord(center), coord(f.bottom + 12), label);
    } else {
      out += fmt::format(
          "<text class=\"tick\" x=\"{}\" y=\"{}\" fill=\"#57606a\" "
          "text-anchor=\"middle\">{}</text>",
          coord(center), coord(f.bottom + 16), label);
    }
  }
  out += legend(f, entries);
  return out + "</svg>";
}

}  // namespace gpuval::report::svg
