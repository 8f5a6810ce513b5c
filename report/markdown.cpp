// render_markdown: the report for pull requests and chat, in GitHub-flavoured Markdown. Same
// order as the HTML page: headline, fleet outliers, regressions, one section per GPU model
// (benchmarks x drivers, check outcomes), bad files. Long lists are cut with a count of what was
// left out, and only the newest drivers get columns, so a comment stays readable.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/plural.hpp"
#include "report/aggregate_internal.hpp"
#include "report/model.hpp"

namespace gpuval::report {
namespace {

constexpr std::size_t kMaxOutlierRows = 20;
constexpr std::size_t kMaxRegressionRows = 30;
constexpr std::size_t kMaxDriverColumns = 4;
constexpr std::size_t kMaxBadFiles = 50;
constexpr std::size_t kMaxHostsNamed = 8;

// Table cell text: no pipes or line breaks; with `html`, no raw HTML either (a host or model
// name like "<img src=x>" must read as text, not render). Code spans show entities literally, so
// they keep < and >.
std::string escape_cell(std::string_view s, bool html) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (html && c == '<') {
      out += "&lt;";
    } else if (html && c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string cell(std::string_view s) { return escape_cell(s, true); }

// Inline code, unless the text itself holds a backtick.
std::string code(std::string_view s) {
  if (s.find('`') != std::string_view::npos) return cell(s);
  return "`" + escape_cell(s, false) + "`";
}

// Three significant figures or so: 3085, 55.1, 2.10, 0.0123.
std::string value(double v) {
  const double a = std::fabs(v);
  if (a >= 100) return fmt::format("{:.0f}", v);
  if (a >= 10) return fmt::format("{:.1f}", v);
  if (a >= 1) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3g}", v);
}

std::string with_unit(double v, const std::string& unit) {
  return unit.empty() ? value(v) : value(v) + " " + unit;
}

std::string percent(double change) {
  const double pct = change * 100.0;
  return fmt::format("{:+.1f} %", std::fabs(pct) < 0.05 ? 0.0 : pct);  // never "-0.0 %"
}

std::string mode_name(const std::string& mode) { return mode == "baremetal" ? "bare metal" : mode; }

std::string headline(const Report& r) {
  std::string span;
  if (!r.first_date.empty()) {
    span = r.first_date == r.last_date ? fmt::format(" ({})", r.first_date)
                                       : fmt::format(" ({} to {})", r.first_date, r.last_date);
  }
  std::string out = fmt::format(
      "# {}\n\n**{}** over **{}**{} · **{}** · **{}**{}\n\n", cell(r.options.title),
      plural(r.runs, "run"), plural(r.nights, "night"), span, plural(r.models.size(), "GPU model"),
      plural(r.bad_files.size(), "bad file"), r.bad_files.empty() ? "" : " (listed at the end)");
  std::size_t ongoing = 0;
  for (const Regression& g : r.regressions) ongoing += g.ongoing ? 1 : 0;
  if (r.regressions.empty() && r.outliers.empty()) {
    out += "✅ No regressions and no fleet outliers.\n\n";
  } else {
    out += fmt::format("⚠️ **{}** ({} ongoing) · **{}**\n\n",
                       plural(r.regressions.size(), "regression episode"), ongoing,
                       plural(r.outliers.size(), "fleet outlier"));
  }
  return out;
}

std::string more_rows(std::size_t shown, std::size_t total) {
  return total > shown ? fmt::format("\n… and {} more (see the HTML report).\n", total - shown)
                       : std::string();
}

// One row per node and benchmark: a slow node is usually slow under every driver and in both
// modes, which would otherwise repeat one finding a dozen times.
struct OutlierRow {
  const Outlier* worst = nullptr;  // the first of the group in the report's (worst first) order
  std::vector<std::string> drivers;
  std::vector<std::string> modes;
};

std::vector<OutlierRow> outlier_rows(const std::vector<Outlier>& outliers) {
  std::vector<OutlierRow> rows;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index;
  for (const Outlier& o : outliers) {
    auto [it, added] = index.try_emplace({o.host, o.gpu_model, o.benchmark}, rows.size());
    if (added) rows.push_back({&o, {}, {}});
    OutlierRow& row = rows[it->second];
    if (std::find(row.drivers.begin(), row.drivers.end(), o.driver) == row.drivers.end()) {
      row.drivers.push_back(o.driver);
    }
    const std::string mode = mode_name(o.mode);
    if (std::find(row.modes.begin(), row.modes.end(), mode) == row.modes.end()) {
      row.modes.push_back(mode);
    }
  }
  for (OutlierRow& row : rows) {
    std::sort(row.drivers.begin(), row.drivers.end(), driver_less);
    std::sort(row.modes.begin(), row.modes.end());
  }
  return rows;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ", ") + cell(i);
  return out;
}

std::string outliers(const Report& r) {
  std::string out = fmt::format(
      "## Fleet outliers\n\nNodes whose median is more than {:g} % worse than the median of "
      "their GPU model's nodes (same driver and mode, groups of {} or more nodes), worst first; "
      "one row per node and benchmark, with the worst of its drivers and modes.\n\n",
      r.options.outlier_threshold * 100, kMinOutlierNodes);
  if (r.outliers.empty()) return out + "None.\n\n";
  out +=
      "| node | GPU model | benchmark | drivers | modes | node median | fleet median | change | "
      "nodes |\n|---|---|---|---|---|---:|---:|---:|---:|\n";
  const std::vector<OutlierRow> rows = outlier_rows(r.outliers);
  const std::size_t shown = std::min(rows.size(), kMaxOutlierRows);
  for (std::size_t i = 0; i < shown; ++i) {
    const Outlier& o = *rows[i].worst;
    out += fmt::format("| **{}** | {} | {} | {} | {} | {} | {} | **{}** | {} |\n", cell(o.host),
                       cell(o.gpu_model), code(o.benchmark), joined(rows[i].drivers),
                       joined(rows[i].modes), with_unit(o.node_median, o.unit),
                       with_unit(o.group_median, o.unit), percent(o.change), o.group_nodes);
  }
  return out + more_rows(shown, rows.size()) + "\n";
}

std::string driver_text(const Regression& g) {
  if (!g.previous_driver.empty() && g.previous_driver != g.driver) {
    return fmt::format("{} → **{}** (upgraded that night)", cell(g.previous_driver),
                       cell(g.driver));
  }
  return cell(g.driver);
}

std::string regressions(const Report& r) {
  std::string out = fmt::format(
      "## Regressions\n\nNights worse than the median of the previous {} healthy nights of the "
      "same node, mode and benchmark by more than {:g} %; consecutive nights are one episode. "
      "Ongoing first, then newest first.\n\n",
      r.options.window, r.options.regression_threshold * 100);
  if (r.regressions.empty()) return out + "None.\n\n";
  out +=
      "| since | node | GPU model | benchmark | mode | driver | value | baseline | change | "
      "status |\n|---|---|---|---|---|---|---:|---:|---:|---|\n";
  const std::size_t shown = std::min(r.regressions.size(), kMaxRegressionRows);
  for (std::size_t i = 0; i < shown; ++i) {
    const Regression& g = r.regressions[i];
    const std::string status =
        g.ongoing
            ? fmt::format("**ongoing** ({})", plural(g.nights, "night"))
            : fmt::format("recovered after {} (last {})", plural(g.nights, "night"), g.last_date);
    out += fmt::format("| **{}** | **{}** | {} | {} | {} | {} | {} | {} | **{}** | {} |\n",
                       cell(g.first_date), cell(g.host), cell(g.gpu_model), code(g.benchmark),
                       mode_name(g.mode), driver_text(g), with_unit(g.value, g.unit),
                       with_unit(g.baseline, g.unit), percent(g.change), status);
  }
  return out + more_rows(shown, r.regressions.size()) + "\n";
}

std::string median_cell(const Cell& bm, const Cell& ct, const std::optional<double>& ratio) {
  if (!bm.median && !ct.median) return "—";
  std::string out =
      (bm.median ? value(*bm.median) : "—") + " / " + (ct.median ? value(*ct.median) : "—");
  if (ratio) out += fmt::format(" (×{:.3f})", *ratio);
  return out;
}

std::string metrics_table(const ModelSection& m, const Report& r) {
  if (m.metrics.empty()) return "No benchmark figures.\n\n";
  const std::size_t n = m.drivers.size();
  const std::size_t first = n > kMaxDriverColumns ? n - kMaxDriverColumns : 0;
  std::string out = fmt::format(
      "Cells: median of the per-run medians, bare metal / container (×container ÷ bare metal). "
      "Δ: change from the previous driver (⚠️ worse than {:g} %). Peak: fraction of the "
      "theoretical peak at the newest driver.",
      r.options.regression_threshold * 100);
  if (first > 0) out += fmt::format(" {} older drivers are in the HTML report.", first);
  out += "\n\n| benchmark | unit |";
  std::string rule = "|---|---|";
  for (std::size_t d = first; d < n; ++d) {
    out += fmt::format(" {} |", cell(m.drivers[d]));
    rule += "---:|";
    if (d > 0) {
      out += " Δ |";
      rule += "---:|";
    }
  }
  out += " peak |\n" + rule + "---:|\n";
  for (const MetricRow& row : m.metrics) {
    out += fmt::format("| {} | {} |", code(row.key), cell(row.unit));
    for (std::size_t d = first; d < n; ++d) {
      out += " " +
             median_cell(row.baremetal[d], row.container[d], row.container_over_baremetal[d]) +
             " |";
      if (d == 0) continue;
      const auto& change = row.change_from_previous[d];
      if (!change) {
        out += " |";
      } else if (row.driver_regression[d]) {
        out += fmt::format(" **{}** ⚠️ |", percent(*change));
      } else {
        out += fmt::format(" {} |", percent(*change));
      }
    }
    out += row.fraction_of_peak ? fmt::format(" {:.0f} % |\n", *row.fraction_of_peak * 100)
                                : std::string(" |\n");
  }
  return out + "\n";
}

std::string checks_table(const ModelSection& m) {
  std::string out =
      "**Checks per driver** (check results over all runs)\n\n| driver | runs | failed runs | PASS "
      "| WARN | FAIL | SKIP | failing checks |\n|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (const CheckOutcome& c : m.checks) {
    std::string failing;
    for (const std::string& f : c.failing_checks) failing += (failing.empty() ? "" : ", ") + f;
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", cell(c.driver), c.runs,
                       c.runs_failed ? fmt::format("**{}**", c.runs_failed) : "0", c.pass, c.warn,
                       c.fail, c.skip, cell(failing));
  }
  return out + "\n";
}

std::string model_section(const ModelSection& m, const Report& r) {
  std::string hosts;
  for (std::size_t i = 0; i < m.hosts.size() && i < kMaxHostsNamed; ++i) {
    hosts += (hosts.empty() ? "" : ", ") + m.hosts[i];
  }
  if (m.hosts.size() > kMaxHostsNamed) {
    hosts += fmt::format(", … and {} more", m.hosts.size() - kMaxHostsNamed);
  }
  std::string drivers;
  for (const std::string& d : m.drivers) drivers += (drivers.empty() ? "" : ", ") + d;
  std::string out = fmt::format("## {}\n\n{} ({}) · {} · drivers {}\n\n", cell(m.gpu_model),
                                plural(m.hosts.size(), "node"), cell(hosts), plural(m.runs, "run"),
                                cell(drivers));
  return out + metrics_table(m, r) + checks_table(m);
}

std::string bad_files(const Report& r) {
  if (r.bad_files.empty()) return {};
  std::string out =
      fmt::format("## Bad files ({})\n\nNot used for this report:\n\n", r.bad_files.size());
  const std::size_t shown = std::min(r.bad_files.size(), kMaxBadFiles);
  for (std::size_t i = 0; i < shown; ++i) {
    out += fmt::format("- {}: {}\n", code(r.bad_files[i].path), cell(r.bad_files[i].reason));
  }
  if (shown < r.bad_files.size()) {
    out += fmt::format("- … and {} more\n", r.bad_files.size() - shown);
  }
  return out + "\n";
}

}  // namespace

std::string render_markdown(const Report& report) {
  std::string out = headline(report);
  if (report.runs == 0) out += "No run documents were found.\n\n";
  out += outliers(report);
  out += regressions(report);
  for (const ModelSection& m : report.models) out += model_section(m, report);
  out += bad_files(report);
  return out;
}

}  // namespace gpuval::report
