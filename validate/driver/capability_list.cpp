#include "validate/driver/capability_list.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace gpuval {
namespace {

constexpr std::array<std::pair<std::string_view, DriverCapability>, 7> kNames = {{
    {"compute", DriverCapability::Compute},
    {"compat32", DriverCapability::Compat32},
    {"graphics", DriverCapability::Graphics},
    {"utility", DriverCapability::Utility},
    {"video", DriverCapability::Video},
    {"display", DriverCapability::Display},
    {"ngx", DriverCapability::Ngx},
}};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

void add_unique(std::vector<DriverCapability>& caps, DriverCapability cap) {
  if (std::find(caps.begin(), caps.end(), cap) == caps.end()) caps.push_back(cap);
}

}  // namespace

std::string_view to_string(DriverCapability cap) {
  for (const auto& [name, c] : kNames) {
    if (c == cap) return name;
  }
  return "unknown";
}

std::optional<DriverCapability> driver_capability_from_string(std::string_view name) {
  for (const auto& [n, c] : kNames) {
    if (n == name) return c;
  }
  return std::nullopt;
}

const std::vector<DriverCapability>& all_driver_capabilities() {
  static const std::vector<DriverCapability> kAll = [] {
    std::vector<DriverCapability> v;
    for (const auto& entry : kNames) v.push_back(entry.second);
    return v;
  }();
  return kAll;
}

bool DriverCapabilities::has(DriverCapability cap) const {
  return std::find(requested.begin(), requested.end(), cap) != requested.end();
}

std::string_view to_string(DriverCapabilities::Mode mode) {
  switch (mode) {
    case DriverCapabilities::Mode::Default:
      return "default";
    case DriverCapabilities::Mode::All:
      return "all";
    case DriverCapabilities::Mode::List:
      return "list";
  }
  return "unknown";
}

DriverCapabilities parse_driver_capabilities(const std::optional<std::string>& value) {
  DriverCapabilities r;
  r.raw = value;
  std::string_view v = value ? trim(*value) : std::string_view{};
  if (v.empty()) {
    r.requested = {DriverCapability::Utility, DriverCapability::Compute};
    return r;
  }
  r.mode = DriverCapabilities::Mode::List;
  bool all = false;
  for (;;) {
    auto comma = v.find(',');
    std::string_view token = trim(v.substr(0, comma));
    if (token == "all") {
      all = true;
    } else if (auto cap = driver_capability_from_string(token)) {
      add_unique(r.requested, *cap);
    } else if (!token.empty()) {
      std::string folded = lower(token);
      std::string reason = folded == "all" || driver_capability_from_string(folded)
                               ? "capability names are lowercase: use '" + folded + "'"
                               : "not a driver capability (compute, compat32, graphics, "
                                 "utility, video, display, ngx, all)";
      r.unknown.push_back({std::string(token), std::move(reason)});
    }
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  if (all) {
    r.mode = DriverCapabilities::Mode::All;
    r.requested = all_driver_capabilities();
  }
  return r;
}

}  // namespace gpuval
