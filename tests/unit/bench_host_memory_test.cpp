// A failed pinned allocation says what was measured: the container's memory limit and usage and
// the host's free RAM, not RLIMIT_MEMLOCK (which cudaMallocHost does not obey).
#include <gtest/gtest.h>

#include "bench/host_memory.hpp"
#include "tests/support/fixture_tree.hpp"

namespace gpuval::bench {
namespace {

constexpr std::uint64_t kGiB = 1ull << 30;

TEST(PinnedFailure, ACgroupLimitTooSmallIsNamedWithItsUsage) {
  const PinnedFailure f =
      pinned_allocation_failure(std::size_t{1} << 30, "cudaMallocHost: cudaErrorMemoryAllocation",
                                HostMemoryNow{4 * kGiB, 3 * kGiB + kGiB / 2, 100 * kGiB});
  EXPECT_NE(f.message.find("pinned host allocation of 1.00 GiB failed"), std::string::npos);
  EXPECT_NE(f.message.find("container memory limit 4.00 GiB, 3.50 GiB in use"), std::string::npos)
      << f.message;
  EXPECT_NE(f.message.find("host MemAvailable 100.00 GiB"), std::string::npos);
  EXPECT_NE(f.hint.find("memory cgroup"), std::string::npos);
  EXPECT_NE(f.hint.find("--memory"), std::string::npos);
  EXPECT_EQ(f.hint.find("memlock"), std::string::npos) << "memlock does not limit cudaMallocHost";
}

TEST(PinnedFailure, HostShortOfRamOrNeitherSaySo) {
  PinnedFailure f = pinned_allocation_failure(std::size_t{1} << 30, "e",
                                              HostMemoryNow{std::nullopt, std::nullopt, kGiB / 2});
  EXPECT_NE(f.message.find("no container memory limit"), std::string::npos);
  EXPECT_NE(f.hint.find("short of free RAM"), std::string::npos);
  f = pinned_allocation_failure(std::size_t{1} << 30, "e",
                                HostMemoryNow{64 * kGiB, 2 * kGiB, 100 * kGiB});
  EXPECT_NE(f.hint.find("not limited by RLIMIT_MEMLOCK"), std::string::npos);
  EXPECT_NE(f.hint.find("dmesg"), std::string::npos);
}

TEST(PinnedFailure, UsageAndFreeRamAreReadFromTheCgroupAndMeminfo) {
  testing::FixtureTree tree;
  tree.write("/sys/fs/cgroup/memory.current", "3221225472\n");
  tree.write("/proc/meminfo",
             "MemTotal:       263812456 kB\nMemFree:        1000 kB\nMemAvailable:   "
             "104857600 kB\n");
  Facts facts;
  facts.memory_cgroup_dir = "/sys/fs/cgroup";
  facts.memory_cgroup_v2 = true;
  facts.memory_limit_bytes = 4 * kGiB;
  const HostMemoryNow m = read_host_memory(Sysroot(tree.root()), facts);
  EXPECT_EQ(m.cgroup_limit_bytes, 4 * kGiB);
  EXPECT_EQ(m.cgroup_usage_bytes, 3 * kGiB);
  EXPECT_EQ(m.mem_available_bytes, 100 * kGiB);
  facts.memory_cgroup_v2 = false;  // v1 reads memory.usage_in_bytes: absent here
  EXPECT_FALSE(read_host_memory(Sysroot(tree.root()), facts).cgroup_usage_bytes);
}

}  // namespace
}  // namespace gpuval::bench
