// The run document: one JSON file per run, schema "gpuval.run/<major>" versioned apart from the
// tool (results/run.schema.json). Writers build it from check results; readers (compare, report)
// accept any minor of the supported major, ignore unknown fields and reject everything else with
// a DocumentError saying what is wrong.
#pragma once

#include <cstddef>
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

// Limits every reader of run documents applies (compare, history, report), so that no input can
// exhaust memory or the stack: a file larger than kMaxDocumentBytes is refused unread, and JSON
// nested deeper than kMaxJsonDepth is refused (the report's pull parser has the same limit).
// A real run document is tens of kilobytes; a --full run on eight GPUs stays under 1 MiB.
inline constexpr std::size_t kMaxDocumentBytes = std::size_t{16} << 20;  // 16 MiB
inline constexpr int kMaxJsonDepth = 256;

// Validates an already parsed document: schema major, required sections and their types.
// Throws DocumentError.
void validate_run_document(const nlohmann::json& doc);

// Parses strict JSON (RFC 8259, UTF-8) as every document reader does. Throws DocumentError, and
// nothing else, naming `origin` and the byte: malformed or truncated JSON, a number outside the
// range of a double, nesting deeper than kMaxJsonDepth, a NUL byte.
nlohmann::json parse_json_text(std::string_view text, std::string_view origin);

// parse_json_text, then validate_run_document. `origin` names the source in messages (a path,
// "<stdin>").
nlohmann::json parse_run_document(std::string_view text, std::string_view origin);

// The whole content of a regular file of at most kMaxDocumentBytes. Throws DocumentError naming
// the path: missing, unreadable, not a regular file (a FIFO would block), too large.
std::string read_document_text(const std::filesystem::path& path);

// Serialises a document for output. Text probed from the system (environment values, /proc files)
// may hold invalid UTF-8: it is replaced with U+FFFD instead of aborting the run.
std::string dump_run_document(const nlohmann::json& doc);

// Reads and validates a file. Throws DocumentError (missing file, unreadable, malformed, ...).
nlohmann::json read_run_document(const std::filesystem::path& path);

}  // namespace gpuval
