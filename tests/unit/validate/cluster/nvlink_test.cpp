// "nvlink" through the fake NVML: every link state it reports, on bound boards only.
#include "tests/unit/validate/cluster/cluster_scenario.hpp"

namespace gpuval {
namespace {

using testing::ClusterCheck;
using testing::hgx_system;
using testing::nvlink_config;

class NvLink : public ClusterCheck {};

TEST_F(NvLink, HealthyHgxPassesWithVersionAndSpeed) {
  CheckResult r = run(hgx_system(8), &checks::nvlink, all(8));
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message, "8 GPUs: every expected NVLink active (18 per GPU");
  EXPECT_CONTAINS(r.message, "NVLink 4.0, 26.6 GB/s per link and direction");
  ASSERT_EQ(r.metrics["devices"].size(), 8u);
  const auto& d = r.metrics["devices"][3];
  EXPECT_EQ(d["gpu"], "GPU 3");
  EXPECT_EQ(d["active"], 18);
  EXPECT_EQ(d["expected"], 18);
  EXPECT_EQ(d["expected_basis"], "model (H100 SXM5 80GB)");
  EXPECT_EQ(d["links"][0]["version_name"], "4.0");
  EXPECT_EQ(d["links"][0]["speed_mbps"], 26562);
  EXPECT_EQ(d["links"][0]["remote"], "NVSwitch");
  EXPECT_EQ(d["links"][5]["remote_pci_bus_id"], "00000000:06:00.0");
  EXPECT_EQ(d["link_count"], 18);
  EXPECT_EQ(d["common_speed_mbps"], 26562);
}

TEST_F(NvLink, ADownLinkFailsNamingTheGpuAndTheLink) {
  nlohmann::json cfg = hgx_system(8);
  cfg["devices"][3]["nvlink"] = nvlink_config(18, {7});
  CheckResult r = run(cfg, &checks::nvlink, all(8));
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "GPU 3: 17 of 18 NVLinks active, 1 down: link 7");
  EXPECT_EQ(r.message.find("GPU 2"), std::string::npos) << "only the faulty GPU is named";
  EXPECT_CONTAINS(r.hint, "nvidia-smi nvlink -s");
  EXPECT_CONTAINS(r.hint, "nvidia-fabricmanager");
  EXPECT_EQ(r.metrics["devices"][3]["down"], nlohmann::json::array({7}));
}

TEST_F(NvLink, SeveralDownLinksAreAllNamed) {
  nlohmann::json cfg = hgx_system(2);
  cfg["devices"][1]["nvlink"] = nvlink_config(18, {0, 9, 17});
  CheckResult r = run(cfg, &checks::nvlink, all(2));
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "GPU 1: 15 of 18 NVLinks active, 3 down: links 0, 9, 17");
}

TEST_F(NvLink, ASingleVisibleSxmGpuIsJudgedByItsModel) {
  nlohmann::json cfg = hgx_system(1);
  cfg["devices"][0]["nvlink"] = nvlink_config(18, {4});
  CheckResult r = run(cfg, &checks::nvlink, all(1));
  EXPECT_EQ(r.status, Status::Fail) << "no peer, but the model says 18";
  EXPECT_CONTAINS(r.message, "GPU 0: 17 of 18 NVLinks active, 1 down: link 4");
}

TEST_F(NvLink, PcieBoardsWithoutNvLinkSkipNeverWarn) {
  nlohmann::json cfg = testing::fake_system(2);  // no "nvlink": NOT_SUPPORTED on every link
  CheckResult r = run(cfg, &checks::nvlink, all(2));
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_CONTAINS(r.message, "no NVLink on 2 GPUs (NVML: not supported");
  EXPECT_EQ(r.metrics["gpus_without_nvlink"], 2);
}

TEST_F(NvLink, ABridgelessPcieCardSkips) {
  nlohmann::json cfg = testing::fake_system(1);
  cfg["devices"][0]["name"] = "NVIDIA H100 PCIe";
  cfg["devices"][0]["pci_device_id"] = 0x233110DE;
  std::set<unsigned> every;
  for (unsigned l = 0; l < 18; ++l) every.insert(l);
  cfg["devices"][0]["nvlink"] = nvlink_config(18, every);
  CheckResult r = run(cfg, &checks::nvlink, all(1));
  EXPECT_EQ(r.status, Status::Skip) << r.message;
  EXPECT_CONTAINS(r.message, "no NVLink in use");
  EXPECT_CONTAINS(r.message, "no bridge");
}

// An H100 NVL pair (PCIe with NVLink bridges): no model entry, 12 of 18 links wired on each.
nlohmann::json nvl_pair(const std::set<unsigned>& extra_down_on_1 = {}) {
  nlohmann::json cfg = testing::fake_system(2);
  for (std::size_t i = 0; i < 2; ++i) {
    auto& d = cfg["devices"][i];
    d["name"] = "NVIDIA H100 NVL";
    d["pci_device_id"] = 0x232110DE;
    std::set<unsigned> down = {12, 13, 14, 15, 16, 17};
    if (i == 1) down.insert(extra_down_on_1.begin(), extra_down_on_1.end());
    d["nvlink"] = nvlink_config(18, down);
  }
  return cfg;
}

TEST_F(NvLink, AModelWithoutTableEntryIsJudgedByItsPeers) {
  CheckResult r = run(nvl_pair(), &checks::nvlink, all(2));
  EXPECT_EQ(r.status, Status::Pass) << "6 unwired links on every board are the design";
  EXPECT_CONTAINS(r.message, "2 GPUs: every expected NVLink active (12 per GPU");
  EXPECT_EQ(r.metrics["devices"][0]["expected_basis"], "peers of the same model");
}

TEST_F(NvLink, APeerWithFewerLinksFails) {
  CheckResult r = run(nvl_pair({2}), &checks::nvlink, all(2));
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message,
                  "GPU 1: 11 of 12 NVLinks active, inactive: links 2, 12, 13, 14, 15, 16, 17");
}

TEST_F(NvLink, OnlyBoundBoardsAreJudged) {
  nlohmann::json cfg = hgx_system(2);
  cfg["devices"][0]["nvlink"] = nvlink_config(18, {1});  // hidden from CUDA here
  CheckResult r = run(cfg, &checks::nvlink, {1});
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_EQ(r.metrics["devices"].size(), 1u);
  EXPECT_EQ(r.metrics["devices"][0]["nvml_index"], 1);
  EXPECT_EQ(r.metrics["devices"][0]["gpu"], "GPU 0") << "named by its CUDA ordinal";
  EXPECT_EQ(r.metrics["not_judged"], 1);
  EXPECT_CONTAINS(r.message, "1 GPU not judged");
}

TEST_F(NvLink, WithoutCudaEveryNvmlBoardIsJudged) {
  nlohmann::json cfg = hgx_system(2);
  cfg["devices"][1]["nvlink"] = nvlink_config(18, {3});
  CheckResult r = run(cfg, &checks::nvlink);  // CUDA enumerated nothing (e.g. error 802)
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "NVML GPU 1: 17 of 18 NVLinks active, 1 down: link 3");
}

TEST_F(NvLink, AGpuLostWhileReadingLinksFails) {
  nlohmann::json cfg = hgx_system(2);
  cfg["devices"][0]["errors"] = {{"nvmlDeviceGetNvLinkState", nvml_abi::kErrorGpuIsLost}};
  CheckResult r = run(cfg, &checks::nvlink, all(2));
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "GPU 0: nvmlDeviceGetNvLinkState: NVML_ERROR_GPU_IS_LOST");
}

TEST_F(NvLink, AnNvmlWithoutNvLinkQueriesSkips) {
  CheckResult r = run(hgx_system(1), &checks::nvlink, {}, testing::kFakeNvmlMinimal);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_CONTAINS(r.message, "no NVLink queries");
}

TEST_F(NvLink, SkipsOfflineAndWithoutNvml) {
  Context ctx = testing::make_context(tree, env, libs, cuda);  // a fixture tree, default NVML
  CheckResult offline = checks::nvlink(ctx, facts);
  EXPECT_EQ(offline.status, Status::Skip);
  EXPECT_CONTAINS(offline.message, "offline analysis");
  ctx.nvml_library = testing::kFakeNvml;
  CheckResult none = checks::nvlink(ctx, facts);
  EXPECT_EQ(none.status, Status::Skip);
  EXPECT_CONTAINS(none.message, "NVML inventory not available");
}

}  // namespace
}  // namespace gpuval
