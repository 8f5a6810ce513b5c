#include <gtest/gtest.h>

#include <string>

#include "tests/support/fixture_tree.hpp"
#include "validate/checks.hpp"

namespace gpuval {
namespace {

using testing::FakeCudaDriverProbe;
using testing::FakeLibraryLoader;
using testing::FixtureTree;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A container as the earlier checks left it: engine, injection and the node count set.
struct VisibleDevicesTest : ::testing::Test {
  FixtureTree tree;
  FakeLibraryLoader libs;
  FakeCudaDriverProbe cuda;
  Env env;
  Facts facts;

  void SetUp() override {
    facts.engine = "podman";
    facts.in_container = true;
    facts.injection = "legacy-hook";
    facts.gpu_nodes = 1;
    facts.ctl_node = true;
  }
  CheckResult nvidia(std::optional<std::string> value) {
    if (value) env.set("NVIDIA_VISIBLE_DEVICES", *value);
    return checks::nvidia_visible_devices(testing::make_context(tree, env, libs, cuda), facts);
  }
  CheckResult cuda_check(std::optional<std::string> value) {
    if (value) env.set("CUDA_VISIBLE_DEVICES", *value);
    return checks::cuda_visible_devices(testing::make_context(tree, env, libs, cuda), facts);
  }
};

using NvidiaVisibleDevicesCheck = VisibleDevicesTest;
using CudaVisibleDevicesCheck = VisibleDevicesTest;

TEST_F(NvidiaVisibleDevicesCheck, SkipsOutsideAContainer) {
  facts.in_container = false;
  facts.engine = "none";
  auto r = nvidia("all");
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_TRUE(contains(r.message, "not in a container"));
  EXPECT_EQ(r.metrics["mode"], "all");
}

TEST_F(NvidiaVisibleDevicesCheck, AllWithNodesPasses) {
  facts.gpu_nodes = 2;
  auto r = nvidia("all");
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "all GPUs requested"));
  EXPECT_TRUE(contains(r.message, "2 GPU device nodes"));
  EXPECT_TRUE(facts.blockers.empty());
}

TEST_F(NvidiaVisibleDevicesCheck, AllWithoutNodesFailsWithTheEngineHint) {
  facts.gpu_nodes = 0;
  facts.injection = "none";
  auto r = nvidia("all");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "no GPU device node"));
  EXPECT_TRUE(contains(r.hint, "--device nvidia.com/gpu=all"));
  EXPECT_TRUE(contains(r.hint, "podman < 5 ignores --gpus"));
}

TEST_F(NvidiaVisibleDevicesCheck, EngineHintFollowsTheEngine) {
  facts.gpu_nodes = 0;
  facts.engine = "docker";
  EXPECT_TRUE(contains(nvidia("all").hint, "--gpus all"));
  facts.engine = "kubernetes";
  EXPECT_TRUE(contains(nvidia("all").hint, "resources.limits"));
}

TEST_F(NvidiaVisibleDevicesCheck, ListMatchingTheNodesPasses) {
  facts.gpu_nodes = 2;
  auto r = nvidia("0,GPU-8f6c3f2d-5d1b-1c3e-9f2a-6b5a3d2c1e0f");
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "requested 2 GPUs"));
  EXPECT_EQ(r.metrics["entries"].size(), 2u);
  EXPECT_EQ(r.metrics["entries"][1]["kind"], "gpu-uuid");
  EXPECT_EQ(r.metrics["nodes_seen"], 2);
}

TEST_F(NvidiaVisibleDevicesCheck, MoreRequestedThanSeenFails) {
  auto r = nvidia("0,1");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "requested 2 GPUs, container sees 1"));
  EXPECT_TRUE(contains(r.hint, "nvidia-smi -L"));
}

TEST_F(NvidiaVisibleDevicesCheck, MoreNodesThanRequestedWarns) {
  facts.gpu_nodes = 4;
  facts.privileged = true;
  auto r = nvidia("0");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "did not ask for"));
  EXPECT_TRUE(contains(r.hint, "--privileged"));
  facts.privileged = false;
  EXPECT_TRUE(contains(nvidia("0").hint, "--device /dev/nvidiaN"));
}

TEST_F(NvidiaVisibleDevicesCheck, MigDevicesNeedOneParentNode) {
  auto r = nvidia("MIG-1b2c3d4e-5f60-5a7b-8c9d-0e1f2a3b4c5d,0:1");
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "2 MIG devices"));
  facts.gpu_nodes = 0;
  auto none = nvidia("0:1");
  EXPECT_EQ(none.status, Status::Fail);
  EXPECT_TRUE(contains(none.message, "requested 1 MIG device, container sees 0 GPU device nodes"));
}

TEST_F(NvidiaVisibleDevicesCheck, VoidWarnsAndBlocks) {
  facts.gpu_nodes = 0;
  facts.injection = "none";
  auto r = nvidia("void");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "NVIDIA_VISIBLE_DEVICES=void: no GPU was requested"));
  EXPECT_TRUE(contains(r.hint, "NVIDIA_VISIBLE_DEVICES=all"));
  ASSERT_EQ(facts.blockers.size(), 1u);
  EXPECT_EQ(facts.blockers[0].priority, blocker_priority::kVisibleDevicesNone);
  EXPECT_EQ(facts.blockers[0].check_id, "nvidia-visible-devices");
  EXPECT_TRUE(contains(facts.blockers[0].cause, "void: no GPU was requested"));
  EXPECT_TRUE(contains(facts.blockers[0].hint, "--device nvidia.com/gpu=all"));
}

TEST_F(NvidiaVisibleDevicesCheck, NoneWarnsAndBlocks) {
  facts.gpu_nodes = 0;
  auto r = nvidia("none");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "driver libraries only"));
  ASSERT_EQ(facts.blockers.size(), 1u);
  EXPECT_TRUE(contains(facts.blockers[0].cause, "NVIDIA_VISIBLE_DEVICES=none"));
}

TEST_F(NvidiaVisibleDevicesCheck, EmptyWarnsAndBlocks) {
  facts.gpu_nodes = 0;
  auto r = nvidia("");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "NVIDIA_VISIBLE_DEVICES is empty"));
  EXPECT_FALSE(r.hint.empty());
  EXPECT_EQ(facts.blockers.size(), 1u);
  EXPECT_EQ(r.metrics["mode"], "empty");
}

TEST_F(NvidiaVisibleDevicesCheck, NoneWithNodesWarnsWithoutBlocking) {
  auto r = nvidia("none");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "yet the container sees 1 GPU device node"));
  EXPECT_TRUE(contains(r.hint, "NVIDIA_VISIBLE_DEVICES=all"));
  EXPECT_TRUE(facts.blockers.empty());
}

TEST_F(NvidiaVisibleDevicesCheck, VoidUnderCdiWithNodesIsNormal) {
  facts.injection = "cdi";
  auto r = nvidia("void");
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "normal with CDI"));
  EXPECT_TRUE(facts.blockers.empty());
}

TEST_F(NvidiaVisibleDevicesCheck, VoidUnderCdiWithoutNodesWarnsWithoutBlocking) {
  facts.injection = "cdi";
  facts.gpu_nodes = 0;
  auto r = nvidia("void");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "no CDI GPU device was requested"));
  EXPECT_TRUE(contains(r.hint, "--device nvidia.com/gpu=all"));
  EXPECT_TRUE(facts.blockers.empty());  // device-nodes reports the missing nodes
}

TEST_F(NvidiaVisibleDevicesCheck, UnsetWithoutInjectionWarns) {
  facts.gpu_nodes = 0;
  facts.injection = "none";
  auto r = nvidia(std::nullopt);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "neither the image nor the engine requested a GPU"));
  EXPECT_TRUE(contains(r.hint, "--device nvidia.com/gpu=all"));
  EXPECT_TRUE(r.metrics["raw"].is_null());
  EXPECT_EQ(r.metrics["mode"], "unset");
}

TEST_F(NvidiaVisibleDevicesCheck, UnsetWithNodesPasses) {
  facts.injection = "cdi";
  auto r = nvidia(std::nullopt);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "passed in another way"));
}

TEST_F(NvidiaVisibleDevicesCheck, OnlyMalformedEntriesFailNamingThem) {
  auto r = nvidia("gpu0");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "no valid entry"));
  EXPECT_TRUE(contains(r.message, "'gpu0'"));
  EXPECT_TRUE(contains(r.hint, "nvidia-smi -L"));
  EXPECT_EQ(r.metrics["invalid"][0]["token"], "gpu0");
}

TEST_F(NvidiaVisibleDevicesCheck, MalformedBesideValidEntriesWarns) {
  auto r = nvidia("0,GPU-zz");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "invalid entries: 'GPU-zz'"));
  EXPECT_TRUE(contains(r.hint, "GPU-/MIG- UUIDs"));
}

TEST_F(NvidiaVisibleDevicesCheck, DuplicateEntryWarns) {
  auto r = nvidia("0,0");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "listed more than once: '0'"));
  EXPECT_TRUE(contains(r.hint, "repeated entry"));
  EXPECT_EQ(r.metrics["duplicates"][0], "0");
}

TEST_F(NvidiaVisibleDevicesCheck, OnlyCommasWarns) {
  auto r = nvidia(",");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "names no device"));
  EXPECT_FALSE(r.hint.empty());
}

TEST_F(NvidiaVisibleDevicesCheck, UnderCdiAMismatchOnlyWarnsAndSaysTheVariableIsInformational) {
  facts.injection = "cdi";
  auto r = nvidia("0,1");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "requested 2 GPUs, container sees 1"));
  EXPECT_TRUE(contains(r.message, "informational"));
}

TEST_F(CudaVisibleDevicesCheck, UnsetPasses) {
  auto r = cuda_check(std::nullopt);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "all visible devices"));
  EXPECT_TRUE(r.metrics["raw"].is_null());
  EXPECT_TRUE(r.metrics["truncated_at"].is_null());
}

TEST_F(CudaVisibleDevicesCheck, EmptyWarnsAndBlocks) {
  auto r = cuda_check("");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "CUDA_VISIBLE_DEVICES is empty: CUDA sees no device"));
  EXPECT_EQ(r.hint, "unset CUDA_VISIBLE_DEVICES");
  ASSERT_EQ(facts.blockers.size(), 1u);
  EXPECT_EQ(facts.blockers[0].priority, blocker_priority::kVisibleDevicesNone);
  EXPECT_EQ(facts.blockers[0].check_id, "cuda-visible-devices");
}

TEST_F(CudaVisibleDevicesCheck, InvalidFirstEntryFailsAndBlocks) {
  auto r = cuda_check("-1");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "'-1'"));
  EXPECT_TRUE(contains(r.message, "CUDA sees no device"));
  EXPECT_TRUE(contains(r.hint, "unset CUDA_VISIBLE_DEVICES"));
  ASSERT_EQ(facts.blockers.size(), 1u);
  EXPECT_EQ(r.metrics["truncated_at"], "-1");
  EXPECT_EQ(r.metrics["effective_count"], 0);
}

TEST_F(CudaVisibleDevicesCheck, InvalidEntryTruncatesAndWarns) {
  facts.gpu_nodes = 2;
  auto r = cuda_check("0,foo,1");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "stops at 'foo'"));
  EXPECT_TRUE(contains(r.message, "sees only 1 device"));
  EXPECT_TRUE(contains(r.message, "1 later entry ignored"));
  EXPECT_TRUE(contains(r.hint, "'foo'"));
  EXPECT_EQ(r.metrics["effective"], nlohmann::json::array({"0"}));
  EXPECT_EQ(r.metrics["truncated_position"], 1);
  EXPECT_TRUE(facts.blockers.empty());
}

TEST_F(CudaVisibleDevicesCheck, RepeatedIndexTruncatesAndWarns) {
  facts.gpu_nodes = 2;
  auto r = cuda_check("0,0,1");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "repeats an earlier entry"));
  EXPECT_EQ(r.metrics["effective_count"], 1);
}

TEST_F(CudaVisibleDevicesCheck, IndexBeyondTheNodesFailsNamingIt) {
  facts.gpu_nodes = 2;
  auto r = cuda_check("0,3");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "index 3 does not exist"));
  EXPECT_TRUE(contains(r.message, "sees only 1 device"));
  EXPECT_TRUE(contains(r.hint, "renumbered from 0"));
  EXPECT_EQ(r.metrics["out_of_range"], nlohmann::json::array({3}));
  EXPECT_TRUE(facts.blockers.empty());
}

TEST_F(CudaVisibleDevicesCheck, HostIndexInsideTheContainerFailsAndBlocks) {
  auto r = cuda_check("1");  // one GPU passed in, numbered 0 inside
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "index 1 does not exist"));
  EXPECT_TRUE(contains(r.hint, "use indices 0..0"));
  ASSERT_EQ(facts.blockers.size(), 1u);
  EXPECT_EQ(facts.blockers[0].priority, blocker_priority::kVisibleDevicesNone);
}

TEST_F(CudaVisibleDevicesCheck, IndicesAreNotBoundedWhenNodesAreUnknown) {
  facts.gpu_nodes = 0;
  auto r = cuda_check("5");
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "CUDA sees 1 device: 5"));
}

TEST_F(CudaVisibleDevicesCheck, IndicesAreNotBoundedWhenMigIsInUse) {
  env.set("NVIDIA_VISIBLE_DEVICES", "0:0,0:1");
  auto r = cuda_check("0,1");  // two MIG devices behind one GPU node
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_FALSE(r.metrics["indices_bounded_by_nodes"].get<bool>());
  env.unset("NVIDIA_VISIBLE_DEVICES");
  tree.mkdir("/dev/nvidia-caps");
  EXPECT_EQ(cuda_check("0,1").status, Status::Pass);
}

TEST_F(CudaVisibleDevicesCheck, ValidListPasses) {
  facts.gpu_nodes = 2;
  auto r = cuda_check("1, GPU-8f6c");
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "CUDA sees 2 devices: 1,GPU-8f6c"));
  EXPECT_EQ(r.metrics["raw"], "1, GPU-8f6c");
}

TEST_F(CudaVisibleDevicesCheck, TrailingCommaDropsNothing) {
  facts.gpu_nodes = 2;
  auto r = cuda_check("0,1,");
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "trailing comma"));
  EXPECT_EQ(r.metrics["effective_count"], 2);
}

}  // namespace
}  // namespace gpuval
