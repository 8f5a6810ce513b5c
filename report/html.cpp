// render_html: the whole report as one self-contained HTML page (inline CSS and SVG, no external
// references). Layout, top to bottom: title and headline, fleet outliers, regression episodes,
// one section per GPU model (drivers and hosts, benchmark table, check outcomes, charts), bad
// files. The only script records what rendered, for the headless-browser test.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/plural.hpp"
#include "report/html_escape.hpp"
#include "report/model.hpp"
#include "report/svg.hpp"

namespace gpuval::report {
namespace {

constexpr const char* kBaremetalColor = "#1f6feb";
constexpr const char* kContainerColor = "#e36209";

constexpr const char* kStyle = R"css(
:root { --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --bad: #ffebe9; --bad-fg: #a40e26; --good: #dafbe1; --good-fg: #116329; --accent: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --line: #3d444d;
    --bad: #4b1113; --bad-fg: #ffa198; --good: #0f3d1e; --good-fg: #7ee787; --accent: #4493f8; }
}
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.3em; margin: 1.6em 0 0.4em; padding-bottom: 0.2em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
a { color: var(--accent); }
a.anchor { text-decoration: none; color: var(--muted); font-weight: normal; margin-left: 0.3em; }
p.headline { font-size: 1.05em; margin: 0.2em 0; }
p.status { display: inline-block; padding: 2px 10px; border-radius: 4px; margin: 0.4em 0; }
p.status.bad { background: var(--bad); color: var(--bad-fg); }
p.status.ok { background: var(--good); color: var(--good-fg); }
p.note, p.meta, .empty { color: var(--muted); }
nav { margin: 0.6em 0; color: var(--muted); }
nav a { margin-right: 0.8em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: 3px 8px; vertical-align: top; }
th { background: var(--panel); text-align: left; }
td.num { text-align: right; white-space: nowrap; }
td.key { min-width: 16em; max-width: 26em; }
th.group, td.group { border-left: 2px solid var(--muted); }
th[colspan] { text-align: center; }
div.scroll { overflow-x: auto; }
td.date { white-space: nowrap; }
td.key .unit { display: block; color: var(--muted); font-size: 0.85em; }
.regression, tr.regression td, tr.outlier td, tr.fail td { background: var(--bad); color: var(--bad-fg); }
td.improvement { background: var(--good); color: var(--good-fg); }
tr.ongoing td:first-child { font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 12px 24px; }
figure.metric { margin: 0; padding: 8px; border: 1px solid var(--line); border-radius: 6px; }
figure.metric figcaption { font-weight: 600; margin-bottom: 4px; }
figure.metric figcaption .unit { font-weight: normal; color: var(--muted); }
svg.chart { max-width: 100%; height: auto; display: inline-block; vertical-align: top; }
svg.chart text { fill: var(--muted); }
svg.chart .legend text { fill: var(--fg); }
svg.chart .grid { stroke: var(--line); }
svg.chart .axis { stroke: var(--muted); }
svg.chart .driver-label { fill: #8250df; }
svg.chart .reg { fill: #d1242f; stroke: var(--bg); }
code { font-size: 0.92em; }
footer { margin-top: 2em; color: var(--muted); font-size: 0.9em; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav, a.anchor { display: none; }
  section.model { break-before: page; }
  figure.metric, tr { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

// After layout, record how many tables and charts really have a size (read by the e2e test
// through the browser's DOM dump). Content never depends on it.
constexpr const char* kRenderCheck = R"js(
(function () {
  function shown(selector) {
    var n = 0;
    document.querySelectorAll(selector).forEach(function (e) {
      var r = e.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) n++;
    });
    return n;
  }
  window.addEventListener("load", function () {
    document.body.dataset.rendered = "tables=" + shown("table") + " charts=" + shown("svg.chart");
  });
})();
)js";

std::string esc(const std::string& s) { return html_escape(s); }

std::string mode_text(const std::string& mode) { return mode == "baremetal" ? "bare metal" : mode; }

// Relative change as a signed percentage: -0.071 -> "-7.1 %".
std::string percent(double change) {
  if (!std::isfinite(change)) return "n/a";
  const double p = change * 100;
  return std::fabs(p) < 0.05 ? "0.0 %" : fmt::format("{:+.1f} %", p);
}

// A threshold option as a percentage: 0.05 -> "5 %".
std::string threshold_text(double fraction) {
  return std::isfinite(fraction) ? fmt::format("{:g} %", fraction * 100) : std::string("n/a");
}

std::string value_with_unit(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "n/a";
  return unit.empty() ? svg::value_text(v) : svg::value_text(v) + " " + esc(unit);
}

std::string td_num(const std::string& text, const std::string& css_class = "",
                   const std::string& title = "") {
  std::string attrs = css_class.empty() ? " class=\"num\"" : " class=\"num " + css_class + "\"";
  if (!title.empty()) attrs += " title=\"" + esc(title) + "\"";
  return "<td" + attrs + ">" + text + "</td>";
}

std::string median_cell(const Cell& cell, const std::string& css_class = "") {
  if (!cell.median || !std::isfinite(*cell.median)) return td_num("&ndash;", css_class);
  return td_num(svg::value_text(*cell.median), css_class,
                fmt::format("median of {}", plural(cell.runs, "run")));
}

// Section ids: model_anchor(), with "-2", "-3" ... when two names map to the same id.
std::map<std::string, std::string> model_anchors(const Report& report) {
  std::map<std::string, std::string> anchors;
  std::set<std::string> used = {"outliers", "regressions", "bad-files"};
  for (const ModelSection& m : report.models) {
    if (anchors.contains(m.gpu_model)) continue;
    std::string id = model_anchor(m.gpu_model);
    for (int n = 2; used.contains(id); ++n) id = model_anchor(m.gpu_model) + fmt::format("-{}", n);
    used.insert(id);
    anchors[m.gpu_model] = id;
  }
  return anchors;
}

std::string model_link(const std::map<std::string, std::string>& anchors,
                       const std::string& model) {
  const auto it = anchors.find(model);
  if (it == anchors.end()) return esc(model);
  return fmt::format("<a href=\"#{}\">{}</a>", it->second, esc(model));
}

std::string header(const Report& report, const std::map<std::string, std::string>& anchors) {
  std::string out = fmt::format("<header>\n<h1>{}</h1>\n", esc(report.options.title));
  std::string span;
  if (!report.first_date.empty()) {
    span = report.first_date == report.last_date
               ? fmt::format(" ({})", esc(report.first_date))
               : fmt::format(" ({} to {})", esc(report.first_date), esc(report.last_date));
  }
  out += fmt::format("<p class=\"headline\">{} &middot; {}{} &middot; {} &middot; {}</p>\n",
                     plural(report.runs, "run"), plural(report.nights, "night"), span,
                     plural(report.models.size(), "GPU model"),
                     plural(report.bad_files.size(), "bad file"));
  std::size_t ongoing = 0;
  for (const Regression& r : report.regressions) ongoing += r.ongoing ? 1 : 0;
  const bool bad = !report.regressions.empty() || !report.outliers.empty();
  out += fmt::format("<p class=\"status {}\">{} ({} ongoing) &middot; {}</p>\n", bad ? "bad" : "ok",
                     plural(report.regressions.size(), "regression episode"), ongoing,
                     plural(report.outliers.size(), "fleet outlier"));
  out += "<nav><a href=\"#outliers\">Fleet outliers</a><a href=\"#regressions\">Regressions</a>";
  for (const ModelSection& m : report.models) {
    out += fmt::format("<a href=\"#{}\">{}</a>", anchors.at(m.gpu_model), esc(m.gpu_model));
  }
  if (!report.bad_files.empty()) out += "<a href=\"#bad-files\">Bad files</a>";
  return out + "</nav>\n</header>\n";
}

std::string outliers_section(const Report& report,
                             const std::map<std::string, std::string>& anchors) {
  std::string out = fmt::format(
      "<section id=\"outliers\">\n<h2>Fleet outliers</h2>\n<p class=\"note\">Nodes whose median "
      "is more than {} worse than their GPU model's median (same driver and mode), worst "
      "first.</p>\n",
      threshold_text(report.options.outlier_threshold));
  if (report.outliers.empty()) {
    return out +
           "<p class=\"empty\">No outliers: every node is within the threshold.</p>\n"
           "</section>\n";
  }
  out +=
      "<table class=\"outliers\">\n<thead><tr><th>Node</th><th>GPU model</th><th>Driver</th>"
      "<th>Mode</th><th>Benchmark</th><th>Node median</th><th>Model median</th><th>Change</th>"
      "<th>Nodes</th></tr></thead>\n<tbody>\n";
  for (const Outlier& o : report.outliers) {
    out += fmt::format(
        "<tr class=\"outlier\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td "
        "class=\"key\">{}</td>{}{}{}{}"
        "</tr>\n",
        esc(o.host), model_link(anchors, o.gpu_model), esc(o.driver), esc(mode_text(o.mode)),
        esc(o.benchmark), td_num(value_with_unit(o.node_median, o.unit)),
        td_num(value_with_unit(o.group_median, o.unit)), td_num(percent(o.change)),
        td_num(fmt::format("{}", o.group_nodes)));
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string regressions_section(const Report& report,
                                const std::map<std::string, std::string>& anchors) {
  std::string out = fmt::format(
      "<section id=\"regressions\">\n<h2>Regressions</h2>\n<p class=\"note\">Episodes of "
      "consecutive nights worse than the median of the previous {} healthy nights of the same "
      "node, mode and benchmark by more than {}; ongoing first, then newest first.</p>\n",
      report.options.window, threshold_text(report.options.regression_threshold));
  if (report.regressions.empty()) {
    return out + "<p class=\"empty\">No regressions.</p>\n</section>\n";
  }
  out +=
      "<table class=\"regressions\">\n<thead><tr><th>First night</th><th>Node</th><th>GPU "
      "model</th><th>Mode</th><th>Benchmark</th><th>Driver</th><th>Previous driver</th>"
      "<th>Value</th><th>Baseline</th><th>Change</th><th>Nights</th><th>Status</th></tr></thead>"
      "\n<tbody>\n";
  for (const Regression& r : report.regressions) {
    const std::string status =
        r.ongoing ? std::string("ongoing") : fmt::format("recovered (last {})", esc(r.last_date));
    out += fmt::format(
        "<tr class=\"regression{}\"><td class=\"date\">{}</td><td>{}</td><td>{}</td><td>{}</td><td "
        "class=\"key\">{}</td>"
        "<td>{}</td><td>{}</td>{}{}{}{}<td>{}</td></tr>\n",
        r.ongoing ? " ongoing" : "", esc(r.first_date), esc(r.host),
        model_link(anchors, r.gpu_model), esc(mode_text(r.mode)), esc(r.benchmark), esc(r.driver),
        r.previous_driver.empty() ? "&ndash;" : esc(r.previous_driver),
        td_num(value_with_unit(r.value, r.unit)), td_num(value_with_unit(r.baseline, r.unit)),
        td_num(percent(r.change)), td_num(fmt::format("{}", r.nights)), status);
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

// The change-from-previous-driver cell: red when the model marks a regression, green when the
// change is better than the regression threshold in the metric's good direction.
std::string change_cell(const MetricRow& row, std::size_t i, double threshold) {
  const std::optional<double> change =
      i < row.change_from_previous.size() ? row.change_from_previous[i] : std::nullopt;
  if (!change || !std::isfinite(*change)) return td_num("&ndash;");
  const bool regression = i < row.driver_regression.size() && row.driver_regression[i];
  const double better = row.higher_is_better ? *change : -*change;
  const char* css = regression ? "regression" : better > threshold ? "improvement" : "";
  return td_num(percent(*change), css,
                regression ? "regression from the previous driver" : std::string());
}

// One row of the summary table: per driver the bare-metal and container medians, the change
// from the previous driver (not for the first) and the container / bare-metal ratio.
std::string metric_row(const ModelSection& m, const MetricRow& row, double threshold) {
  auto cell_at = [](const std::vector<Cell>& cells, std::size_t i) {
    return i < cells.size() ? cells[i] : Cell{};
  };
  bool regression = false;
  for (const bool r : row.driver_regression) regression = regression || r;
  std::string out = fmt::format(
      "<tr class=\"metric{}\"><td class=\"key\">{}<span class=\"unit\">{}{} is better</span>"
      "</td>",
      regression ? " driver-regression" : "", esc(row.key),
      row.unit.empty() ? "" : esc(row.unit) + ", ", row.higher_is_better ? "higher" : "lower");
  for (std::size_t i = 0; i < m.drivers.size(); ++i) {
    // A plain double (NaN when absent): GCC 12 -O2 warns falsely on a copied optional here.
    const double ratio = i < row.container_over_baremetal.size()
                             ? row.container_over_baremetal[i].value_or(std::nan(""))
                             : std::nan("");
    out += median_cell(cell_at(row.baremetal, i), "group") + median_cell(cell_at(row.container, i));
    if (i > 0) out += change_cell(row, i, threshold);
    out += td_num(std::isfinite(ratio) ? fmt::format("{:.3f}", ratio) : "&ndash;");
  }
  const bool peak = row.fraction_of_peak && std::isfinite(*row.fraction_of_peak);
  out += td_num(peak ? fmt::format("{:.1f} %", *row.fraction_of_peak * 100) : "&ndash;", "group");
  return out + "</tr>\n";
}

// Two header rows: the driver versions over their column groups, then what each column holds.
std::string summary_head(const ModelSection& m) {
  std::string drivers, columns;
  for (std::size_t i = 0; i < m.drivers.size(); ++i) {
    drivers +=
        fmt::format("<th class=\"group\" colspan=\"{}\">{}</th>", i > 0 ? 4 : 3, esc(m.drivers[i]));
    columns += "<th class=\"group\">Bare metal</th><th>Container</th>";
    if (i > 0) columns += "<th title=\"change from the previous driver\">Change</th>";
    columns += "<th title=\"container / bare metal\">Ratio</th>";
  }
  return fmt::format(
      "<thead><tr><th rowspan=\"2\">Benchmark</th>{}<th class=\"group\" rowspan=\"2\">Fraction "
      "of peak</th></tr>\n<tr>{}</tr></thead>\n",
      drivers, columns);
}

std::string checks_table(const ModelSection& m) {
  std::string out =
      "<table class=\"checks\">\n<thead><tr><th>Driver</th><th>Runs</th><th>Failed runs</th>"
      "<th>PASS</th><th>WARN</th><th>FAIL</th><th>SKIP</th><th>Failing checks</th></tr></thead>"
      "\n<tbody>\n";
  for (const CheckOutcome& c : m.checks) {
    std::string failing;
    for (const std::string& f : c.failing_checks) {
      failing += (failing.empty() ? "" : ", ") + esc(f);
    }
    out += fmt::format("<tr{}><td>{}</td>{}{}{}{}{}{}<td>{}</td></tr>\n",
                       c.fail > 0 || c.runs_failed > 0 ? " class=\"fail\"" : "", esc(c.driver),
                       td_num(fmt::format("{}", c.runs)), td_num(fmt::format("{}", c.runs_failed)),
                       td_num(fmt::format("{}", c.pass)), td_num(fmt::format("{}", c.warn)),
                       td_num(fmt::format("{}", c.fail)), td_num(fmt::format("{}", c.skip)),
                       failing.empty() ? "&ndash;" : failing);
  }
  return out + "</tbody>\n</table>\n";
}

bool has_value(const std::vector<Cell>& cells) {
  for (const Cell& c : cells) {
    if (c.median && std::isfinite(*c.median)) return true;
  }
  return false;
}

bool has_value(const std::vector<TimePoint>& points) {
  for (const TimePoint& p : points) {
    if (std::isfinite(p.value)) return true;
  }
  return false;
}

std::string chart_figure(const ModelSection& m, const Chart& c) {
  std::string out = fmt::format(
      "<figure class=\"metric\" data-metric=\"{}\"><figcaption>{} <span class=\"unit\">{}{} is "
      "better</span></figcaption>\n",
      esc(c.id), esc(c.id), c.unit.empty() ? "" : esc(c.unit) + ", ",
      c.higher_is_better ? "higher" : "lower");
  const bool by_driver = has_value(c.by_driver_baremetal) || has_value(c.by_driver_container);
  const bool over_time = has_value(c.over_time_baremetal) || has_value(c.over_time_container);
  if (by_driver) {
    svg::BarChartSpec bars;
    bars.title = fmt::format("{} {} by driver version", m.gpu_model, c.id);
    bars.unit = c.unit;
    bars.categories = c.drivers;
    for (const auto& [label, css, color, cells] :
         {std::tuple{"bare metal", "series-baremetal", kBaremetalColor, &c.by_driver_baremetal},
          std::tuple{"container", "series-container", kContainerColor, &c.by_driver_container}}) {
      if (!has_value(*cells)) continue;
      svg::BarSeries s{label, css, color, {}};
      for (const Cell& cell : *cells) s.values.push_back(cell.median);
      bars.series.push_back(std::move(s));
    }
    out += svg::bar_chart(bars) + "\n";
  }
  if (over_time) {
    svg::LineChartSpec lines;
    lines.title = fmt::format("{} {} over time", m.gpu_model, c.id);
    lines.unit = c.unit;
    if (has_value(c.over_time_baremetal)) {
      lines.series.push_back(
          {"bare metal", "series-baremetal", kBaremetalColor, c.over_time_baremetal});
    }
    if (has_value(c.over_time_container)) {
      lines.series.push_back(
          {"container", "series-container", kContainerColor, c.over_time_container});
    }
    out += svg::line_chart(lines) + "\n";
  }
  if (!by_driver && !over_time) out += "<p class=\"empty\">no data</p>\n";
  return out + "</figure>\n";
}

std::string model_section(const Report& report, const ModelSection& m, const std::string& id) {
  std::string hosts;
  for (const std::string& h : m.hosts) hosts += (hosts.empty() ? "" : ", ") + esc(h);
  std::string drivers;
  for (const std::string& d : m.drivers) drivers += (drivers.empty() ? "" : ", ") + esc(d);
  std::string out = fmt::format(
      "<section class=\"model\" id=\"{0}\">\n<h2>{1}<a class=\"anchor\" href=\"#{0}\" "
      "title=\"link to this section\">#</a></h2>\n<p class=\"meta\">{2} &middot; {3}: {4} "
      "&middot; {5}: {6}</p>\n",
      id, esc(m.gpu_model), plural(m.runs, "run"), m.drivers.size() == 1 ? "driver" : "drivers",
      drivers.empty() ? "&ndash;" : drivers, m.hosts.size() == 1 ? "host" : "hosts",
      hosts.empty() ? "&ndash;" : hosts);

  out += "<h3>Benchmarks</h3>\n";
  if (m.metrics.empty()) {
    out += "<p class=\"empty\">No benchmark results.</p>\n";
  } else {
    out +=
        "<p class=\"note\">Medians by driver version. Change: from the previous driver (bare "
        "metal; container where bare metal has no figure). Ratio: container / bare metal. Fraction "
        "of peak: latest driver.</p>\n<div class=\"scroll\">\n<table class=\"summary\">\n" +
        summary_head(m) + "<tbody>\n";
    for (const MetricRow& row : m.metrics) {
      out += metric_row(m, row, report.options.regression_threshold);
    }
    out += "</tbody>\n</table>\n</div>\n";
  }

  out += "<h3>Checks</h3>\n";
  out += m.checks.empty() ? std::string("<p class=\"empty\">No check results.</p>\n")
                          : checks_table(m);

  out += "<h3>Charts</h3>\n";
  if (m.charts.empty()) {
    out += "<p class=\"empty\">No key metrics measured.</p>\n";
  } else {
    out += "<div class=\"charts\">\n";
    for (const Chart& c : m.charts) out += chart_figure(m, c);
    out += "</div>\n";
  }
  return out + "</section>\n";
}

std::string bad_files_section(const Report& report) {
  if (report.bad_files.empty()) return "";
  std::string out = fmt::format(
      "<section id=\"bad-files\">\n<h2>Bad files</h2>\n<p class=\"note\">{} could not be used."
      "</p>\n<table class=\"bad-files\">\n<thead><tr><th>File</th><th>Reason</th></tr></thead>\n"
      "<tbody>\n",
      plural(report.bad_files.size(), "file"));
  for (const BadFile& b : report.bad_files) {
    out +=
        fmt::format("<tr><td><code>{}</code></td><td>{}</td></tr>\n", esc(b.path), esc(b.reason));
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

}  // namespace

std::string render_html(const Report& report) {
  const std::map<std::string, std::string> anchors = model_anchors(report);
  std::string body = header(report, anchors);
  body += "<main>\n";
  body += outliers_section(report, anchors);
  body += regressions_section(report, anchors);
  if (report.models.empty()) {
    body += "<p class=\"empty\">No GPU model sections: no usable run documents.</p>\n";
  }
  for (const ModelSection& m : report.models) {
    body += model_section(report, m, anchors.at(m.gpu_model));
  }
  body += bad_files_section(report);
  body += "</main>\n";
  body += fmt::format(
      "<footer>Medians are medians over runs of each run's median. A regression is a night worse "
      "than the median of the previous {} healthy nights by more than {}; a fleet outlier a node "
      "more "
      "than {} worse than its model's median.</footer>\n",
      report.options.window, threshold_text(report.options.regression_threshold),
      threshold_text(report.options.outlier_threshold));

  // Escaped data can never contain "<table" or "<svg", so these counts are the page's own.
  const std::size_t tables = occurrences(body, "<table");
  const std::size_t charts = occurrences(body, "<svg class=\"chart");
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta "
      "name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta "
      "name=\"generator\" content=\"gpuval report\">\n<title>{}</title>\n<style>{}</style>\n"
      "</head>\n<body data-tables=\"{}\" data-charts=\"{}\">\n{}<script>{}</script>\n</body>\n"
      "</html>\n",
      esc(report.options.title), kStyle, tables, charts, body, kRenderCheck);
}

}  // namespace gpuval::report
