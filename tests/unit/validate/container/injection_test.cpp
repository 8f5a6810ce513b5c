#include "tests/unit/validate/container_scenario.hpp"

namespace gpuval {
namespace {

using testing::Scenario;

// A container's mountinfo without any NVIDIA trace.
constexpr std::string_view kPlainMounts =
    "500 400 0:50 / / rw - overlay overlay rw,lowerdir=/l\n"
    "501 500 0:51 / /proc rw - proc proc rw\n"
    "502 500 0:52 / /dev rw - tmpfs tmpfs rw,size=65536k\n";

// What the legacy hook (nvidia-container-cli) leaves: driver files bind-mounted from the host
// and a tmpfs over /proc/driver/nvidia holding only this container's GPUs.
constexpr std::string_view kLegacyMounts =
    "510 500 254:1 /usr/bin/nvidia-smi /usr/bin/nvidia-smi ro - ext4 /dev/sda1 rw\n"
    "511 500 254:1 /usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05 "
    "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05 ro - ext4 /dev/sda1 rw\n"
    "512 501 0:60 / /proc/driver/nvidia rw - tmpfs tmpfs rw,mode=555\n"
    "513 512 0:21 /driver/nvidia/gpus/0000:3b:00.0 /proc/driver/nvidia/gpus/0000:3b:00.0 ro - "
    "proc proc rw\n";

// CDI (nvidia-ctk generated spec): the same files, no /proc tmpfs.
constexpr std::string_view kCdiMounts =
    "520 500 254:1 /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15 "
    "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15 ro - ext4 /dev/sda1 rw\n"
    "521 500 254:1 /run/nvidia-persistenced/socket /run/nvidia-persistenced/socket rw - tmpfs "
    "tmpfs rw\n";

CheckResult run_injection(Scenario& s) {
  CheckResult r = s.run(&checks::injection);
  testing::expect_well_formed(r);
  return r;
}

TEST(InjectionCheck, LegacyHookFromProcTmpfs) {
  Scenario s;
  s.in_container("docker");
  s.tree.write("/proc/self/mountinfo", std::string(kPlainMounts) + std::string(kLegacyMounts));
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(s.facts.injection, "legacy-hook");
  EXPECT_EQ(r.metrics["mechanism"], "legacy-hook");
  EXPECT_EQ(r.metrics["driver_file_mounts"], 3);
  EXPECT_CONTAINS(r.message, "tmpfs on /proc/driver/nvidia");
  EXPECT_TRUE(s.facts.blockers.empty());
}

TEST(InjectionCheck, CdiFromLibcudaDirVariable) {
  Scenario s;
  s.in_container("podman");
  s.env.set("NVIDIA_CTK_LIBCUDA_DIR", "/usr/lib/x86_64-linux-gnu");
  s.tree.write("/proc/self/mountinfo", std::string(kPlainMounts) + std::string(kCdiMounts));
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(s.facts.injection, "cdi");
  EXPECT_EQ(r.metrics["NVIDIA_CTK_LIBCUDA_DIR"], "/usr/lib/x86_64-linux-gnu");
  EXPECT_CONTAINS(r.message, "CDI");
  EXPECT_CONTAINS(r.message, "NVIDIA_CTK_LIBCUDA_DIR=/usr/lib/x86_64-linux-gnu");
}

TEST(InjectionCheck, CdiFromBindMountsWithoutTheHookTmpfs) {
  Scenario s;
  s.in_container("podman");
  s.tree.write("/proc/self/mountinfo", std::string(kPlainMounts) + std::string(kCdiMounts));
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(s.facts.injection, "cdi");
  EXPECT_CONTAINS(r.message, "CDI-style");
  EXPECT_EQ(r.metrics["driver_file_mount_examples"][0],
            "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15");
}

TEST(InjectionCheck, CdiFromTheCtkHookTmpfs) {
  Scenario s;
  s.in_container("docker");
  s.tree.write("/proc/self/mountinfo",
               std::string(kPlainMounts) +
                   "530 500 0:70 / /run/nvidia-ctk-hook85a589cc-2e81 rw - tmpfs tmpfs rw\n");
  CheckResult r = run_injection(s);
  EXPECT_EQ(s.facts.injection, "cdi");
  EXPECT_CONTAINS(r.message, "nvidia-ctk");
}

TEST(InjectionCheck, CdiFromVoidVariableWithDeviceNodes) {
  Scenario s;
  s.in_container("podman");
  s.env.set("NVIDIA_VISIBLE_DEVICES", "void");
  s.tree.write("/proc/self/mountinfo", kPlainMounts);
  s.tree.chardev("/dev/nvidia0", 195, 0);
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(s.facts.injection, "cdi");
  EXPECT_CONTAINS(r.message, "NVIDIA_VISIBLE_DEVICES=void");
}

TEST(InjectionCheck, BothMechanismsAreReported) {
  Scenario s;
  s.in_container("docker");
  s.env.set("NVIDIA_CTK_LIBCUDA_DIR", "/usr/lib64");
  s.tree.write("/proc/self/mountinfo", std::string(kPlainMounts) + std::string(kLegacyMounts));
  CheckResult r = run_injection(s);
  EXPECT_EQ(s.facts.injection, "legacy-hook");
  EXPECT_CONTAINS(r.message, "CDI evidence too");
}

TEST(InjectionCheck, BareMetalSkips) {
  Scenario s;
  s.tree.write("/proc/self/mountinfo", "1 0 254:0 / / rw - ext4 /dev/vda rw\n");
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_EQ(r.message, "bare metal: nothing to inject");
  EXPECT_EQ(s.facts.injection, "none");
}

TEST(InjectionCheck, PodmanWithUnknownVersionFailsWithTheGpusTrap) {
  Scenario s;
  s.in_container("podman");
  s.tree.write("/proc/self/mountinfo", kPlainMounts);
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_EQ(s.facts.injection, "none");
  EXPECT_CONTAINS(r.message, "no NVIDIA driver injected into this podman container");
  EXPECT_CONTAINS(r.hint, "podman < 5 ignores --gpus");
  EXPECT_CONTAINS(r.hint, "nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml");
  EXPECT_CONTAINS(r.hint, "--device nvidia.com/gpu=all");
  ASSERT_EQ(s.facts.blockers.size(), 1u);
  EXPECT_EQ(s.facts.blockers[0].priority, blocker_priority::kNoInjection);
  EXPECT_EQ(s.facts.blockers[0].check_id, "injection");
  EXPECT_EQ(s.facts.blockers[0].hint, r.hint);
}

TEST(InjectionCheck, PodmanFourNamesItsVersion) {
  Scenario s;
  s.in_container("podman");
  s.facts.engine_version = "4.3.1";
  s.tree.write("/proc/self/mountinfo", kPlainMounts);
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.hint, "podman 4.3.1 ignores --gpus");
}

TEST(InjectionCheck, PodmanFiveSaysGpusWorks) {
  Scenario s;
  s.in_container("podman");
  s.facts.engine_version = "5.2.0";
  s.tree.write("/proc/self/mountinfo", kPlainMounts);
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.hint, "podman 5.2.0 maps --gpus to CDI");
  EXPECT_CONTAINS(r.hint, "`--gpus all`");
  EXPECT_EQ(r.hint.find("ignores"), std::string::npos);
}

TEST(InjectionCheck, MalformedPodmanVersionFallsBackToTheGenericHint) {
  Scenario s;
  s.in_container("podman");
  s.facts.engine_version = "dev";
  s.tree.write("/proc/self/mountinfo", kPlainMounts);
  CheckResult r = run_injection(s);
  EXPECT_CONTAINS(r.hint, "podman < 5 ignores --gpus");
}

TEST(InjectionCheck, EngineTailoredHints) {
  struct Case {
    const char* engine;
    const char* hint_part;
  };
  for (const Case& c :
       {Case{"docker", "nvidia-ctk runtime configure --runtime=docker"},
        Case{"docker", "`--gpus all`"}, Case{"kubernetes", "nvidia.com/gpu"},
        Case{"kubernetes", "device plugin"}, Case{"containerd", "--runtime=containerd"},
        Case{"lxc", "nvidia.runtime=true"}, Case{"unknown-container", "nvidia.com/gpu=all"}}) {
    Scenario s;
    s.in_container(c.engine);
    s.tree.write("/proc/self/mountinfo", kPlainMounts);
    CheckResult r = run_injection(s);
    EXPECT_EQ(r.status, Status::Fail) << c.engine;
    EXPECT_CONTAINS(r.hint, c.hint_part);
  }
}

TEST(InjectionCheck, DeviceNodesWithoutDriverFilesWarn) {
  Scenario s;
  s.in_container("podman");
  s.tree.write("/proc/self/mountinfo", kPlainMounts);
  s.tree.chardev("/dev/nvidia0", 195, 0);
  s.tree.chardev("/dev/nvidiactl", 195, 255);
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_EQ(s.facts.injection, "none");
  EXPECT_CONTAINS(r.message, "/dev/nvidia0, /dev/nvidiactl present but no driver files");
  EXPECT_CONTAINS(r.hint, "--device nvidia.com/gpu=all");
  EXPECT_TRUE(s.facts.blockers.empty());
}

TEST(InjectionCheck, VoidWithNothingInjectedSkips) {
  for (const char* value : {"void", "none"}) {
    Scenario s;
    s.in_container("docker");
    s.env.set("NVIDIA_VISIBLE_DEVICES", value);
    s.tree.write("/proc/self/mountinfo", kPlainMounts);
    CheckResult r = run_injection(s);
    EXPECT_EQ(r.status, Status::Skip) << value;
    EXPECT_CONTAINS(r.message, "no GPU requested");
  }
}

TEST(InjectionCheck, UnreadableMountinfoWarns) {
  Scenario s;
  s.in_container("podman");
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "/proc/self/mountinfo");
  EXPECT_CONTAINS(r.hint, "--device nvidia.com/gpu=all");
}

TEST(InjectionCheck, MalformedMountinfoLinesAreCountedAndSkipped) {
  Scenario s;
  s.in_container("docker");
  s.tree.write("/proc/self/mountinfo",
               "garbage line\n" + std::string(kPlainMounts) + std::string(kLegacyMounts));
  CheckResult r = run_injection(s);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(s.facts.injection, "legacy-hook");
  EXPECT_EQ(r.metrics["mountinfo_malformed_lines"], 1);
}

}  // namespace
}  // namespace gpuval
