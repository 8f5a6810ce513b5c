#include "compare/render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace gpuval::compare {
namespace {

using nlohmann::json;

constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kGrey = "\033[90m";
constexpr const char* kBold = "\033[1m";

std::string paint(const RenderStyle& style, const char* color, const std::string& text) {
  return style.color ? std::string(color) + text + "\033[0m" : text;
}

const char* color_of(BenchVerdict v) {
  switch (v) {
    case BenchVerdict::kWorse:
      return kRed;
    case BenchVerdict::kBetter:
      return kGreen;
    case BenchVerdict::kInconclusive:
      return kYellow;
    default:
      return kGrey;
  }
}

const char* color_of(CheckChange c) {
  switch (c) {
    case CheckChange::kRegressed:
      return kRed;
    case CheckChange::kWorse:
    case CheckChange::kChanged:
      return kYellow;
    case CheckChange::kImproved:
      return kGreen;
    default:
      return kGrey;
  }
}

// Medians: one decimal for large rates (3011.2 GB/s), four significant digits for small values.
std::string number(const std::optional<double>& v) {
  if (!v) return "-";
  return std::fabs(*v) >= 100 ? fmt::format("{:.1f}", *v) : fmt::format("{:.4g}", *v);
}

std::string ratio_text(const std::optional<double>& r) {
  return r ? fmt::format("{:.3f}x", *r) : "-";
}

std::string p_text(const std::optional<double>& p) {
  if (!p) return "-";
  return *p < 0.001 ? fmt::format("{:.1e}", *p) : fmt::format("{:.3f}", *p);
}

std::string bench_name(const BenchmarkComparison& b) {
  const std::string params = describe_params(b.device, b.params);
  return params.empty() ? b.id : b.id + " " + params;
}

std::string status_or_none(const std::string& s) { return s.empty() ? "(none)" : s; }

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// "1 worse, 3 same" from the non-zero counts, in a fixed order.
std::string bench_counts(const Comparison& c) {
  std::vector<std::string> parts;
  for (BenchVerdict v :
       {BenchVerdict::kWorse, BenchVerdict::kBetter, BenchVerdict::kSame,
        BenchVerdict::kInconclusive, BenchVerdict::kAdded, BenchVerdict::kRemoved}) {
    if (const std::size_t n = c.count(v)) parts.push_back(fmt::format("{} {}", n, to_string(v)));
  }
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
}

std::string check_counts(const Comparison& c) {
  std::vector<std::string> parts;
  for (CheckChange k : {CheckChange::kRegressed, CheckChange::kWorse, CheckChange::kImproved,
                        CheckChange::kChanged, CheckChange::kAdded, CheckChange::kRemoved}) {
    if (const std::size_t n = c.count(k)) parts.push_back(fmt::format("{} {}", n, to_string(k)));
  }
  if (const std::size_t n = c.count(CheckChange::kSame)) {
    parts.push_back(fmt::format("{} unchanged", n));
  }
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
}

std::string options_line(const Comparison& c) {
  return fmt::format(
      "ratio = B/A of medians; Mann-Whitney U at alpha {}, minimum effect {:g} %, huge effect "
      "{:g} %",
      c.options.alpha, c.options.min_effect * 100.0, c.options.huge_effect * 100.0);
}

std::string md_cell(std::string s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') {
      out += "\\|";
    } else if (ch == '\n' || ch == '\r') {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

std::string md_row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const std::string& cell : cells) out += " " + md_cell(cell) + " |";
  return out + "\n";
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string pad_left(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

std::string display_env_value(const std::string& field, const json& value) {
  if (value.is_null()) return "(none)";
  if (value.is_string())
    return value.get<std::string>().empty() ? "\"\"" : value.get<std::string>();
  const bool cuda_version =
      field.ends_with("cuda_driver_version") || field.ends_with("cuda_runtime_version");
  if (cuda_version && value.is_number_integer()) {
    const long long v = value.get<long long>();
    return fmt::format("{}.{} ({})", v / 1000, (v % 1000) / 10, v);
  }
  return value.dump();
}

std::string headline(const Comparison& c) {
  std::string text;
  if (c.neither_has_gpu) text = "neither run had a usable GPU: nothing to compare";
  if (!c.regressions.empty()) {
    std::vector<std::string> parts;
    if (const std::size_t n = c.count(BenchVerdict::kWorse)) {
      parts.push_back(fmt::format("{} benchmark{} worse", n, n == 1 ? "" : "s"));
    }
    if (const std::size_t n = c.count(CheckChange::kRegressed)) {
      parts.push_back(fmt::format("{} check{} went to FAIL", n, n == 1 ? "" : "s"));
    }
    if (c.candidate.verdict_status == "no-gpu" && !c.neither_has_gpu) {
      parts.push_back("B has no usable GPU");
    }
    const std::string regression = fmt::format("REGRESSION: {}", fmt::join(parts, ", "));
    return text.empty() ? regression : text + "; " + regression;
  }
  if (!text.empty()) return text;
  return fmt::format("no regression: benchmarks {}; checks {}", bench_counts(c), check_counts(c));
}

std::string render_text(const Comparison& c, const RenderStyle& style) {
  std::string out;
  out += fmt::format("gpuval compare  A (reference): {}  B (candidate): {}\n", c.reference.label,
                     c.candidate.label);
  const char* head_color = !c.regressions.empty() ? kRed : c.neither_has_gpu ? kYellow : kGreen;
  out += paint(style, head_color, headline(c)) + "\n";
  for (const RunSummary* run : {&c.reference, &c.candidate}) {
    if (run->verdict_status == "no-gpu" || run->verdict_status == "interrupted") {
      out += fmt::format("  {} was {}: {}\n", run == &c.reference ? "A" : "B", run->verdict_status,
                         run->verdict_summary);
    }
  }

  out += "\n" + paint(style, kBold, "Environment") + ": ";
  if (c.environment.empty()) {
    out += "no differences\n";
  } else {
    out += fmt::format("{} difference{}\n", c.environment.size(),
                       c.environment.size() == 1 ? "" : "s");
    std::size_t w_field = 0, w_ref = 0;
    for (const EnvDifference& d : c.environment) {
      w_field = std::max(w_field, d.field.size());
      w_ref = std::max(w_ref, display_env_value(d.field, d.reference).size());
    }
    for (const EnvDifference& d : c.environment) {
      out += fmt::format("  {}  {}  ->  {}\n", pad(d.field, w_field),
                         pad(display_env_value(d.field, d.reference), w_ref),
                         display_env_value(d.field, d.candidate));
    }
  }

  out += "\n" + paint(style, kBold, "Checks") + ": " + check_counts(c) + "\n";
  std::size_t w_id = 0;
  for (const CheckComparison& k : c.checks) w_id = std::max(w_id, k.id.size());
  for (const CheckComparison& k : c.checks) {
    if (k.change == CheckChange::kSame) continue;
    out += fmt::format("  {}  {}  {} -> {}  {}\n",
                       paint(style, color_of(k.change), pad(std::string(to_string(k.change)), 9)),
                       pad(k.id, w_id), status_or_none(k.status_reference),
                       status_or_none(k.status_candidate), k.message);
    if (!k.hint.empty() && (k.status_candidate == "FAIL" || k.status_candidate == "WARN")) {
      out +=
          fmt::format("  {}  {}  hint: {}\n", std::string(9, ' '), std::string(w_id, ' '), k.hint);
    }
  }

  out += "\n" + paint(style, kBold, "Benchmarks") + ": " + bench_counts(c) + "\n";
  if (!c.benchmarks.empty()) {
    std::size_t w_name = 9, w_unit = 4;
    for (const BenchmarkComparison& b : c.benchmarks) {
      w_name = std::max(w_name, bench_name(b).size());
      w_unit = std::max(w_unit, b.unit.size());
    }
    out += fmt::format("  {}  {}  {}  {:>11}  {:>11}  {:>8}  {:>7}  {:>7}\n", pad("verdict", 12),
                       pad("benchmark", w_name), pad("unit", w_unit), "A median", "B median", "B/A",
                       "p", "n A/B");
    for (const BenchmarkComparison& b : c.benchmarks) {
      out +=
          fmt::format("  {}  {}  {}  {:>11}  {:>11}  {:>8}  {:>7}  {:>7}\n",
                      paint(style, color_of(b.verdict), pad(std::string(to_string(b.verdict)), 12)),
                      pad(bench_name(b), w_name), pad(b.unit, w_unit), number(b.median_reference),
                      number(b.median_candidate), ratio_text(b.ratio), p_text(b.p_value),
                      pad_left(fmt::format("{}/{}", b.n_reference, b.n_candidate), 7));
      if (b.verdict != BenchVerdict::kSame && !b.reason.empty()) {
        out += fmt::format("  {}  {}\n", std::string(12, ' '), b.reason);
      }
    }
  }

  out += "\n" + options_line(c) + "\n";
  if (!c.regressions.empty()) {
    out += paint(style, kRed, "Regressions (exit 1):") + "\n";
    for (const std::string& r : c.regressions) out += "  - " + r + "\n";
  }
  return out;
}

std::string render_markdown(const Comparison& c) {
  std::string out = "## gpuval compare\n\n";
  for (const RunSummary* run : {&c.reference, &c.candidate}) {
    const bool is_ref = run == &c.reference;
    out += fmt::format("- **{}** ({}): `{}`", is_ref ? "A" : "B",
                       is_ref ? "reference" : "candidate", run->label);
    if (!run->run_id.empty()) out += fmt::format(", run `{}`", run->run_id);
    if (!run->started_at.empty()) out += fmt::format(", {}", run->started_at);
    if (!run->verdict_status.empty()) out += fmt::format(", verdict {}", run->verdict_status);
    out += "\n";
  }
  out += fmt::format("\n**{}**\n\n", md_cell(headline(c)));
  if (!c.regressions.empty()) {
    for (const std::string& r : c.regressions) out += "- " + md_cell(r) + "\n";
    out += "\n";
  }

  out += "### Environment\n\n";
  if (c.environment.empty()) {
    out += "No differences.\n\n";
  } else {
    out += md_row({"field", "A", "B"}) + "|---|---|---|\n";
    for (const EnvDifference& d : c.environment) {
      out += md_row({"`" + d.field + "`", display_env_value(d.field, d.reference),
                     display_env_value(d.field, d.candidate)});
    }
    out += "\n";
  }

  out += "### Checks\n\n" + check_counts(c) + ".\n\n";
  if (c.count(CheckChange::kSame) != c.checks.size()) {
    out += md_row({"check", "A", "B", "change", "message", "hint"}) + "|---|---|---|---|---|---|\n";
    for (const CheckComparison& k : c.checks) {
      if (k.change == CheckChange::kSame) continue;
      out += md_row({"`" + k.id + "`", status_or_none(k.status_reference),
                     status_or_none(k.status_candidate), std::string(to_string(k.change)),
                     k.message, k.hint});
    }
    out += "\n";
  }

  out += "### Benchmarks\n\n" + bench_counts(c) + ".\n\n";
  if (!c.benchmarks.empty()) {
    out += md_row({"verdict", "benchmark", "unit", "A median", "B median", "B/A", "p", "n A/B",
                   "why"}) +
           "|---|---|---|--:|--:|--:|--:|--:|---|\n";
    for (const BenchmarkComparison& b : c.benchmarks) {
      const std::string verdict(to_string(b.verdict));
      out += md_row({b.verdict == BenchVerdict::kWorse ? "**" + verdict + "**" : verdict,
                     "`" + bench_name(b) + "`", b.unit, number(b.median_reference),
                     number(b.median_candidate), ratio_text(b.ratio), p_text(b.p_value),
                     fmt::format("{}/{}", b.n_reference, b.n_candidate), b.reason});
    }
    out += "\n";
  }
  out += "_" + options_line(c) + "._\n";
  return out;
}

json to_json(const Comparison& c) {
  auto run_json = [](const RunSummary& r) {
    return json{{"label", r.label},
                {"run_id", r.run_id},
                {"started_at", r.started_at},
                {"verdict", r.verdict_status},
                {"summary", r.verdict_summary}};
  };
  json env = json::array();
  for (const EnvDifference& d : c.environment) {
    env.push_back({{"field", d.field}, {"reference", d.reference}, {"candidate", d.candidate}});
  }
  json checks = json::array();
  for (const CheckComparison& k : c.checks) {
    checks.push_back(
        {{"id", k.id},
         {"title", k.title},
         {"reference", k.status_reference.empty() ? json(nullptr) : json(k.status_reference)},
         {"candidate", k.status_candidate.empty() ? json(nullptr) : json(k.status_candidate)},
         {"change", std::string(to_string(k.change))},
         {"message", k.message},
         {"hint", k.hint}});
  }
  json benchmarks = json::array();
  for (const BenchmarkComparison& b : c.benchmarks) {
    benchmarks.push_back({{"id", b.id},
                          {"device", b.device},
                          {"params", b.params},
                          {"unit", b.unit},
                          {"higher_is_better", b.higher_is_better},
                          {"verdict", std::string(to_string(b.verdict))},
                          {"n_reference", b.n_reference},
                          {"n_candidate", b.n_candidate},
                          {"median_reference", optional_json(b.median_reference)},
                          {"median_candidate", optional_json(b.median_candidate)},
                          {"cv_reference", optional_json(b.cv_reference)},
                          {"cv_candidate", optional_json(b.cv_candidate)},
                          {"ratio", optional_json(b.ratio)},
                          {"p_value", optional_json(b.p_value)},
                          {"reason", b.reason}});
  }
  json bench_summary = json::object();
  for (BenchVerdict v :
       {BenchVerdict::kBetter, BenchVerdict::kSame, BenchVerdict::kWorse,
        BenchVerdict::kInconclusive, BenchVerdict::kAdded, BenchVerdict::kRemoved}) {
    bench_summary[std::string(to_string(v))] = c.count(v);
  }
  json check_summary = json::object();
  for (CheckChange k :
       {CheckChange::kSame, CheckChange::kRegressed, CheckChange::kWorse, CheckChange::kImproved,
        CheckChange::kChanged, CheckChange::kAdded, CheckChange::kRemoved}) {
    check_summary[std::string(to_string(k))] = c.count(k);
  }
  return json{{"schema", std::string(kCompareSchema)},
              {"reference", run_json(c.reference)},
              {"candidate", run_json(c.candidate)},
              {"options",
               {{"alpha", c.options.alpha},
                {"min_effect", c.options.min_effect},
                {"huge_effect", c.options.huge_effect}}},
              {"headline", headline(c)},
              {"neither_has_gpu", c.neither_has_gpu},
              {"regressions", c.regressions},
              {"exit_code", c.exit_code()},
              {"environment", std::move(env)},
              {"checks", std::move(checks)},
              {"benchmarks", std::move(benchmarks)},
              {"summary", {{"benchmarks", bench_summary}, {"checks", check_summary}}}};
}

}  // namespace gpuval::compare
