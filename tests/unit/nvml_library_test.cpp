// core/nvml against the fake libnvidia-ml.so.1 builds: loading, initialising, reading the
// inventory, and every way that can fail.
#include <gtest/gtest.h>

#include "core/nvml.hpp"
#include "core/nvml_abi.hpp"
#include "tests/unit/nvml_test_support.hpp"

namespace gpuval {
namespace {

using testing::fake_system;
using testing::FakeNvmlConfig;
using testing::kFakeNvml;

TEST(NvmlLibrary, ReadsTheWholeInventoryFromTheFake) {
  FakeNvmlConfig cfg(fake_system(2));
  NvmlProbe p = probe_nvml(kFakeNvml);
  ASSERT_TRUE(p.inventory) << p.failure.load_error;
  const NvmlInventory& inv = *p.inventory;
  EXPECT_EQ(p.failure.stage, NvmlStage::Ready);
  EXPECT_NE(inv.library_path.find("libnvidia-ml.so.1"), std::string::npos);
  EXPECT_EQ(inv.driver_version, "550.54.15");
  EXPECT_EQ(inv.nvml_version, "12.550.54.15");
  EXPECT_EQ(inv.cuda_driver_version, 12040);
  ASSERT_EQ(inv.device_count, 2u);
  ASSERT_EQ(inv.devices.size(), 2u);
  EXPECT_TRUE(inv.errors.empty());

  const NvmlDevice& d = inv.devices[1];
  EXPECT_EQ(d.index, 1u);
  EXPECT_FALSE(d.handle_error);
  EXPECT_EQ(d.uuid, testing::fake_uuid(1));
  EXPECT_EQ(d.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(d.pci_bus_id, "00000000:19:00.0");
  EXPECT_EQ(d.pci_device_id, 0x233010DEu);
  EXPECT_EQ(d.cc_major, 9);
  EXPECT_EQ(d.cc_minor, 0);
  EXPECT_EQ(d.gpu_cores, 16896u);
  EXPECT_EQ(d.memory_total, 85520809984ULL);
  EXPECT_EQ(d.memory_free, 84987740160ULL);
  EXPECT_EQ(d.memory_bus_width_bits, 5120u);
  EXPECT_EQ(d.max_memory_clock_mhz, 2619u);
  EXPECT_EQ(d.max_sm_clock_mhz, 1980u);
  EXPECT_EQ(d.sm_clock_mhz, 345u);
  EXPECT_EQ(d.ecc.enabled, true);
  EXPECT_EQ(d.ecc.volatile_uncorrected, 0u);
  EXPECT_EQ(d.ecc.aggregate_corrected, 0u);
  EXPECT_EQ(d.retired_pages.single_bit, 0u);
  EXPECT_EQ(d.retired_pages.pending, false);
  ASSERT_TRUE(d.row_remap);
  EXPECT_FALSE(d.row_remap->pending);
  EXPECT_EQ(d.persistence_mode, true);
  EXPECT_EQ(d.pcie.gen_current, 5u);
  EXPECT_EQ(d.pcie.gen_gpu_max, 5u);
  EXPECT_EQ(d.pcie.width_max, 16u);
  // Only the pre-R535 name is exported by the fake: the fallback found it.
  EXPECT_EQ(d.clock_event_reasons, nvml_abi::kReasonGpuIdle);
  EXPECT_EQ(d.mig_enabled, false);
  EXPECT_EQ(d.temperature_c, 33u);
  EXPECT_EQ(d.power_usage_mw, 71234u);
  EXPECT_EQ(d.power_limit_mw, 700000u);
  EXPECT_TRUE(d.unsupported.empty()) << d.unsupported.front();
  EXPECT_TRUE(d.errors.empty());
}

TEST(NvmlLibrary, MissingLibraryIsAResultNotACrash) {
  NvmlProbe p = probe_nvml("/nonexistent/libnvidia-ml.so.1");
  EXPECT_FALSE(p.inventory);
  EXPECT_EQ(p.failure.stage, NvmlStage::NotLoaded);
  EXPECT_NE(p.failure.load_error.find("No such file"), std::string::npos) << p.failure.load_error;
}

TEST(NvmlLibrary, FileThatIsNotALibraryIsNotLoaded) {
  testing::FakeNvmlConfig junk(std::string("not an ELF file"));
  const char* path = std::getenv("GPUVAL_FAKE_NVML_CONFIG");
  NvmlProbe p = probe_nvml(path);
  EXPECT_EQ(p.failure.stage, NvmlStage::NotLoaded);
  EXPECT_FALSE(p.failure.load_error.empty());
}

TEST(NvmlLibrary, LibraryWithoutNvmlEntryPointsIsNotNvml) {
  NvmlProbe p = probe_nvml(testing::kNotNvml);
  EXPECT_FALSE(p.inventory);
  EXPECT_EQ(p.failure.stage, NvmlStage::NotNvml);
  EXPECT_EQ(p.failure.missing_symbols,
            (std::vector<std::string>{"nvmlInit_v2", "nvmlShutdown", "nvmlDeviceGetCount_v2",
                                      "nvmlDeviceGetHandleByIndex_v2"}));
  EXPECT_FALSE(p.failure.resolved_path.empty());
}

TEST(NvmlLibrary, InitFailureCarriesCallCodeNameDescriptionAndLocation) {
  nlohmann::json cfg = fake_system(1);
  cfg["errors"] = {{"nvmlInit_v2", nvml_abi::kErrorLibRmVersionMismatch}};
  FakeNvmlConfig c(cfg);
  NvmlProbe p = probe_nvml(kFakeNvml);
  ASSERT_FALSE(p.inventory);
  EXPECT_EQ(p.failure.stage, NvmlStage::InitFailed);
  ASSERT_TRUE(p.failure.error);
  const NvmlError& e = *p.failure.error;
  EXPECT_EQ(e.call, "nvmlInit_v2");
  EXPECT_EQ(e.code, 18);
  EXPECT_EQ(e.name, "NVML_ERROR_LIB_RM_VERSION_MISMATCH");
  EXPECT_EQ(e.description, "Driver/library version mismatch");
  EXPECT_EQ(e.file, "core/nvml.cpp");
  EXPECT_GT(e.line, 0);
  EXPECT_EQ(e.summary(),
            "nvmlInit_v2: NVML_ERROR_LIB_RM_VERSION_MISMATCH (18, Driver/library version "
            "mismatch)");
  EXPECT_NE(e.what().find("at core/nvml.cpp:"), std::string::npos);
}

TEST(NvmlLibrary, CountFailureIsReported) {
  nlohmann::json cfg = fake_system(1);
  cfg["errors"] = {{"nvmlDeviceGetCount_v2", nvml_abi::kErrorNoPermission}};
  FakeNvmlConfig c(cfg);
  NvmlProbe p = probe_nvml(kFakeNvml);
  EXPECT_EQ(p.failure.stage, NvmlStage::CountFailed);
  ASSERT_TRUE(p.failure.error);
  EXPECT_EQ(p.failure.error->name, "NVML_ERROR_NO_PERMISSION");
  EXPECT_EQ(p.failure.error->description, "Insufficient Permissions");
}

TEST(NvmlLibrary, BrokenConfigMakesTheFakeFailInitWithUnknown) {
  FakeNvmlConfig c(std::string("{ truncated"));
  NvmlProbe p = probe_nvml(kFakeNvml);
  EXPECT_EQ(p.failure.stage, NvmlStage::InitFailed);
  ASSERT_TRUE(p.failure.error);
  EXPECT_EQ(p.failure.error->name, "NVML_ERROR_UNKNOWN");
}

TEST(NvmlLibrary, HandleFailureMarksOnlyThatDevice) {
  nlohmann::json cfg = fake_system(2);
  cfg["devices"][0]["errors"] = {{"nvmlDeviceGetHandleByIndex_v2", nvml_abi::kErrorGpuIsLost}};
  FakeNvmlConfig c(cfg);
  NvmlProbe p = probe_nvml(kFakeNvml);
  ASSERT_TRUE(p.inventory);
  ASSERT_TRUE(p.inventory->devices[0].handle_error);
  EXPECT_EQ(p.inventory->devices[0].handle_error->name, "NVML_ERROR_GPU_IS_LOST");
  EXPECT_FALSE(p.inventory->devices[0].uuid);
  EXPECT_FALSE(p.inventory->devices[1].handle_error);
  EXPECT_TRUE(p.inventory->devices[1].uuid);
}

TEST(NvmlLibrary, UnsupportedQueriesAreNamedAndOtherFailuresKept) {
  nlohmann::json cfg = fake_system(1);
  auto& dev = cfg["devices"][0];
  dev.erase("row_remap");  // pre-Ampere: NOT_SUPPORTED
  dev.erase("max_mem_clock");
  dev["errors"] = {{"nvmlDeviceGetPersistenceMode", nvml_abi::kErrorNoPermission}};
  FakeNvmlConfig c(cfg);
  NvmlProbe p = probe_nvml(kFakeNvml);
  ASSERT_TRUE(p.inventory);
  const NvmlDevice& d = p.inventory->devices[0];
  EXPECT_FALSE(d.row_remap);
  EXPECT_FALSE(d.max_memory_clock_mhz);
  EXPECT_TRUE(d.max_sm_clock_mhz);
  EXPECT_FALSE(d.persistence_mode);
  EXPECT_EQ(d.unsupported,
            (std::vector<std::string>{"nvmlDeviceGetMaxClockInfo", "nvmlDeviceGetRemappedRows"}));
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].call, "nvmlDeviceGetPersistenceMode");
  EXPECT_EQ(d.errors[0].name, "NVML_ERROR_NO_PERMISSION");
}

TEST(NvmlLibrary, EccCountersAreReadOnlyWithEccOn) {
  nlohmann::json cfg = fake_system(1);
  cfg["devices"][0]["ecc"]["current"] = 0;
  cfg["devices"][0]["ecc"]["volatile_uncorrected"] = 7;
  FakeNvmlConfig c(cfg);
  NvmlProbe p = probe_nvml(kFakeNvml);
  ASSERT_TRUE(p.inventory);
  EXPECT_EQ(p.inventory->devices[0].ecc.enabled, false);
  EXPECT_FALSE(p.inventory->devices[0].ecc.volatile_uncorrected);
}

TEST(NvmlLibrary, MinimalLibraryStillEnumeratesDevices) {
  FakeNvmlConfig c(fake_system(1));
  NvmlProbe p = probe_nvml(testing::kFakeNvmlMinimal);
  ASSERT_TRUE(p.inventory);
  EXPECT_FALSE(p.inventory->driver_version);
  EXPECT_FALSE(p.inventory->cuda_driver_version);
  EXPECT_TRUE(p.inventory->errors.empty());
  ASSERT_EQ(p.inventory->devices.size(), 1u);
  const NvmlDevice& d = p.inventory->devices[0];
  EXPECT_FALSE(d.uuid);
  EXPECT_FALSE(d.clock_event_reasons);
  EXPECT_TRUE(d.errors.empty());
  EXPECT_NE(std::find(d.unsupported.begin(), d.unsupported.end(),
                      "nvmlDeviceGetCurrentClocksEventReasons (not in this library)"),
            d.unsupported.end());
}

TEST(NvmlLibrary, MinimalLibraryErrorsHaveNoDescription) {
  nlohmann::json cfg = fake_system(1);
  cfg["errors"] = {{"nvmlInit_v2", nvml_abi::kErrorDriverNotLoaded}};
  FakeNvmlConfig c(cfg);
  NvmlProbe p = probe_nvml(testing::kFakeNvmlMinimal);
  ASSERT_TRUE(p.failure.error);
  EXPECT_EQ(p.failure.error->name, "NVML_ERROR_DRIVER_NOT_LOADED");
  EXPECT_TRUE(p.failure.error->description.empty());
  EXPECT_EQ(p.failure.error->summary(), "nvmlInit_v2: NVML_ERROR_DRIVER_NOT_LOADED (9)");
}

TEST(NvmlLibrary, SessionSamplesClocksAndShutsDownOnDestruction) {
  nlohmann::json cfg = fake_system(1);
  cfg["devices"][0]["sm_clock"] = 1980;
  cfg["devices"][0]["reasons"] = nvml_abi::kReasonSwPowerCap;
  FakeNvmlConfig c(cfg);
  {
    NvmlSession::Opened o = NvmlSession::open(kFakeNvml);
    ASSERT_TRUE(o.session);
    EXPECT_EQ(o.session->device_count(), 1u);
    NvmlSession::ClockSample s = o.session->clock_sample(0);
    EXPECT_EQ(s.sm_clock_mhz, 1980u);
    EXPECT_EQ(s.reasons, nvml_abi::kReasonSwPowerCap);
    NvmlSession::ClockSample none = o.session->clock_sample(5);
    EXPECT_FALSE(none.sm_clock_mhz);
  }
  // A second session after the first closed works: init/shutdown balanced, library reloaded.
  NvmlProbe again = probe_nvml(kFakeNvml);
  EXPECT_TRUE(again.inventory);
}

TEST(NvmlLibrary, ReturnNamesCoverNvmlHAndUnknownCodes) {
  EXPECT_EQ(nvml_return_name(0), "NVML_SUCCESS");
  EXPECT_EQ(nvml_return_name(4), "NVML_ERROR_NO_PERMISSION");
  EXPECT_EQ(nvml_return_name(9), "NVML_ERROR_DRIVER_NOT_LOADED");
  EXPECT_EQ(nvml_return_name(15), "NVML_ERROR_GPU_IS_LOST");
  EXPECT_EQ(nvml_return_name(18), "NVML_ERROR_LIB_RM_VERSION_MISMATCH");
  EXPECT_EQ(nvml_return_name(29), "NVML_ERROR_INVALID_STATE");
  EXPECT_EQ(nvml_return_name(999), "NVML_ERROR_UNKNOWN");
  EXPECT_EQ(nvml_return_name(77), "NVML_ERROR_77");
  for (int code = 1; code <= 29; ++code) {
    EXPECT_NE(nvml_return_name(code), "NVML_ERROR_" + std::to_string(code)) << code;
  }
}

TEST(NvmlLibrary, ClockEventReasonNames) {
  EXPECT_TRUE(clock_event_reason_names(0).empty());
  EXPECT_EQ(
      clock_event_reason_names(0x1 | 0x40 | 0x80),
      (std::vector<std::string>{"gpu_idle", "hw_thermal_slowdown", "hw_power_brake_slowdown"}));
  EXPECT_EQ(clock_event_reason_names(0x4 | 0x1000),
            (std::vector<std::string>{"sw_power_cap", "0x1000"}));
}

TEST(NvmlLibrary, StageNames) {
  EXPECT_EQ(to_string(NvmlStage::NotLoaded), "not-loaded");
  EXPECT_EQ(to_string(NvmlStage::NotNvml), "not-nvml");
  EXPECT_EQ(to_string(NvmlStage::InitFailed), "init-failed");
  EXPECT_EQ(to_string(NvmlStage::CountFailed), "count-failed");
  EXPECT_EQ(to_string(NvmlStage::Ready), "ready");
}

}  // namespace
}  // namespace gpuval
