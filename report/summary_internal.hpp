// Shared by the report's loader and summarize(); not part of the report's interface.
#pragma once

#include <string>
#include <string_view>

#include "report/summary.hpp"

namespace gpuval::report {

// Time-like units are lower-is-better when a document does not say (as in gpuval compare).
bool unit_higher_is_better(std::string_view unit);

struct TextReading {
  enum class Kind { kRun, kNotRunDocument } kind = Kind::kNotRunDocument;
  RunSummary run;  // when kRun
};

// Reads a file's text: a summary, or kNotRunDocument for valid JSON that is not a gpuval run
// document (no "schema": "gpuval.run/..."). Throws JsonSyntaxError (report/json_reader.hpp) when
// the text is not JSON and DocumentError for a run document that cannot be used (another major,
// a required field missing or of the wrong type, no start time, host or mode).
TextReading read_run_summary(std::string_view text, std::string path);

}  // namespace gpuval::report
