#include "history/identity.hpp"

#include <fmt/format.h>

#include <cctype>
#include <ctime>

#include "core/run_document.hpp"

namespace gpuval::history {
namespace {

using nlohmann::json;

const json& field(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string string_field(const json& obj, const char* key) {
  const json& v = field(obj, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// Reads `count` digits at text[pos]; false when they are not all digits.
bool digits(const std::string& text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

bool parse_rfc3339(const std::string& text, std::int64_t& epoch_seconds) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
      text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
      !digits(text, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos == start) return false;
  }
  int offset_s = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, om)) {
      return false;
    }
    offset_s = (oh * 60 + om) * 60 * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  epoch_seconds = static_cast<std::int64_t>(::timegm(&tm)) - offset_s;
  return true;
}

std::string utc_date(std::int64_t epoch_seconds) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::string mode_of(const json& doc) {
  const json& env = field(doc, "environment");
  if (string_field(env, "mode") != "container") return "baremetal";
  std::string engine = string_field(env, "engine");
  std::string injection = string_field(env, "injection");
  if (engine.empty()) engine = "container";
  if (injection.empty()) injection = "none";
  return engine + "-" + injection;
}

RunIdentity identify(const json& doc) {
  RunIdentity id;
  const json& run = field(doc, "run");
  id.run_id = string_field(run, "id");
  if (id.run_id.empty()) throw DocumentError("run.id is missing or empty");
  id.started_at = string_field(run, "started_at");
  if (!parse_rfc3339(id.started_at, id.started_epoch)) {
    throw DocumentError(
        fmt::format("run.started_at \"{}\" is not an RFC 3339 time", id.started_at));
  }
  id.night = utc_date(id.started_epoch);
  id.host = string_field(field(doc, "host"), "hostname");
  if (id.host.empty()) throw DocumentError("host.hostname is missing or empty");
  const json& devices = field(doc, "devices");
  if (devices.is_array()) {
    for (const json& d : devices) id.gpu_uuids.push_back(string_field(d, "uuid"));
  }
  id.gpu_model = devices.is_array() && !devices.empty() ? string_field(devices[0], "name") : "";
  if (id.gpu_model.empty())
    id.gpu_model = devices.is_array() && !devices.empty() ? "unknown GPU" : "no GPU";
  id.driver = string_field(field(doc, "driver"), "version");
  if (id.driver.empty()) id.driver = "none";
  // The two enums the history files and gates by: anything else is a document the schema (and
  // `gpuval report`) rejects, not a run to file under a guessed mode or gate as "not failed".
  const std::string mode = string_field(field(doc, "environment"), "mode");
  if (mode != "container" && mode != "baremetal") {
    throw DocumentError(
        fmt::format("environment.mode \"{}\" is neither \"container\" nor \"baremetal\"", mode));
  }
  id.mode = mode_of(doc);
  id.verdict = string_field(field(doc, "verdict"), "status");
  if (id.verdict != "pass" && id.verdict != "fail" && id.verdict != "no-gpu" &&
      id.verdict != "interrupted") {
    throw DocumentError(fmt::format(
        "verdict.status \"{}\" is not one of pass, fail, no-gpu, interrupted", id.verdict));
  }
  id.verdict_summary = string_field(field(doc, "verdict"), "summary");
  return id;
}

}  // namespace gpuval::history
