// Test helpers for the NVML-facing code: a fake NVML configuration written to a temporary file
// and announced through GPUVAL_FAKE_NVML_CONFIG (see tests/fake_nvml/fake_nvml.cpp), and healthy
// device descriptions to start scenarios from.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/driver_probe.hpp"

namespace gpuval::testing {

inline const std::string kFakeNvml = GPUVAL_FAKE_NVML;
inline const std::string kFakeNvmlMinimal = GPUVAL_FAKE_NVML_MINIMAL;
inline const std::string kNotNvml = GPUVAL_NOT_NVML;

// "GPU-1d5b3c2a-0000-4000-8000-00000000000<i>"
inline std::string fake_uuid(int i) {
  return "GPU-1d5b3c2a-0000-4000-8000-00000000000" + std::to_string(i);
}

// An idle, healthy H100 SXM5 as NVML describes it.
inline nlohmann::json healthy_h100(int i) {
  return {
      {"uuid", fake_uuid(i)},
      {"name", "NVIDIA H100 80GB HBM3"},
      {"pci_bus_id", "00000000:" + std::to_string(18 + i) + ":00.0"},
      {"pci_device_id", 0x233010DE},
      {"cc", {9, 0}},
      {"cores", 16896},
      {"memory", {{"total", 85520809984ULL}, {"free", 84987740160ULL}, {"used", 533069824ULL}}},
      {"bus_width", 5120},
      {"max_mem_clock", 2619},
      {"max_sm_clock", 1980},
      {"sm_clock", 345},
      {"ecc",
       {{"current", 1},
        {"pending", 1},
        {"volatile_corrected", 0},
        {"volatile_uncorrected", 0},
        {"aggregate_corrected", 0},
        {"aggregate_uncorrected", 0}}},
      {"retired_pages", {{"single_bit", 0}, {"double_bit", 0}, {"pending", 0}}},
      {"row_remap", {{"corrected", 0}, {"uncorrected", 0}, {"pending", 0}, {"failure", 0}}},
      {"persistence", 1},
      {"pcie", {{"gen", 5}, {"gen_max", 5}, {"gen_gpu_max", 5}, {"width", 16}, {"width_max", 16}}},
      {"reasons", 0x1},  // idle
      {"mig", {{"current", 0}, {"pending", 0}}},
      {"temperature", 33},
      {"power_mw", 71234},
      {"power_limit_mw", 700000},
  };
}

// The CUDA driver's view of the fake board `nvml` (a healthy_h100 entry) at CUDA ordinal
// `ordinal`: same PCI bus id in CUDA's spelling ("0000:18:00.0"), an H100 SXM5's attributes.
inline CudaDeviceInfo cuda_view(const nlohmann::json& nvml, int ordinal) {
  CudaDeviceInfo d;
  d.ordinal = ordinal;
  d.name = nvml.value("name", "NVIDIA H100 80GB HBM3");
  const std::string bus = nvml.value("pci_bus_id", "00000000:18:00.0");
  d.pci_bus_id = "0000" + bus.substr(bus.find(':'));
  d.uuid = nvml.value("uuid", "");
  d.cc_major = 9;
  d.cc_minor = 0;
  d.sm_count = 132;
  d.clock_mhz = 1980;
  d.memory_clock_mhz = 2619;
  d.memory_bus_width_bits = 5120;
  d.total_memory_bytes = 85520809984ULL;
  return d;
}

// A CUDA driver status that enumerates `nvml_devices` (healthy_h100 entries) in the given order
// (CUDA_VISIBLE_DEVICES / CUDA_DEVICE_ORDER), initialised.
inline CudaDriverStatus cuda_sees(const std::vector<nlohmann::json>& nvml_devices) {
  CudaDriverStatus s;
  s.library_loaded = true;
  s.init_code = 0;
  s.driver_version = 12040;
  for (const nlohmann::json& d : nvml_devices) {
    s.devices.push_back(cuda_view(d, static_cast<int>(s.devices.size())));
  }
  s.device_count = static_cast<int>(s.devices.size());
  return s;
}

inline nlohmann::json fake_system(int gpus) {
  nlohmann::json devices = nlohmann::json::array();
  for (int i = 0; i < gpus; ++i) devices.push_back(healthy_h100(i));
  return {{"driver_version", "550.54.15"},
          {"nvml_version", "12.550.54.15"},
          {"cuda_driver_version", 12040},
          {"devices", devices}};
}

// Writes the configuration and points the fake at it for the object's lifetime.
class FakeNvmlConfig {
 public:
  explicit FakeNvmlConfig(const nlohmann::json& config) : FakeNvmlConfig(config.dump(2)) {}
  explicit FakeNvmlConfig(const std::string& text) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("gpuval-fake-nvml-" + std::to_string(rd()) + std::to_string(rd()) + ".json");
    std::ofstream(path_) << text;
    ::setenv("GPUVAL_FAKE_NVML_CONFIG", path_.c_str(), 1);
  }
  ~FakeNvmlConfig() {
    ::unsetenv("GPUVAL_FAKE_NVML_CONFIG");
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  FakeNvmlConfig(const FakeNvmlConfig&) = delete;
  FakeNvmlConfig& operator=(const FakeNvmlConfig&) = delete;

 private:
  std::filesystem::path path_;
};

}  // namespace gpuval::testing
