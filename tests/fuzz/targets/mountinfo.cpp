// /proc/self/mountinfo of any kernel (or any bytes): parse_mountinfo never throws, every line is
// an entry or listed as malformed, and lookups work on whatever was parsed.
#include "validate/parsers/mountinfo.hpp"

#include <string>

#include "tests/fuzz/fuzz_target.hpp"

GPUVAL_FUZZ_TARGET(mountinfo) {
  using namespace gpuval;
  const std::string_view text = fuzz::text_of(data, size);
  const MountTable table = parse_mountinfo(text);
  for (const std::string& line : table.malformed) FUZZ_CHECK(line.size() <= 200 + 3, line);
  for (const MountEntry& e : table.entries) {
    FUZZ_CHECK(table.at(e.mount_point) != nullptr, e.mount_point);
    (void)e.super_option("size");
    (void)e.has_super_option("memory");
    for (const std::string& f : e.optional_fields) FUZZ_CHECK(!f.empty() && f != "-");
  }
  (void)table.at("/proc/driver/nvidia");
  (void)table.at("/dev/shm");
  (void)unescape_mount_field(text);
  (void)find_mount_option(text, "size");
  (void)find_mount_option(text, "");
  return 0;
}
