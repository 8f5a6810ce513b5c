// Test helper for the NVML-based cluster checks (nvlink, fabric): a fake NVML system of healthy
// H100s, each with the NVLink and fabric state of an HGX H100 board, edited per test; the nvml
// check runs first (it binds CUDA devices to boards), then the check under test.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/nvml_cluster_abi.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/nvml_test_support.hpp"
#include "tests/unit/validate/container_scenario.hpp"
#include "validate/checks.hpp"

namespace gpuval::testing {

// The NVLink section of a fake device: `count` links, those in `down` inactive, NVLink 4.0 at
// 26.562 GB/s to NVSwitches (an HGX H100 board).
inline nlohmann::json nvlink_config(unsigned count, const std::set<unsigned>& down = {}) {
  nlohmann::json links = nlohmann::json::array();
  for (unsigned l = 0; l < count; ++l) {
    links.push_back({{"state", down.count(l) ? 0 : 1},
                     {"version", 6},
                     {"speed_mbps", 26562},
                     {"remote_type", nvml_abi::kNvLinkDeviceSwitch},
                     {"remote_pci_bus_id", "00000000:0" + std::to_string(5 + l % 4) + ":00.0"}});
  }
  return {{"links", links}, {"link_count", count}, {"common_speed_mbps", 26562}};
}

// The fabric section of a fake device: clique 1 of a cluster, `state` and probe `status`.
inline nlohmann::json fabric_config(unsigned state = nvml_abi::kFabricStateCompleted,
                                    int status = 0, unsigned health_mask = 0) {
  return {{"state", state},
          {"status", status},
          {"clique_id", 1},
          {"health_mask", health_mask},
          {"cluster_uuid", "0123456789abcdef0123456789abcdef"}};
}

// `gpus` H100 SXM5 boards of an HGX baseboard: 18 NVLinks up each, fabric completed.
inline nlohmann::json hgx_system(int gpus) {
  nlohmann::json cfg = fake_system(gpus);
  for (auto& d : cfg["devices"]) {
    d["nvlink"] = nvlink_config(18);
    d["fabric"] = fabric_config();
  }
  return cfg;
}

class ClusterCheck : public ::testing::Test {
 protected:
  // Runs nvml over `cfg` (with CUDA seeing the boards listed in `cuda_sees_boards`, in that
  // order; none: CUDA enumerated nothing), then `check`.
  CheckResult run(const nlohmann::json& cfg, CheckResult (*check)(const Context&, Facts&),
                  const std::vector<int>& cuda_sees_boards = {},
                  const std::string& library = kFakeNvml) {
    FakeNvmlConfig c(cfg);
    std::vector<nlohmann::json> seen;
    for (int b : cuda_sees_boards) seen.push_back(cfg["devices"][static_cast<std::size_t>(b)]);
    if (!seen.empty()) facts.cuda = cuda_sees(seen);
    Context ctx = make_context(tree, env, libs, cuda);
    ctx.nvml_library = library;
    checks::nvml(ctx, facts);
    CheckResult r = check(ctx, facts);
    expect_well_formed(r);
    return r;
  }
  // All boards, as CUDA sees them by default.
  static std::vector<int> all(int n) {
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(i);
    return out;
  }

  FixtureTree tree;
  FakeLibraryLoader libs;
  FakeCudaDriverProbe cuda;
  Env env;
  Facts facts;
};

}  // namespace gpuval::testing
