#include "validate/parsers/mig_minors.hpp"

#include <charconv>

namespace gpuval {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<unsigned> number(std::string_view s) {
  unsigned v = 0;
  if (s.empty() || s.size() > 9) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "<prefix><number>" as the number, e.g. ("gi12", "gi") -> 12.
std::optional<unsigned> prefixed(std::string_view s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return std::nullopt;
  return number(s.substr(prefix.size()));
}

// Fills the kind and ids of `cap` from its name; false for a name of no known shape.
bool classify(MigCap& cap) {
  if (cap.name == "config") {
    cap.kind = MigCapKind::Config;
    return true;
  }
  if (cap.name == "monitor") {
    cap.kind = MigCapKind::Monitor;
    return true;
  }
  std::vector<std::string_view> parts;
  std::string_view rest = cap.name;
  for (auto slash = rest.find('/'); slash != std::string_view::npos; slash = rest.find('/')) {
    parts.push_back(rest.substr(0, slash));
    rest.remove_prefix(slash + 1);
  }
  parts.push_back(rest);
  if ((parts.size() != 3 && parts.size() != 4) || parts.back() != "access") return false;
  const auto gpu = prefixed(parts[0], "gpu");
  const auto gi = prefixed(parts[1], "gi");
  if (!gpu || !gi) return false;
  cap.gpu = static_cast<int>(*gpu);
  cap.gpu_instance = static_cast<int>(*gi);
  if (parts.size() == 3) {
    cap.kind = MigCapKind::GpuInstance;
    return true;
  }
  const auto ci = prefixed(parts[2], "ci");
  if (!ci) return false;
  cap.kind = MigCapKind::ComputeInstance;
  cap.compute_instance = static_cast<int>(*ci);
  return true;
}

}  // namespace

MigMinors parse_mig_minors(std::string_view text) {
  MigMinors out;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.empty()) continue;
    const auto space = line.find_first_of(" \t");
    MigCap cap;
    std::optional<unsigned> minor;
    if (space != std::string_view::npos) {
      cap.name = std::string(line.substr(0, space));
      minor = number(trim(line.substr(space)));
    }
    if (!minor || !classify(cap)) {
      out.bad_lines.emplace_back(line);
      continue;
    }
    cap.minor = *minor;
    out.caps.push_back(std::move(cap));
  }
  return out;
}

const MigCap* mig_cap_by_minor(const MigMinors& m, unsigned minor) {
  for (const MigCap& c : m.caps) {
    if (c.minor == minor) return &c;
  }
  return nullptr;
}

const MigCap* mig_cap_for(const MigMinors& m, int gpu, int gi, int ci) {
  const MigCapKind want = ci >= 0 ? MigCapKind::ComputeInstance : MigCapKind::GpuInstance;
  for (const MigCap& c : m.caps) {
    if (c.kind == want && c.gpu == gpu && c.gpu_instance == gi &&
        (ci < 0 || c.compute_instance == ci)) {
      return &c;
    }
  }
  return nullptr;
}

std::optional<unsigned> proc_devices_major(std::string_view text, std::string_view name) {
  bool in_char = false;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.starts_with("Character devices:")) {
      in_char = true;
      continue;
    }
    if (line.starts_with("Block devices:")) in_char = false;
    if (!in_char) continue;
    const auto space = line.find_first_of(" \t");
    if (space == std::string_view::npos) continue;
    if (trim(line.substr(space)) == name) return number(line.substr(0, space));
  }
  return std::nullopt;
}

}  // namespace gpuval
