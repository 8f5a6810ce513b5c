// The small /proc and /run files the limit, security and engine checks read: /proc/self/status
// (CapEff, CapBnd), /proc/meminfo, /proc/self/limits, /proc/self/uid_map and gid_map,
// /run/.containerenv (KEY=value lines), tmpfs size options and plain numbers. Never a throw; a
// value or a reason; sizes do not wrap around.
#include <limits>
#include <string>

#include "tests/fuzz/fuzz_target.hpp"
#include "validate/parsers/proc_parse.hpp"

GPUVAL_FUZZ_TARGET(proc_status) {
  using namespace gpuval;
  const std::string_view text = fuzz::text_of(data, size);

  for (const char* key : {"CapEff", "CapBnd", "CapPrm"}) {
    const auto caps = parse_capability_field(text, key);
    FUZZ_CHECK(caps.value.has_value() != !caps.error.empty());
  }
  (void)find_colon_field(text, "Uid");
  const auto mem = parse_mem_total(text);
  FUZZ_CHECK(mem.value.has_value() != !mem.error.empty());
  if (mem) {
    // "MemTotal: N kB" is N * 1024 bytes, never a product that wrapped around.
    const std::string field = *find_colon_field(text, "MemTotal");
    const auto kib = parse_u64(field.substr(0, field.find_first_of(" \t")));
    FUZZ_CHECK(kib && *mem.value / 1024 == *kib, field);
  }

  for (const char* row : {"Max locked memory", "Max open files", ""}) {
    const auto limit = parse_resource_limit(text, row);
    FUZZ_CHECK(limit.value.has_value() != !limit.error.empty());
  }

  const auto map = parse_id_map(text);
  FUZZ_CHECK(map.value.has_value() != !map.error.empty());
  if (map) {
    (void)is_identity_id_map(*map.value);
    for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{1000}, std::uint64_t{65534},
                             std::uint64_t{4294967294u}}) {
      (void)map_id(*map.value, id);
    }
  }

  const KeyValues kv = parse_key_values(text);
  for (const auto& [key, value] : kv.values) FUZZ_CHECK(!key.empty());
  for (const std::string& line : kv.malformed) FUZZ_CHECK(line.size() <= 200);

  for (const std::optional<std::uint64_t> ram :
       {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{16ull << 30},
        std::optional<std::uint64_t>{std::numeric_limits<std::uint64_t>::max()}}) {
    const auto tmpfs = parse_tmpfs_size(text, ram);
    FUZZ_CHECK(tmpfs.value.has_value() != !tmpfs.error.empty());
  }
  if (const auto n = parse_u64(text)) (void)format_bytes(*n);
  if (const auto n = parse_hex_u64(text)) (void)format_bytes(*n);
  return 0;
}
