// The run document: one JSON file per run, schema "gpuval.run/<major>" versioned apart from the
// tool (results/run.schema.json). Writers build it from check results; readers (compare, report)
// accept any minor of the supported major, ignore unknown fields and reject everything else with
// a DocumentError saying what is wrong.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gpuval {

inline constexpr std::string_view kRunSchema = "gpuval.run/1";
inline constexpr int kRunSchemaMajor = 1;

// Bad input in a run document: the message names the problem (and the file, when read from one).
class DocumentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Validates an already parsed document: schema major, required sections and their types.
// Throws DocumentError.
void validate_run_document(const nlohmann::json& doc);

// Parses text (throws DocumentError on malformed or truncated JSON, with the byte offset) and
// validates it. `origin` names the source in messages (a path, "<stdin>").
nlohmann::json parse_run_document(std::string_view text, std::string_view origin);

// Serialises a document for output. Text probed from the system (environment values, /proc files)
// may hold invalid UTF-8: it is replaced with U+FFFD instead of aborting the run.
std::string dump_run_document(const nlohmann::json& doc);

// Reads and validates a file. Throws DocumentError (missing file, unreadable, malformed, ...).
nlohmann::json read_run_document(const std::filesystem::path& path);

}  // namespace gpuval
