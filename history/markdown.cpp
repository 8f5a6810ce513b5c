#include "history/markdown.hpp"

#include <fmt/format.h>

#include <ctime>

#include "compare/render.hpp"
#include "core/exit_codes.hpp"

namespace gpuval::history {
namespace {

std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string utc_time(std::int64_t epoch) {
  const std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace

std::string exit_code_word(int code) {
  switch (code) {
    case exit_code::kPass:
      return "OK";
    case exit_code::kFailed:
      return "REGRESSION OR FAILED CHECK";
    case exit_code::kNoGpu:
      return "NO GPU";
    default:
      return "BAD INPUT";
  }
}

std::string render_nightly_markdown(const NightlyResult& r, const NightlyOptions& options) {
  std::string out =
      fmt::format("# gpuval nightly: {} (exit {})\n\n", exit_code_word(r.exit_code), r.exit_code);
  out += fmt::format(
      "{} run document{} checked at {} against baseline `{}` (alpha {}, minimum effect {:.1f} "
      "%): {} regression{}, {} failed check{}.\n\n",
      r.documents.size(), r.documents.size() == 1 ? "" : "s", utc_time(r.checked_at),
      options.baseline.text(), options.compare.alpha, options.compare.min_effect * 100.0,
      r.regression_count(), r.regression_count() == 1 ? "" : "s", r.failed_check_count(),
      r.failed_check_count() == 1 ? "" : "s");
  if (!r.documents.empty()) {
    out += "| host | GPU model | mode | driver | night | baseline | result |\n";
    out += "|---|---|---|---|---|---|---|\n";
    for (const DocumentResult& d : r.documents) {
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", cell(d.id.host),
                         cell(d.id.gpu_model), cell(d.id.mode), cell(d.id.driver), d.id.night,
                         cell(d.baseline ? d.baseline->description : "-"), cell(d.headline));
    }
    out += "\n";
  }
  if (!r.bad.empty()) {
    out += "## Unusable inputs (exit 2)\n\n";
    for (const BadInput& b : r.bad) out += fmt::format("- `{}`: {}\n", b.path, b.reason);
    out += "\n";
  }
  for (const DocumentResult& d : r.documents) {
    out += fmt::format("## {} · {} — {}\n\n", d.id.host, d.id.mode, d.headline);
    out += fmt::format("- Document: `{}` (run {}, {})\n", d.path, d.id.run_id, d.id.started_at);
    if (d.baseline) out += fmt::format("- Baseline: {}\n", d.baseline->description);
    if (!d.baseline_error.empty()) out += fmt::format("- Baseline error: {}\n", d.baseline_error);
    for (const Regression& g : d.regressions) {
      out += fmt::format("- **Regression** `{}`: {}\n", g.benchmark, g.reason);
    }
    for (const FailedCheck& c : d.failed_checks) {
      out += fmt::format("- **Failed check** `{}`: {}{}\n", c.id, c.message,
                         c.hint.empty() ? "" : " — hint: " + c.hint);
    }
    if (d.comparison) {
      out += "\n<details><summary>Comparison with the baseline</summary>\n\n";
      out += compare::render_markdown(*d.comparison);
      out += "\n</details>\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace gpuval::history
