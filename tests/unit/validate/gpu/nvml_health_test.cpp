// "gpu-health" end to end through the fake NVML: one scenario per condition it reports.
#include <gtest/gtest.h>

#include "core/nvml_abi.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/nvml_test_support.hpp"
#include "validate/checks.hpp"

namespace gpuval {
namespace {

using testing::FakeNvmlConfig;
namespace abi = nvml_abi;

class GpuHealth : public ::testing::Test {
 protected:
  // Runs nvml on one healthy H100 changed by `edit`, then gpu-health.
  template <typename Edit>
  CheckResult run(Edit edit) {
    nlohmann::json cfg = testing::fake_system(1);
    edit(cfg["devices"][0]);
    FakeNvmlConfig c(cfg);
    Context ctx = testing::make_context(tree, env, libs, cuda);
    ctx.nvml_library = testing::kFakeNvml;
    checks::nvml(ctx, facts);
    return checks::gpu_health(ctx, facts);
  }

  testing::FixtureTree tree;
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  Env env;
  Facts facts;
};

bool has(const nlohmann::json& list, const std::string& text) {
  for (const auto& s : list) {
    if (s.get<std::string>().find(text) != std::string::npos) return true;
  }
  return false;
}

TEST_F(GpuHealth, HealthyGpuPasses) {
  CheckResult r = run([](nlohmann::json&) {});
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_NE(r.message.find("1 GPU: no degraded PCIe link"), std::string::npos);
  EXPECT_EQ(r.metrics["examined"], 1);
  EXPECT_TRUE(r.metrics["devices"][0]["problems"].empty());
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "idle"));
}

TEST_F(GpuHealth, SkipsWithoutNvmlOrDevices) {
  Context ctx = testing::make_context(tree, env, libs, cuda);
  EXPECT_EQ(checks::gpu_health(ctx, facts).status, Status::Skip);
  facts.nvml = NvmlInventory{};
  CheckResult r = checks::gpu_health(ctx, facts);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_NE(r.message.find("no GPU to examine"), std::string::npos);
}

TEST_F(GpuHealth, NarrowerPcieLinkWarns) {
  CheckResult r = run([](nlohmann::json& d) { d["pcie"]["width"] = 8; });
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_NE(r.message.find("GPU 0: PCIe link x8 of x16"), std::string::npos);
  EXPECT_NE(r.hint.find("reseat"), std::string::npos);
}

TEST_F(GpuHealth, LowerPcieGenerationAtIdleIsOnlyInformational) {
  CheckResult r = run([](nlohmann::json& d) { d["pcie"]["gen"] = 1; });
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "PCIe Gen1 of Gen5 at idle"));
}

TEST_F(GpuHealth, LowerPcieGenerationWhileBusyWarns) {
  CheckResult r = run([](nlohmann::json& d) {
    d["pcie"]["gen"] = 3;
    d["reasons"] = 0;  // not idle
  });
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_NE(r.message.find("PCIe Gen3 of Gen5 while busy"), std::string::npos);
}

TEST_F(GpuHealth, LowerPcieGenerationWithUnknownIdleStateIsInformational) {
  CheckResult r = run([](nlohmann::json& d) {
    d["pcie"]["gen"] = 2;
    d.erase("reasons");
  });
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "idle state unknown"));
}

TEST_F(GpuHealth, SlotSlowerThanTheGpuIsInformation) {
  // An H100 PCIe in a Gen4 server: not the container's fault; h2d/d2h are judged against Gen4.
  CheckResult r = run([](nlohmann::json& d) {
    d["pcie"]["gen"] = 4;
    d["pcie"]["gen_max"] = 4;
  });
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"],
                  "the GPU supports PCIe Gen5, the slot/system allows Gen4"));
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "judged against the Gen4 link's peak"));
}

TEST_F(GpuHealth, ZeroLinkValuesAreIgnored) {
  CheckResult r = run([](nlohmann::json& d) {
    d["pcie"] = {{"gen", 0}, {"gen_max", 0}, {"width", 0}, {"width_max", 0}};
  });
  EXPECT_EQ(r.status, Status::Pass) << r.message;
}

TEST_F(GpuHealth, HardwareThermalSlowdownFails) {
  CheckResult r = run([](nlohmann::json& d) { d["reasons"] = abi::kReasonHwThermalSlowdown; });
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("HW thermal slowdown"), std::string::npos);
  EXPECT_NE(r.hint.find("airflow"), std::string::npos);
}

TEST_F(GpuHealth, PowerBrakeFails) {
  CheckResult r = run([](nlohmann::json& d) { d["reasons"] = abi::kReasonHwPowerBrakeSlowdown; });
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("power brake"), std::string::npos);
  EXPECT_NE(r.hint.find("power supplies"), std::string::npos);
}

TEST_F(GpuHealth, HardwareSlowdownFails) {
  CheckResult r = run([](nlohmann::json& d) { d["reasons"] = abi::kReasonHwSlowdown; });
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("HW slowdown"), std::string::npos);
}

TEST_F(GpuHealth, SoftwareThermalSlowdownWarns) {
  CheckResult r = run([](nlohmann::json& d) { d["reasons"] = abi::kReasonSwThermalSlowdown; });
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_NE(r.hint.find("cooling"), std::string::npos);
}

TEST_F(GpuHealth, PowerCapApplicationsClocksAndSyncBoostAreInformational) {
  CheckResult r = run([](nlohmann::json& d) {
    d["reasons"] = abi::kReasonSwPowerCap | abi::kReasonApplicationsClocksSetting |
                   abi::kReasonSyncBoost | abi::kReasonDisplayClockSetting;
  });
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  const nlohmann::json& info = r.metrics["devices"][0]["info"];
  EXPECT_TRUE(has(info, "power cap"));
  EXPECT_TRUE(has(info, "applications clocks"));
  EXPECT_TRUE(has(info, "sync boost"));
  EXPECT_TRUE(has(info, "display clock"));
}

TEST_F(GpuHealth, PendingRetiredPagesFail) {
  CheckResult r = run([](nlohmann::json& d) {
    d["retired_pages"] = {{"single_bit", 2}, {"double_bit", 1}, {"pending", 1}};
  });
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("retired pages pending"), std::string::npos);
  EXPECT_NE(r.hint.find("nvidia-smi -r"), std::string::npos);
  EXPECT_NE(r.hint.find("RMA"), std::string::npos);
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "3 retired pages"));
}

TEST_F(GpuHealth, RowRemapFailureFailsWithRma) {
  CheckResult r = run([](nlohmann::json& d) { d["row_remap"]["failure"] = 1; });
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("row remapping failed"), std::string::npos);
  EXPECT_NE(r.hint.find("RMA"), std::string::npos);
}

TEST_F(GpuHealth, PendingRowRemapFailsWithReset) {
  CheckResult r = run([](nlohmann::json& d) {
    d["row_remap"]["pending"] = 1;
    d["row_remap"]["uncorrected"] = 1;
  });
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("row remapping pending"), std::string::npos);
  EXPECT_NE(r.hint.find("reset the GPU"), std::string::npos);
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "1 rows remapped"));
}

TEST_F(GpuHealth, UncorrectableEccErrorsFail) {
  CheckResult r = run([](nlohmann::json& d) { d["ecc"]["volatile_uncorrected"] = 3; });
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.message.find("3 uncorrectable ECC errors since the driver loaded"),
            std::string::npos);
  EXPECT_NE(r.hint.find("drain the node"), std::string::npos);
}

TEST_F(GpuHealth, LifetimeUncorrectableErrorsAreInformational) {
  CheckResult r = run([](nlohmann::json& d) {
    d["ecc"]["aggregate_uncorrected"] = 2;
    d["ecc"]["volatile_corrected"] = 5;
  });
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "over the board's lifetime"));
}

TEST_F(GpuHealth, EccOffAndPendingChangeAreInformational) {
  CheckResult r = run([](nlohmann::json& d) {
    d["ecc"]["current"] = 0;
    d["ecc"]["pending"] = 1;
  });
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "ECC off"));
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "ECC turns on at the next reboot"));
}

TEST_F(GpuHealth, PersistenceOffIsInformation) {
  // Off on every VM and most Kubernetes nodes; judged after the benchmarks on bare metal
  // (persistence_followup_test.cpp).
  CheckResult r = run([](nlohmann::json& d) { d["persistence"] = 0; });
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "persistence mode off"));
  EXPECT_TRUE(r.metrics["devices"][0]["problems"].empty());
}

TEST_F(GpuHealth, MigEnabledIsInformational) {
  CheckResult r = run([](nlohmann::json& d) { d["mig"] = {{"current", 1}, {"pending", 1}}; });
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(has(r.metrics["devices"][0]["info"], "MIG enabled"));
}

TEST_F(GpuHealth, PendingMigChangeWarns) {
  CheckResult r = run([](nlohmann::json& d) { d["mig"] = {{"current", 0}, {"pending", 1}}; });
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_NE(r.message.find("MIG mode change pending (on after a GPU reset)"), std::string::npos);
}

TEST_F(GpuHealth, WorstProblemDecidesAndEveryProblemIsListed) {
  CheckResult r = run([](nlohmann::json& d) {
    d["reasons"] = abi::kReasonSwThermalSlowdown;
    d["pcie"]["width"] = 4;
    d["ecc"]["volatile_uncorrected"] = 1;
  });
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_NE(r.hint.find("drain the node"), std::string::npos) << "the FAIL's hint wins";
  EXPECT_EQ(r.metrics["devices"][0]["problems"].size(), 3u);
}

TEST_F(GpuHealth, UnsupportedQueriesGiveNoVerdict) {
  CheckResult r = run([](nlohmann::json& d) {
    for (const char* k :
         {"pcie", "reasons", "ecc", "retired_pages", "row_remap", "persistence", "mig"}) {
      d.erase(k);
    }
  });
  EXPECT_EQ(r.status, Status::Pass) << r.message;
}

TEST_F(GpuHealth, GpuWithoutHandleIsLeftToTheNvmlCheck) {
  nlohmann::json cfg = testing::fake_system(2);
  cfg["devices"][0]["errors"] = {{"nvmlDeviceGetHandleByIndex_v2", abi::kErrorGpuIsLost}};
  cfg["devices"][1]["pcie"]["width"] = 8;
  FakeNvmlConfig c(cfg);
  Context ctx = testing::make_context(tree, env, libs, cuda);
  ctx.nvml_library = testing::kFakeNvml;
  checks::nvml(ctx, facts);
  CheckResult r = checks::gpu_health(ctx, facts);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_EQ(r.metrics["examined"], 1);
  EXPECT_NE(r.message.find("GPU 1: PCIe link x8 of x16"), std::string::npos);
}

TEST_F(GpuHealth, GpusHiddenFromCudaAreListedButNotJudged) {
  // CUDA_VISIBLE_DEVICES=1: board 0 (uncorrectable ECC errors) belongs to another job.
  nlohmann::json cfg = testing::fake_system(2);
  cfg["devices"][0]["ecc"]["volatile_uncorrected"] = 3;
  FakeNvmlConfig c(cfg);
  Context ctx = testing::make_context(tree, env, libs, cuda);
  ctx.nvml_library = testing::kFakeNvml;
  facts.cuda = testing::cuda_sees({cfg["devices"][1]});
  checks::nvml(ctx, facts);
  CheckResult r = checks::gpu_health(ctx, facts);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_EQ(r.metrics["examined"], 1);
  ASSERT_EQ(r.metrics["not_judged"].size(), 1u);
  EXPECT_EQ(r.metrics["not_judged"][0]["index"], 0);
  EXPECT_EQ(r.metrics["not_judged"][0]["uuid"], testing::fake_uuid(0));
  EXPECT_NE(r.message.find("1 not visible here, not judged"), std::string::npos) << r.message;
  // The visible board is still judged.
  cfg["devices"][1]["ecc"]["volatile_uncorrected"] = 1;
  FakeNvmlConfig c2(cfg);
  Facts again;
  again.cuda = facts.cuda;
  checks::nvml(ctx, again);
  EXPECT_EQ(checks::gpu_health(ctx, again).status, Status::Fail);
}

}  // namespace
}  // namespace gpuval
