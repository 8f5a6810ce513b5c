// MIG as first-class devices: core/nvml_mig reading MIG devices and profiles through the fake
// NVML, each slice's share of the memory slices, and core/device_inventory binding a CUDA MIG
// device to its NVML MIG device by UUID so it is judged against its own peaks.
#include "core/nvml_mig.hpp"

#include <gtest/gtest.h>

#include "core/device_inventory.hpp"
#include "core/nvml.hpp"
#include "tests/unit/mig_test_support.hpp"

namespace gpuval {
namespace {

using nlohmann::json;
using testing::FakeNvmlConfig;
using testing::k1c3g40gb;
using testing::k1g10gb;
using testing::k1g20gb;
using testing::k3g40gb;
using testing::kFakeNvml;
using testing::mig_h100;
using testing::mig_uuid;

json system_of(const std::vector<json>& devices) {
  json cfg = testing::fake_system(0);
  cfg["devices"] = devices;
  return cfg;
}

NvmlInventory read(const json& config) {
  FakeNvmlConfig cfg(config);
  NvmlProbe p = probe_nvml(kFakeNvml);
  EXPECT_TRUE(p.inventory) << p.failure.load_error;
  return p.inventory ? *p.inventory : NvmlInventory{};
}

TEST(NvmlMig, ReadsMigDevicesAndProfilesFromTheFake) {
  const NvmlInventory inv = read(system_of({mig_h100(0, {k1g10gb, k3g40gb, k1c3g40gb})}));
  ASSERT_EQ(inv.devices.size(), 1u);
  const NvmlDevice& d = inv.devices[0];
  EXPECT_EQ(d.mig_enabled, true);
  EXPECT_EQ(d.mig.minor_number, 0u);
  EXPECT_EQ(d.mig.max_devices, 7u);
  EXPECT_EQ(d.mig.profiles.size(), 7u);
  ASSERT_EQ(d.mig.devices.size(), 3u);
  const NvmlMigDevice& small = d.mig.devices[0];
  EXPECT_EQ(small.index, 0u);
  EXPECT_EQ(small.uuid, mig_uuid(0, 0));
  EXPECT_EQ(small.gpu_instance_id, 9u);
  EXPECT_EQ(small.compute_instance_id, 0u);
  EXPECT_EQ(small.sm_count, 16u);
  EXPECT_EQ(small.memory_mib, 9984u);
  EXPECT_EQ(small.profile, "1g.10gb");  // the plain profile, not its "+me" twin
  EXPECT_EQ(small.profile_id, 19u);
  EXPECT_EQ(d.mig.devices[1].profile, "3g.40gb");
  EXPECT_EQ(d.mig.devices[2].profile, "1c.3g.40gb");  // one compute slice of a 3g instance
  EXPECT_EQ(d.mig.devices[2].profile_id, 9u);
  EXPECT_TRUE(d.errors.empty());
  EXPECT_TRUE(d.unsupported.empty()) << d.unsupported.front();
  EXPECT_TRUE(small.errors.empty());
}

TEST(NvmlMig, MigOffReadsNoMigInventory) {
  const NvmlInventory inv = read(testing::fake_system(1));
  const NvmlDevice& d = inv.devices.at(0);
  EXPECT_EQ(d.mig_enabled, false);
  EXPECT_FALSE(d.mig.max_devices);
  EXPECT_TRUE(d.mig.devices.empty());
  EXPECT_TRUE(d.mig.profiles.empty());
  EXPECT_EQ(nvml_mig_json(d), (json{{"enabled", false}, {"pending", false}}));
}

TEST(NvmlMig, MemoryShareCountsMemorySlicesOfTheProfiles) {
  const NvmlInventory inv = read(system_of({mig_h100(0, {k1g10gb, k1g20gb, k3g40gb})}));
  const NvmlDevice& d = inv.devices.at(0);
  ASSERT_EQ(d.mig.devices.size(), 3u);
  const auto one = mig_memory_share(d, d.mig.devices[0]);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->slices, 1u);
  EXPECT_EQ(one->total, 8u);
  EXPECT_DOUBLE_EQ(one->fraction, 0.125);
  EXPECT_NE(one->basis.find("1 of 8 memory slices"), std::string::npos) << one->basis;
  // 1g.20gb: one compute slice, two memory slices.
  EXPECT_DOUBLE_EQ(mig_memory_share(d, d.mig.devices[1])->fraction, 0.25);
  EXPECT_DOUBLE_EQ(mig_memory_share(d, d.mig.devices[2])->fraction, 0.5);
}

TEST(NvmlMig, RefusedProfilesLeaveTheMemoryRatioAndNoError) {
  json board = mig_h100(0, {k1g10gb});
  board["errors"] = {{"nvmlDeviceGetGpuInstanceProfileInfoV", 4},
                     {"nvmlDeviceGetGpuInstanceProfileInfo", 4}};  // NO_PERMISSION
  const NvmlInventory inv = read(system_of({board}));
  const NvmlDevice& d = inv.devices.at(0);
  EXPECT_TRUE(d.mig.profiles.empty());
  EXPECT_TRUE(d.errors.empty()) << d.errors.front().summary();
  ASSERT_FALSE(d.unsupported.empty());
  EXPECT_NE(d.unsupported.front().find("NVML_ERROR_NO_PERMISSION"), std::string::npos);
  ASSERT_EQ(d.mig.devices.size(), 1u);
  // Without profiles the name is built from the slices and the memory.
  EXPECT_EQ(d.mig.devices[0].profile, "1g.10gb");
  EXPECT_FALSE(d.mig.devices[0].profile_id);
  const auto share = mig_memory_share(d, d.mig.devices[0]);
  ASSERT_TRUE(share);
  EXPECT_FALSE(share->slices);
  EXPECT_NEAR(share->fraction, 9984.0 * 1048576 / 85520809984.0, 1e-12);
  EXPECT_NE(share->basis.find("memory ratio"), std::string::npos);
}

TEST(NvmlMig, ProfilesWithoutNamesComeFromTheV1Query) {
  json board = mig_h100(0, {k1c3g40gb});
  for (json& p : board["gpu_instance_profiles"]) p.erase("name");
  const NvmlInventory inv = read(system_of({board}));
  const NvmlDevice& d = inv.devices.at(0);
  EXPECT_EQ(d.mig.profiles.size(), 7u);
  EXPECT_TRUE(d.mig.profiles[0].name.empty());
  EXPECT_EQ(d.mig.devices.at(0).profile, "1c.3g.40gb");
  EXPECT_EQ(d.mig.devices.at(0).profile_id, 9u);
}

TEST(NvmlMig, EmptyAndInaccessibleSlotsAreSkippedWithANote) {
  json board = mig_h100(0, {k1g10gb, k1g10gb});
  board["mig_devices"][1]["slot"] = 4;  // slots 1-3, 5, 6 empty
  board["mig_devices"][1]["errors"] = {{"nvmlDeviceGetMigDeviceHandleByIndex", 4}};
  const NvmlInventory inv = read(system_of({board}));
  const NvmlDevice& d = inv.devices.at(0);
  ASSERT_EQ(d.mig.devices.size(), 1u);
  EXPECT_EQ(d.mig.devices[0].uuid, mig_uuid(0, 0));
  EXPECT_TRUE(d.errors.empty());
  ASSERT_EQ(d.unsupported.size(), 1u);
  EXPECT_EQ(d.unsupported[0], "nvmlDeviceGetMigDeviceHandleByIndex (NVML_ERROR_NO_PERMISSION)");
}

TEST(NvmlMig, AFailedSliceQueryIsTheSlicesNotTheGpus) {
  json board = mig_h100(0, {k1g10gb});
  board["mig_devices"][0]["errors"] = {{"nvmlDeviceGetAttributes_v2", 999}};
  const NvmlInventory inv = read(system_of({board}));
  const NvmlDevice& d = inv.devices.at(0);
  EXPECT_TRUE(d.errors.empty());
  ASSERT_EQ(d.mig.devices.size(), 1u);
  ASSERT_EQ(d.mig.devices[0].errors.size(), 1u);
  EXPECT_EQ(d.mig.devices[0].errors[0].call, "nvmlDeviceGetAttributes_v2");
  EXPECT_FALSE(mig_memory_share(d, d.mig.devices[0]));
  const json j = nvml_mig_json(d);
  EXPECT_EQ(j["devices"][0]["dram_fraction"], nullptr);
  EXPECT_EQ(j["devices"][0]["nvml_errors"][0]["name"], "NVML_ERROR_UNKNOWN");
}

TEST(NvmlMig, ASliceWhoseMemoryIsNotQuiteTheProfilesStillMatchesIt) {
  json board = mig_h100(0, {k1g10gb, k1g20gb});
  board["mig_devices"][0]["attributes"]["memory_mib"] = 9970;   // 0.14 % under 1g.10gb
  board["mig_devices"][1]["attributes"]["memory_mib"] = 15000;  // no 1-slice profile near it
  const NvmlInventory inv = read(system_of({board}));
  const NvmlDevice& d = inv.devices.at(0);
  EXPECT_EQ(d.mig.devices.at(0).profile_id, 19u);
  EXPECT_EQ(d.mig.devices.at(0).profile, "1g.10gb");
  EXPECT_FALSE(d.mig.devices.at(1).profile_id);
  EXPECT_EQ(d.mig.devices.at(1).profile, "1g.15gb");  // built: 14.6 GiB rounded up
  EXPECT_EQ(mig_memory_share(d, d.mig.devices[0])->slices, 1u);
}

TEST(NvmlMig, UuidBodyIgnoresKindAndCase) {
  EXPECT_EQ(uuid_body("MIG-2B3C4D5E-0000-4000-8000-000000000001"),
            "2b3c4d5e-0000-4000-8000-000000000001");
  EXPECT_EQ(uuid_body("gpu-2b3c"), "2b3c");
  EXPECT_EQ(uuid_body("2b3c"), "2b3c");
  EXPECT_EQ(uuid_body(""), "");
}

TEST(MigBinding, ASliceIsBoundByUuidAndJudgedAgainstItsOwnShare) {
  const json board = mig_h100(0, {k3g40gb, k1g10gb});
  const NvmlInventory inv = read(system_of({board}));
  std::vector<CudaDeviceInfo> cuda = {testing::cuda_view_of_slice(board, 1, 0)};
  mark_mig_devices(cuda, &inv);
  EXPECT_TRUE(cuda[0].mig);
  EXPECT_EQ(cuda[0].uuid, mig_uuid(0, 1));  // "GPU-" from CUDA's bytes, "MIG-" now
  EXPECT_EQ(cuda[0].parent_uuid, testing::fake_uuid(0));

  const std::vector<MigBinding> b = bind_mig_devices(cuda, &inv);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].nvml_index, 0u);
  EXPECT_EQ(b[0].mig_index, 1u);
  EXPECT_EQ(b[0].how, "mig-uuid");
  const NvmlMigDevice* m = mig_device_for(b, &inv, 0);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->profile, "1g.10gb");

  const json e = device_entries(cuda, &inv);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["uuid"], mig_uuid(0, 1));
  EXPECT_EQ(e[0]["parent_uuid"], testing::fake_uuid(0));
  EXPECT_EQ(e[0]["nvml_index"], 0);
  EXPECT_EQ(e[0]["mig"]["enabled"], true);
  EXPECT_EQ(e[0]["mig"]["binding"], "mig-uuid");
  EXPECT_EQ(e[0]["mig"]["device"]["profile"], "1g.10gb");
  EXPECT_EQ(e[0]["mig"]["device"]["memory_slices"], 1);
  EXPECT_EQ(e[0]["mig"]["device"]["memory_slices_total"], 8);
  EXPECT_EQ(e[0]["cuda"]["mig"], true);
  // A 1g.10gb slice: 1/8 of the H100's 3352.32 GB/s, and 16 SMs' worth of compute.
  EXPECT_NEAR(e[0]["peaks"]["dram_gb_s"].get<double>(), 419.04, 0.01);
  EXPECT_NEAR(e[0]["peaks"]["dram_gb_s_whole_gpu"].get<double>(), 3352.32, 0.01);
  EXPECT_DOUBLE_EQ(e[0]["peaks"]["dram_fraction"].get<double>(), 0.125);
  EXPECT_EQ(e[0]["peaks"]["sm_count"], 16);
  EXPECT_NEAR(e[0]["peaks"]["bf16_tflops"].get<double>(), 4096.0 * 16 * 1830e6 / 1e12, 0.01);
  // The board keeps its whole inventory.
  EXPECT_EQ(e[0]["mig"]["devices"].size(), 2u);
  EXPECT_EQ(e[0]["mig"]["profiles"].size(), 7u);
}

TEST(MigBinding, ASliceNvmlDoesNotListHasNoDramPeakRatherThanTheWholeGpus) {
  const json board = mig_h100(0, {k1g10gb});
  const NvmlInventory inv = read(system_of({board}));
  CudaDeviceInfo c = testing::cuda_view_of_slice(board, 0, 0);
  c.uuid = "GPU-99999999-0000-4000-8000-000000000000";  // a slice NVML here cannot see
  std::vector<CudaDeviceInfo> cuda = {c};
  mark_mig_devices(cuda, &inv);
  const std::vector<MigBinding> b = bind_mig_devices(cuda, &inv);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_FALSE(b[0].mig_index);
  EXPECT_NE(b[0].how.find("no MIG device NVML lists on GPU 0 has UUID MIG-99999999"),
            std::string::npos)
      << b[0].how;
  const json e = device_entries(cuda, &inv);
  EXPECT_EQ(e[0]["mig"]["device"], nullptr);
  EXPECT_EQ(e[0]["peaks"]["dram_gb_s"], nullptr);
  EXPECT_NEAR(e[0]["peaks"]["dram_gb_s_whole_gpu"].get<double>(), 3352.32, 0.01);
  bool noted = false;
  for (const json& n : e[0]["peaks"]["notes"]) {
    noted = noted || n.get<std::string>().find("MIG slice whose share") != std::string::npos;
  }
  EXPECT_TRUE(noted) << e[0]["peaks"]["notes"].dump();
}

TEST(MigBinding, CudaAloneTellsAMigDeviceByItsTwoUuids) {
  CudaDeviceInfo c = testing::cuda_view(testing::healthy_h100(0), 0);
  c.mig = true;  // cuDeviceGetUuid (v1) and _v2 differed in the probe
  c.uuid = "MIG-2b3c4d5e-0000-4000-8000-000000000000";
  c.parent_uuid = testing::fake_uuid(0);
  std::vector<CudaDeviceInfo> cuda = {c};
  mark_mig_devices(cuda, nullptr);
  EXPECT_EQ(cuda[0].uuid, c.uuid);
  const std::vector<MigBinding> b = bind_mig_devices(cuda, nullptr);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].how, "NVML not available");
  const json e = device_entries(cuda, nullptr);
  EXPECT_EQ(e[0]["uuid"], c.uuid);
  EXPECT_EQ(e[0]["parent_uuid"], testing::fake_uuid(0));
  EXPECT_EQ(e[0]["peaks"]["dram_gb_s"], nullptr);  // no share known: no whole-GPU figure
}

TEST(MigBinding, WholeGpusAreNotMigDevices) {
  const NvmlInventory inv = read(testing::fake_system(1));
  std::vector<CudaDeviceInfo> cuda = {testing::cuda_view(testing::healthy_h100(0), 0)};
  mark_mig_devices(cuda, &inv);
  EXPECT_FALSE(cuda[0].mig);
  EXPECT_EQ(cuda[0].uuid, testing::fake_uuid(0));
  EXPECT_TRUE(bind_mig_devices(cuda, &inv).empty());
  const json e = device_entries(cuda, &inv);
  EXPECT_FALSE(e[0].contains("parent_uuid"));
  EXPECT_EQ(e[0]["peaks"]["dram_fraction"], nullptr);
  EXPECT_NEAR(e[0]["peaks"]["dram_gb_s"].get<double>(), 3352.32, 0.01);
}

}  // namespace
}  // namespace gpuval
