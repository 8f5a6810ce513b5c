// mig-caps on fixture trees: /proc/driver/nvidia-caps/mig-minors, /proc/devices and the
// /dev/nvidia-caps nodes in every state a container gets them in (the mig-minors parser too).
#include <gtest/gtest.h>

#include "tests/unit/validate/container_scenario.hpp"
#include "validate/parsers/mig_minors.hpp"

namespace gpuval {
namespace {

using testing::Scenario;

constexpr const char* kMinors =
    "config 1\nmonitor 2\ngpu0/gi9/access 84\ngpu0/gi9/ci0/access 85\n"
    "gpu0/gi2/access 21\ngpu0/gi2/ci0/access 22\n";
constexpr const char* kDevices =
    "Character devices:\n  1 mem\n195 nvidia-frontend\n236 nvidia-caps\n508 nvidia-uvm\n\n"
    "Block devices:\n  8 sd\n";
constexpr const char* kSlice = "MIG-2b3c4d5e-0000-4000-8000-000000000000";

struct MigCaps : ::testing::Test {
  MigCaps() {
    s.in_container("podman");
    s.facts.injection = "legacy-hook";
    s.tree.write("/proc/driver/nvidia-caps/mig-minors", kMinors);
    s.tree.write("/proc/devices", kDevices);
  }
  // The nodes nvidia-container-toolkit injects for the 1g.10gb slice in GPU instance 9.
  void inject_slice() {
    s.tree.chardev("/dev/nvidia-caps/nvidia-cap84", 236, 84);
    s.tree.chardev("/dev/nvidia-caps/nvidia-cap85", 236, 85);
    s.env.set("NVIDIA_VISIBLE_DEVICES", kSlice);
  }
  CheckResult run() {
    CheckResult r = s.run(&checks::mig_caps);
    testing::expect_well_formed(r);
    return r;
  }
  bool blocked() const {
    for (const Blocker& b : s.facts.blockers) {
      if (b.check_id == "mig-caps" && b.priority == blocker_priority::kNodeAccess) return true;
    }
    return false;
  }
  Scenario s;
};

TEST_F(MigCaps, SkipsWhenNoMigIsInUse) {
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_CONTAINS(r.message, "no MIG device requested");
  EXPECT_TRUE(s.facts.mig_minors_read);
  EXPECT_EQ(s.facts.mig_caps.size(), 6u);  // the table, for mig-devices
}

TEST_F(MigCaps, InjectedSliceNodesOpenReadOnly) {
  inject_slice();
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message,
                  "2 MIG capability nodes open read-only: gpu0/gi9/access, "
                  "gpu0/gi9/ci0/access");
  EXPECT_EQ(r.metrics["nvidia_caps_major"], 236);
  EXPECT_EQ(r.metrics["nodes"].size(), 2u);
  EXPECT_EQ(r.metrics["nodes"][0]["open"], "ok");
  EXPECT_EQ(r.metrics["mig_devices_requested"], 1);
  const auto it = std::find_if(s.facts.mig_caps.begin(), s.facts.mig_caps.end(),
                               [](const MigCapNode& n) { return n.minor == 85; });
  ASSERT_NE(it, s.facts.mig_caps.end());
  EXPECT_EQ(it->path, "/dev/nvidia-caps/nvidia-cap85");
  EXPECT_EQ(it->open_errno, 0);
  EXPECT_EQ(it->gpu_instance, 9);
  EXPECT_EQ(it->compute_instance, 0);
  EXPECT_FALSE(blocked());
}

TEST_F(MigCaps, EpermOnTheSlicesNodeIsTheClassicCgroupFailure) {
  inject_slice();
  s.tree.force_open_errno("/dev/nvidia-caps/nvidia-cap85", "EPERM");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message,
                  "cgroup device rules deny the MIG device's capability node "
                  "/dev/nvidia-caps/nvidia-cap85 (gpu0/gi9/ci0/access) (EPERM)");
  EXPECT_CONTAINS(r.message, "c 236:*");
  EXPECT_CONTAINS(r.hint, "CDI");
  EXPECT_TRUE(blocked());
}

TEST_F(MigCaps, EaccesIsTheModeOrSelinux) {
  inject_slice();
  s.tree.force_open_errno("/dev/nvidia-caps/nvidia-cap84", "EACCES");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "permission denied opening /dev/nvidia-caps/nvidia-cap84");
  EXPECT_CONTAINS(r.hint, "0444");
  EXPECT_CONTAINS(r.hint, "label=disable");
}

TEST_F(MigCaps, ADeniedMonitorNodeOnlyWarns) {
  inject_slice();
  s.env.set("NVIDIA_MIG_MONITOR_DEVICES", "all");
  s.tree.chardev("/dev/nvidia-caps/nvidia-cap2", 236, 2);
  s.tree.force_open_errno("/dev/nvidia-caps/nvidia-cap2", "EPERM");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn) << r.message;
  EXPECT_CONTAINS(r.message, "nvidia-cap2 (monitor)");
  EXPECT_CONTAINS(r.message, "CUDA does not need it");
  EXPECT_FALSE(blocked());
}

TEST_F(MigCaps, RequestedMonitorWithoutItsNodeWarns) {
  inject_slice();
  s.env.set("NVIDIA_MIG_MONITOR_DEVICES", "all");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "NVIDIA_MIG_MONITOR_DEVICES set, but the MIG monitor node");
}

TEST_F(MigCaps, ARequestedSliceWithoutNodesFailsInAContainer) {
  s.env.set("NVIDIA_VISIBLE_DEVICES", kSlice);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message,
                  "1 MIG device requested, but no MIG access node is in "
                  "/dev/nvidia-caps");
  EXPECT_CONTAINS(r.hint, "MIG-<uuid>");
  EXPECT_TRUE(blocked());
}

TEST_F(MigCaps, OnBareMetalTheDriverCreatesMissingNodes) {
  s.facts.in_container = false;
  s.facts.engine = "none";
  s.env.set("CUDA_VISIBLE_DEVICES", kSlice);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message, "the driver creates them on first use");
  EXPECT_FALSE(blocked());
}

TEST_F(MigCaps, ANodeOfAnotherMajorIsStale) {
  s.env.set("NVIDIA_VISIBLE_DEVICES", kSlice);
  s.tree.chardev("/dev/nvidia-caps/nvidia-cap84", 237, 84);
  s.tree.chardev("/dev/nvidia-caps/nvidia-cap85", 236, 85);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn) << r.message;
  EXPECT_CONTAINS(r.message,
                  "stale MIG capability node: /dev/nvidia-caps/nvidia-cap84 "
                  "(gpu0/gi9/access): char 237:84, but /proc/devices gives "
                  "nvidia-caps major 236");
  EXPECT_CONTAINS(r.hint, "cdi generate");
}

TEST_F(MigCaps, AMinorTheTableDoesNotNameIsStale) {
  inject_slice();
  s.tree.chardev("/dev/nvidia-caps/nvidia-cap99", 236, 99);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message,
                  "/dev/nvidia-caps/nvidia-cap99: minor 99 is not in "
                  "/proc/driver/nvidia-caps/mig-minors");
}

TEST_F(MigCaps, ARegularFileIsNoNode) {
  inject_slice();
  s.tree.write("/dev/nvidia-caps/nvidia-cap21", "");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "nvidia-cap21 (gpu0/gi2/access): not a character device");
}

TEST_F(MigCaps, WithoutTheTableTheNodesStillOpen) {
  inject_slice();
  Scenario bare;
  bare.in_container("docker");
  bare.tree.chardev("/dev/nvidia-caps/nvidia-cap84", 236, 84);
  bare.env.set("NVIDIA_VISIBLE_DEVICES", kSlice);
  CheckResult r = bare.run(&checks::mig_caps);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message, "1 MIG capability node open read-only: /dev/nvidia-caps/nvidia-cap84");
  EXPECT_CONTAINS(r.message, "capability names unknown");
  EXPECT_FALSE(bare.facts.mig_minors_read);
}

TEST(MigMinorsParser, ReadsEveryKindAndNamesBadLines) {
  const MigMinors m = parse_mig_minors(
      "config 1\nmonitor 2\ngpu3/gi5/access 8\ngpu3/gi5/ci1/access 9\n"
      "gpu3/gi5/ci1/other 10\nnonsense\ngpu1/gi0/access x\n\n");
  ASSERT_EQ(m.caps.size(), 4u);
  EXPECT_EQ(m.caps[0].kind, MigCapKind::Config);
  EXPECT_EQ(m.caps[1].kind, MigCapKind::Monitor);
  EXPECT_EQ(m.caps[2].kind, MigCapKind::GpuInstance);
  EXPECT_EQ(m.caps[2].gpu, 3);
  EXPECT_EQ(m.caps[2].gpu_instance, 5);
  EXPECT_EQ(m.caps[3].kind, MigCapKind::ComputeInstance);
  EXPECT_EQ(m.caps[3].compute_instance, 1);
  EXPECT_EQ(m.caps[3].minor, 9u);
  EXPECT_EQ(m.bad_lines,
            (std::vector<std::string>{"gpu3/gi5/ci1/other 10", "nonsense", "gpu1/gi0/access x"}));
  EXPECT_EQ(mig_cap_by_minor(m, 9), &m.caps[3]);
  EXPECT_EQ(mig_cap_for(m, 3, 5), &m.caps[2]);
  EXPECT_EQ(mig_cap_for(m, 3, 5, 1), &m.caps[3]);
  EXPECT_EQ(mig_cap_for(m, 3, 6), nullptr);
  EXPECT_EQ(mig_cap_by_minor(m, 77), nullptr);
}

TEST(MigMinorsParser, ProcDevicesMajorIsACharacterDevice) {
  EXPECT_EQ(proc_devices_major(kDevices, "nvidia-caps"), 236u);
  EXPECT_EQ(proc_devices_major(kDevices, "nvidia-uvm"), 508u);
  EXPECT_FALSE(proc_devices_major(kDevices, "sd"));  // a block device
  EXPECT_FALSE(proc_devices_major("", "nvidia-caps"));
  EXPECT_FALSE(proc_devices_major("Character devices:\nx nvidia-caps\n", "nvidia-caps"));
}

}  // namespace
}  // namespace gpuval
