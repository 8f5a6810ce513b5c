// Parsers for the small text files the limit and engine checks read: /proc/self/status,
// /proc/self/limits, /proc/self/uid_map, /proc/self/cgroup, /proc/meminfo, cgroup v1/v2 limit
// files, tmpfs size options and KEY="value" files such as /run/.containerenv.
// None throws: a malformed input gives an empty value and an error naming the bad token.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval {

template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // set when value is empty: what was wrong, quoting the bad token
  static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
  static Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }
  explicit operator bool() const { return value.has_value(); }
};

// Whole-token unsigned decimal / hexadecimal numbers (surrounding whitespace allowed).
std::optional<uint64_t> parse_u64(std::string_view s);
std::optional<uint64_t> parse_hex_u64(std::string_view s);

// "Key:\tvalue" files (/proc/self/status, /proc/meminfo): the value of `key`, trimmed.
std::optional<std::string> find_colon_field(std::string_view text, std::string_view key);
// CapEff, CapBnd, ... from /proc/self/status as a bit set.
Parsed<uint64_t> parse_capability_field(std::string_view status, std::string_view key);
// MemTotal from /proc/meminfo in bytes.
Parsed<uint64_t> parse_mem_total(std::string_view meminfo);

// One row of /proc/self/limits; nullopt soft/hard means "unlimited".
struct ResourceLimit {
  std::optional<uint64_t> soft;
  std::optional<uint64_t> hard;
  std::string unit;
};
// The row whose name is `name` ("Max locked memory").
Parsed<ResourceLimit> parse_resource_limit(std::string_view limits, std::string_view name);

// /proc/self/uid_map and gid_map: "inside outside count" per line.
struct IdMapRange {
  uint64_t inside = 0;
  uint64_t outside = 0;
  uint64_t count = 0;
};
Parsed<std::vector<IdMapRange>> parse_id_map(std::string_view text);
// The whole 32-bit id space mapped onto itself: no user namespace.
bool is_identity_id_map(const std::vector<IdMapRange>& map);
// The outside id that `inside` maps to, if mapped.
std::optional<uint64_t> map_id(const std::vector<IdMapRange>& map, uint64_t inside);

// /proc/self/cgroup: "hierarchy-id:controller,list:/path"; v2 is "0::/path".
struct CgroupMembership {
  int hierarchy = 0;
  std::vector<std::string> controllers;  // empty for the v2 unified hierarchy
  std::string path;
};
Parsed<std::vector<CgroupMembership>> parse_proc_cgroup(std::string_view text);

// cgroup v2 memory.max: "max" -> nullopt (unlimited), else bytes.
Parsed<std::optional<uint64_t>> parse_memory_max(std::string_view text);
// cgroup v1 memory.limit_in_bytes: a number; values near 2^63 mean unlimited (nullopt).
Parsed<std::optional<uint64_t>> parse_v1_memory_limit(std::string_view text);

// CPU bandwidth: quota per period in microseconds; no quota means unlimited.
struct CpuQuota {
  std::optional<uint64_t> quota_us;
  uint64_t period_us = 100000;
  std::optional<double> cpus() const;  // quota / period, nullopt when unlimited
};
// cgroup v2 cpu.max: "max 100000" or "200000 100000".
Parsed<CpuQuota> parse_cpu_max(std::string_view text);
// cgroup v1 cpu.cfs_quota_us ("-1" = unlimited) and cpu.cfs_period_us.
Parsed<CpuQuota> parse_cfs_quota(std::string_view quota_text, std::string_view period_text);

// A tmpfs size option ("65536k", "1g", "1048576", "50%"); percentages need the RAM size.
Parsed<uint64_t> parse_tmpfs_size(std::string_view value, std::optional<uint64_t> mem_total);

// KEY=value or KEY="value" lines (/run/.containerenv, /etc/os-release style).
struct KeyValues {
  std::map<std::string, std::string> values;
  std::vector<std::string> malformed;  // lines without "=" or with an empty key
};
KeyValues parse_key_values(std::string_view text);

// Human-readable byte count for messages: "64 MiB", "1.5 GiB", "512 B".
std::string format_bytes(uint64_t bytes);

}  // namespace gpuval
