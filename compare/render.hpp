// Output of `gpuval compare`: terminal table, Markdown (for CI comments and reports) and JSON
// (schema "gpuval.compare/1"). All three say the same things in the same order: the headline,
// environment differences, check changes, benchmark verdicts, what regressed.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "compare/compare.hpp"

namespace gpuval::compare {

inline constexpr std::string_view kCompareSchema = "gpuval.compare/1";

struct RenderStyle {
  bool color = false;  // ANSI colours (the caller decides: TTY, NO_COLOR, --no-color)
};

// One line: "neither run had a usable GPU: nothing to compare", "REGRESSION: ..." or
// "no regression: ...".
std::string headline(const Comparison& c);

std::string render_text(const Comparison& c, const RenderStyle& style);
std::string render_markdown(const Comparison& c);
nlohmann::json to_json(const Comparison& c);

// How an environment value reads to a person: null -> "(none)", CUDA versions as 12.4 (12040).
std::string display_env_value(const std::string& field, const nlohmann::json& value);

}  // namespace gpuval::compare
