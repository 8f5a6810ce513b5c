// mig-devices end to end on the fake NVML: MIG-enabled GPUs and their slices, the CUDA devices a
// request leads to under each driver's enumeration rule, the binding of CUDA MIG devices to their
// NVML MIG devices, and the capability nodes (from mig-caps) a requested slice lacks.
#include <gtest/gtest.h>

#include "tests/support/fixture_tree.hpp"
#include "tests/unit/mig_test_support.hpp"
#include "tests/unit/validate/container_scenario.hpp"
#include "validate/checks.hpp"

namespace gpuval {
namespace {

using nlohmann::json;
using testing::FakeNvmlConfig;
using testing::k1g10gb;
using testing::k3g40gb;
using testing::mig_h100;
using testing::mig_uuid;

class MigDevices : public ::testing::Test {
 protected:
  MigDevices() {
    facts.in_container = true;
    facts.engine = "podman";
    facts.injection = "legacy-hook";
    board = mig_h100(0, {k1g10gb, k3g40gb});
  }
  // CUDA enumerates these MIG slots of `board`.
  void cuda_sees(const std::vector<int>& slots) {
    facts.cuda = CudaDriverStatus{};
    facts.cuda->library_loaded = true;
    facts.cuda->init_code = 0;
    for (int slot : slots) {
      facts.cuda->devices.push_back(
          testing::cuda_view_of_slice(board, slot, static_cast<int>(facts.cuda->devices.size())));
    }
    facts.cuda->device_count = static_cast<int>(facts.cuda->devices.size());
  }
  CheckResult run(const std::string& driver = "550.54.15") {
    json config = testing::fake_system(0);
    config["driver_version"] = driver;
    config["devices"] = json::array({board});
    FakeNvmlConfig c(config);
    Context ctx = testing::make_context(tree, env, libs, cuda);
    ctx.nvml_library = testing::kFakeNvml;
    checks::nvml(ctx, facts);
    CheckResult r = checks::mig_devices(ctx, facts);
    testing::expect_well_formed(r);
    return r;
  }

  testing::FixtureTree tree;
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  Env env;
  Facts facts;
  json board;
};

TEST_F(MigDevices, SkipsWithoutMig) {
  board = testing::healthy_h100(0);
  cuda_sees({});
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_CONTAINS(r.message, "no GPU has MIG enabled");
}

TEST_F(MigDevices, TheEnumeratedSliceIsBoundAndNamed) {
  cuda_sees({0});
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message, "GPU 0: MIG on, 2 MIG devices (1g.10gb, 3g.40gb)");
  EXPECT_CONTAINS(r.message, "CUDA enumerates 1 MIG device (R550: one MIG device per process)");
  EXPECT_CONTAINS(r.message, "CUDA device 0 is 1g.10gb " + mig_uuid(0, 0));
  EXPECT_EQ(r.metrics["cuda_bindings"][0]["profile"], "1g.10gb");
  EXPECT_EQ(r.metrics["cuda_bindings"][0]["binding"], "mig-uuid");
  EXPECT_EQ(r.metrics["boards"][0]["mig_devices"][1]["dram_fraction"], 0.5);
  // The run document's device is the slice, with the slice's peaks.
  ASSERT_EQ(facts.devices.size(), 1u);
  EXPECT_EQ(facts.devices[0]["uuid"], mig_uuid(0, 0));
  EXPECT_NEAR(facts.devices[0]["peaks"]["dram_gb_s"].get<double>(), 419.04, 0.01);
}

TEST_F(MigDevices, ARequestedSliceNvmlDoesNotListFails) {
  env.set("NVIDIA_VISIBLE_DEVICES", "MIG-99999999-0000-4000-8000-000000000000");
  cuda_sees({});
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message,
                  "requested MIG-99999999-0000-4000-8000-000000000000 is not among "
                  "the MIG devices NVML lists");
  EXPECT_CONTAINS(r.hint, "nvidia-smi -L");
}

TEST_F(MigDevices, TheOldMigGpuSpellingFindsItsSlice) {
  const std::string gpu = testing::fake_uuid(0);
  env.set("CUDA_VISIBLE_DEVICES", "MIG-" + gpu + "/9/0");
  cuda_sees({0});
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_EQ(r.metrics["requested"][0], "MIG-" + gpu + "/9/0");
}

TEST_F(MigDevices, BeforeR570ASecondRequestedSliceIsNotEnumerated) {
  env.set("CUDA_VISIBLE_DEVICES", mig_uuid(0, 0) + "," + mig_uuid(0, 1));
  cuda_sees({0});
  CheckResult r = run("550.54.15");
  EXPECT_EQ(r.status, Status::Warn) << r.message;
  EXPECT_CONTAINS(r.message, "CUDA does not enumerate requested 3g.40gb " + mig_uuid(0, 1) +
                                 ": R550: one MIG device per process");
  EXPECT_CONTAINS(r.hint, "R570");
}

TEST_F(MigDevices, FromR570EachGpuInstanceIsEnumerated) {
  env.set("CUDA_VISIBLE_DEVICES", mig_uuid(0, 0) + "," + mig_uuid(0, 1));
  cuda_sees({0, 1});
  CheckResult r = run("570.86.15");
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message,
                  "CUDA enumerates 2 MIG devices (R570: one compute instance per GPU "
                  "instance)");
  EXPECT_EQ(r.metrics["cuda_allowed"], 2);
}

TEST_F(MigDevices, FromR570AMissingSliceOfAFreeGpuInstanceFails) {
  env.set("CUDA_VISIBLE_DEVICES", mig_uuid(0, 0) + "," + mig_uuid(0, 1));
  cuda_sees({0});
  CheckResult r = run("570.86.15");
  EXPECT_EQ(r.status, Status::Fail) << r.message;
  EXPECT_CONTAINS(r.message, "CUDA does not enumerate requested 3g.40gb");
}

TEST_F(MigDevices, ARequestedSliceWithoutItsCapsNodeNamesTheNode) {
  // mig-caps found the table, and only the 1g.10gb slice's nodes.
  facts.mig_minors_read = true;
  auto cap = [&](const char* name, unsigned minor, int gi, int ci, bool node) {
    MigCapNode n;
    n.name = name;
    n.minor = minor;
    n.gpu = 0;
    n.gpu_instance = gi;
    n.compute_instance = ci;
    if (node) {
      n.path = "/dev/nvidia-caps/nvidia-cap" + std::to_string(minor);
      n.open_errno = 0;
    }
    facts.mig_caps.push_back(n);
  };
  cap("gpu0/gi9/access", 84, 9, -1, true);
  cap("gpu0/gi9/ci0/access", 85, 9, 0, true);
  cap("gpu0/gi2/access", 21, 2, -1, false);
  cap("gpu0/gi2/ci0/access", 22, 2, 0, false);
  env.set("NVIDIA_VISIBLE_DEVICES", mig_uuid(0, 1));
  cuda_sees({});
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "CUDA does not enumerate requested 3g.40gb " + mig_uuid(0, 1) +
                                 ": gpu0/gi2/access (nvidia-cap21) has no node, "
                                 "gpu0/gi2/ci0/access (nvidia-cap22) has no node");
  EXPECT_CONTAINS(r.hint, "mig-caps");
}

TEST_F(MigDevices, SlicesCudaCannotSeeAtAllFail) {
  cuda_sees({});
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "NVML lists 2 MIG devices, CUDA enumerates none of them");
}

TEST_F(MigDevices, ACudaSliceNvmlCannotMatchIsNotedNotWarned) {
  cuda_sees({0});
  facts.cuda->devices[0].uuid = "GPU-99999999-0000-4000-8000-000000000000";
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message,
                  "CUDA device 0 (MIG-99999999-0000-4000-8000-000000000000) not tied "
                  "to an NVML MIG device");
  EXPECT_EQ(facts.devices[0]["peaks"]["dram_gb_s"], nullptr);
}

}  // namespace
}  // namespace gpuval
