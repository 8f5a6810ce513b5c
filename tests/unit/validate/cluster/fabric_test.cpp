// "fabric" through the fake NVML: every GPU fabric state, the V / v1 fallback and an NVML
// without the query.
#include "tests/unit/validate/cluster/cluster_scenario.hpp"

namespace gpuval {
namespace {

using testing::ClusterCheck;
using testing::fabric_config;
using testing::hgx_system;
namespace abi = nvml_abi;

class Fabric : public ClusterCheck {};

TEST_F(Fabric, CompletedEverywherePasses) {
  CheckResult r = run(hgx_system(8), &checks::fabric, all(8));
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_EQ(r.message, "8 GPUs joined the NVLink fabric (state completed, status success)");
  EXPECT_EQ(r.metrics["api"], "nvmlDeviceGetGpuFabricInfoV");
  const auto& d = r.metrics["devices"][0];
  EXPECT_EQ(d["state"], "completed");
  EXPECT_EQ(d["status"], "NVML_SUCCESS");
  EXPECT_EQ(d["clique_id"], 1);
  EXPECT_EQ(d["cluster_uuid"], "01234567-89ab-cdef-0123-456789abcdef");
}

TEST_F(Fabric, NotStartedFailsWithTheFabricManagerOfTheDriversVersion) {
  nlohmann::json cfg = hgx_system(8);
  for (auto& d : cfg["devices"]) d["fabric"] = fabric_config(abi::kFabricStateNotStarted);
  CheckResult r = run(cfg, &checks::fabric, all(8));
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "GPU 0: NVLink fabric not started");
  EXPECT_CONTAINS(r.message, "GPU 7: NVLink fabric not started");
  EXPECT_CONTAINS(r.hint, "systemctl enable --now nvidia-fabricmanager");
  EXPECT_CONTAINS(r.hint, "nvidia-fabricmanager-550 550.54.15") << "the driver's exact version";
}

TEST_F(Fabric, InProgressFails) {
  nlohmann::json cfg = hgx_system(2);
  cfg["devices"][1]["fabric"] = fabric_config(abi::kFabricStateInProgress);
  CheckResult r = run(cfg, &checks::fabric, all(2));
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "GPU 1: NVLink fabric setup still in progress");
  EXPECT_EQ(r.message.find("GPU 0"), std::string::npos);
  EXPECT_CONTAINS(r.hint, "wait a minute");
  EXPECT_CONTAINS(r.hint, "nvidia-fabricmanager");
}

TEST_F(Fabric, CompletedWithAnErrorStatusFails) {
  nlohmann::json cfg = hgx_system(1);
  cfg["devices"][0]["fabric"] =
      fabric_config(abi::kFabricStateCompleted, abi::kErrorInsufficientResources);
  CheckResult r = run(cfg, &checks::fabric, all(1));
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message,
                  "GPU 0: NVLink fabric setup failed: NVML_ERROR_INSUFFICIENT_RESOURCES");
  EXPECT_CONTAINS(r.hint, "journalctl -u nvidia-fabricmanager");
}

TEST_F(Fabric, DegradedHealthWarns) {
  nlohmann::json cfg = hgx_system(1);
  cfg["devices"][0]["fabric"] = fabric_config(abi::kFabricStateCompleted, 0, 0x1 | (0x2 << 2));
  CheckResult r = run(cfg, &checks::fabric, all(1));
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "GPU 0: NVLink fabric health: bandwidth degraded");
  EXPECT_EQ(r.message.find("route recovery"), std::string::npos) << "2 means false";
}

TEST_F(Fabric, NotOnAFabricSkips) {
  CheckResult r = run(testing::fake_system(2), &checks::fabric, all(2));  // no "fabric"
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_CONTAINS(r.message, "not on an NVLink fabric (2 GPUs say NOT_SUPPORTED");
}

TEST_F(Fabric, FallsBackToTheUnversionedQuery) {
  nlohmann::json cfg = hgx_system(1);
  cfg["devices"][0]["errors"] = {{"nvmlDeviceGetGpuFabricInfoV", abi::kErrorFunctionNotFound}};
  CheckResult r = run(cfg, &checks::fabric, all(1));
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_EQ(r.metrics["api"], "nvmlDeviceGetGpuFabricInfo");
  EXPECT_TRUE(r.metrics["devices"][0]["health_mask"].is_null());
}

TEST_F(Fabric, AFailingQueryWarnsWithItsNvmlError) {
  nlohmann::json cfg = hgx_system(1);
  cfg["devices"][0]["errors"] = {{"nvmlDeviceGetGpuFabricInfoV", abi::kErrorNoPermission}};
  CheckResult r = run(cfg, &checks::fabric, all(1));
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "GPU 0: nvmlDeviceGetGpuFabricInfoV: NVML_ERROR_NO_PERMISSION");
}

TEST_F(Fabric, AnNvmlWithoutTheQuerySkips) {
  CheckResult r = run(hgx_system(1), &checks::fabric, {}, testing::kFakeNvmlMinimal);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_CONTAINS(r.message, "no GPU fabric query");
}

TEST_F(Fabric, WithoutCudaTheCauseOfError802IsStillFound) {
  nlohmann::json cfg = hgx_system(2);
  for (auto& d : cfg["devices"]) d["fabric"] = fabric_config(abi::kFabricStateNotStarted);
  CheckResult r = run(cfg, &checks::fabric);  // cuInit failed: CUDA enumerated nothing
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "NVML GPU 0: NVLink fabric not started");
  EXPECT_CONTAINS(r.message, "NVML GPU 1: NVLink fabric not started");
}

}  // namespace
}  // namespace gpuval
