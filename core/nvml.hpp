// NVML, loaded at run time with dlopen: gpuval never links libnvidia-ml, so a container without
// the "utility" driver capability still starts and reports why NVML is missing. A missing or
// broken library, a failed nvmlInit and every failed query are values here, never a crash or an
// exception. The library path is a parameter so tests load the fake NVML through the same code.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval {

inline constexpr std::string_view kNvmlSoname = "libnvidia-ml.so.1";

// "NVML_ERROR_DRIVER_NOT_LOADED" for 9, ...; "NVML_ERROR_<code>" for a code nvml.h does not have.
std::string nvml_return_name(int code);

// One failed NVML call: what was called, where gpuval called it, the nvmlReturn_t and its name,
// and the library's own description (nvmlErrorString) when it has one.
struct NvmlError {
  std::string call;  // e.g. "nvmlInit_v2"
  std::string file;  // source file of the call, relative to the project, e.g. "core/nvml.cpp"
  int line = 0;
  int code = 0;             // nvmlReturn_t
  std::string name;         // e.g. "NVML_ERROR_LIB_RM_VERSION_MISMATCH"
  std::string description;  // e.g. "Driver/library version mismatch"; "" without nvmlErrorString

  // "nvmlInit_v2: NVML_ERROR_LIB_RM_VERSION_MISMATCH (18, Driver/library version mismatch)"
  std::string summary() const;
  // summary() plus " at core/nvml.cpp:123"
  std::string what() const;
};

struct NvmlPcieLink {
  std::optional<unsigned> gen_current, gen_max;  // max: what this GPU and this slot allow
  std::optional<unsigned> gen_gpu_max;           // what the GPU alone supports (R510+)
  std::optional<unsigned> width_current, width_max;
};

struct NvmlEcc {
  std::optional<bool> enabled, pending_enabled;  // current mode, mode after the next reboot
  std::optional<std::uint64_t> volatile_corrected, volatile_uncorrected;    // since driver load
  std::optional<std::uint64_t> aggregate_corrected, aggregate_uncorrected;  // board lifetime
};

// Page retirement (before Ampere): retired page counts by cause, and pages waiting for a reboot.
struct NvmlRetiredPages {
  std::optional<unsigned> single_bit, double_bit;
  std::optional<bool> pending;
};

// Row remapping (Ampere and later).
struct NvmlRowRemap {
  unsigned corrected = 0, uncorrected = 0;  // rows remapped for (un)correctable errors
  bool pending = false;                     // a remap waits for a GPU reset
  bool failure = false;                     // a remap failed: no spare rows left
};

// What NVML says about one GPU. Every field is optional: a query the GPU or the driver does not
// support leaves it empty and is named in `unsupported`; any other failure is in `errors`.
struct NvmlDevice {
  unsigned index = 0;
  std::optional<NvmlError> handle_error;  // no handle: nothing else is known about the GPU

  std::optional<std::string> uuid, name, pci_bus_id;
  std::optional<unsigned> pci_device_id, pci_subsystem_id;
  std::optional<int> cc_major, cc_minor;  // CUDA compute capability
  std::optional<unsigned> gpu_cores;      // CUDA cores (nvmlDeviceGetNumGpuCores, R495+)
  std::optional<std::uint64_t> memory_total, memory_free, memory_used;  // bytes
  std::optional<unsigned> memory_bus_width_bits, max_memory_clock_mhz;
  std::optional<unsigned> max_sm_clock_mhz, sm_clock_mhz;
  NvmlEcc ecc;
  NvmlRetiredPages retired_pages;
  std::optional<NvmlRowRemap> row_remap;
  std::optional<bool> persistence_mode;
  NvmlPcieLink pcie;
  std::optional<std::uint64_t> clock_event_reasons;  // nvmlClocksEventReasons bit mask
  std::optional<bool> mig_enabled, mig_pending;
  std::optional<unsigned> temperature_c;
  std::optional<unsigned> power_usage_mw, power_limit_mw;

  std::vector<std::string> unsupported;  // "nvmlDeviceGetRemappedRows", ...
  std::vector<NvmlError> errors;
};

// Driver-wide facts plus every device, read in one NVML session.
struct NvmlInventory {
  std::string library_path;                   // the file really loaded
  std::optional<std::string> driver_version;  // "550.54.15" (the kernel module's version)
  std::optional<std::string> nvml_version;    // "12.550.54.15"
  std::optional<int> cuda_driver_version;     // 12040: the CUDA version this driver supports
  unsigned device_count = 0;
  std::vector<NvmlDevice> devices;
  std::vector<NvmlError> errors;  // driver-wide queries that failed
};

// How far opening NVML got.
enum class NvmlStage {
  NotLoaded,    // dlopen failed: no such library (utility capability not injected) or not loadable
  NotNvml,      // loaded, but required entry points are missing: not (a usable) NVML
  InitFailed,   // nvmlInit_v2 returned an error
  CountFailed,  // nvmlDeviceGetCount_v2 returned an error
  Ready,
};
std::string_view to_string(NvmlStage stage);

struct NvmlOpenFailure {
  NvmlStage stage = NvmlStage::NotLoaded;
  std::string library;                       // what was asked for (soname or path)
  std::string resolved_path;                 // the file loaded, when it was
  std::string load_error;                    // dlerror() text (NotLoaded)
  std::vector<std::string> missing_symbols;  // NotNvml
  std::optional<NvmlError> error;            // InitFailed, CountFailed
};

// An initialised NVML: dlopen + nvmlInit_v2 on open, nvmlShutdown + dlclose on destruction.
// Move-only. Benchmarks keep one open to sample clocks; checks read an inventory.
class NvmlSession {
 public:
  struct Api;  // resolved entry points (nvml.cpp)

  // The session, or why there is none (stage never Ready in the failure).
  struct Opened {
    std::unique_ptr<NvmlSession> session;
    NvmlOpenFailure failure;
  };
  static Opened open(const std::string& library = std::string(kNvmlSoname));

  ~NvmlSession();
  NvmlSession(const NvmlSession&) = delete;
  NvmlSession& operator=(const NvmlSession&) = delete;

  const std::string& library_path() const { return path_; }
  unsigned device_count() const { return count_; }

  // Driver-wide facts (versions) and every device.
  NvmlInventory inventory() const;
  NvmlDevice device(unsigned index) const;

  // Cheap per-sample reads for benchmarks: current SM clock and clocks event reasons.
  struct ClockSample {
    std::optional<unsigned> sm_clock_mhz;
    std::optional<std::uint64_t> reasons;
  };
  ClockSample clock_sample(unsigned index) const;

  // ---- cluster queries (NVLink, fabric): core/nvml_cluster.hpp resolves its own entry points
  // ---- in this library, so the inventory above and those queries grow apart.
  void* library_handle() const { return handle_; }
  // ---- end of cluster queries

 private:
  NvmlSession(void* handle, std::unique_ptr<Api> api, std::string path, unsigned count);
  void* handle_;
  std::unique_ptr<Api> api_;
  std::string path_;
  unsigned count_;
};

// Opens NVML, reads the whole inventory, closes it: the inventory, or why there is none.
struct NvmlProbe {
  std::optional<NvmlInventory> inventory;
  NvmlOpenFailure failure;  // meaningful when !inventory
};
NvmlProbe probe_nvml(const std::string& library = std::string(kNvmlSoname));

// Names of the bits set in a clocks event reasons mask: "gpu_idle", "sw_power_cap",
// "hw_slowdown", ...; an unknown bit is named "0x<hex>".
std::vector<std::string> clock_event_reason_names(std::uint64_t mask);

}  // namespace gpuval
