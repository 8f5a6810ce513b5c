// Persistence mode off: information, except on bare metal with a benchmark that shows the cold
// start (validate/persistence_followup).
#include "validate/gpu/persistence_followup.hpp"

#include <gtest/gtest.h>

#include "tests/unit/nvml_test_support.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

json bench(const char* id, int device, std::vector<double> samples, bool higher = true) {
  return {{"id", id}, {"device", device}, {"samples", samples}, {"higher_is_better", higher}};
}

TEST(ColdStart, AFirstRepetitionClearlySlowerThanTheRestIsEvidence) {
  const json b = json::array(
      {bench("stream-triad", 0, {2400, 3000, 3010, 2990}), bench("gemm-bf16", 0, {780, 781, 779})});
  const auto e = cold_start_evidence(b, 0);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("stream-triad: first repetition 25 % slower"), std::string::npos) << *e;
  EXPECT_FALSE(cold_start_evidence(b, 1));  // another device
}

TEST(ColdStart, NoiseShortSeriesAndLatenciesAreJudgedRight) {
  EXPECT_FALSE(cold_start_evidence(json::array({bench("stream-triad", 0, {2900, 3000, 3010})}), 0));
  EXPECT_FALSE(cold_start_evidence(json::array({bench("stream-triad", 0, {1000, 3000})}), 0));
  // A latency: higher is worse.
  const auto e = cold_start_evidence(
      json::array({bench("launch-latency", 0, {9.0, 2.5, 2.4, 2.6}, false)}), 0);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("launch-latency"), std::string::npos);
  EXPECT_FALSE(cold_start_evidence(json("not an array"), 0));
}

class PersistenceFollowup : public ::testing::Test {
 protected:
  void SetUp() override {
    NvmlDevice d;
    d.index = 3;
    d.persistence_mode = false;
    facts.nvml = NvmlInventory{};
    facts.nvml->devices.push_back(d);
    facts.bindings = {DeviceBinding{0, 3u, "pci-bus-id"}};
    CheckResult health = make_result("gpu-health", "GPU health", Status::Pass, "1 GPU: fine");
    checks.push_back(health);
  }
  Facts facts;
  std::vector<CheckResult> checks;
  const json cold = json::array({bench("h2d-pinned", 0, {30, 52, 53, 52})});
  const json warm = json::array({bench("h2d-pinned", 0, {52, 52, 53, 52})});
};

TEST_F(PersistenceFollowup, BareMetalWithAColdStartWarns) {
  EXPECT_TRUE(apply_persistence_followup(checks, facts, cold));
  EXPECT_EQ(checks[0].status, Status::Warn);
  EXPECT_NE(checks[0].message.find("GPU 0: persistence mode off on bare metal and h2d-pinned"),
            std::string::npos)
      << checks[0].message;
  EXPECT_NE(checks[0].hint.find("nvidia-persistenced"), std::string::npos);
}

TEST_F(PersistenceFollowup, ContainersAndWarmStartsStayInformation) {
  EXPECT_FALSE(apply_persistence_followup(checks, facts, warm));
  EXPECT_EQ(checks[0].status, Status::Pass);
  facts.in_container = true;
  EXPECT_FALSE(apply_persistence_followup(checks, facts, cold));
  EXPECT_EQ(checks[0].status, Status::Pass);
  facts.in_container = false;
  facts.nvml->devices[0].persistence_mode = true;
  EXPECT_FALSE(apply_persistence_followup(checks, facts, cold));
}

TEST_F(PersistenceFollowup, TheBoardIsFoundThroughTheBindingNotThePosition) {
  facts.bindings = {DeviceBinding{0, 1u, "pci-bus-id"}};  // CUDA 0 is another board
  EXPECT_FALSE(apply_persistence_followup(checks, facts, cold));
}

}  // namespace
}  // namespace gpuval::checks
