#include "tests/unit/validate/container_scenario.hpp"

namespace gpuval {
namespace {

using testing::Scenario;

// A container with its own cgroup namespace on a cgroup v2 host: it sees its cgroup as "/".
void v2_namespaced(Scenario& s) {
  s.tree.write("/proc/self/cgroup", "0::/\n");
  s.tree.write("/proc/self/mountinfo",
               "600 500 0:80 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
  s.tree.mkdir("/sys/fs/cgroup");
}

// A podman container on a cgroup v1 host without a cgroup namespace (captured on the build
// machine): the mount's root is the container's cgroup, so the files sit at the mount point.
void v1_podman(Scenario& s) {
  const std::string cg = "/libpod_parent/libpod-9459";
  s.tree.write("/proc/self/cgroup",
               "4:memory:" + cg + "\n1:cpu,cpuacct:" + cg + "\n0::" + cg + "\n");
  s.tree.write("/proc/self/mountinfo",
               "85 81 0:32 " + cg + " /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n" +
                   "82 81 0:29 " + cg +
                   " /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n");
  s.tree.mkdir("/sys/fs/cgroup/memory");
  s.tree.mkdir("/sys/fs/cgroup/cpu,cpuacct");
}

CheckResult run(Scenario& s, CheckResult (*check)(const Context&, Facts&)) {
  CheckResult r = s.run(check);
  testing::expect_well_formed(r);
  return r;
}

TEST(CgroupMemoryCheck, V2Unlimited) {
  Scenario s;
  v2_namespaced(s);
  s.tree.write("/sys/fs/cgroup/memory.max", "max\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "unlimited (cgroup v2)");
  EXPECT_TRUE(r.metrics["limit_bytes"].is_null());
  EXPECT_EQ(r.metrics["cgroup_version"], 2);
}

TEST(CgroupMemoryCheck, V2SmallLimitWarns) {
  Scenario s;
  v2_namespaced(s);
  s.tree.write("/sys/fs/cgroup/memory.max", "2147483648\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "memory limit 2 GiB (< 4 GiB)");
  EXPECT_CONTAINS(r.message, "/sys/fs/cgroup/memory.max");
  EXPECT_CONTAINS(r.hint, "--memory=8g");
  EXPECT_CONTAINS(r.hint, "pinned host buffers");
  EXPECT_EQ(r.metrics["limit_bytes"], 2147483648u);
}

TEST(CgroupMemoryCheck, V2LargeLimitPasses) {
  Scenario s;
  v2_namespaced(s);
  s.tree.write("/sys/fs/cgroup/memory.max", "8589934592\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "memory limit 8 GiB (cgroup v2)");
}

TEST(CgroupMemoryCheck, V2TightestAncestorWins) {
  Scenario s;
  s.tree.write("/proc/self/cgroup", "0::/user.slice/session-1.scope\n");
  s.tree.write("/proc/self/mountinfo", "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  s.tree.write("/sys/fs/cgroup/user.slice/session-1.scope/memory.max", "max\n");
  s.tree.write("/sys/fs/cgroup/user.slice/memory.max", "1073741824\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_EQ(r.metrics["limit_file"], "/sys/fs/cgroup/user.slice/memory.max");
  EXPECT_EQ(r.metrics["cgroup_dir"], "/sys/fs/cgroup/user.slice/session-1.scope");
}

TEST(CgroupMemoryCheck, V2RootCgroupHasNoLimitFile) {
  Scenario s;
  v2_namespaced(s);
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "unlimited (cgroup v2)");
}

TEST(CgroupMemoryCheck, V1PodmanLimitFromTheMountRoot) {
  Scenario s;
  v1_podman(s);
  s.tree.write("/sys/fs/cgroup/memory/memory.limit_in_bytes", "2147483648\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_EQ(r.metrics["cgroup_version"], 1);
  EXPECT_EQ(r.metrics["limit_file"], "/sys/fs/cgroup/memory/memory.limit_in_bytes");
  EXPECT_CONTAINS(r.hint, "--memory=8g");
}

TEST(CgroupMemoryCheck, V1HugeValueIsUnlimited) {
  Scenario s;
  v1_podman(s);
  s.tree.write("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "unlimited (cgroup v1)");
}

TEST(CgroupMemoryCheck, V1WithoutMountinfoUsesTheUsualLayout) {
  Scenario s;
  s.tree.write("/proc/self/cgroup", "4:memory:/docker/abc\n");
  s.tree.write("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "17179869184\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "memory limit 16 GiB (cgroup v1)");
  EXPECT_EQ(r.metrics["cgroup_dir"], "/sys/fs/cgroup/memory/docker/abc");
}

TEST(CgroupMemoryCheck, MalformedLimitFileWarnsNamingIt) {
  Scenario s;
  v2_namespaced(s);
  s.tree.write("/sys/fs/cgroup/memory.max", "lots\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "/sys/fs/cgroup/memory.max");
  EXPECT_CONTAINS(r.message, "'lots'");
}

TEST(CgroupMemoryCheck, MissingProcCgroupWarns) {
  Scenario s;
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_EQ(r.message, "cannot read /proc/self/cgroup");
  EXPECT_CONTAINS(r.hint, "/sys/fs/cgroup");
}

TEST(CgroupMemoryCheck, MalformedProcCgroupWarns) {
  Scenario s;
  s.tree.write("/proc/self/cgroup", "garbage\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "/proc/self/cgroup");
  EXPECT_CONTAINS(r.message, "'garbage'");
}

TEST(CgroupMemoryCheck, NoMatchingHierarchyWarns) {
  Scenario s;
  s.tree.write("/proc/self/cgroup", "3:cpuset:/\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "no memory line");
}

TEST(CgroupMemoryCheck, MissingCgroupDirectoryWarns) {
  Scenario s;
  s.tree.write("/proc/self/cgroup", "0::/gone\n");
  s.tree.write("/proc/self/mountinfo", "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  CheckResult r = run(s, &checks::cgroup_memory);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "cgroup directory /sys/fs/cgroup/gone not found");
}

TEST(CgroupCpuCheck, V2Unlimited) {
  Scenario s;
  v2_namespaced(s);
  s.tree.write("/sys/fs/cgroup/cpu.max", "max 100000\n");
  CheckResult r = run(s, &checks::cgroup_cpu);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "unlimited");
  EXPECT_TRUE(r.metrics["cpus"].is_null());
}

TEST(CgroupCpuCheck, V2TwoCpusPasses) {
  Scenario s;
  v2_namespaced(s);
  s.tree.write("/sys/fs/cgroup/cpu.max", "200000 100000\n");
  CheckResult r = run(s, &checks::cgroup_cpu);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "CPU quota 2.00 CPUs (cgroup v2)");
  EXPECT_DOUBLE_EQ(r.metrics["cpus"].get<double>(), 2.0);
}

TEST(CgroupCpuCheck, V2HalfCpuWarns) {
  Scenario s;
  v2_namespaced(s);
  s.tree.write("/sys/fs/cgroup/cpu.max", "50000 100000\n");
  CheckResult r = run(s, &checks::cgroup_cpu);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "0.50 CPUs (< 1)");
  EXPECT_CONTAINS(r.hint, "--cpus=2");
  EXPECT_EQ(r.metrics["quota_us"], 50000);
  EXPECT_EQ(r.metrics["period_us"], 100000);
}

TEST(CgroupCpuCheck, V1PodmanQuotaOnCombinedController) {
  Scenario s;
  v1_podman(s);
  // Captured with `podman run --cpus=0.5`.
  s.tree.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "50000\n");
  s.tree.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  CheckResult r = run(s, &checks::cgroup_cpu);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_EQ(r.metrics["quota_file"], "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us");
  EXPECT_CONTAINS(r.hint, "--cpus=2");
}

TEST(CgroupCpuCheck, V1NoQuota) {
  Scenario s;
  v1_podman(s);
  s.tree.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  s.tree.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  CheckResult r = run(s, &checks::cgroup_cpu);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "unlimited (no CPU quota, cgroup v1)");
}

TEST(CgroupCpuCheck, V1QuotaWithoutPeriodWarnsNamingThePeriodFile) {
  Scenario s;
  v1_podman(s);
  s.tree.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "50000\n");
  CheckResult r = run(s, &checks::cgroup_cpu);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_EQ(r.message, "cannot read /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us");
}

TEST(CgroupCpuCheck, MalformedCpuMaxWarnsNamingIt) {
  for (const char* bad : {"abc 100000\n", "100000\n", "max 0\n", ""}) {
    Scenario s;
    v2_namespaced(s);
    s.tree.write("/sys/fs/cgroup/cpu.max", bad);
    CheckResult r = run(s, &checks::cgroup_cpu);
    EXPECT_EQ(r.status, Status::Warn) << bad;
    EXPECT_CONTAINS(r.message, "/sys/fs/cgroup/cpu.max");
  }
}

TEST(CgroupCpuCheck, MalformedCfsQuotaWarnsNamingIt) {
  Scenario s;
  v1_podman(s);
  s.tree.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "lots\n");
  s.tree.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  CheckResult r = run(s, &checks::cgroup_cpu);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "cpu.cfs_quota_us");
  EXPECT_CONTAINS(r.message, "'lots'");
}

}  // namespace
}  // namespace gpuval
