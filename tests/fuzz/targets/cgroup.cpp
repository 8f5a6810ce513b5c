// cgroup files of any kernel: /proc/self/cgroup (v1 and v2 lines), v2 memory.max and cpu.max,
// v1 memory.limit_in_bytes, cpu.cfs_quota_us and cpu.cfs_period_us. The input is split at NUL
// bytes into the files. Properties: a parse either has a value or says why not; quotas have a
// positive period.
#include <string>

#include "tests/fuzz/fuzz_target.hpp"
#include "validate/parsers/proc_parse.hpp"

GPUVAL_FUZZ_TARGET(cgroup) {
  using namespace gpuval;
  const auto parts = fuzz::split_parts(fuzz::text_of(data, size), 3);
  const std::string_view first = parts[0];
  const std::string_view second = parts.size() > 1 ? parts[1] : std::string_view("100000");

  const auto membership = parse_proc_cgroup(first);
  FUZZ_CHECK(membership.value.has_value() != !membership.error.empty(), membership.error);
  if (membership) {
    for (const CgroupMembership& m : *membership.value) {
      FUZZ_CHECK(m.hierarchy >= 0 && !m.path.empty() && m.path.front() == '/', m.path);
      for (const std::string& c : m.controllers) FUZZ_CHECK(!c.empty());
    }
  }
  const auto memory_max = parse_memory_max(first);
  FUZZ_CHECK(memory_max.value.has_value() != !memory_max.error.empty());
  const auto v1_limit = parse_v1_memory_limit(first);
  FUZZ_CHECK(v1_limit.value.has_value() != !v1_limit.error.empty());

  for (const Parsed<CpuQuota>& q : {parse_cpu_max(first), parse_cfs_quota(first, second)}) {
    FUZZ_CHECK(q.value.has_value() != !q.error.empty(), q.error);
    if (q) {
      FUZZ_CHECK(q.value->period_us > 0);
      if (const auto cpus = q.value->cpus()) FUZZ_CHECK(*cpus >= 0);
      FUZZ_CHECK(q.value->cpus().has_value() == q.value->quota_us.has_value());
    }
  }
  if (parts.size() > 2) (void)parse_proc_cgroup(parts[2]);
  return 0;
}
