#include "validate/parsers/cluster_parse.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace gpuval {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 60;
  std::string out(s.substr(0, kMax));
  for (char& c : out) {
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
  }
  return "'" + out + (s.size() > kMax ? "...'" : "'");
}

std::optional<unsigned> small_number(std::string_view s) {
  const std::optional<uint64_t> v = parse_u64(s);
  if (!v || *v > 0xFFFFFFFFull) return std::nullopt;
  return static_cast<unsigned>(*v);
}

}  // namespace

Parsed<IbPortAttribute> parse_ib_port_attribute(std::string_view text) {
  const std::string_view t = trim(text);
  const auto colon = t.find(':');
  if (colon == std::string_view::npos) {
    return Parsed<IbPortAttribute>::fail("expected 'N: NAME', got " + quoted(t));
  }
  const std::optional<unsigned> code = small_number(t.substr(0, colon));
  const std::string_view name = trim(t.substr(colon + 1));
  if (!code || name.empty()) {
    return Parsed<IbPortAttribute>::fail("expected 'N: NAME', got " + quoted(t));
  }
  return Parsed<IbPortAttribute>::ok({*code, std::string(name)});
}

Parsed<double> parse_ib_rate_gbps(std::string_view text) {
  const std::string_view t = trim(text);
  const auto space = t.find(' ');
  const std::string number(t.substr(0, space));
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(v >= 0) ||
      t.find("Gb/sec") == std::string_view::npos) {
    return Parsed<double>::fail("expected 'N Gb/sec (...)', got " + quoted(t));
  }
  return Parsed<double>::ok(v);
}

std::optional<unsigned> char_device_major(std::string_view proc_devices, std::string_view name) {
  bool in_char = false;
  std::size_t pos = 0;
  while (pos < proc_devices.size()) {
    auto eol = proc_devices.find('\n', pos);
    if (eol == std::string_view::npos) eol = proc_devices.size();
    const std::string_view line = trim(proc_devices.substr(pos, eol - pos));
    pos = eol + 1;
    if (line == "Character devices:") {
      in_char = true;
      continue;
    }
    if (line == "Block devices:") {
      in_char = false;
      continue;
    }
    if (!in_char) continue;
    const auto space = line.find(' ');
    if (space == std::string_view::npos) continue;
    if (trim(line.substr(space + 1)) == name) return small_number(line.substr(0, space));
  }
  return std::nullopt;
}

Parsed<ImexRequest> parse_imex_channels(std::string_view value) {
  ImexRequest r;
  std::string lower;
  for (char c : trim(value))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty() || lower == "none" || lower == "void") return Parsed<ImexRequest>::ok(r);
  if (lower == "all") {
    r.all = true;
    return Parsed<ImexRequest>::ok(r);
  }
  std::size_t start = 0;
  while (start <= lower.size()) {
    auto comma = lower.find(',', start);
    if (comma == std::string::npos) comma = lower.size();
    const std::string_view token = trim(std::string_view(lower).substr(start, comma - start));
    const std::optional<unsigned> channel = small_number(token);
    if (!channel) {
      return Parsed<ImexRequest>::fail("NVIDIA_IMEX_CHANNELS: " + quoted(token) +
                                       " is not a channel number (expected e.g. 0, 0,1 or all)");
    }
    r.channels.push_back(*channel);
    start = comma + 1;
  }
  std::sort(r.channels.begin(), r.channels.end());
  r.channels.erase(std::unique(r.channels.begin(), r.channels.end()), r.channels.end());
  return Parsed<ImexRequest>::ok(r);
}

std::optional<unsigned> imex_channel_of(std::string_view node_name) {
  constexpr std::string_view kPrefix = "channel";
  if (!node_name.starts_with(kPrefix) || node_name.size() == kPrefix.size()) return std::nullopt;
  const std::string_view digits = node_name.substr(kPrefix.size());
  if (!std::all_of(digits.begin(), digits.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return std::nullopt;
  }
  return small_number(digits);
}

Parsed<KernelVersion> parse_kernel_release(std::string_view text) {
  const std::string_view t = trim(text);
  const auto dot = t.find('.');
  if (dot == std::string_view::npos) {
    return Parsed<KernelVersion>::fail("expected 'MAJOR.MINOR...', got " + quoted(t));
  }
  std::size_t end = dot + 1;
  while (end < t.size() && std::isdigit(static_cast<unsigned char>(t[end]))) ++end;
  const std::optional<unsigned> major = small_number(t.substr(0, dot));
  const std::optional<unsigned> minor = small_number(t.substr(dot + 1, end - dot - 1));
  if (!major || !minor) {
    return Parsed<KernelVersion>::fail("expected 'MAJOR.MINOR...', got " + quoted(t));
  }
  return Parsed<KernelVersion>::ok({*major, *minor});
}

}  // namespace gpuval
