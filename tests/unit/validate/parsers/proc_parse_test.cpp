#include "validate/parsers/proc_parse.hpp"

#include <gtest/gtest.h>

namespace gpuval {
namespace {

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

TEST(ProcParse, NumbersMustBeWholeTokens) {
  EXPECT_EQ(parse_u64(" 42\n"), 42u);
  EXPECT_EQ(parse_u64("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_u64("18446744073709551616").has_value());
  EXPECT_FALSE(parse_u64("42k").has_value());
  EXPECT_FALSE(parse_u64("-1").has_value());
  EXPECT_FALSE(parse_u64("").has_value());
  EXPECT_EQ(parse_hex_u64("000001fffeffffff"), 0x1fffeffffffULL);
  EXPECT_EQ(parse_hex_u64("0xff"), 0xffu);
  EXPECT_FALSE(parse_hex_u64("zz").has_value());
  EXPECT_FALSE(parse_hex_u64("0x").has_value());
}

TEST(ProcParse, CapabilityFieldFromStatus) {
  const char* status = "Name:\tgpuval\nCapInh:\t0000000000000000\nCapEff:\t00000000a80425fb\n";
  Parsed<uint64_t> eff = parse_capability_field(status, "CapEff");
  ASSERT_TRUE(eff);
  EXPECT_EQ(*eff.value, 0xa80425fbu);
  Parsed<uint64_t> missing = parse_capability_field(status, "CapBnd");
  EXPECT_FALSE(missing);
  EXPECT_CONTAINS(missing.error, "no CapBnd line");
  Parsed<uint64_t> bad = parse_capability_field("CapEff:\tnot-hex\n", "CapEff");
  EXPECT_FALSE(bad);
  EXPECT_CONTAINS(bad.error, "'not-hex'");
}

TEST(ProcParse, MemTotalInBytes) {
  Parsed<uint64_t> m = parse_mem_total("MemTotal:       16384 kB\nMemFree: 1 kB\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m.value, 16384u * 1024);
  EXPECT_FALSE(parse_mem_total("MemFree: 1 kB\n"));
  Parsed<uint64_t> bad = parse_mem_total("MemTotal: lots kB\n");
  EXPECT_FALSE(bad);
  EXPECT_CONTAINS(bad.error, "lots");
  EXPECT_FALSE(parse_mem_total("MemTotal: 12 MB\n"));
}

constexpr std::string_view kLimits =
    "Limit                     Soft Limit           Hard Limit           Units     \n"
    "Max open files            1024                 1024                 files     \n"
    "Max locked memory         8388608              unlimited            bytes     \n";

TEST(ProcParse, ResourceLimitRow) {
  Parsed<ResourceLimit> l = parse_resource_limit(kLimits, "Max locked memory");
  ASSERT_TRUE(l);
  EXPECT_EQ(l.value->soft, 8388608u);
  EXPECT_FALSE(l.value->hard.has_value());
  EXPECT_EQ(l.value->unit, "bytes");
}

TEST(ProcParse, ResourceLimitMalformedRows) {
  Parsed<ResourceLimit> missing = parse_resource_limit(kLimits, "Max processes");
  EXPECT_FALSE(missing);
  EXPECT_CONTAINS(missing.error, "no 'Max processes' row");
  Parsed<ResourceLimit> bad =
      parse_resource_limit("Max locked memory  lots  1  bytes\n", "Max locked memory");
  EXPECT_FALSE(bad);
  EXPECT_CONTAINS(bad.error, "'lots'");
  Parsed<ResourceLimit> short_row =
      parse_resource_limit("Max locked memory  1\n", "Max locked memory");
  EXPECT_FALSE(short_row);
  EXPECT_CONTAINS(short_row.error, "no soft and hard");
  // A longer name sharing the prefix is a different row.
  EXPECT_FALSE(parse_resource_limit("Max locked memoryX 1 1 bytes\n", "Max locked memory"));
}

TEST(ProcParse, IdMaps) {
  Parsed<std::vector<IdMapRange>> identity = parse_id_map("         0          0 4294967295\n");
  ASSERT_TRUE(identity);
  EXPECT_TRUE(is_identity_id_map(*identity.value));
  Parsed<std::vector<IdMapRange>> rootless = parse_id_map("0 1000 1\n1 100000 65536\n");
  ASSERT_TRUE(rootless);
  EXPECT_FALSE(is_identity_id_map(*rootless.value));
  EXPECT_EQ(map_id(*rootless.value, 0), 1000u);
  EXPECT_EQ(map_id(*rootless.value, 5), 100004u);
  EXPECT_FALSE(map_id(*rootless.value, 65537).has_value());
  Parsed<std::vector<IdMapRange>> empty = parse_id_map("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty.value->empty());
}

TEST(ProcParse, IdMapMalformed) {
  Parsed<std::vector<IdMapRange>> bad = parse_id_map("0 x 1\n");
  EXPECT_FALSE(bad);
  EXPECT_CONTAINS(bad.error, "'0 x 1'");
  EXPECT_FALSE(parse_id_map("0 0\n"));
  EXPECT_FALSE(parse_id_map("0 0 1 2\n"));
}

TEST(ProcParse, ProcCgroupV1AndV2Lines) {
  Parsed<std::vector<CgroupMembership>> c =
      parse_proc_cgroup("4:memory:/libpod_parent/libpod-1\n2:cpu,cpuacct:/a:b\n0::/\n");
  ASSERT_TRUE(c);
  ASSERT_EQ(c.value->size(), 3u);
  EXPECT_EQ((*c.value)[0].hierarchy, 4);
  EXPECT_EQ((*c.value)[0].controllers, (std::vector<std::string>{"memory"}));
  EXPECT_EQ((*c.value)[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ((*c.value)[1].path, "/a:b");
  EXPECT_TRUE((*c.value)[2].controllers.empty());
  EXPECT_EQ((*c.value)[2].path, "/");
}

TEST(ProcParse, ProcCgroupMalformed) {
  for (const char* bad : {"memory:/a\n", "x:memory:/a\n", "4:memory:relative\n", "4:memory:\n"}) {
    Parsed<std::vector<CgroupMembership>> c = parse_proc_cgroup(bad);
    EXPECT_FALSE(c) << bad;
    EXPECT_CONTAINS(c.error, "id:controllers:/path");
  }
  Parsed<std::vector<CgroupMembership>> empty = parse_proc_cgroup("\n");
  EXPECT_FALSE(empty);
  EXPECT_CONTAINS(empty.error, "no cgroup lines");
}

TEST(ProcParse, MemoryLimits) {
  EXPECT_FALSE(parse_memory_max("max\n").value->has_value());
  EXPECT_EQ(*parse_memory_max("2147483648\n").value, 2147483648u);
  Parsed<std::optional<uint64_t>> bad = parse_memory_max("lots\n");
  EXPECT_FALSE(bad);
  EXPECT_CONTAINS(bad.error, "'lots'");
  EXPECT_FALSE(parse_v1_memory_limit("9223372036854771712\n").value->has_value());
  EXPECT_EQ(*parse_v1_memory_limit("2147483648\n").value, 2147483648u);
  EXPECT_FALSE(parse_v1_memory_limit("max"));
  EXPECT_FALSE(parse_v1_memory_limit(""));
}

TEST(ProcParse, CpuMax) {
  Parsed<CpuQuota> unlimited = parse_cpu_max("max 100000\n");
  ASSERT_TRUE(unlimited);
  EXPECT_FALSE(unlimited.value->cpus().has_value());
  Parsed<CpuQuota> two = parse_cpu_max("200000 100000\n");
  ASSERT_TRUE(two);
  EXPECT_DOUBLE_EQ(*two.value->cpus(), 2.0);
  for (const char* bad : {"", "100000", "abc 100000", "max 0", "1 2 3", "max x"}) {
    Parsed<CpuQuota> q = parse_cpu_max(bad);
    EXPECT_FALSE(q) << bad;
    EXPECT_CONTAINS(q.error, "<quota|max> <period>");
  }
}

TEST(ProcParse, CfsQuota) {
  Parsed<CpuQuota> unlimited = parse_cfs_quota("-1\n", "100000\n");
  ASSERT_TRUE(unlimited);
  EXPECT_FALSE(unlimited.value->cpus().has_value());
  Parsed<CpuQuota> half = parse_cfs_quota("50000\n", "100000\n");
  ASSERT_TRUE(half);
  EXPECT_DOUBLE_EQ(*half.value->cpus(), 0.5);
  Parsed<CpuQuota> bad_quota = parse_cfs_quota("-2", "100000");
  EXPECT_FALSE(bad_quota);
  EXPECT_CONTAINS(bad_quota.error, "cpu.cfs_quota_us");
  Parsed<CpuQuota> bad_period = parse_cfs_quota("1000", "0");
  EXPECT_FALSE(bad_period);
  EXPECT_CONTAINS(bad_period.error, "cpu.cfs_period_us");
}

TEST(ProcParse, TmpfsSizes) {
  EXPECT_EQ(*parse_tmpfs_size("65536k", std::nullopt).value, 64u << 20);
  EXPECT_EQ(*parse_tmpfs_size("1g", std::nullopt).value, 1u << 30);
  EXPECT_EQ(*parse_tmpfs_size("2M", std::nullopt).value, 2u << 20);
  EXPECT_EQ(*parse_tmpfs_size("4096", std::nullopt).value, 4096u);
  EXPECT_EQ(*parse_tmpfs_size("50%", uint64_t{8} << 30).value, uint64_t{4} << 30);
}

TEST(ProcParse, TmpfsSizesMalformed) {
  Parsed<uint64_t> pct = parse_tmpfs_size("50%", std::nullopt);
  EXPECT_FALSE(pct);
  EXPECT_CONTAINS(pct.error, "RAM size unknown");
  EXPECT_FALSE(parse_tmpfs_size("5000%", uint64_t{1} << 30));
  for (const char* bad : {"", "k", "12x", "1.5g", " 1 g"}) {
    EXPECT_FALSE(parse_tmpfs_size(bad, std::nullopt)) << bad;
  }
  Parsed<uint64_t> huge = parse_tmpfs_size("99999999999999999t", std::nullopt);
  EXPECT_FALSE(huge);
  EXPECT_CONTAINS(huge.error, "overflows");
}

TEST(ProcParse, KeyValues) {
  KeyValues kv = parse_key_values(
      "engine=\"podman-4.3.1\"\nname=\"x\"\n# comment\nrootless=1\nno-equals\n=empty-key\n\n");
  EXPECT_EQ(kv.values.at("engine"), "podman-4.3.1");
  EXPECT_EQ(kv.values.at("rootless"), "1");
  EXPECT_EQ(kv.values.size(), 3u);
  EXPECT_EQ(kv.malformed, (std::vector<std::string>{"no-equals", "=empty-key"}));
}

TEST(ProcParse, FormatBytes) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(64u << 20), "64 MiB");
  EXPECT_EQ(format_bytes(uint64_t{3} << 29), "1.5 GiB");
}

}  // namespace
}  // namespace gpuval
