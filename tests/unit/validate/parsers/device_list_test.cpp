#include "validate/parsers/device_list.hpp"

#include <gtest/gtest.h>

namespace gpuval {
namespace {

constexpr const char* kUuid = "GPU-8f6c3f2d-5d1b-1c3e-9f2a-6b5a3d2c1e0f";
constexpr const char* kMigUuid = "MIG-1b2c3d4e-5f60-5a7b-8c9d-0e1f2a3b4c5d";

NvidiaVisibleDevices nv(const char* value) { return parse_nvidia_visible_devices(value); }
CudaVisibleDevices cu(const char* value) { return parse_cuda_visible_devices(value); }

TEST(NvidiaVisibleDevicesParse, UnsetEmptyVoidNone) {
  EXPECT_EQ(parse_nvidia_visible_devices(std::nullopt).mode, NvidiaDevicesMode::Unset);
  EXPECT_EQ(nv("").mode, NvidiaDevicesMode::Empty);
  EXPECT_EQ(nv("  \t").mode, NvidiaDevicesMode::Empty);
  EXPECT_EQ(nv("void").mode, NvidiaDevicesMode::Void);
  EXPECT_EQ(nv(" none ").mode, NvidiaDevicesMode::None);
  EXPECT_FALSE(nv("none").requests_all());
  EXPECT_EQ(to_string(NvidiaDevicesMode::Void), "void");
}

TEST(NvidiaVisibleDevicesParse, AllInAnyCaseAndInsideAList) {
  EXPECT_EQ(nv("all").mode, NvidiaDevicesMode::All);
  EXPECT_EQ(nv("ALL").mode, NvidiaDevicesMode::All);
  auto mixed = nv("0,all");
  EXPECT_EQ(mixed.mode, NvidiaDevicesMode::All);
  EXPECT_TRUE(mixed.requests_all());
  EXPECT_TRUE(mixed.entries.empty());
}

TEST(NvidiaVisibleDevicesParse, IndicesWithWhitespace) {
  auto p = nv(" 0, 1 ,2 ");
  EXPECT_EQ(p.mode, NvidiaDevicesMode::List);
  ASSERT_EQ(p.entries.size(), 3u);
  EXPECT_EQ(p.entries[1].kind, DeviceIdKind::Index);
  EXPECT_EQ(p.entries[1].token, "1");
  EXPECT_EQ(p.entries[2].index, 2);
  EXPECT_TRUE(p.invalid.empty());
  EXPECT_EQ(p.whole_gpu_count(), 3u);
}

TEST(NvidiaVisibleDevicesParse, GpuUuidsFullAndPrefix) {
  auto p = nv((std::string(kUuid) + ",GPU-8f6c").c_str());
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.entries[0].kind, DeviceIdKind::GpuUuid);
  EXPECT_EQ(p.entries[1].kind, DeviceIdKind::GpuUuid);  // nvidia-container-cli matches prefixes
  EXPECT_TRUE(is_full_gpu_uuid(kUuid));
  EXPECT_FALSE(is_full_gpu_uuid("GPU-8f6c"));
  EXPECT_FALSE(is_full_gpu_uuid("GPU-8f6c3f2d-5d1b-1c3e-9f2a-6b5a3d2c1e0g"));
}

TEST(NvidiaVisibleDevicesParse, MigUuidsNewAndOldStyleAndIndexPairs) {
  std::string old_style = std::string("MIG-") + kUuid + "/1/0";
  auto p = nv((std::string(kMigUuid) + "," + old_style + ",0:1").c_str());
  ASSERT_EQ(p.entries.size(), 3u) << (p.invalid.empty() ? "" : p.invalid[0].reason);
  EXPECT_EQ(p.entries[0].kind, DeviceIdKind::MigUuid);
  EXPECT_EQ(p.entries[1].kind, DeviceIdKind::MigUuid);
  EXPECT_EQ(p.entries[2].kind, DeviceIdKind::MigIndex);
  EXPECT_EQ(p.entries[2].index, 0);
  EXPECT_EQ(p.entries[2].mig_index, 1);
  EXPECT_EQ(p.mig_count(), 3u);
  EXPECT_EQ(p.whole_gpu_count(), 0u);
}

TEST(NvidiaVisibleDevicesParse, PciBusId) {
  auto p = nv("00000000:3B:00.0");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].kind, DeviceIdKind::PciBusId);
  EXPECT_EQ(p.whole_gpu_count(), 1u);
}

TEST(NvidiaVisibleDevicesParse, CdiNames) {
  auto p = nv((std::string("nvidia.com/gpu=0,nvidia.com/gpu=") + kUuid +
               ",nvidia.com/gpu=0:1,nvidia.com/gpu=gpu0")
                  .c_str());
  ASSERT_EQ(p.entries.size(), 4u);
  for (const auto& e : p.entries) {
    EXPECT_EQ(e.kind, DeviceIdKind::CdiName);
    EXPECT_EQ(e.cdi_kind, "nvidia.com/gpu");
  }
  EXPECT_EQ(p.entries[0].cdi_device, "0");
  EXPECT_EQ(p.entries[0].cdi_target, DeviceIdKind::Index);
  EXPECT_EQ(p.entries[1].cdi_target, DeviceIdKind::GpuUuid);
  EXPECT_EQ(p.entries[2].cdi_target, DeviceIdKind::MigIndex);
  EXPECT_FALSE(p.entries[3].cdi_target.has_value());
  EXPECT_EQ(p.whole_gpu_count(), 2u);
  EXPECT_EQ(p.mig_count(), 1u);
  EXPECT_EQ(p.opaque_count(), 1u);
  EXPECT_FALSE(p.requests_all());
  EXPECT_TRUE(nv("nvidia.com/gpu=all").requests_all());
}

TEST(NvidiaVisibleDevicesParse, InvalidTokensCarryTheirReason) {
  auto p = nv("-1,foo,GPU-xyz,MIG-123,nvidia.com/=0,0:x,NONE,9999999999,0");
  ASSERT_EQ(p.entries.size(), 1u);
  ASSERT_EQ(p.invalid.size(), 8u);
  EXPECT_EQ(p.invalid[0].token, "-1");
  EXPECT_NE(p.invalid[0].reason.find("non-negative"), std::string::npos);
  EXPECT_EQ(p.invalid[1].token, "foo");
  EXPECT_NE(p.invalid[2].reason.find("GPU UUID"), std::string::npos);
  EXPECT_NE(p.invalid[3].reason.find("MIG UUID"), std::string::npos);
  EXPECT_NE(p.invalid[4].reason.find("CDI"), std::string::npos);
  EXPECT_NE(p.invalid[5].reason.find("<gpu>:<mig>"), std::string::npos);
  EXPECT_NE(p.invalid[6].reason.find("lowercase"), std::string::npos);
  EXPECT_NE(p.invalid[7].reason.find("out of range"), std::string::npos);
}

TEST(NvidiaVisibleDevicesParse, NoneOrVoidInsideAListIsInvalid) {
  auto p = nv("0,void");
  EXPECT_EQ(p.mode, NvidiaDevicesMode::List);
  ASSERT_EQ(p.invalid.size(), 1u);
  EXPECT_EQ(p.invalid[0].token, "void");
  EXPECT_NE(p.invalid[0].reason.find("whole value"), std::string::npos);
}

TEST(NvidiaVisibleDevicesParse, DuplicatesAreFlaggedAndCountedOnce) {
  std::string upper = "GPU-8F6C3F2D-5D1B-1C3E-9F2A-6B5A3D2C1E0F";
  auto p = nv((std::string("0,1,0,") + kUuid + "," + upper).c_str());
  ASSERT_EQ(p.entries.size(), 3u);
  ASSERT_EQ(p.duplicates.size(), 2u);
  EXPECT_EQ(p.duplicates[0], "0");
  EXPECT_EQ(p.duplicates[1], upper);
  EXPECT_EQ(p.whole_gpu_count(), 3u);
}

TEST(NvidiaVisibleDevicesParse, EmptyEntriesAreSkipped) {
  auto p = nv("0,,1,");
  EXPECT_EQ(p.entries.size(), 2u);
  EXPECT_TRUE(p.invalid.empty());
  auto commas = nv(",,");
  EXPECT_EQ(commas.mode, NvidiaDevicesMode::List);
  EXPECT_TRUE(commas.entries.empty());
}

TEST(CudaVisibleDevicesParse, UnsetMeansAllAndEmptyMeansNone) {
  auto unset = parse_cuda_visible_devices(std::nullopt);
  EXPECT_TRUE(unset.all_devices());
  auto empty = cu("");
  EXPECT_FALSE(empty.all_devices());
  EXPECT_TRUE(empty.effective.empty());
  EXPECT_FALSE(empty.truncated_at.has_value());
}

TEST(CudaVisibleDevicesParse, IndicesAndUuidsWithWhitespace) {
  auto p = cu((std::string(" 1, 0 ,GPU-8f6c,") + kMigUuid).c_str());
  ASSERT_EQ(p.effective.size(), 4u);
  EXPECT_EQ(p.effective[0].index, 1);
  EXPECT_EQ(p.effective[2].kind, DeviceIdKind::GpuUuid);
  EXPECT_EQ(p.effective[3].kind, DeviceIdKind::MigUuid);
  EXPECT_FALSE(p.truncated_at.has_value());
}

TEST(CudaVisibleDevicesParse, NegativeIndexHidesEverything) {
  auto p = cu("-1");
  EXPECT_TRUE(p.effective.empty());
  ASSERT_TRUE(p.truncated_at.has_value());
  EXPECT_EQ(*p.truncated_at, "-1");
  EXPECT_EQ(p.truncated_position, 0u);
  EXPECT_NE(p.truncation_reason.find("negative"), std::string::npos);
}

TEST(CudaVisibleDevicesParse, InvalidEntryTruncatesTheList) {
  auto p = cu("0,foo,1");
  ASSERT_EQ(p.effective.size(), 1u);
  EXPECT_EQ(p.effective[0].token, "0");
  EXPECT_EQ(p.truncated_at, "foo");
  EXPECT_EQ(p.truncated_position, 1u);
  EXPECT_EQ(p.dropped, 2u);
}

TEST(CudaVisibleDevicesParse, RepeatedEntryTruncatesTheList) {
  auto p = cu("0,1,0,2");
  ASSERT_EQ(p.effective.size(), 2u);
  EXPECT_EQ(p.truncated_at, "0");
  EXPECT_EQ(p.truncated_position, 2u);
  EXPECT_NE(p.truncation_reason.find("repeats"), std::string::npos);
  auto uuids = cu("GPU-8f6c,gpu-8F6C");
  EXPECT_EQ(uuids.effective.size(), 1u);
  EXPECT_TRUE(uuids.truncated_at.has_value());
}

TEST(CudaVisibleDevicesParse, MigIndexPairsAndEmptyEntriesAreInvalidForCuda) {
  auto pair = cu("0:1");
  EXPECT_TRUE(pair.effective.empty());
  EXPECT_EQ(pair.truncated_at, "0:1");
  auto gap = cu("0,,1");
  EXPECT_EQ(gap.effective.size(), 1u);
  EXPECT_EQ(gap.truncated_at, "");
  EXPECT_EQ(gap.truncation_reason, "empty entry");
}

}  // namespace
}  // namespace gpuval
