#include "validate/parsers/proc_parse.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>

namespace gpuval {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::vector<std::string_view> tokens_of(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r')) ++pos;
    size_t end = pos;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
    if (end > pos) out.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// Quote a token for an error message, cut so a binary file cannot flood the output.
std::string quoted(std::string_view s) {
  std::string t(s.substr(0, 60));
  for (char& c : t) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return "'" + t + (s.size() > 60 ? "...'" : "'");
}

// v1 reports "no limit" as PAGE_COUNTER_MAX * page size, about 2^63; anything this large is
// beyond any machine's memory.
constexpr uint64_t kV1UnlimitedThreshold = uint64_t{1} << 62;

}  // namespace

std::optional<uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> parse_hex_u64(std::string_view s) {
  s = trim(s);
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::string> find_colon_field(std::string_view text, std::string_view key) {
  for (std::string_view line : lines_of(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (trim(line.substr(0, colon)) == key) return std::string(trim(line.substr(colon + 1)));
  }
  return std::nullopt;
}

Parsed<uint64_t> parse_capability_field(std::string_view status, std::string_view key) {
  std::optional<std::string> field = find_colon_field(status, key);
  if (!field) return Parsed<uint64_t>::fail(fmt::format("no {} line", key));
  std::optional<uint64_t> bits = parse_hex_u64(*field);
  if (!bits)
    return Parsed<uint64_t>::fail(fmt::format("{} is not hexadecimal: {}", key, quoted(*field)));
  return Parsed<uint64_t>::ok(*bits);
}

Parsed<uint64_t> parse_mem_total(std::string_view meminfo) {
  std::optional<std::string> field = find_colon_field(meminfo, "MemTotal");
  if (!field) return Parsed<uint64_t>::fail("no MemTotal line");
  std::vector<std::string_view> t = tokens_of(*field);
  std::optional<uint64_t> kib = t.empty() ? std::nullopt : parse_u64(t[0]);
  if (!kib || t.size() > 2 || (t.size() == 2 && t[1] != "kB")) {
    return Parsed<uint64_t>::fail("MemTotal is not 'N kB': " + quoted(*field));
  }
  if (*kib > std::numeric_limits<uint64_t>::max() / 1024) {
    return Parsed<uint64_t>::fail("MemTotal overflows 64 bits: " + quoted(*field));
  }
  return Parsed<uint64_t>::ok(*kib * 1024);
}

Parsed<ResourceLimit> parse_resource_limit(std::string_view limits, std::string_view name) {
  for (std::string_view line : lines_of(limits)) {
    if (!line.starts_with(name)) continue;
    std::string_view rest = line.substr(name.size());
    // Guard against a longer name sharing the prefix ("Max locked memory2").
    if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') continue;
    std::vector<std::string_view> t = tokens_of(rest);
    if (t.size() < 2) {
      return Parsed<ResourceLimit>::fail(
          fmt::format("'{}' row has no soft and hard value: {}", name, quoted(line)));
    }
    ResourceLimit r;
    for (int i = 0; i < 2; ++i) {
      std::optional<uint64_t>& slot = i == 0 ? r.soft : r.hard;
      if (t[i] == "unlimited") continue;
      slot = parse_u64(t[i]);
      if (!slot) {
        return Parsed<ResourceLimit>::fail(
            fmt::format("'{}' value is not a number or 'unlimited': {}", name, quoted(t[i])));
      }
    }
    if (t.size() >= 3) r.unit = std::string(t[2]);
    return Parsed<ResourceLimit>::ok(std::move(r));
  }
  return Parsed<ResourceLimit>::fail(fmt::format("no '{}' row", name));
}

Parsed<std::vector<IdMapRange>> parse_id_map(std::string_view text) {
  std::vector<IdMapRange> map;
  for (std::string_view line : lines_of(text)) {
    std::vector<std::string_view> t = tokens_of(line);
    if (t.empty()) continue;
    std::optional<uint64_t> in, out, count;
    if (t.size() == 3) {
      in = parse_u64(t[0]);
      out = parse_u64(t[1]);
      count = parse_u64(t[2]);
    }
    if (!in || !out || !count) {
      return Parsed<std::vector<IdMapRange>>::fail("id map line is not 'inside outside count': " +
                                                   quoted(trim(line)));
    }
    map.push_back(IdMapRange{*in, *out, *count});
  }
  return Parsed<std::vector<IdMapRange>>::ok(std::move(map));
}

bool is_identity_id_map(const std::vector<IdMapRange>& map) {
  return map.size() == 1 && map[0].inside == 0 && map[0].outside == 0 &&
         map[0].count == 4294967295ULL;
}

std::optional<uint64_t> map_id(const std::vector<IdMapRange>& map, uint64_t inside) {
  for (const IdMapRange& r : map) {
    if (inside >= r.inside && inside - r.inside < r.count) return r.outside + (inside - r.inside);
  }
  return std::nullopt;
}

Parsed<std::vector<CgroupMembership>> parse_proc_cgroup(std::string_view text) {
  std::vector<CgroupMembership> out;
  for (std::string_view line : lines_of(text)) {
    line = trim(line);
    if (line.empty()) continue;
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    std::optional<uint64_t> id =
        c1 == std::string_view::npos ? std::nullopt : parse_u64(line.substr(0, c1));
    // The path may itself contain ':', so only the first two colons separate fields.
    if (c2 == std::string_view::npos || !id || id > 1u << 20 || line.substr(c2 + 1).empty() ||
        line[c2 + 1] != '/') {
      return Parsed<std::vector<CgroupMembership>>::fail(
          "cgroup line is not 'id:controllers:/path': " + quoted(line));
    }
    CgroupMembership m;
    m.hierarchy = static_cast<int>(*id);
    std::string_view ctrls = line.substr(c1 + 1, c2 - c1 - 1);
    size_t pos = 0;
    while (!ctrls.empty() && pos <= ctrls.size()) {
      size_t end = ctrls.find(',', pos);
      if (end == std::string_view::npos) end = ctrls.size();
      if (end > pos) m.controllers.emplace_back(ctrls.substr(pos, end - pos));
      pos = end + 1;
    }
    m.path = std::string(line.substr(c2 + 1));
    out.push_back(std::move(m));
  }
  if (out.empty()) return Parsed<std::vector<CgroupMembership>>::fail("no cgroup lines");
  return Parsed<std::vector<CgroupMembership>>::ok(std::move(out));
}

Parsed<std::optional<uint64_t>> parse_memory_max(std::string_view text) {
  std::string_view v = trim(text);
  if (v == "max") return Parsed<std::optional<uint64_t>>::ok(std::nullopt);
  std::optional<uint64_t> bytes = parse_u64(v);
  if (!bytes) {
    return Parsed<std::optional<uint64_t>>::fail("expected 'max' or a byte count, got " +
                                                 quoted(v));
  }
  return Parsed<std::optional<uint64_t>>::ok(bytes);
}

Parsed<std::optional<uint64_t>> parse_v1_memory_limit(std::string_view text) {
  std::string_view v = trim(text);
  std::optional<uint64_t> bytes = parse_u64(v);
  if (!bytes)
    return Parsed<std::optional<uint64_t>>::fail("expected a byte count, got " + quoted(v));
  if (*bytes >= kV1UnlimitedThreshold) return Parsed<std::optional<uint64_t>>::ok(std::nullopt);
  return Parsed<std::optional<uint64_t>>::ok(bytes);
}

std::optional<double> CpuQuota::cpus() const {
  if (!quota_us || period_us == 0) return std::nullopt;
  return static_cast<double>(*quota_us) / static_cast<double>(period_us);
}

Parsed<CpuQuota> parse_cpu_max(std::string_view text) {
  std::vector<std::string_view> t = tokens_of(trim(text));
  bool unlimited = t.size() == 2 && t[0] == "max";
  std::optional<uint64_t> period = t.size() == 2 ? parse_u64(t[1]) : std::nullopt;
  std::optional<uint64_t> quota = t.size() == 2 && !unlimited ? parse_u64(t[0]) : std::nullopt;
  if (!period || *period == 0 || (!unlimited && !quota)) {
    return Parsed<CpuQuota>::fail("expected '<quota|max> <period>', got " + quoted(trim(text)));
  }
  return Parsed<CpuQuota>::ok(CpuQuota{quota, *period});
}

Parsed<CpuQuota> parse_cfs_quota(std::string_view quota_text, std::string_view period_text) {
  std::string_view q = trim(quota_text);
  std::optional<uint64_t> period = parse_u64(period_text);
  if (!period || *period == 0) {
    return Parsed<CpuQuota>::fail("cpu.cfs_period_us is not a positive number: " +
                                  quoted(trim(period_text)));
  }
  if (q == "-1") return Parsed<CpuQuota>::ok(CpuQuota{std::nullopt, *period});
  std::optional<uint64_t> quota = parse_u64(q);
  if (!quota) return Parsed<CpuQuota>::fail("cpu.cfs_quota_us is not a number or -1: " + quoted(q));
  return Parsed<CpuQuota>::ok(CpuQuota{quota, *period});
}

Parsed<uint64_t> parse_tmpfs_size(std::string_view value, std::optional<uint64_t> mem_total) {
  std::string_view v = trim(value);
  if (v.empty()) return Parsed<uint64_t>::fail("empty size");
  char suffix = v.back();
  uint64_t scale = 1;
  bool percent = false;
  switch (suffix) {
    case 'k':
    case 'K':
      scale = uint64_t{1} << 10;
      break;
    case 'm':
    case 'M':
      scale = uint64_t{1} << 20;
      break;
    case 'g':
    case 'G':
      scale = uint64_t{1} << 30;
      break;
    case 't':
    case 'T':
      scale = uint64_t{1} << 40;
      break;
    case '%':
      percent = true;
      break;
    default:
      break;
  }
  std::string_view digits = (scale != 1 || percent) ? v.substr(0, v.size() - 1) : v;
  std::optional<uint64_t> n = parse_u64(digits);
  if (!n || digits != trim(digits))
    return Parsed<uint64_t>::fail("size is not N[k|m|g|t|%]: " + quoted(v));
  if (percent) {
    if (*n > 1000) return Parsed<uint64_t>::fail("size " + quoted(v) + " is over 1000% of RAM");
    if (!mem_total)
      return Parsed<uint64_t>::fail("size " + quoted(v) + " is a share of RAM, RAM size unknown");
    // Split so neither product overflows nor the remainder is lost.
    return Parsed<uint64_t>::ok(*mem_total / 100 * *n + *mem_total % 100 * *n / 100);
  }
  if (*n > std::numeric_limits<uint64_t>::max() / scale) {
    return Parsed<uint64_t>::fail("size overflows: " + quoted(v));
  }
  return Parsed<uint64_t>::ok(*n * scale);
}

KeyValues parse_key_values(std::string_view text) {
  KeyValues kv;
  for (std::string_view line : lines_of(text)) {
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    size_t eq = l.find('=');
    if (eq == std::string_view::npos || trim(l.substr(0, eq)).empty()) {
      kv.malformed.emplace_back(l.substr(0, 200));
      continue;
    }
    std::string_view value = trim(l.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    kv.values[std::string(trim(l.substr(0, eq)))] = std::string(value);
  }
  return kv;
}

std::string format_bytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  double v = static_cast<double>(bytes);
  while (v >= 1024.0 && unit < 6) {
    v /= 1024.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  if (v == static_cast<double>(static_cast<uint64_t>(v)))
    return fmt::format("{:.0f} {}", v, kUnits[unit]);
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

}  // namespace gpuval
