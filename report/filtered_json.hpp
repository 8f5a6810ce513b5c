// A DOM of only the parts of a JSON document a caller asks for, built with the pull parser
// (report/json_reader.hpp): members keep() rejects are skipped without being built (their syntax
// is still checked). For readers of many run documents that need more than a RunSummary (the
// nightly history's baseline); the report itself reads documents with read_run_summary.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "report/json_reader.hpp"

namespace gpuval::report {

// Whether the member `key` of an object is kept. `section` is the key of the root member the
// object lies in ("" in the root object itself), `depth` the object's nesting level (root object
// 1, each array or object below adds 1: benchmarks[i] is 3, benchmarks[i].params 4).
using KeepMember = bool (*)(std::string_view section, int depth, std::string_view key);

struct FilteredParse {
  nlohmann::json doc;          // the document less the members keep() rejected
  bool ok = false;             // false: not valid JSON (or nested deeper than kMaxFilteredDepth)
  std::size_t error_byte = 0;  // where parsing stopped when !ok
};

inline constexpr int kMaxFilteredDepth = JsonReader::kMaxDepth;

FilteredParse parse_filtered_json(std::string_view text, KeepMember keep);

}  // namespace gpuval::report
