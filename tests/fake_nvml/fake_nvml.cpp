// A fake libnvidia-ml.so.1 for tests (DCGM calls this "NVML injection"): gpuval dlopens it through
// the same code path as the real library. Each nvmlInit_v2 reads the JSON file named by
// GPUVAL_FAKE_NVML_CONFIG:
//
//   {"driver_version": "550.54.15", "nvml_version": "12.550.54.15", "cuda_driver_version": 12040,
//    "errors": {"nvmlInit_v2": 18},                      // any call -> this nvmlReturn_t
//    "devices": [{"uuid": "GPU-...", "name": "...", "pci_bus_id": "00000000:18:00.0",
//                 "pci_device_id": 591335646, "cc": [9, 0], "cores": 16896,
//                 "memory": {"total": 0, "free": 0, "used": 0}, "bus_width": 5120,
//                 "max_mem_clock": 2619, "max_sm_clock": 1980, "sm_clock": 1980,
//                 "ecc": {"current": 1, "pending": 1, "volatile_corrected": 0,
//                         "volatile_uncorrected": 0, "aggregate_corrected": 0,
//                         "aggregate_uncorrected": 0},
//                 "retired_pages": {"single_bit": 0, "double_bit": 0, "pending": 0},
//                 "row_remap": {"corrected": 0, "uncorrected": 0, "pending": 0, "failure": 0},
//                 "persistence": 1, "reasons": 1, "mig": {"current": 0, "pending": 0},
//                 "pcie": {"gen": 5, "gen_max": 5, "gen_gpu_max": 5, "width": 16,
//                          "width_max": 16},
//                 "temperature": 35, "power_mw": 70000, "power_limit_mw": 700000,
//                 "errors": {"nvmlDeviceGetHandleByIndex_v2": 15}}]}   // per-device overrides
//
// A key that is absent makes its query return NVML_ERROR_NOT_SUPPORTED. Built twice: in full
// (exporting the pre-R535 nvmlDeviceGetCurrentClocksThrottleReasons, so gpuval's fallback is
// exercised) and with FAKE_NVML_MINIMAL, exporting only the four entry points gpuval requires.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "core/nvml_abi.hpp"
#include "tests/fake_nvml/fake_nvml_internal.hpp"

namespace {

namespace abi = gpuval::nvml_abi;
using nlohmann::json;

constexpr unsigned kMaxDevices = 64;
json g_config;
int g_init_count = 0;
char g_slots[kMaxDevices];  // a device handle points at its slot

int load_config() {
  const char* path = std::getenv("GPUVAL_FAKE_NVML_CONFIG");
  if (path == nullptr) {
    std::fprintf(stderr, "fake NVML: GPUVAL_FAKE_NVML_CONFIG is not set\n");
    return abi::kErrorUnknown;
  }
  std::ifstream in(path);
  g_config = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!in || g_config.is_discarded() || !g_config.is_object()) {
    std::fprintf(stderr, "fake NVML: cannot read JSON object from %s\n", path);
    g_config = json::object();
    return abi::kErrorUnknown;
  }
  return abi::kSuccess;
}

// The configured return code for `call`, for this device or globally; -1 when none.
int forced(const char* call, const json* dev) {
  for (const json* scope : std::initializer_list<const json*>{dev, &g_config}) {
    if (scope != nullptr && scope->contains("errors") && (*scope)["errors"].contains(call)) {
      return (*scope)["errors"][call].get<int>();
    }
  }
  return -1;
}

const json& devices() {
  static const json empty = json::array();
  return g_config.contains("devices") ? g_config["devices"] : empty;
}

// Common prologue of a device query: initialised, valid handle, no forced error.
[[maybe_unused]] int device_call(const char* call, abi::Device h, const json** dev) {
  if (g_init_count == 0) return abi::kErrorUninitialized;
  auto* slot = reinterpret_cast<char*>(h);
  if (slot < g_slots || slot >= g_slots + kMaxDevices) {
#ifndef FAKE_NVML_MINIMAL
    if (const json* mig = fake_nvml::mig_device(h)) {  // a MIG device handle (fake_nvml_mig.cpp)
      *dev = mig;
      const int rc = forced(call, mig);
      return rc >= 0 ? rc : abi::kSuccess;
    }
#endif
    return abi::kErrorInvalidArgument;
  }
  const auto index = static_cast<std::size_t>(slot - g_slots);
  if (index >= devices().size()) return abi::kErrorInvalidArgument;
  *dev = &devices()[index];
  const int rc = forced(call, *dev);
  return rc >= 0 ? rc : abi::kSuccess;
}

// One value of a device, or NOT_SUPPORTED when the config does not have it.
template <typename T>
[[maybe_unused]] int device_value(const char* call, abi::Device h, T* out, const char* key,
                                  const char* sub = nullptr) {
  const json* dev = nullptr;
  if (int rc = device_call(call, h, &dev); rc != abi::kSuccess) return rc;
  if (out == nullptr) return abi::kErrorInvalidArgument;
  const json* v = dev->contains(key) ? &(*dev)[key] : nullptr;
  if (v != nullptr && sub != nullptr) v = v->contains(sub) ? &(*v)[sub] : nullptr;
  if (v == nullptr) return abi::kErrorNotSupported;
  *out = v->get<T>();
  return abi::kSuccess;
}

[[maybe_unused]] int copy_string(const std::string& s, char* buf, unsigned length) {
  if (buf == nullptr) return abi::kErrorInvalidArgument;
  if (s.size() + 1 > length) return abi::kErrorInsufficientSize;
  std::memcpy(buf, s.c_str(), s.size() + 1);
  return abi::kSuccess;
}

[[maybe_unused]] int system_string(const char* call, const char* key, char* buf, unsigned length) {
  if (g_init_count == 0) return abi::kErrorUninitialized;
  if (int rc = forced(call, nullptr); rc >= 0) return rc;
  if (!g_config.contains(key)) return abi::kErrorNotSupported;
  return copy_string(g_config[key].get<std::string>(), buf, length);
}

}  // namespace

namespace fake_nvml {

bool initialised() { return g_init_count > 0; }
const json& config() { return g_config; }
const json& devices() { return ::devices(); }
int forced(const char* call, const json* dev) { return ::forced(call, dev); }
int device_call(const char* call, abi::Device h, const json** dev) {
  return ::device_call(call, h, dev);
}
int device_json(const char* call, abi::Device h, const char* key, const char* sub, json* out) {
  return device_value(call, h, out, key, sub);
}
int copy_string(const std::string& s, char* buf, unsigned length) {
  return ::copy_string(s, buf, length);
}
abi::Device gpu_handle(std::size_t index) {
  return reinterpret_cast<abi::Device>(&g_slots[index % kMaxDevices]);
}
std::optional<std::size_t> gpu_index(abi::Device h) {
  auto* slot = reinterpret_cast<char*>(h);
  if (slot < g_slots || slot >= g_slots + kMaxDevices) return std::nullopt;
  return static_cast<std::size_t>(slot - g_slots);
}

}  // namespace fake_nvml

extern "C" {

int nvmlInit_v2() {
  if (int rc = load_config(); rc != abi::kSuccess) return rc;
  if (int rc = forced("nvmlInit_v2", nullptr); rc >= 0) return rc;
  ++g_init_count;
  return abi::kSuccess;
}

int nvmlShutdown() {
  if (g_init_count == 0) return abi::kErrorUninitialized;
  --g_init_count;
  return abi::kSuccess;
}

int nvmlDeviceGetCount_v2(unsigned* count) {
  if (g_init_count == 0) return abi::kErrorUninitialized;
  if (int rc = forced("nvmlDeviceGetCount_v2", nullptr); rc >= 0) return rc;
  if (count == nullptr) return abi::kErrorInvalidArgument;
  *count = static_cast<unsigned>(devices().size());
  return abi::kSuccess;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned index, abi::Device* device) {
  if (g_init_count == 0) return abi::kErrorUninitialized;
  if (device == nullptr || index >= devices().size() || index >= kMaxDevices) {
    return abi::kErrorInvalidArgument;
  }
  if (int rc = forced("nvmlDeviceGetHandleByIndex_v2", &devices()[index]); rc >= 0) return rc;
  *device = reinterpret_cast<abi::Device>(&g_slots[index]);
  return abi::kSuccess;
}

#ifndef FAKE_NVML_MINIMAL

const char* nvmlErrorString(int result) {
  switch (result) {
    case abi::kSuccess:
      return "Success";
    case abi::kErrorNoPermission:
      return "Insufficient Permissions";
    case abi::kErrorDriverNotLoaded:
      return "Driver Not Loaded";
    case abi::kErrorGpuIsLost:
      return "GPU is lost";
    case abi::kErrorLibRmVersionMismatch:
      return "Driver/library version mismatch";
    case abi::kErrorNotSupported:
      return "Not Supported";
    default:
      return "fake NVML error";
  }
}

int nvmlSystemGetDriverVersion(char* version, unsigned length) {
  return system_string(__func__, "driver_version", version, length);
}

int nvmlSystemGetNVMLVersion(char* version, unsigned length) {
  return system_string(__func__, "nvml_version", version, length);
}

int nvmlSystemGetCudaDriverVersion_v2(int* version) {
  if (g_init_count == 0) return abi::kErrorUninitialized;
  if (int rc = forced(__func__, nullptr); rc >= 0) return rc;
  if (!g_config.contains("cuda_driver_version")) return abi::kErrorNotSupported;
  *version = g_config["cuda_driver_version"].get<int>();
  return abi::kSuccess;
}

int nvmlDeviceGetUUID(abi::Device h, char* uuid, unsigned length) {
  std::string s;
  if (int rc = device_value(__func__, h, &s, "uuid"); rc != abi::kSuccess) return rc;
  return copy_string(s, uuid, length);
}

int nvmlDeviceGetName(abi::Device h, char* name, unsigned length) {
  std::string s;
  if (int rc = device_value(__func__, h, &s, "name"); rc != abi::kSuccess) return rc;
  return copy_string(s, name, length);
}

int nvmlDeviceGetPciInfo_v3(abi::Device h, abi::PciInfo* pci) {
  std::string bus_id;
  if (int rc = device_value(__func__, h, &bus_id, "pci_bus_id"); rc != abi::kSuccess) return rc;
  if (pci == nullptr) return abi::kErrorInvalidArgument;
  std::memset(pci, 0, sizeof *pci);
  std::snprintf(pci->busId, sizeof pci->busId, "%s", bus_id.c_str());
  std::snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%s", bus_id.c_str());
  unsigned id = 0;
  if (device_value(__func__, h, &id, "pci_device_id") == abi::kSuccess) pci->pciDeviceId = id;
  return abi::kSuccess;
}

int nvmlDeviceGetCudaComputeCapability(abi::Device h, int* major, int* minor) {
  std::array<int, 2> cc{};
  if (int rc = device_value(__func__, h, &cc, "cc"); rc != abi::kSuccess) return rc;
  *major = cc[0];
  *minor = cc[1];
  return abi::kSuccess;
}

int nvmlDeviceGetNumGpuCores(abi::Device h, unsigned* cores) {
  return device_value(__func__, h, cores, "cores");
}

int nvmlDeviceGetMemoryInfo(abi::Device h, abi::Memory* memory) {
  json m;
  if (int rc = device_value(__func__, h, &m, "memory"); rc != abi::kSuccess) return rc;
  memory->total = m.value("total", 0ULL);
  memory->free = m.value("free", 0ULL);
  memory->used = m.value("used", 0ULL);
  return abi::kSuccess;
}

int nvmlDeviceGetMemoryBusWidth(abi::Device h, unsigned* width) {
  return device_value(__func__, h, width, "bus_width");
}

int nvmlDeviceGetMaxClockInfo(abi::Device h, int type, unsigned* clock) {
  return device_value(__func__, h, clock,
                      type == abi::kClockMem ? "max_mem_clock" : "max_sm_clock");
}

int nvmlDeviceGetClockInfo(abi::Device h, int type, unsigned* clock) {
  if (type != abi::kClockSm) return abi::kErrorNotSupported;
  return device_value(__func__, h, clock, "sm_clock");
}

int nvmlDeviceGetEccMode(abi::Device h, int* current, int* pending) {
  int rc = device_value(__func__, h, current, "ecc", "current");
  if (rc == abi::kSuccess) rc = device_value(__func__, h, pending, "ecc", "pending");
  return rc;
}

int nvmlDeviceGetTotalEccErrors(abi::Device h, int type, int counter, unsigned long long* count) {
  const char* key =
      type == abi::kMemoryErrorCorrected
          ? (counter == abi::kVolatileEcc ? "volatile_corrected" : "aggregate_corrected")
          : (counter == abi::kVolatileEcc ? "volatile_uncorrected" : "aggregate_uncorrected");
  return device_value(__func__, h, count, "ecc", key);
}

int nvmlDeviceGetRetiredPages(abi::Device h, int cause, unsigned* count,
                              unsigned long long* addresses) {
  unsigned n = 0;
  const char* key = cause == abi::kRetirementDoubleBit ? "double_bit" : "single_bit";
  if (int rc = device_value(__func__, h, &n, "retired_pages", key); rc != abi::kSuccess) return rc;
  if (count == nullptr) return abi::kErrorInvalidArgument;
  const bool fits = *count >= n;
  if (addresses != nullptr) {
    for (unsigned i = 0; i < n && i < *count; ++i) addresses[i] = 0x1000ULL * (i + 1);
  }
  *count = n;
  return fits || addresses == nullptr ? abi::kSuccess : abi::kErrorInsufficientSize;
}

int nvmlDeviceGetRetiredPagesPendingStatus(abi::Device h, int* pending) {
  return device_value(__func__, h, pending, "retired_pages", "pending");
}

int nvmlDeviceGetRemappedRows(abi::Device h, unsigned* corrected, unsigned* uncorrected,
                              unsigned* pending, unsigned* failure) {
  json r;
  if (int rc = device_value(__func__, h, &r, "row_remap"); rc != abi::kSuccess) return rc;
  *corrected = r.value("corrected", 0U);
  *uncorrected = r.value("uncorrected", 0U);
  *pending = r.value("pending", 0U);
  *failure = r.value("failure", 0U);
  return abi::kSuccess;
}

int nvmlDeviceGetPersistenceMode(abi::Device h, int* mode) {
  return device_value(__func__, h, mode, "persistence");
}

int nvmlDeviceGetCurrPcieLinkGeneration(abi::Device h, unsigned* gen) {
  return device_value(__func__, h, gen, "pcie", "gen");
}
int nvmlDeviceGetMaxPcieLinkGeneration(abi::Device h, unsigned* gen) {
  return device_value(__func__, h, gen, "pcie", "gen_max");
}
int nvmlDeviceGetGpuMaxPcieLinkGeneration(abi::Device h, unsigned* gen) {
  return device_value(__func__, h, gen, "pcie", "gen_gpu_max");
}
int nvmlDeviceGetCurrPcieLinkWidth(abi::Device h, unsigned* width) {
  return device_value(__func__, h, width, "pcie", "width");
}
int nvmlDeviceGetMaxPcieLinkWidth(abi::Device h, unsigned* width) {
  return device_value(__func__, h, width, "pcie", "width_max");
}

// The pre-R535 name only: gpuval must fall back to it.
int nvmlDeviceGetCurrentClocksThrottleReasons(abi::Device h, unsigned long long* reasons) {
  return device_value(__func__, h, reasons, "reasons");
}

int nvmlDeviceGetMigMode(abi::Device h, unsigned* current, unsigned* pending) {
  int rc = device_value(__func__, h, current, "mig", "current");
  if (rc == abi::kSuccess) rc = device_value(__func__, h, pending, "mig", "pending");
  return rc;
}

int nvmlDeviceGetTemperature(abi::Device h, int sensor, unsigned* temp) {
  if (sensor != abi::kTemperatureGpu) return abi::kErrorInvalidArgument;
  return device_value(__func__, h, temp, "temperature");
}

int nvmlDeviceGetPowerUsage(abi::Device h, unsigned* mw) {
  return device_value(__func__, h, mw, "power_mw");
}

int nvmlDeviceGetEnforcedPowerLimit(abi::Device h, unsigned* mw) {
  return device_value(__func__, h, mw, "power_limit_mw");
}

#endif  // FAKE_NVML_MINIMAL

}  // extern "C"

// The fake implements exactly the signatures gpuval resolves.
static_assert(std::is_same_v<decltype(&nvmlInit_v2), abi::InitFn>);
static_assert(std::is_same_v<decltype(&nvmlShutdown), abi::InitFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetCount_v2), abi::DeviceGetCountFn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetHandleByIndex_v2), abi::DeviceGetHandleByIndexFn>);
#ifndef FAKE_NVML_MINIMAL
static_assert(std::is_same_v<decltype(&nvmlErrorString), abi::ErrorStringFn>);
static_assert(std::is_same_v<decltype(&nvmlSystemGetDriverVersion), abi::SystemGetStringFn>);
static_assert(std::is_same_v<decltype(&nvmlSystemGetCudaDriverVersion_v2), abi::SystemGetIntFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetUUID), abi::DeviceGetStringFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetPciInfo_v3), abi::DeviceGetPciInfoFn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetCudaComputeCapability), abi::DeviceGetIntPairFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetEccMode), abi::DeviceGetIntPairFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMemoryInfo), abi::DeviceGetMemoryInfoFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMemoryBusWidth), abi::DeviceGetUintFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMaxClockInfo), abi::DeviceGetClockFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetPersistenceMode), abi::DeviceGetIntFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMigMode), abi::DeviceGetUintPairFn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetTotalEccErrors), abi::DeviceGetTotalEccErrorsFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetRetiredPages), abi::DeviceGetRetiredPagesFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetRemappedRows), abi::DeviceGetRemappedRowsFn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetCurrentClocksThrottleReasons), abi::DeviceGetUllFn>);
#endif
