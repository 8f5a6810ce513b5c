#include "validate/driver/cuda_versions.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <sstream>
#include <vector>

namespace gpuval {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;  // 9 digits always fit an int
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::string_view first_line(std::string_view text) {
  auto nl = text.find('\n');
  return nl == std::string_view::npos ? text : text.substr(0, nl);
}

// File content quoted in a message: control and non-ASCII bytes become '?', so a corrupt file
// cannot garble the terminal or the JSON document.
std::string printable(std::string_view s, std::size_t max_len) {
  std::string out(s.substr(0, max_len));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace

std::optional<DriverVersion> parse_driver_version(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto dot = s.find('.', start);
    parts.push_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  for (auto p : parts) {
    if (!all_digits(p)) return std::nullopt;
  }
  DriverVersion v;
  v.major = to_int(parts[0]);
  v.minor = to_int(parts[1]);
  v.patch = parts.size() == 3 ? to_int(parts[2]) : 0;
  v.text = std::string(s);
  return v;
}

std::string library_version_suffix(std::string_view path) {
  auto slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto so = name.find(".so.");
  if (so == std::string_view::npos) return {};
  std::string_view suffix = name.substr(so + 4);
  return parse_driver_version(suffix) ? std::string(suffix) : std::string();
}

KernelModuleParse parse_kernel_module_version(std::string_view file_text) {
  constexpr std::string_view kPrefix = "NVRM version:";
  std::string_view line;
  for (std::string_view rest = file_text; !rest.empty();) {
    std::string_view l = first_line(rest);
    if (l.starts_with(kPrefix)) {
      line = l;
      break;
    }
    rest.remove_prefix(std::min(rest.size(), l.size() + 1));
  }
  KernelModuleParse out;
  if (line.empty()) {
    out.error =
        "no \"NVRM version:\" line (first line: \"" + printable(first_line(file_text), 80) + "\")";
    return out;
  }
  KernelModuleInfo info;
  if (line.find("Open Kernel Module") != std::string_view::npos) {
    info.flavor = "open";
  } else if (line.find("Kernel Module") != std::string_view::npos) {
    info.flavor = "proprietary";
  }
  static constexpr std::array<std::string_view, 4> kArches = {"x86_64", "aarch64", "ppc64le",
                                                              "arm64"};
  std::istringstream words{std::string(line.substr(kPrefix.size()))};
  for (std::string w; words >> w;) {
    for (auto arch : kArches) {
      if (info.arch.empty() && w == arch) info.arch = w;
    }
    if (info.version.empty() && parse_driver_version(w)) info.version = w;
  }
  if (info.version.empty()) {
    out.error = "no driver version in \"" + printable(line, 120) + "\"";
    return out;
  }
  out.info = std::move(info);
  return out;
}

std::string cuda_version_string(int v) {
  if (v <= 0) return "unknown";
  return std::to_string(cuda_major(v)) + "." + std::to_string(cuda_minor(v));
}

std::optional<DriverVersion> minor_compat_floor(int cuda_major_version) {
  switch (cuda_major_version) {
    case 11:
      return parse_driver_version("450.80.02");
    case 12:
      return parse_driver_version("525.60.13");
    case 13:
      return parse_driver_version("580.65.06");
    default:
      return std::nullopt;
  }
}

}  // namespace gpuval
