// CUDA ordinals tied to NVML boards by PCI bus id (core/device_inventory): what every benchmark,
// clock sample, peak and health verdict of a device relies on.
#include "core/device_inventory.hpp"

#include <gtest/gtest.h>

#include "tests/unit/nvml_test_support.hpp"

namespace gpuval {
namespace {

using nlohmann::json;

// NVML's view of n healthy H100s, as the fake NVML would read them.
NvmlInventory nvml_of(int n) {
  NvmlInventory inv;
  for (int i = 0; i < n; ++i) {
    const json h = testing::healthy_h100(i);
    NvmlDevice d;
    d.index = static_cast<unsigned>(i);
    d.uuid = h["uuid"].get<std::string>();
    d.name = h["name"].get<std::string>();
    d.pci_bus_id = h["pci_bus_id"].get<std::string>();
    d.pci_device_id = h["pci_device_id"].get<unsigned>();
    d.cc_major = 9;
    d.cc_minor = 0;
    d.gpu_cores = 16896;
    d.max_sm_clock_mhz = 1980;
    d.max_memory_clock_mhz = 2619;
    d.memory_bus_width_bits = 5120;
    inv.devices.push_back(d);
  }
  inv.device_count = static_cast<unsigned>(n);
  return inv;
}

TEST(DeviceInventory, CudaOrdinalsAreBoundByPciBusIdNotByPosition) {
  // CUDA_VISIBLE_DEVICES=2,0: CUDA's 0 is NVML's 2, CUDA's 1 is NVML's 0; NVML's 1 is hidden.
  const NvmlInventory nvml = nvml_of(3);
  const CudaDriverStatus cuda =
      testing::cuda_sees({testing::healthy_h100(2), testing::healthy_h100(0)});
  const std::vector<DeviceBinding> b = bind_devices(cuda.devices, &nvml);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].cuda_ordinal, 0);
  EXPECT_EQ(b[0].nvml_index, 2u);
  EXPECT_EQ(b[0].how, "pci-bus-id");
  EXPECT_EQ(b[1].nvml_index, 0u);
  EXPECT_EQ(nvml_index_for(b, 0), 2u);
  EXPECT_EQ(nvml_index_for(b, 1), 0u);
  EXPECT_FALSE(nvml_index_for(b, 2));
  EXPECT_EQ(unbound_nvml_devices(b, nvml), std::vector<unsigned>{1});
}

TEST(DeviceInventory, NoNvmlOrAnUnknownBusIdLeavesTheDeviceUnbound) {
  CudaDriverStatus cuda = testing::cuda_sees({testing::healthy_h100(0)});
  std::vector<DeviceBinding> b = bind_devices(cuda.devices, nullptr);
  EXPECT_FALSE(b[0].nvml_index);
  EXPECT_EQ(b[0].how, "NVML not available");
  const NvmlInventory nvml = nvml_of(1);
  cuda.devices[0].pci_bus_id = "0000:99:00.0";
  b = bind_devices(cuda.devices, &nvml);
  EXPECT_FALSE(b[0].nvml_index);
  EXPECT_NE(b[0].how.find("0000:99:00.0"), std::string::npos);
  cuda.devices[0].pci_bus_id = "";
  EXPECT_EQ(bind_devices(cuda.devices, &nvml)[0].how, "CUDA gave no PCI bus id");
}

TEST(DeviceInventory, EntriesFollowCudaOrderWithTheBoundBoardsFacts) {
  const NvmlInventory nvml = nvml_of(3);
  CudaDriverStatus cuda = testing::cuda_sees({testing::healthy_h100(2), testing::healthy_h100(0)});
  cuda.devices[0].sm_count = 114;  // a cut-down board (or a slice): CUDA's SM count wins
  const json e = device_entries(cuda.devices, &nvml);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0]["index"], 0);
  EXPECT_EQ(e[0]["cuda_ordinal"], 0);
  EXPECT_EQ(e[0]["nvml_index"], 2);
  EXPECT_EQ(e[0]["uuid"], testing::fake_uuid(2));
  EXPECT_EQ(e[1]["uuid"], testing::fake_uuid(0));
  EXPECT_EQ(e[0]["peaks"]["sm_count"], 114);
  EXPECT_EQ(e[0]["peaks"]["sm_count_source"], "cuda");
  EXPECT_EQ(e[1]["peaks"]["sm_count"], 132);
  EXPECT_NEAR(e[1]["peaks"]["bf16_tflops"].get<double>(), 989.43, 0.01);
  EXPECT_EQ(e[0]["cuda"]["pci_bus_id"], "0000:" + std::to_string(20) + ":00.0");
  ASSERT_NE(device_entry(e, 1), nullptr);
  EXPECT_EQ((*device_entry(e, 1))["nvml_index"], 0);
  EXPECT_EQ(device_entry(e, 2), nullptr);
}

TEST(DeviceInventory, WithoutNvmlTheEntryAndItsPeaksComeFromCuda) {
  const CudaDriverStatus cuda = testing::cuda_sees({testing::healthy_h100(0)});
  const json e = device_entries(cuda.devices, nullptr);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["source"], "cuda");
  EXPECT_EQ(e[0]["name"], "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(e[0]["nvml_index"], nullptr);
  EXPECT_NEAR(e[0]["peaks"]["dram_gb_s"].get<double>(), 3352.32, 0.01);
  EXPECT_NEAR(e[0]["peaks"]["bf16_tflops"].get<double>(), 989.43, 0.01);
}

TEST(DeviceInventory, WithoutCudaDevicesNvmlsBoardsAreListedUnbound) {
  const NvmlInventory nvml = nvml_of(2);
  const json e = device_entries({}, &nvml);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1]["index"], 1);
  EXPECT_EQ(e[1]["cuda_ordinal"], nullptr);
  EXPECT_TRUE(device_entries({}, nullptr).empty());
}

}  // namespace
}  // namespace gpuval
