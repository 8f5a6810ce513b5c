#include "core/run_document.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gpuval {
namespace {

using nlohmann::json;

void require(const json& obj, std::string_view section, std::string_view key, json::value_t type,
             std::string_view type_name) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    throw DocumentError(fmt::format("missing required field \"{}{}{}\"", section,
                                    section.empty() ? "" : ".", key));
  }
  bool ok = it->type() == type ||
            (type == json::value_t::number_float && it->is_number()) ||
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
  if (major.empty() || major.find_first_not_of("0123456789") != std::string::npos) {
    throw DocumentError(fmt::format("malformed schema version \"{}\"", schema));
  }
  return std::stoi(major);
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

json parse_run_document(std::string_view text, std::string_view origin) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    const bool truncated = e.byte >= text.size();
    throw DocumentError(fmt::format("{}: {} JSON at byte {}: {}", origin,
                                    truncated ? "truncated" : "malformed", e.byte, e.what()));
  }
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

json read_run_document(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw DocumentError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_run_document(ss.str(), path.string());
}

}  // namespace gpuval
