#include <gtest/gtest.h>

#include "tests/support/fixture_tree.hpp"
#include "validate/checks.hpp"

namespace gpuval {
namespace {

using testing::FakeCudaDriverProbe;
using testing::FakeLibraryLoader;
using testing::FixtureTree;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A complete, healthy node set for `gpus` GPUs.
void full_node_set(FixtureTree& tree, int gpus = 1) {
  for (int i = 0; i < gpus; ++i) {
    tree.chardev("/dev/nvidia" + std::to_string(i), 195, static_cast<unsigned>(i));
  }
  tree.chardev("/dev/nvidiactl", 195, 255);
  tree.chardev("/dev/nvidia-uvm", 508, 0);
  tree.chardev("/dev/nvidia-uvm-tools", 508, 1);
}

Facts container_facts(std::string engine, std::string injection) {
  Facts f;
  f.engine = std::move(engine);
  f.in_container = f.engine != "none";
  f.injection = std::move(injection);
  return f;
}

struct Outcome {
  CheckResult result;
  Facts facts;
};

Outcome run_nodes(const FixtureTree& tree, Facts facts, Env env = {}) {
  FakeLibraryLoader libs;
  FakeCudaDriverProbe cuda;
  Context ctx = testing::make_context(tree, std::move(env), libs, cuda);
  CheckResult r = checks::device_nodes(ctx, facts);
  return {std::move(r), std::move(facts)};
}

Outcome run_access(const FixtureTree& tree, Facts facts = container_facts("podman", "cdi")) {
  FakeLibraryLoader libs;
  FakeCudaDriverProbe cuda;
  Context ctx = testing::make_context(tree, Env{}, libs, cuda);
  CheckResult r = checks::device_access(ctx, facts);
  return {std::move(r), std::move(facts)};
}

// ---- device-nodes ---------------------------------------------------------------------------

TEST(DeviceNodes, PassesWithACompleteNodeSet) {
  FixtureTree tree;
  full_node_set(tree, 2);
  tree.chardev("/dev/nvidia-modeset", 195, 254);
  tree.chardev("/dev/nvidia-caps/nvidia-cap1", 237, 1);
  tree.chardev("/dev/nvidia-caps/nvidia-cap2", 237, 2);
  Outcome run = run_nodes(tree, container_facts("podman", "cdi"));
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "2 GPU nodes")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "2 MIG capability nodes")) << run.result.message;
  EXPECT_EQ(run.facts.gpu_nodes, 2);
  EXPECT_TRUE(run.facts.ctl_node);
  EXPECT_TRUE(run.facts.uvm_node);
  EXPECT_TRUE(run.facts.blockers.empty());
  const auto& node = run.result.metrics["nodes"]["/dev/nvidia1"];
  EXPECT_EQ(node["type"], "char");
  EXPECT_EQ(node["major"], 195);
  EXPECT_EQ(node["minor"], 1);
  EXPECT_EQ(node["mode"].get<std::string>().size(), 4u);
  EXPECT_EQ(run.result.metrics["nodes"]["/dev/nvidiactl"]["minor"], 255);
  EXPECT_EQ(run.result.metrics["mig_caps"], 2);
}

TEST(DeviceNodes, CountsOnlyNumberedGpuNodes) {
  FixtureTree tree;
  full_node_set(tree, 0);
  tree.chardev("/dev/nvidia2", 195, 2);
  tree.chardev("/dev/nvidia10", 195, 10);
  tree.chardev("/dev/nvidia-foo", 195, 3);
  tree.chardev("/dev/nvidiaX1", 195, 4);
  Outcome run = run_nodes(tree, container_facts("docker", "legacy-hook"));
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_EQ(run.facts.gpu_nodes, 2);
  EXPECT_TRUE(run.result.metrics["nodes"].contains("/dev/nvidia10"));
  EXPECT_FALSE(run.result.metrics["nodes"].contains("/dev/nvidia-foo"));
}

TEST(DeviceNodes, PodmanWithoutInjectionExplainsTheGpusTrap) {
  FixtureTree tree;
  tree.mkdir("/dev");
  Outcome run = run_nodes(tree, container_facts("podman", "none"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "no NVIDIA device nodes")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "podman < 5 ignores `--gpus`")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "--device nvidia.com/gpu=all")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "nvidia-ctk cdi generate")) << run.result.hint;
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kNoInjection);
  EXPECT_EQ(run.facts.blockers[0].check_id, "device-nodes");
  EXPECT_EQ(run.facts.gpu_nodes, 0);
}

TEST(DeviceNodes, DockerWithoutInjectionSuggestsGpusAll) {
  FixtureTree tree;
  Outcome run = run_nodes(tree, container_facts("docker", "none"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.hint, "--gpus all")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "nvidia-container-toolkit")) << run.result.hint;
  EXPECT_EQ(run.facts.blockers.size(), 1u);
}

TEST(DeviceNodes, KubernetesWithoutGpuSuggestsResourceLimits) {
  FixtureTree tree;
  Outcome run = run_nodes(tree, container_facts("kubernetes", "none"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.hint, "resources.limits")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "nvidia.com/gpu")) << run.result.hint;
}

TEST(DeviceNodes, BareMetalWithoutNodesMeansDriverNotLoaded) {
  FixtureTree tree;
  Outcome run = run_nodes(tree, container_facts("none", "none"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "driver is not loaded")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "nvidia-smi")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "modprobe nvidia")) << run.result.hint;
}

TEST(DeviceNodes, OtherEngineGetsGenericInjectionAdvice) {
  FixtureTree tree;
  Outcome run = run_nodes(tree, container_facts("lxc", "none"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.hint, "CDI")) << run.result.hint;
}

TEST(DeviceNodes, CdiAppliedButNoNodesPointsAtTheSpec) {
  FixtureTree tree;
  Env env;
  env.set("NVIDIA_VISIBLE_DEVICES", "void");  // what a generated CDI spec sets
  Outcome run = run_nodes(tree, container_facts("podman", "cdi"), env);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "CDI spec was applied")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "nvidia-ctk cdi list")) << run.result.hint;
  EXPECT_EQ(run.facts.blockers.size(), 1u);
}

TEST(DeviceNodes, LegacyHookWithoutNodesSelectedNoGpu) {
  FixtureTree tree;
  Outcome run = run_nodes(tree, container_facts("docker", "legacy-hook"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "hook ran")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "NVIDIA_VISIBLE_DEVICES=all")) << run.result.hint;
}

TEST(DeviceNodes, NoGpuRequestedIsAWarningWithoutBlocker) {
  for (const char* value : {"none", "void", "", " NONE "}) {
    FixtureTree tree;
    Env env;
    env.set("NVIDIA_VISIBLE_DEVICES", value);
    Outcome run = run_nodes(tree, container_facts("podman", "legacy-hook"), env);
    EXPECT_EQ(run.result.status, Status::Warn) << value;
    EXPECT_TRUE(has(run.result.message, "no GPU requested")) << run.result.message;
    EXPECT_FALSE(run.result.hint.empty());
    EXPECT_TRUE(run.facts.blockers.empty()) << value;
  }
}

TEST(DeviceNodes, MissingCtlWithGpuNodesFails) {
  FixtureTree tree;
  tree.chardev("/dev/nvidia0", 195, 0);
  tree.chardev("/dev/nvidia-uvm", 508, 0);
  Outcome run = run_nodes(tree, container_facts("podman", "cdi"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "/dev/nvidiactl missing")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "nvidiactl")) << run.result.hint;
  EXPECT_FALSE(run.facts.ctl_node);
  EXPECT_EQ(run.facts.gpu_nodes, 1);
  EXPECT_EQ(run.facts.blockers.size(), 1u);
}

TEST(DeviceNodes, MissingUvmFailsWithModprobeHint) {
  FixtureTree tree;
  tree.chardev("/dev/nvidia0", 195, 0);
  tree.chardev("/dev/nvidiactl", 195, 255);
  Outcome run = run_nodes(tree, container_facts("podman", "cdi"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "/dev/nvidia-uvm missing")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "nvidia-modprobe -u -c=0")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "CUDA_ERROR_UNKNOWN")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "regenerate the CDI spec")) << run.result.hint;
  EXPECT_FALSE(run.facts.uvm_node);
  EXPECT_TRUE(run.facts.ctl_node);
}

TEST(DeviceNodes, RegularFileInPlaceOfANodeIsStale) {
  FixtureTree tree;
  full_node_set(tree, 0);
  tree.chardev("/dev/nvidia1", 195, 1);
  tree.write("/dev/nvidia0", "");  // a plain file, e.g. baked into the image
  Outcome run = run_nodes(tree, container_facts("podman", "cdi"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "stale or fake node /dev/nvidia0")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "regular file")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "regenerate the CDI spec")) << run.result.hint;
  EXPECT_EQ(run.facts.gpu_nodes, 1);
  EXPECT_EQ(run.result.metrics["nodes"]["/dev/nvidia0"]["type"], "regular file");
}

TEST(DeviceNodes, WrongMajorOnlyIsNoUsableGpu) {
  FixtureTree tree;
  full_node_set(tree, 0);
  tree.chardev("/dev/nvidia0", 10, 0);
  Outcome run = run_nodes(tree, container_facts("podman", "cdi"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "stale or fake")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "10:0")) << run.result.message;
  EXPECT_EQ(run.facts.gpu_nodes, 0);
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kNoInjection);
}

TEST(DeviceNodes, CtlWithWrongMinorIsStale) {
  FixtureTree tree;
  tree.chardev("/dev/nvidia0", 195, 0);
  tree.chardev("/dev/nvidiactl", 195, 0);
  tree.chardev("/dev/nvidia-uvm", 508, 0);
  Outcome run = run_nodes(tree, container_facts("podman", "cdi"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "/dev/nvidiactl")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "195:255")) << run.result.message;
  EXPECT_FALSE(run.facts.ctl_node);
}

TEST(DeviceNodes, DirectoryNamedLikeANodeIsStale) {
  FixtureTree tree;
  full_node_set(tree, 1);
  tree.mkdir("/dev/nvidia3");
  Outcome run = run_nodes(tree, container_facts("podman", "cdi"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "/dev/nvidia3 (directory")) << run.result.message;
}

TEST(DeviceNodes, UvmThatIsNotACharDeviceFails) {
  FixtureTree tree;
  tree.chardev("/dev/nvidia0", 195, 0);
  tree.chardev("/dev/nvidiactl", 195, 255);
  tree.write("/dev/nvidia-uvm", "");
  Outcome run = run_nodes(tree, container_facts("podman", "cdi"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "stale or fake node /dev/nvidia-uvm")) << run.result.message;
  EXPECT_FALSE(run.facts.uvm_node);
}

// ---- device-access --------------------------------------------------------------------------

TEST(DeviceAccess, SkipsWithoutNodes) {
  FixtureTree tree;
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Skip);
  EXPECT_TRUE(run.facts.blockers.empty());
}

TEST(DeviceAccess, PassesWhenEveryNodeOpens) {
  FixtureTree tree;
  full_node_set(tree, 2);
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "5 device nodes")) << run.result.message;
  EXPECT_EQ(run.result.metrics["nodes"]["/dev/nvidia0"], "ok");
  EXPECT_TRUE(run.facts.blockers.empty());
}

TEST(DeviceAccess, EpermMeansCgroupRulesWereLost) {
  FixtureTree tree;
  full_node_set(tree, 1);
  tree.force_open_errno("/dev/nvidia0", "EPERM");
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "cgroup device rules deny /dev/nvidia0"))
      << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "systemctl daemon-reload")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "recreate the container")) << run.result.hint;
  EXPECT_EQ(run.result.metrics["nodes"]["/dev/nvidia0"], "EPERM");
  EXPECT_EQ(run.result.metrics["nodes"]["/dev/nvidiactl"], "ok");
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kNodeAccess);
  EXPECT_EQ(run.facts.blockers[0].check_id, "device-access");
}

TEST(DeviceAccess, EaccesWithRestrictiveModeBlamesTheMode) {
  FixtureTree tree;
  full_node_set(tree, 1);
  tree.chmod("/dev/nvidia0", 0600);
  tree.force_open_errno("/dev/nvidia0", "EACCES");
  tree.write("/proc/self/status",
             "Name:\tgpuval\nUid:\t54321\t54321\t54321\t54321\n"
             "Gid:\t1000\t1000\t1000\t1000\nGroups:\t1000 27\n");
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "EACCES")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "mode 0600")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "process uid 54321")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "file mode denies")) << run.result.message;
  EXPECT_EQ(run.result.hint.rfind("file mode:", 0), 0u) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "--group-add")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "label=disable")) << run.result.hint;
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kNodeAccess);
}

TEST(DeviceAccess, EaccesWithOpenModeUnderSelinuxBlamesSelinux) {
  FixtureTree tree;
  full_node_set(tree, 1);
  tree.chmod("/dev/nvidia0", 0666);
  tree.force_open_errno("/dev/nvidia0", "EACCES");
  tree.write("/proc/self/status", "Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n");
  tree.write("/proc/self/attr/current",
             std::string("system_u:system_r:container_t:s0:c1,c2\0", 39));
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "SELinux type container_t")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "SELinux is the likelier cause")) << run.result.message;
  EXPECT_EQ(run.result.hint.rfind("SELinux:", 0), 0u) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "setsebool -P container_use_devices on")) << run.result.hint;
}

TEST(DeviceAccess, EaccesWithGroupAccessAndAppArmorStaysUndecided) {
  FixtureTree tree;
  full_node_set(tree, 1);
  tree.chmod("/dev/nvidia0", 0660);
  tree.force_open_errno("/dev/nvidia0", "EACCES");
  // No /proc/self/status: the process identity is unknown, so neither cause is favoured.
  tree.write("/proc/self/attr/current", "docker-default (enforce)\n");
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_EQ(run.result.hint.rfind("SELinux or file mode:", 0), 0u) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "label=disable")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "0666 or --group-add")) << run.result.hint;
}

TEST(DeviceAccess, EnxioMeansNoDriverBehindTheNode) {
  FixtureTree tree;
  full_node_set(tree, 1);
  tree.force_open_errno("/dev/nvidia0", "ENXIO");
  tree.force_open_errno("/dev/nvidiactl", "ENODEV");
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "node present but no driver behind it"))
      << run.result.message;
  EXPECT_TRUE(has(run.result.message, "/dev/nvidia0 (ENXIO)")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "/dev/nvidiactl (ENODEV)")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "stale CDI spec")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "nvidia-ctk cdi generate")) << run.result.hint;
  EXPECT_EQ(run.facts.blockers.size(), 1u);
}

TEST(DeviceAccess, OtherErrnoIsReportedByName) {
  FixtureTree tree;
  full_node_set(tree, 1);
  tree.force_open_errno("/dev/nvidia-uvm", "EBUSY");
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "open(/dev/nvidia-uvm, O_RDWR) failed: EBUSY"))
      << run.result.message;
  EXPECT_FALSE(run.result.hint.empty());
  EXPECT_EQ(run.facts.blockers.size(), 1u);
}

TEST(DeviceAccess, SeveralDenialsAreAllNamedAndEpermHintWins) {
  FixtureTree tree;
  full_node_set(tree, 2);
  tree.force_open_errno("/dev/nvidia1", "EPERM");
  tree.force_open_errno("/dev/nvidia0", "ENXIO");
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "/dev/nvidia1 (EPERM)")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "/dev/nvidia0 (ENXIO)")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "systemctl daemon-reload")) << run.result.hint;
}

TEST(DeviceAccess, MigCapsAndStaleNodesAreNotOpened) {
  FixtureTree tree;
  full_node_set(tree, 1);
  tree.chardev("/dev/nvidia-caps/nvidia-cap1", 237, 1);
  tree.force_open_errno("/dev/nvidia-caps/nvidia-cap1", "EACCES");
  tree.write("/dev/nvidia1", "");  // stale: device-nodes already failed it
  tree.force_open_errno("/dev/nvidia1", "EPERM");
  Outcome run = run_access(tree);
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_FALSE(run.result.metrics["nodes"].contains("/dev/nvidia-caps/nvidia-cap1"));
  EXPECT_FALSE(run.result.metrics["nodes"].contains("/dev/nvidia1"));
}

}  // namespace
}  // namespace gpuval
