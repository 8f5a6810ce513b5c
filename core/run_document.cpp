#include "core/run_document.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>

namespace gpuval {
namespace {

using nlohmann::json;

void require(const json& obj, std::string_view section, std::string_view key, json::value_t type,
             std::string_view type_name) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    throw DocumentError(
        fmt::format("missing required field \"{}{}{}\"", section, section.empty() ? "" : ".", key));
  }
  bool ok = it->type() == type || (type == json::value_t::number_float && it->is_number()) ||
            (type == json::value_t::number_integer && it->is_number_integer());
  if (!ok) {
    throw DocumentError(fmt::format("field \"{}{}{}\" must be {} (found {})", section,
                                    section.empty() ? "" : ".", key, type_name, it->type_name()));
  }
}

int schema_major(const std::string& schema) {
  constexpr std::string_view kPrefix = "gpuval.run/";
  if (schema.rfind(kPrefix, 0) != 0) {
    throw DocumentError(fmt::format("not a gpuval run document (schema \"{}\")", schema));
  }
  std::string rest = schema.substr(kPrefix.size());
  std::string major = rest.substr(0, rest.find('.'));
  // At most 6 digits (as the report's reader): "gpuval.run/99999999999" is malformed, not an
  // integer overflow.
  if (major.empty() || major.size() > 6 ||
      major.find_first_not_of("0123456789") != std::string::npos) {
    throw DocumentError(fmt::format("malformed schema version \"{}\"", schema));
  }
  return std::stoi(major);
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag, cut to one short line
// (the token it quotes may be megabytes long).
std::string exception_text(const char* what) {
  std::string_view text(what);
  if (text.starts_with("[json.exception.")) {
    if (auto end = text.find("] "); end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  constexpr std::size_t kMaxMessage = 240;
  if (text.size() <= kMaxMessage) return std::string(text);
  return std::string(text.substr(0, kMaxMessage)) + "...";
}

// What nlohmann does not check: nesting depth (its DOM is built iteratively, but copies, dumps
// and comparisons recurse) and NUL bytes (it takes one as the end of the text, so
// "{}<NUL>garbage" would parse). Throws DocumentError at the first breach.
void check_json_limits(std::string_view text, std::string_view origin) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0') {
      throw DocumentError(fmt::format("{}: malformed JSON at byte {}: a NUL byte", origin, i));
    }
    if (in_string) {
      if (c == '\\') {
        ++i;  // an escaped character (a NUL here is an invalid escape nlohmann rejects)
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        throw DocumentError(fmt::format("{}: JSON nested deeper than {} levels (at byte {})",
                                        origin, kMaxJsonDepth, i));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

}  // namespace

void validate_run_document(const json& doc) {
  if (!doc.is_object()) throw DocumentError("a run document must be a JSON object");
  require(doc, "", "schema", json::value_t::string, "a string");
  const int major = schema_major(doc["schema"].get<std::string>());
  if (major != kRunSchemaMajor) {
    throw DocumentError(fmt::format(
        "schema \"{}\" has major version {}, this gpuval reads major {} only: use a gpuval "
        "release that matches the document",
        doc["schema"].get<std::string>(), major, kRunSchemaMajor));
  }
  require(doc, "", "tool", json::value_t::object, "an object");
  require(doc, "", "run", json::value_t::object, "an object");
  require(doc, "", "environment", json::value_t::object, "an object");
  require(doc, "", "checks", json::value_t::array, "an array");
  require(doc, "", "benchmarks", json::value_t::array, "an array");
  require(doc, "", "devices", json::value_t::array, "an array");
  require(doc, "", "verdict", json::value_t::object, "an object");
  require(doc["verdict"], "verdict", "status", json::value_t::string, "a string");
  require(doc["verdict"], "verdict", "exit_code", json::value_t::number_integer, "an integer");
  std::size_t i = 0;
  for (const json& c : doc["checks"]) {
    const std::string where = fmt::format("checks[{}]", i++);
    if (!c.is_object()) throw DocumentError(where + " must be an object");
    require(c, where, "id", json::value_t::string, "a string");
    require(c, where, "status", json::value_t::string, "a string");
  }
  i = 0;
  for (const json& b : doc["benchmarks"]) {
    const std::string where = fmt::format("benchmarks[{}]", i++);
    if (!b.is_object()) throw DocumentError(where + " must be an object");
    require(b, where, "id", json::value_t::string, "a string");
    require(b, where, "unit", json::value_t::string, "a string");
    require(b, where, "samples", json::value_t::array, "an array");
  }
}

json parse_json_text(std::string_view text, std::string_view origin) {
  check_json_limits(text, origin);
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    const bool truncated = e.byte >= text.size();
    throw DocumentError(fmt::format("{}: {} JSON at byte {}: {}", origin,
                                    truncated ? "truncated" : "malformed", e.byte,
                                    exception_text(e.what())));
  } catch (const json::exception& e) {
    // out_of_range 406: a number beyond the range of a double ("1e999").
    throw DocumentError(fmt::format("{}: malformed JSON: {}", origin, exception_text(e.what())));
  } catch (const std::bad_alloc&) {
    throw DocumentError(fmt::format("{}: out of memory while parsing", origin));
  }
}

json parse_run_document(std::string_view text, std::string_view origin) {
  json doc = parse_json_text(text, origin);
  try {
    validate_run_document(doc);
  } catch (const DocumentError& e) {
    throw DocumentError(fmt::format("{}: {}", origin, e.what()));
  }
  return doc;
}

std::string dump_run_document(const json& doc) {
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string read_document_text(const std::filesystem::path& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    throw DocumentError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw DocumentError(fmt::format("{}: not a regular file", path.string()));
  }
  const auto too_large = [&](std::string_view size) {
    return DocumentError(fmt::format("{}: {} is larger than the {} MiB a run document may have",
                                     path.string(), size, kMaxDocumentBytes >> 20));
  };
  if (static_cast<std::uint64_t>(st.st_size) > kMaxDocumentBytes) {
    throw too_large(fmt::format("the file ({} bytes)", st.st_size));
  }
  std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (used > kMaxDocumentBytes) throw too_large("the file (still growing)");
      text.resize(std::min(2 * used, kMaxDocumentBytes + 1));
    }
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw DocumentError(fmt::format("{}: cannot read: {}", path.string(), std::strerror(errno)));
    }
    used += static_cast<std::size_t>(n);
  }
  text.resize(used);
  return text;
}

json read_run_document(const std::filesystem::path& path) {
  return parse_run_document(read_document_text(path), path.string());
}

}  // namespace gpuval
