// "gpu-visibility" end to end: the fake NVML enumerates devices, NVIDIA_VISIBLE_DEVICES /
// CUDA_VISIBLE_DEVICES request some, the CUDA driver count comes from the CUDA probe's facts.
#include <gtest/gtest.h>

#include "core/nvml_abi.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/nvml_test_support.hpp"
#include "validate/checks.hpp"

namespace gpuval {
namespace {

using testing::fake_system;
using testing::fake_uuid;
using testing::FakeNvmlConfig;

class GpuVisibility : public ::testing::Test {
 protected:
  GpuVisibility() {
    facts.in_container = true;
    facts.engine = "podman";
    facts.injection = "legacy-hook";
  }
  // Runs nvml (with `gpus` fake devices) then gpu-visibility.
  CheckResult run(const nlohmann::json& config) {
    FakeNvmlConfig c(config);
    Context ctx = testing::make_context(tree, env, libs, cuda);
    ctx.nvml_library = testing::kFakeNvml;
    checks::nvml(ctx, facts);
    return checks::gpu_visibility(ctx, facts);
  }
  CheckResult run(int gpus) { return run(fake_system(gpus)); }
  void cuda_sees(int count) {
    facts.cuda = CudaDriverStatus{};
    facts.cuda->library_loaded = true;
    facts.cuda->init_code = 0;
    facts.cuda->device_count = count;
  }

  testing::FixtureTree tree;
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  Env env;
  Facts facts;
};

TEST_F(GpuVisibility, SkipsWithoutNvml) {
  Context ctx = testing::make_context(tree, env, libs, cuda);
  CheckResult r = checks::gpu_visibility(ctx, facts);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_NE(r.message.find("see nvml"), std::string::npos);
}

TEST_F(GpuVisibility, AllRequestedAndCudaAgrees) {
  env.set("NVIDIA_VISIBLE_DEVICES", "all");
  cuda_sees(2);
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("all GPUs requested: NVML enumerates 2 GPUs"), std::string::npos);
  EXPECT_NE(r.message.find("CUDA and NVML agree on 2 devices"), std::string::npos);
  EXPECT_EQ(r.metrics["nvml_count"], 2);
  EXPECT_EQ(r.metrics["cuda_count"], 2);
  EXPECT_EQ(r.metrics["cuda_expected"], 2);
  EXPECT_EQ(r.metrics["nvml_uuids"][1], fake_uuid(1));
}

TEST_F(GpuVisibility, AllRequestedButNvmlSeesNone) {
  env.set("NVIDIA_VISIBLE_DEVICES", "all");
  CheckResult r = run(0);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("NVML enumerates none"), std::string::npos);
  EXPECT_NE(r.hint.find("nvidia.com/gpu=all"), std::string::npos);
}

TEST_F(GpuVisibility, RequestedUuidsPresent) {
  env.set("NVIDIA_VISIBLE_DEVICES", fake_uuid(0) + "," + fake_uuid(1));
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("requested 2 GPUs: NVML enumerates exactly those"), std::string::npos);
}

TEST_F(GpuVisibility, RequestedUuidMissingFails) {
  const std::string other = "GPU-99999999-0000-4000-8000-000000000000";
  env.set("NVIDIA_VISIBLE_DEVICES", fake_uuid(0) + "," + other);
  nlohmann::json cfg = fake_system(2);
  CheckResult r = run(cfg);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("requested " + other + " not among the GPUs NVML enumerates"),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.hint.find("other GPUs than requested"), std::string::npos);
  EXPECT_EQ(r.metrics["nvidia_visible_devices"]["missing"][0], other);
}

TEST_F(GpuVisibility, UuidPrefixAndCaseAreAccepted) {
  env.set("NVIDIA_VISIBLE_DEVICES", "gpu-1D5B3C2A-0000-4000-8000-000000000001");
  CheckResult r = run(nlohmann::json{{"devices", {testing::healthy_h100(1)}}});
  EXPECT_EQ(r.status, Status::Pass) << r.message;
}

TEST_F(GpuVisibility, CdiNameWithUuidIsChecked) {
  env.set("NVIDIA_VISIBLE_DEVICES", "nvidia.com/gpu=GPU-aaaaaaaa-0000-4000-8000-000000000000");
  CheckResult r = run(1);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("GPU-aaaaaaaa"), std::string::npos);
}

TEST_F(GpuVisibility, PciBusIdMatchesNvmlsSpelling) {
  env.set("NVIDIA_VISIBLE_DEVICES", "0000:18:00.0");
  CheckResult ok = run(1);
  EXPECT_EQ(ok.status, Status::Pass) << ok.message;

  Facts fresh;
  fresh.in_container = true;
  facts = fresh;
  env.set("NVIDIA_VISIBLE_DEVICES", "0000:3b:00.0");
  CheckResult bad = run(1);
  EXPECT_EQ(bad.status, Status::Fail);
  EXPECT_NE(bad.message.find("0000:3b:00.0"), std::string::npos);
}

TEST_F(GpuVisibility, FewerGpusThanRequestedFails) {
  env.set("NVIDIA_VISIBLE_DEVICES", "0,1,2");
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("requested 3 GPUs, NVML enumerates 2"), std::string::npos);
  EXPECT_NE(r.hint.find("nvidia-smi -L"), std::string::npos);
}

TEST_F(GpuVisibility, MoreGpusThanRequestedWarns) {
  env.set("NVIDIA_VISIBLE_DEVICES", "0");
  CheckResult r = run(4);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_NE(r.message.find("requested 1 GPU, but NVML enumerates 4"), std::string::npos);
  EXPECT_NE(r.hint.find("CUDA_VISIBLE_DEVICES"), std::string::npos);
  facts.privileged = true;
  CheckResult p = run(4);
  EXPECT_NE(p.hint.find("--privileged"), std::string::npos);
}

TEST_F(GpuVisibility, MigRequestWithoutMigEnabledWarns) {
  env.set("NVIDIA_VISIBLE_DEVICES", "0:1");
  CheckResult r = run(1);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_NE(r.message.find("no GPU NVML enumerates has MIG enabled"), std::string::npos);
  EXPECT_NE(r.hint.find("-mig 1"), std::string::npos);
}

TEST_F(GpuVisibility, MigRequestWithMigEnabledPasses) {
  env.set("NVIDIA_VISIBLE_DEVICES", "MIG-1d5b3c2a-0000-4000-8000-000000000009");
  nlohmann::json cfg = fake_system(1);
  cfg["devices"][0]["mig"] = {{"current", 1}, {"pending", 1}};
  cuda_sees(3);
  CheckResult r = run(cfg);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("MIG"), std::string::npos);
  EXPECT_TRUE(r.metrics["cuda_expected"].is_null());
}

TEST_F(GpuVisibility, VoidWithCdiIsNotCompared) {
  facts.injection = "cdi";
  env.set("NVIDIA_VISIBLE_DEVICES", "void");
  CheckResult r = run(1);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_NE(r.message.find("CDI: the request is --device"), std::string::npos);
}

TEST_F(GpuVisibility, BareMetalIgnoresNvidiaVisibleDevices) {
  facts.in_container = false;
  env.set("NVIDIA_VISIBLE_DEVICES", "0,1,2,3");
  CheckResult r = run(1);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("bare metal"), std::string::npos);
}

TEST_F(GpuVisibility, CudaSeesFewerThanNvmlFails) {
  cuda_sees(1);
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("CUDA enumerates 1 device, NVML 2 GPUs"), std::string::npos);
  EXPECT_NE(r.hint.find("/dev/nvidia-uvm"), std::string::npos);
}

TEST_F(GpuVisibility, CudaSeesMoreThanNvmlWarns) {
  cuda_sees(3);
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_NE(r.message.find("more than the 2 NVML expects"), std::string::npos);
}

TEST_F(GpuVisibility, CudaVisibleDevicesNarrowsCudaOnly) {
  env.set("CUDA_VISIBLE_DEVICES", "1");
  cuda_sees(1);
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("agree on 1 device (after CUDA_VISIBLE_DEVICES)"), std::string::npos);
  EXPECT_EQ(r.metrics["cuda_expected"], 1);
  EXPECT_EQ(r.metrics["nvml_count"], 2);
}

TEST_F(GpuVisibility, CudaVisibleDevicesIndexBeyondNvmlStopsTheCount) {
  env.set("CUDA_VISIBLE_DEVICES", "0,5,1");
  cuda_sees(1);
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_EQ(r.metrics["cuda_expected"], 1);
}

TEST_F(GpuVisibility, CudaVisibleDevicesEmptyMeansNoDevice) {
  env.set("CUDA_VISIBLE_DEVICES", "");
  cuda_sees(0);
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_EQ(r.metrics["cuda_expected"], 0);
}

TEST_F(GpuVisibility, CudaVisibleDevicesUuidNvmlDoesNotKnowFails) {
  env.set("CUDA_VISIBLE_DEVICES", fake_uuid(0) + ",GPU-deadbeef");
  cuda_sees(1);
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("CUDA_VISIBLE_DEVICES names GPU-deadbeef, which matches no NVML device"),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.hint.find("nvidia-smi -L"), std::string::npos);
  EXPECT_EQ(r.metrics["cuda_expected"], 1);
}

TEST_F(GpuVisibility, CudaVisibleDevicesAmbiguousUuidPrefixFails) {
  env.set("CUDA_VISIBLE_DEVICES", "GPU-1d5b3c2a");
  cuda_sees(0);
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("matches more than one"), std::string::npos);
}

TEST_F(GpuVisibility, CudaNotInitialisedSkipsTheComparison) {
  facts.cuda = CudaDriverStatus{};
  facts.cuda->init_code = 100;
  CheckResult r = run(1);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_NE(r.message.find("see cuda-driver"), std::string::npos);
  EXPECT_TRUE(r.metrics["cuda_count"].is_null());
}

TEST_F(GpuVisibility, ListWithoutValidEntryIsLeftToNvidiaVisibleDevices) {
  env.set("NVIDIA_VISIBLE_DEVICES", "bogus,GPU-zz");
  CheckResult r = run(2);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("lists no valid device (see nvidia-visible-devices)"),
            std::string::npos);
}

TEST_F(GpuVisibility, MalformedVariablesNeverCrash) {
  env.set("NVIDIA_VISIBLE_DEVICES", ",,GPU-zz,-1,0000:zz:00.0,nvidia.com/gpu=");
  env.set("CUDA_VISIBLE_DEVICES", "x,,");
  cuda_sees(1);
  CheckResult r = run(1);
  EXPECT_FALSE(r.message.empty());
  if (r.status == Status::Warn || r.status == Status::Fail) {
    EXPECT_FALSE(r.hint.empty());
  }
}

}  // namespace
}  // namespace gpuval
