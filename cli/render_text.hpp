// Human output of a run document: a table of checks (status, message, hint) and the verdict.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gpuval::cli {

struct TextStyle {
  bool color = false;  // ANSI colours: only on a TTY, never with NO_COLOR set
  int width = 100;     // wrap long messages to the terminal width
};

std::string render_checks_text(const nlohmann::json& doc, const TextStyle& style);
// The verdict line (and the fix when not passing); render_checks_text ends with it.
std::string render_verdict_text(const nlohmann::json& doc, const TextStyle& style);
// One line per benchmark: status, id, params, median with unit and fraction of peak, message.
std::string render_benchmarks_text(const nlohmann::json& doc, const TextStyle& style);
std::string render_info_text(const nlohmann::json& doc, const TextStyle& style);

// Colour is on when stdout is a TTY, NO_COLOR is unset and TERM is not "dumb".
TextStyle detect_text_style(bool no_color_flag);

}  // namespace gpuval::cli
