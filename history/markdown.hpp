// Markdown summary of a nightly check (for a CI job page or a chat message): the overall result,
// a table with one row per run document, then per document its baseline, regressions, failed
// checks and the full comparison (compare::render_markdown) folded in <details>.
#pragma once

#include <string>

#include "history/nightly_check.hpp"

namespace gpuval::history {

std::string render_nightly_markdown(const NightlyResult& result, const NightlyOptions& options);

// One word for an exit code: OK, REGRESSION OR FAILED CHECK, BAD INPUT, NO GPU.
std::string exit_code_word(int code);

}  // namespace gpuval::history
