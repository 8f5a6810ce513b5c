// The "nvml" check end to end: the fake libnvidia-ml.so.1 loaded through the same dlopen path as
// the real one, one scenario per outcome, and every NVML return code gpuval maps.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/nvml_abi.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/nvml_test_support.hpp"
#include "validate/checks.hpp"
#include "validate/gpu/nvml_advice.hpp"
#include "validate/registry.hpp"

namespace gpuval {
namespace {

using testing::fake_system;
using testing::FakeNvmlConfig;

class NvmlCheck : public ::testing::Test {
 protected:
  Context context(const std::string& library = testing::kFakeNvml) {
    Context ctx = testing::make_context(tree, env, libs, cuda);
    ctx.nvml_library = library;
    return ctx;
  }
  CheckResult run(const std::string& library = testing::kFakeNvml) {
    return checks::nvml(context(library), facts);
  }
  CheckResult run_with_init_error(int code) {
    nlohmann::json cfg = fake_system(1);
    cfg["errors"] = {{"nvmlInit_v2", code}};
    FakeNvmlConfig c(cfg);
    return run();
  }

  testing::FixtureTree tree;
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  Env env;
  Facts facts;
};

TEST_F(NvmlCheck, HealthySystemPassesAndFillsTheInventory) {
  FakeNvmlConfig c(fake_system(2));
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("driver 550.54.15"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("CUDA 12.4"), std::string::npos);
  EXPECT_NE(r.message.find("2 GPUs (2 x NVIDIA H100 80GB HBM3)"), std::string::npos);
  EXPECT_EQ(r.metrics["device_count"], 2);
  EXPECT_EQ(r.metrics["driver_version"], "550.54.15");
  EXPECT_EQ(r.metrics["cuda_driver_version"], 12040);
  EXPECT_EQ(r.metrics["stage"], "ready");
  EXPECT_EQ(r.metrics["devices"][1]["uuid"], testing::fake_uuid(1));

  ASSERT_TRUE(facts.nvml);
  EXPECT_EQ(facts.nvml->device_count, 2u);
  ASSERT_EQ(facts.devices.size(), 2u);
  const nlohmann::json& d = facts.devices[0];
  EXPECT_EQ(d["index"], 0);
  EXPECT_EQ(d["uuid"], testing::fake_uuid(0));
  EXPECT_EQ(d["name"], "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(d["pci_bus_id"], "00000000:18:00.0");
  EXPECT_EQ(d["pci_device_id"], "0x233010de");
  EXPECT_EQ(d["compute_capability"], "9.0");
  EXPECT_EQ(d["memory"]["total_bytes"], 85520809984ULL);
  EXPECT_EQ(d["memory"]["bus_width_bits"], 5120);
  EXPECT_EQ(d["memory"]["max_clock_mhz"], 2619);
  EXPECT_EQ(d["ecc"]["enabled"], true);
  EXPECT_EQ(d["ecc"]["volatile"]["uncorrected"], 0);
  EXPECT_EQ(d["retired_pages"]["pending"], false);
  EXPECT_EQ(d["row_remap"]["failure"], false);
  EXPECT_EQ(d["persistence_mode"], true);
  EXPECT_EQ(d["pcie"]["width_max"], 16);
  EXPECT_EQ(d["clock_event_reasons"]["active"], nlohmann::json::array({"gpu_idle"}));
  EXPECT_EQ(d["mig"]["enabled"], false);
  EXPECT_EQ(d["temperature_c"], 33);
  EXPECT_DOUBLE_EQ(d["power"]["limit_w"].get<double>(), 700.0);
  EXPECT_NEAR(d["peaks"]["dram_gb_s"].get<double>(), 3352.32, 1e-6);
  EXPECT_EQ(d["peaks"]["sm_count"], 132);
  // The H100 SXM5 datasheet's dense BF16 (1830 MHz), and the figure at the max SM clock.
  EXPECT_NEAR(d["peaks"]["bf16_tflops"].get<double>(), 989.430, 1e-3);
  EXPECT_NEAR(d["peaks"]["bf16_tflops_at_max_clock"].get<double>(), 1070.531, 1e-3);
}

TEST_F(NvmlCheck, DevicesAreListedAsCudaNumbersThemWithTheirOwnBoardsFacts) {
  // CUDA_DEVICE_ORDER=FASTEST_FIRST (or CUDA_VISIBLE_DEVICES=1,0): CUDA's 0 is NVML's 1. Each
  // entry must carry its own board's NVML facts, never those of the board at the same position.
  nlohmann::json cfg = fake_system(2);
  cfg["devices"][1]["max_sm_clock"] = 1755;
  FakeNvmlConfig c(cfg);
  facts.cuda = testing::cuda_sees({cfg["devices"][1], cfg["devices"][0]});
  run();
  ASSERT_EQ(facts.devices.size(), 2u);
  EXPECT_EQ(facts.devices[0]["index"], 0);
  EXPECT_EQ(facts.devices[0]["nvml_index"], 1);
  EXPECT_EQ(facts.devices[0]["uuid"], testing::fake_uuid(1));
  EXPECT_EQ(facts.devices[0]["clocks"]["max_sm_mhz"], 1755);
  EXPECT_EQ(facts.devices[1]["uuid"], testing::fake_uuid(0));
  EXPECT_EQ(facts.devices[1]["clocks"]["max_sm_mhz"], 1980);
  ASSERT_EQ(facts.bindings.size(), 2u);
  EXPECT_EQ(facts.bindings[0].nvml_index, 1u);
  EXPECT_EQ(facts.bindings[1].nvml_index, 0u);
}

TEST_F(NvmlCheck, WithoutNvmlTheDevicesComeFromCuda) {
  facts.cuda = testing::cuda_sees({testing::healthy_h100(0)});
  run("/nonexistent/libnvidia-ml.so.1");
  ASSERT_EQ(facts.devices.size(), 1u);
  EXPECT_EQ(facts.devices[0]["source"], "cuda");
  EXPECT_NEAR(facts.devices[0]["peaks"]["bf16_tflops"].get<double>(), 989.43, 0.01);
}

TEST_F(NvmlCheck, OfflineSysrootSkipsWithoutLoadingThisMachinesNvml) {
  CheckResult r = checks::nvml(testing::make_context(tree, env, libs, cuda), facts);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_NE(r.message.find("offline analysis"), std::string::npos);
  EXPECT_FALSE(facts.nvml);
}

TEST_F(NvmlCheck, LibraryNotLoadableSkipsPointingAtDriverLibraries) {
  CheckResult r = run("/nonexistent/libnvidia-ml.so.1");
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_NE(r.message.find("NVML not loadable (see driver-libraries)"), std::string::npos);
  EXPECT_EQ(r.metrics["stage"], "not-loaded");
  EXPECT_FALSE(r.metrics["load_error"].get<std::string>().empty());
  EXPECT_FALSE(facts.nvml);
  EXPECT_TRUE(facts.devices.empty());
}

TEST_F(NvmlCheck, LibraryWithoutNvmlFailsWithInjectionHint) {
  CheckResult r = run(testing::kNotNvml);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("lacks nvmlInit_v2"), std::string::npos) << r.message;
  EXPECT_NE(r.hint.find("utility"), std::string::npos);
  EXPECT_EQ(r.metrics["missing_symbols"].size(), 4u);
}

TEST_F(NvmlCheck, ToolkitStubOnTheLibraryPathGetsItsOwnHint) {
  const auto stubs = tree.root() / "usr/local/cuda/lib64/stubs";
  std::filesystem::create_directories(stubs);
  std::filesystem::copy_file(testing::kNotNvml, stubs / "libnvidia-ml.so.1");
  CheckResult r = run((stubs / "libnvidia-ml.so.1").string());
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.hint.find("stub"), std::string::npos) << r.hint;
  EXPECT_NE(r.hint.find("LD_LIBRARY_PATH"), std::string::npos);
}

TEST_F(NvmlCheck, DriverLibraryMismatchFailsAndBlocks) {
  CheckResult r = run_with_init_error(nvml_abi::kErrorLibRmVersionMismatch);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("NVML_ERROR_LIB_RM_VERSION_MISMATCH (18"), std::string::npos);
  EXPECT_NE(r.message.find("Driver/library version mismatch"), std::string::npos);
  EXPECT_NE(r.hint.find("reboot"), std::string::npos);
  EXPECT_NE(r.hint.find("nvidia-ctk cdi generate"), std::string::npos);
  EXPECT_EQ(r.metrics["error"]["call"], "nvmlInit_v2");
  EXPECT_EQ(r.metrics["error"]["code"], 18);
  ASSERT_EQ(facts.blockers.size(), 1u);
  EXPECT_EQ(facts.blockers[0].priority, blocker_priority::kVersionMismatch);
  EXPECT_EQ(facts.blockers[0].check_id, "nvml");
  EXPECT_FALSE(facts.nvml);
}

TEST_F(NvmlCheck, NoPermissionPointsAtDeviceNodes) {
  CheckResult r = run_with_init_error(nvml_abi::kErrorNoPermission);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("NVML_ERROR_NO_PERMISSION"), std::string::npos);
  EXPECT_NE(r.hint.find("/dev/nvidiactl"), std::string::npos);
  EXPECT_NE(r.hint.find("daemon-reload"), std::string::npos);
  ASSERT_EQ(facts.blockers.size(), 1u);
  EXPECT_EQ(facts.blockers[0].priority, blocker_priority::kNodeAccess);
}

TEST_F(NvmlCheck, DriverNotLoaded) {
  CheckResult r = run_with_init_error(nvml_abi::kErrorDriverNotLoaded);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("NVML_ERROR_DRIVER_NOT_LOADED"), std::string::npos);
  EXPECT_NE(r.message.find("kernel driver is not loaded"), std::string::npos);
  EXPECT_NE(r.hint.find("modprobe"), std::string::npos);
}

TEST_F(NvmlCheck, LibraryNotFoundPointsAtTheUtilityCapability) {
  CheckResult r = run_with_init_error(nvml_abi::kErrorLibraryNotFound);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.hint.find("NVIDIA_DRIVER_CAPABILITIES"), std::string::npos);
}

TEST_F(NvmlCheck, InsufficientPower) {
  CheckResult r = run_with_init_error(nvml_abi::kErrorInsufficientPower);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("power cables"), std::string::npos);
  EXPECT_NE(r.hint.find("power"), std::string::npos);
}

TEST_F(NvmlCheck, GpuIsLostSaysDrainTheNode) {
  CheckResult r = run_with_init_error(nvml_abi::kErrorGpuIsLost);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("XID 79"), std::string::npos);
  EXPECT_NE(r.hint.find("drain the node"), std::string::npos);
}

TEST_F(NvmlCheck, UnknownErrorSaysLookAtDmesg) {
  CheckResult r = run_with_init_error(nvml_abi::kErrorUnknown);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("NVML_ERROR_UNKNOWN (999"), std::string::npos);
  EXPECT_NE(r.hint.find("dmesg"), std::string::npos);
}

TEST_F(NvmlCheck, CodeGpuvalDoesNotKnowStillFailsWithAHint) {
  CheckResult r = run_with_init_error(4242);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("NVML_ERROR_4242"), std::string::npos);
  EXPECT_FALSE(r.hint.empty());
}

// Every code in the advice table, returned by nvmlInit_v2 of the fake: the check reports the
// code's name and the table's status, meaning and hint, and blocks when the table says so.
class NvmlEveryCode : public NvmlCheck, public ::testing::WithParamInterface<NvmlAdvice> {};

TEST_P(NvmlEveryCode, InitFailureReportsNameMeaningAndHint) {
  const NvmlAdvice& a = GetParam();
  CheckResult r = run_with_init_error(a.code);
  EXPECT_EQ(r.status, a.status);
  EXPECT_NE(r.message.find(nvml_return_name(a.code)), std::string::npos) << r.message;
  EXPECT_NE(r.message.find(std::string(a.meaning)), std::string::npos) << r.message;
  EXPECT_EQ(r.hint, a.hint);
  EXPECT_FALSE(r.hint.empty());
  EXPECT_EQ(r.metrics["error"]["code"], a.code);
  EXPECT_EQ(facts.blockers.size(), a.blocker_priority > 0 ? 1u : 0u);
}

TEST_P(NvmlEveryCode, DeviceHandleFailureIsReportedForThatGpu) {
  const NvmlAdvice& a = GetParam();
  nlohmann::json cfg = fake_system(2);
  cfg["devices"][1]["errors"] = {{"nvmlDeviceGetHandleByIndex_v2", a.code}};
  FakeNvmlConfig c(cfg);
  CheckResult r = run();
  EXPECT_EQ(r.status, a.status);
  EXPECT_NE(r.message.find("GPU 1: nvmlDeviceGetHandleByIndex_v2: " + nvml_return_name(a.code)),
            std::string::npos)
      << r.message;
  EXPECT_EQ(r.hint, a.hint);
  ASSERT_TRUE(facts.nvml);
  EXPECT_EQ(facts.devices[1]["error"]["name"], nvml_return_name(a.code));
}

INSTANTIATE_TEST_SUITE_P(AdviceTable, NvmlEveryCode,
                         ::testing::ValuesIn(nvml_advice_table().begin(),
                                             nvml_advice_table().end()),
                         [](const ::testing::TestParamInfo<NvmlAdvice>& param_info) {
                           return nvml_return_name(param_info.param.code).substr(5);
                         });

TEST_F(NvmlCheck, AdviceTableCoversTheCodesThatMatterInContainers) {
  for (int code : {4, 8, 9, 12, 15, 17, 18, 999}) {
    const NvmlAdvice a = nvml_advice(code);
    EXPECT_EQ(a.code, code);
    EXPECT_EQ(a.status, Status::Fail) << code;
    EXPECT_GT(a.blocker_priority, 0) << code;
  }
  for (const NvmlAdvice& a : nvml_advice_table()) {
    EXPECT_FALSE(a.meaning.empty()) << a.code;
    EXPECT_FALSE(a.hint.empty()) << a.code;
    EXPECT_NE(a.status, Status::Pass) << a.code;
  }
}

TEST_F(NvmlCheck, CountFailureIsReportedLikeInit) {
  nlohmann::json cfg = fake_system(1);
  cfg["errors"] = {{"nvmlDeviceGetCount_v2", nvml_abi::kErrorGpuIsLost}};
  FakeNvmlConfig c(cfg);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("nvmlDeviceGetCount_v2: NVML_ERROR_GPU_IS_LOST"), std::string::npos);
  EXPECT_EQ(r.metrics["stage"], "count-failed");
}

TEST_F(NvmlCheck, FailedDeviceQueryWarnsAndLostGpuFails) {
  nlohmann::json cfg = fake_system(2);
  cfg["devices"][0]["errors"] = {{"nvmlDeviceGetMemoryInfo", nvml_abi::kErrorNoPermission}};
  {
    FakeNvmlConfig c(cfg);
    CheckResult r = run();
    EXPECT_EQ(r.status, Status::Warn);
    EXPECT_NE(r.message.find("GPU 0: nvmlDeviceGetMemoryInfo: NVML_ERROR_NO_PERMISSION"),
              std::string::npos)
        << r.message;
    EXPECT_EQ(r.metrics["errors"][0]["call"], "nvmlDeviceGetMemoryInfo");
    EXPECT_EQ(r.metrics["errors"][0]["file"], "core/nvml.cpp");
  }
  cfg["devices"][1]["errors"] = {{"nvmlDeviceGetTemperature", nvml_abi::kErrorGpuIsLost}};
  FakeNvmlConfig c(cfg);
  Facts fresh;
  CheckResult r = checks::nvml(context(), fresh);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.hint.find("drain the node"), std::string::npos);
}

TEST_F(NvmlCheck, UnsupportedQueriesAreNotProblems) {
  nlohmann::json cfg = fake_system(1);
  for (const char* key : {"ecc", "row_remap", "retired_pages", "mig", "power_mw"}) {
    cfg["devices"][0].erase(key);  // a GeForce card
  }
  FakeNvmlConfig c(cfg);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_GT(r.metrics["devices"][0]["unsupported"].get<int>(), 0);
  EXPECT_TRUE(facts.devices[0]["row_remap"].is_null());
}

TEST_F(NvmlCheck, DriverQueryFailureWarns) {
  nlohmann::json cfg = fake_system(1);
  cfg["errors"] = {{"nvmlSystemGetDriverVersion", nvml_abi::kErrorUnknown}};
  FakeNvmlConfig c(cfg);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_NE(r.message.find("driver query failed: nvmlSystemGetDriverVersion"), std::string::npos);
  EXPECT_FALSE(r.hint.empty());
}

TEST_F(NvmlCheck, NoGpuEnumeratedWarns) {
  FakeNvmlConfig c(fake_system(0));
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_NE(r.message.find("enumerates no GPU"), std::string::npos);
  EXPECT_NE(r.hint.find("nvidia.com/gpu=all"), std::string::npos);
  ASSERT_TRUE(facts.nvml);
}

TEST_F(NvmlCheck, NoGpuIsFineWhenNoneWasRequested) {
  facts.block(blocker_priority::kVisibleDevicesNone, "nvidia-visible-devices", "none", "set it");
  FakeNvmlConfig c(fake_system(0));
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("none was requested"), std::string::npos);
}

TEST_F(NvmlCheck, ForwardCompatibilityLibcudaIsNoted) {
  facts.cuda = CudaDriverStatus{};
  facts.cuda->driver_version = 12080;
  FakeNvmlConfig c(fake_system(1));
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_NE(r.message.find("libcuda reports CUDA 12.8 but the driver's NVML CUDA 12.4"),
            std::string::npos)
      << r.message;
}

TEST_F(NvmlCheck, MinimalLibraryPassesWithGaps) {
  FakeNvmlConfig c(fake_system(1));
  CheckResult r = run(testing::kFakeNvmlMinimal);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("(version unknown)"), std::string::npos);
  EXPECT_NE(r.message.find("GPU 0 (name unknown)"), std::string::npos);
  EXPECT_TRUE(facts.devices[0]["peaks"]["dram_gb_s"].is_null());
}

TEST_F(NvmlCheck, EveryCheckKeepsItsInvariantsWithTheFakeLoaded) {
  nlohmann::json cfg = fake_system(2);
  cfg["devices"][0]["persistence"] = 0;
  cfg["devices"][1]["errors"] = {{"nvmlDeviceGetHandleByIndex_v2", nvml_abi::kErrorGpuIsLost}};
  FakeNvmlConfig c(cfg);
  Context ctx = context();
  std::vector<CheckResult> results = run_checks(ctx, facts);
  ASSERT_EQ(results.size(), all_checks().size());
  for (const CheckResult& r : results) {
    EXPECT_FALSE(r.message.empty()) << r.id;
    if (r.status == Status::Warn || r.status == Status::Fail) {
      EXPECT_FALSE(r.hint.empty()) << r.id;
    }
  }
  EXPECT_TRUE(facts.nvml);
}

}  // namespace
}  // namespace gpuval
