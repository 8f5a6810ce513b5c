#include "tests/unit/validate/container_scenario.hpp"

namespace gpuval {
namespace {

using testing::Scenario;

void shm_mount(Scenario& s, const std::string& super_options, const std::string& type = "tmpfs") {
  s.tree.write("/proc/self/mountinfo",
               "73 71 0:42 / /dev rw - tmpfs tmpfs rw,size=65536k,mode=755\n"
               "78 73 0:39 / /dev/shm rw,nosuid,nodev - " +
                   type + " shm " + super_options + "\n");
}

void limits_with_memlock(Scenario& s, const std::string& soft, const std::string& hard) {
  s.tree.write("/proc/self/limits",
               "Limit                     Soft Limit           Hard Limit           Units     \n"
               "Max open files            1024                 1024                 files     \n"
               "Max locked memory         " +
                   soft + "              " + hard + "   bytes     \n");
}

CheckResult run(Scenario& s, CheckResult (*check)(const Context&, Facts&)) {
  CheckResult r = s.run(check);
  testing::expect_well_formed(r);
  return r;
}

TEST(ShmCheck, PodmanDefault64MiBWarns) {
  Scenario s;
  s.in_container("podman");
  shm_mount(s, "rw,size=65536k");
  CheckResult r = run(s, &checks::shm_size);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "/dev/shm is 64 MiB (size=65536k), below 1 GiB");
  EXPECT_CONTAINS(r.hint, "--shm-size=1g");
  EXPECT_EQ(r.metrics["size_bytes"], 64u << 20);
}

TEST(ShmCheck, OneGibPasses) {
  Scenario s;
  shm_mount(s, "rw,size=1048576k");
  CheckResult r = run(s, &checks::shm_size);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "/dev/shm is 1 GiB (size=1048576k)");
}

TEST(ShmCheck, NoSizeOptionIsHalfOfRam) {
  Scenario s;
  shm_mount(s, "rw");
  s.tree.write("/proc/meminfo", "MemTotal:       16777216 kB\n");
  CheckResult r = run(s, &checks::shm_size);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "/dev/shm is 8 GiB (tmpfs default: half of RAM)");
}

TEST(ShmCheck, NoSizeOptionAndNoMeminfoPasses) {
  Scenario s;
  shm_mount(s, "rw");
  CheckResult r = run(s, &checks::shm_size);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "no size limit option");
  EXPECT_TRUE(r.metrics["size_bytes"].is_null());
}

TEST(ShmCheck, PercentSizeUsesRam) {
  Scenario s;
  shm_mount(s, "rw,size=1%");
  s.tree.write("/proc/meminfo", "MemTotal:       16777216 kB\n");
  CheckResult r = run(s, &checks::shm_size);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "size=1%");
}

TEST(ShmCheck, MissingMountWarns) {
  Scenario s;
  s.tree.write("/proc/self/mountinfo", "73 71 0:42 / /dev rw - tmpfs tmpfs rw,size=65536k\n");
  CheckResult r = run(s, &checks::shm_size);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "no filesystem mounted on /dev/shm");
  EXPECT_CONTAINS(r.hint, "--shm-size=1g");
}

TEST(ShmCheck, MalformedSizeWarnsNamingIt) {
  Scenario s;
  shm_mount(s, "rw,size=lots");
  CheckResult r = run(s, &checks::shm_size);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "'lots'");
  EXPECT_CONTAINS(r.message, "/proc/self/mountinfo");
}

TEST(ShmCheck, UnreadableMountinfoWarns) {
  Scenario s;
  CheckResult r = run(s, &checks::shm_size);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "cannot read /proc/self/mountinfo");
}

TEST(MemlockCheck, PodmanDefault8MiBWarnsWithTheUlimitTrap) {
  Scenario s;
  s.in_container("podman");
  limits_with_memlock(s, "8388608", "8388608");
  CheckResult r = run(s, &checks::memlock);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "locked-memory limit 8 MiB (hard 8 MiB), below 64 MiB");
  EXPECT_CONTAINS(r.message, "GPUDirect RDMA / NCCL");
  EXPECT_CONTAINS(r.hint, "--ulimit memlock=-1:-1");
  EXPECT_CONTAINS(r.hint, "--ulimit nofile=...");
  EXPECT_CONTAINS(r.hint, "one --ulimit replaces the configured defaults");
  EXPECT_EQ(r.metrics["soft_bytes"], 8388608);
}

TEST(MemlockCheck, HintsPerEngine) {
  struct Case {
    const char* engine;
    const char* part;
  };
  for (const Case& c :
       {Case{"docker", "--ulimit memlock=-1:-1"}, Case{"none", "ulimit -l unlimited"},
        Case{"kubernetes", "LimitMEMLOCK=infinity"}}) {
    Scenario s;
    s.facts.engine = c.engine;
    limits_with_memlock(s, "65536", "65536");
    CheckResult r = run(s, &checks::memlock);
    EXPECT_EQ(r.status, Status::Warn) << c.engine;
    EXPECT_CONTAINS(r.hint, c.part);
  }
}

TEST(MemlockCheck, UnlimitedPasses) {
  Scenario s;
  limits_with_memlock(s, "unlimited", "unlimited");
  CheckResult r = run(s, &checks::memlock);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "locked-memory limit unlimited (hard unlimited)");
  EXPECT_TRUE(r.metrics["soft_bytes"].is_null());
}

TEST(MemlockCheck, SixtyFourMiBIsEnough) {
  Scenario s;
  limits_with_memlock(s, "67108864", "unlimited");
  CheckResult r = run(s, &checks::memlock);
  EXPECT_EQ(r.status, Status::Pass);
}

TEST(MemlockCheck, MissingLimitsFileWarns) {
  Scenario s;
  CheckResult r = run(s, &checks::memlock);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "cannot read /proc/self/limits");
}

TEST(MemlockCheck, MissingRowWarns) {
  Scenario s;
  s.tree.write("/proc/self/limits", "Max open files  1024  1024  files\n");
  CheckResult r = run(s, &checks::memlock);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "no 'Max locked memory' row");
}

TEST(MemlockCheck, MalformedValueWarnsNamingIt) {
  Scenario s;
  limits_with_memlock(s, "8M", "8M");
  CheckResult r = run(s, &checks::memlock);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "/proc/self/limits");
  EXPECT_CONTAINS(r.message, "'8M'");
}

}  // namespace
}  // namespace gpuval
