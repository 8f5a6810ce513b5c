#include "core/nvml.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <link.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <initializer_list>
#include <system_error>
#include <utility>

#include "core/dynamic_library.hpp"
#include "core/nvml_abi.hpp"
#include "core/nvml_mig.hpp"
#include "core/nvml_symbols.hpp"

namespace gpuval {

namespace abi = nvml_abi;
using nvml_detail::resolve;
using nvml_detail::Sym;
using nvml_detail::terminated;

static_assert(sizeof(abi::PciInfo) == 68, "nvmlPciInfo_t (v3) is 68 bytes");
static_assert(sizeof(abi::Memory) == 24, "nvmlMemory_t is 24 bytes");

namespace {

constexpr std::array<std::pair<int, std::string_view>, 31> kReturnNames = {{
    {abi::kSuccess, "NVML_SUCCESS"},
    {abi::kErrorUninitialized, "NVML_ERROR_UNINITIALIZED"},
    {abi::kErrorInvalidArgument, "NVML_ERROR_INVALID_ARGUMENT"},
    {abi::kErrorNotSupported, "NVML_ERROR_NOT_SUPPORTED"},
    {abi::kErrorNoPermission, "NVML_ERROR_NO_PERMISSION"},
    {abi::kErrorAlreadyInitialized, "NVML_ERROR_ALREADY_INITIALIZED"},
    {abi::kErrorNotFound, "NVML_ERROR_NOT_FOUND"},
    {abi::kErrorInsufficientSize, "NVML_ERROR_INSUFFICIENT_SIZE"},
    {abi::kErrorInsufficientPower, "NVML_ERROR_INSUFFICIENT_POWER"},
    {abi::kErrorDriverNotLoaded, "NVML_ERROR_DRIVER_NOT_LOADED"},
    {abi::kErrorTimeout, "NVML_ERROR_TIMEOUT"},
    {abi::kErrorIrqIssue, "NVML_ERROR_IRQ_ISSUE"},
    {abi::kErrorLibraryNotFound, "NVML_ERROR_LIBRARY_NOT_FOUND"},
    {abi::kErrorFunctionNotFound, "NVML_ERROR_FUNCTION_NOT_FOUND"},
    {abi::kErrorCorruptedInforom, "NVML_ERROR_CORRUPTED_INFOROM"},
    {abi::kErrorGpuIsLost, "NVML_ERROR_GPU_IS_LOST"},
    {abi::kErrorResetRequired, "NVML_ERROR_RESET_REQUIRED"},
    {abi::kErrorOperatingSystem, "NVML_ERROR_OPERATING_SYSTEM"},
    {abi::kErrorLibRmVersionMismatch, "NVML_ERROR_LIB_RM_VERSION_MISMATCH"},
    {abi::kErrorInUse, "NVML_ERROR_IN_USE"},
    {abi::kErrorMemory, "NVML_ERROR_MEMORY"},
    {abi::kErrorNoData, "NVML_ERROR_NO_DATA"},
    {abi::kErrorVgpuEccNotSupported, "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED"},
    {abi::kErrorInsufficientResources, "NVML_ERROR_INSUFFICIENT_RESOURCES"},
    {abi::kErrorFreqNotSupported, "NVML_ERROR_FREQ_NOT_SUPPORTED"},
    {abi::kErrorArgumentVersionMismatch, "NVML_ERROR_ARGUMENT_VERSION_MISMATCH"},
    {abi::kErrorDeprecated, "NVML_ERROR_DEPRECATED"},
    {abi::kErrorNotReady, "NVML_ERROR_NOT_READY"},
    {abi::kErrorGpuNotFound, "NVML_ERROR_GPU_NOT_FOUND"},
    {abi::kErrorInvalidState, "NVML_ERROR_INVALID_STATE"},
    {abi::kErrorUnknown, "NVML_ERROR_UNKNOWN"},
}};

constexpr std::array<std::pair<std::uint64_t, std::string_view>, 9> kReasonNames = {{
    {abi::kReasonGpuIdle, "gpu_idle"},
    {abi::kReasonApplicationsClocksSetting, "applications_clocks_setting"},
    {abi::kReasonSwPowerCap, "sw_power_cap"},
    {abi::kReasonHwSlowdown, "hw_slowdown"},
    {abi::kReasonSyncBoost, "sync_boost"},
    {abi::kReasonSwThermalSlowdown, "sw_thermal_slowdown"},
    {abi::kReasonHwThermalSlowdown, "hw_thermal_slowdown"},
    {abi::kReasonHwPowerBrakeSlowdown, "hw_power_brake_slowdown"},
    {abi::kReasonDisplayClockSetting, "display_clock_setting"},
}};

template <typename Fn, typename... Args>
int call(const Sym<Fn>& s, Args... args) {
  return s.fn != nullptr ? s.fn(args...) : abi::kErrorFunctionNotFound;
}

}  // namespace

struct NvmlSession::Api {
  Sym<abi::InitFn> init, shutdown;
  Sym<abi::ErrorStringFn> error_string;
  Sym<abi::SystemGetStringFn> driver_version, nvml_version;
  Sym<abi::SystemGetIntFn> cuda_driver_version;
  Sym<abi::DeviceGetCountFn> count;
  Sym<abi::DeviceGetHandleByIndexFn> handle;
  Sym<abi::DeviceGetStringFn> uuid, name;
  Sym<abi::DeviceGetPciInfoFn> pci;
  Sym<abi::DeviceGetIntPairFn> compute_capability, ecc_mode;
  Sym<abi::DeviceGetMemoryInfoFn> memory;
  Sym<abi::DeviceGetUintFn> bus_width, cores, pcie_gen, pcie_gen_max, pcie_gen_gpu_max, pcie_width,
      pcie_width_max, power_usage, power_limit;
  Sym<abi::DeviceGetClockFn> max_clock, clock, temperature;
  Sym<abi::DeviceGetIntFn> persistence, retired_pending;
  Sym<abi::DeviceGetUintPairFn> mig_mode;
  Sym<abi::DeviceGetTotalEccErrorsFn> ecc_errors;
  Sym<abi::DeviceGetRetiredPagesFn> retired_pages;
  Sym<abi::DeviceGetRemappedRowsFn> remapped_rows;
  Sym<abi::DeviceGetUllFn> event_reasons;

  explicit Api(void* h)
      : init(resolve<abi::InitFn>(h, {"nvmlInit_v2"})),
        shutdown(resolve<abi::InitFn>(h, {"nvmlShutdown"})),
        error_string(resolve<abi::ErrorStringFn>(h, {"nvmlErrorString"})),
        driver_version(resolve<abi::SystemGetStringFn>(h, {"nvmlSystemGetDriverVersion"})),
        nvml_version(resolve<abi::SystemGetStringFn>(h, {"nvmlSystemGetNVMLVersion"})),
        cuda_driver_version(resolve<abi::SystemGetIntFn>(
            h, {"nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion"})),
        count(resolve<abi::DeviceGetCountFn>(h, {"nvmlDeviceGetCount_v2"})),
        handle(resolve<abi::DeviceGetHandleByIndexFn>(h, {"nvmlDeviceGetHandleByIndex_v2"})),
        uuid(resolve<abi::DeviceGetStringFn>(h, {"nvmlDeviceGetUUID"})),
        name(resolve<abi::DeviceGetStringFn>(h, {"nvmlDeviceGetName"})),
        pci(resolve<abi::DeviceGetPciInfoFn>(h, {"nvmlDeviceGetPciInfo_v3"})),
        compute_capability(
            resolve<abi::DeviceGetIntPairFn>(h, {"nvmlDeviceGetCudaComputeCapability"})),
        ecc_mode(resolve<abi::DeviceGetIntPairFn>(h, {"nvmlDeviceGetEccMode"})),
        memory(resolve<abi::DeviceGetMemoryInfoFn>(h, {"nvmlDeviceGetMemoryInfo"})),
        bus_width(resolve<abi::DeviceGetUintFn>(h, {"nvmlDeviceGetMemoryBusWidth"})),
        cores(resolve<abi::DeviceGetUintFn>(h, {"nvmlDeviceGetNumGpuCores"})),
        pcie_gen(resolve<abi::DeviceGetUintFn>(h, {"nvmlDeviceGetCurrPcieLinkGeneration"})),
        pcie_gen_max(resolve<abi::DeviceGetUintFn>(h, {"nvmlDeviceGetMaxPcieLinkGeneration"})),
        pcie_gen_gpu_max(
            resolve<abi::DeviceGetUintFn>(h, {"nvmlDeviceGetGpuMaxPcieLinkGeneration"})),
        pcie_width(resolve<abi::DeviceGetUintFn>(h, {"nvmlDeviceGetCurrPcieLinkWidth"})),
        pcie_width_max(resolve<abi::DeviceGetUintFn>(h, {"nvmlDeviceGetMaxPcieLinkWidth"})),
        power_usage(resolve<abi::DeviceGetUintFn>(h, {"nvmlDeviceGetPowerUsage"})),
        power_limit(resolve<abi::DeviceGetUintFn>(h, {"nvmlDeviceGetEnforcedPowerLimit"})),
        max_clock(resolve<abi::DeviceGetClockFn>(h, {"nvmlDeviceGetMaxClockInfo"})),
        clock(resolve<abi::DeviceGetClockFn>(h, {"nvmlDeviceGetClockInfo"})),
        temperature(resolve<abi::DeviceGetClockFn>(h, {"nvmlDeviceGetTemperature"})),
        persistence(resolve<abi::DeviceGetIntFn>(h, {"nvmlDeviceGetPersistenceMode"})),
        retired_pending(
            resolve<abi::DeviceGetIntFn>(h, {"nvmlDeviceGetRetiredPagesPendingStatus"})),
        mig_mode(resolve<abi::DeviceGetUintPairFn>(h, {"nvmlDeviceGetMigMode"})),
        ecc_errors(resolve<abi::DeviceGetTotalEccErrorsFn>(h, {"nvmlDeviceGetTotalEccErrors"})),
        retired_pages(resolve<abi::DeviceGetRetiredPagesFn>(h, {"nvmlDeviceGetRetiredPages"})),
        remapped_rows(resolve<abi::DeviceGetRemappedRowsFn>(h, {"nvmlDeviceGetRemappedRows"})),
        // Renamed in R535; the old name stays exported by newer drivers.
        event_reasons(
            resolve<abi::DeviceGetUllFn>(h, {"nvmlDeviceGetCurrentClocksEventReasons",
                                             "nvmlDeviceGetCurrentClocksThrottleReasons"})) {}

  // The entry points without which there is no inventory at all.
  std::vector<std::string> missing_required() const {
    std::vector<std::string> out;
    for (auto [n, present] : {std::pair{init.name, init.fn != nullptr},
                              std::pair{shutdown.name, shutdown.fn != nullptr},
                              std::pair{count.name, count.fn != nullptr},
                              std::pair{handle.name, handle.fn != nullptr}}) {
      if (!present) out.emplace_back(n);
    }
    return out;
  }

  NvmlError error(std::string_view call_name, int code,
                  std::source_location loc = std::source_location::current()) const {
    return nvml_detail::make_error(call_name, code, error_string.fn, loc);
  }
};

std::string nvml_return_name(int code) {
  for (const auto& [c, n] : kReturnNames) {
    if (c == code) return std::string(n);
  }
  return fmt::format("NVML_ERROR_{}", code);
}

std::string NvmlError::summary() const {
  return description.empty() ? fmt::format("{}: {} ({})", call, name, code)
                             : fmt::format("{}: {} ({}, {})", call, name, code, description);
}

std::string NvmlError::what() const { return fmt::format("{} at {}:{}", summary(), file, line); }

std::string_view to_string(NvmlStage stage) {
  switch (stage) {
    case NvmlStage::NotLoaded:
      return "not-loaded";
    case NvmlStage::NotNvml:
      return "not-nvml";
    case NvmlStage::InitFailed:
      return "init-failed";
    case NvmlStage::CountFailed:
      return "count-failed";
    case NvmlStage::Ready:
      return "ready";
  }
  return "unknown";
}

std::vector<std::string> clock_event_reason_names(std::uint64_t mask) {
  std::vector<std::string> out;
  for (const auto& [bit, n] : kReasonNames) {
    if ((mask & bit) != 0) {
      out.emplace_back(n);
      mask &= ~bit;
    }
  }
  for (unsigned b = 0; b < 64; ++b) {
    const std::uint64_t bit = std::uint64_t{1} << b;
    if ((mask & bit) != 0) out.push_back(fmt::format("{:#x}", bit));
  }
  return out;
}

NvmlSession::Opened NvmlSession::open(const std::string& library) {
  Opened out;
  NvmlOpenFailure& f = out.failure;
  f.library = library;
  dlerror();
  void* h = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    f.stage = NvmlStage::NotLoaded;
    f.load_error = last_dl_error();
    return out;
  }
  f.resolved_path = resolved_path_of(h);
  auto api = std::make_unique<Api>(h);
  if (f.missing_symbols = api->missing_required(); !f.missing_symbols.empty()) {
    f.stage = NvmlStage::NotNvml;
    dlclose(h);
    return out;
  }
  if (int rc = api->init.fn(); rc != abi::kSuccess) {
    f.stage = NvmlStage::InitFailed;
    f.error = api->error(api->init.name, rc);
    dlclose(h);
    return out;
  }
  unsigned count = 0;
  if (int rc = api->count.fn(&count); rc != abi::kSuccess) {
    f.stage = NvmlStage::CountFailed;
    f.error = api->error(api->count.name, rc);
    api->shutdown.fn();
    dlclose(h);
    return out;
  }
  f.stage = NvmlStage::Ready;
  out.session.reset(new NvmlSession(h, std::move(api), f.resolved_path, count));
  return out;
}

NvmlSession::NvmlSession(void* handle, std::unique_ptr<Api> api, std::string path, unsigned count)
    : handle_(handle), api_(std::move(api)), path_(std::move(path)), count_(count) {}

NvmlSession::~NvmlSession() {
  api_->shutdown.fn();
  dlclose(handle_);
}

namespace {

// Runs the queries of one device and files each failure: NOT_SUPPORTED and missing entry points
// under `unsupported` (normal: consumer GPUs have no ECC, pre-Ampere ones no row remapping),
// anything else under `errors`.
class DeviceReader {
 public:
  DeviceReader(const NvmlSession::Api& api, NvmlDevice& d) : api_(api), d_(d) {}

  template <typename Fn>
  bool ok(const Sym<Fn>& sym, int rc, std::source_location loc = std::source_location::current()) {
    if (rc == abi::kSuccess) return true;
    if (sym.fn == nullptr || rc == abi::kErrorNotSupported) {
      std::string what = sym.fn == nullptr ? std::string(sym.name) + " (not in this library)"
                                           : std::string(sym.name);
      // Queried once per clock type or counter: name it once.
      if (std::find(d_.unsupported.begin(), d_.unsupported.end(), what) == d_.unsupported.end()) {
        d_.unsupported.push_back(std::move(what));
      }
    } else {
      d_.errors.push_back(api_.error(sym.name, rc, loc));
    }
    return false;
  }

 private:
  const NvmlSession::Api& api_;
  NvmlDevice& d_;
};

}  // namespace

NvmlDevice NvmlSession::device(unsigned index) const {
  const Api& a = *api_;
  NvmlDevice d;
  d.index = index;
  abi::Device h = nullptr;
  if (int rc = a.handle.fn(index, &h); rc != abi::kSuccess) {
    d.handle_error = a.error(a.handle.name, rc);
    return d;
  }
  DeviceReader r(a, d);

  std::array<char, abi::kDeviceUuidBufferSize> text{};
  if (r.ok(a.uuid, call(a.uuid, h, text.data(), static_cast<unsigned>(text.size())))) {
    d.uuid = terminated(text.data(), text.size());
  }
  text.fill('\0');
  if (r.ok(a.name, call(a.name, h, text.data(), static_cast<unsigned>(text.size())))) {
    d.name = terminated(text.data(), text.size());
  }
  abi::PciInfo pci{};
  if (r.ok(a.pci, call(a.pci, h, &pci))) {
    d.pci_bus_id = terminated(pci.busId, sizeof pci.busId);
    d.pci_device_id = pci.pciDeviceId;
    d.pci_subsystem_id = pci.pciSubSystemId;
  }
  int major = 0, minor = 0;
  if (r.ok(a.compute_capability, call(a.compute_capability, h, &major, &minor))) {
    d.cc_major = major;
    d.cc_minor = minor;
  }
  unsigned u = 0;
  if (r.ok(a.cores, call(a.cores, h, &u))) d.gpu_cores = u;
  abi::Memory mem{};
  if (r.ok(a.memory, call(a.memory, h, &mem))) {
    d.memory_total = mem.total;
    d.memory_free = mem.free;
    d.memory_used = mem.used;
  }
  if (r.ok(a.bus_width, call(a.bus_width, h, &u))) d.memory_bus_width_bits = u;
  if (r.ok(a.max_clock, call(a.max_clock, h, abi::kClockMem, &u))) d.max_memory_clock_mhz = u;
  if (r.ok(a.max_clock, call(a.max_clock, h, abi::kClockSm, &u))) d.max_sm_clock_mhz = u;
  if (r.ok(a.clock, call(a.clock, h, abi::kClockSm, &u))) d.sm_clock_mhz = u;

  int current = 0, pending = 0;
  if (r.ok(a.ecc_mode, call(a.ecc_mode, h, &current, &pending))) {
    d.ecc.enabled = current == abi::kFeatureEnabled;
    d.ecc.pending_enabled = pending == abi::kFeatureEnabled;
  }
  // Counters only mean something with ECC on; NVML answers NOT_SUPPORTED otherwise.
  if (d.ecc.enabled.value_or(false)) {
    unsigned long long n = 0;
    auto ecc = [&](int type, int counter, std::optional<std::uint64_t>& out) {
      if (r.ok(a.ecc_errors, call(a.ecc_errors, h, type, counter, &n))) out = n;
    };
    ecc(abi::kMemoryErrorCorrected, abi::kVolatileEcc, d.ecc.volatile_corrected);
    ecc(abi::kMemoryErrorUncorrected, abi::kVolatileEcc, d.ecc.volatile_uncorrected);
    ecc(abi::kMemoryErrorCorrected, abi::kAggregateEcc, d.ecc.aggregate_corrected);
    ecc(abi::kMemoryErrorUncorrected, abi::kAggregateEcc, d.ecc.aggregate_uncorrected);
  }

  // Page retirement: a zero-sized query returns the count (SUCCESS or INSUFFICIENT_SIZE).
  auto retired = [&](int cause, std::optional<unsigned>& out) {
    unsigned pages = 0;
    int rc = call(a.retired_pages, h, cause, &pages, nullptr);
    if (rc == abi::kErrorInsufficientSize) rc = abi::kSuccess;
    if (r.ok(a.retired_pages, rc)) out = pages;
  };
  retired(abi::kRetirementMultipleSingleBit, d.retired_pages.single_bit);
  retired(abi::kRetirementDoubleBit, d.retired_pages.double_bit);
  int state = 0;
  if (r.ok(a.retired_pending, call(a.retired_pending, h, &state))) {
    d.retired_pages.pending = state == abi::kFeatureEnabled;
  }
  unsigned corrected = 0, uncorrected = 0, remap_pending = 0, failure = 0;
  if (r.ok(a.remapped_rows,
           call(a.remapped_rows, h, &corrected, &uncorrected, &remap_pending, &failure))) {
    d.row_remap = NvmlRowRemap{corrected, uncorrected, remap_pending != 0, failure != 0};
  }

  if (r.ok(a.persistence, call(a.persistence, h, &state))) {
    d.persistence_mode = state == abi::kFeatureEnabled;
  }
  if (r.ok(a.pcie_gen, call(a.pcie_gen, h, &u))) d.pcie.gen_current = u;
  if (r.ok(a.pcie_gen_max, call(a.pcie_gen_max, h, &u))) d.pcie.gen_max = u;
  if (r.ok(a.pcie_gen_gpu_max, call(a.pcie_gen_gpu_max, h, &u))) d.pcie.gen_gpu_max = u;
  if (r.ok(a.pcie_width, call(a.pcie_width, h, &u))) d.pcie.width_current = u;
  if (r.ok(a.pcie_width_max, call(a.pcie_width_max, h, &u))) d.pcie.width_max = u;
  unsigned long long reasons = 0;
  if (r.ok(a.event_reasons, call(a.event_reasons, h, &reasons))) d.clock_event_reasons = reasons;
  unsigned mig_current = 0, mig_pending = 0;
  if (r.ok(a.mig_mode, call(a.mig_mode, h, &mig_current, &mig_pending))) {
    d.mig_enabled = mig_current == abi::kMigEnable;
    d.mig_pending = mig_pending == abi::kMigEnable;
  }
  if (d.mig_enabled.value_or(false)) read_mig_inventory(*this, h, d);
  if (r.ok(a.temperature, call(a.temperature, h, abi::kTemperatureGpu, &u))) d.temperature_c = u;
  if (r.ok(a.power_usage, call(a.power_usage, h, &u))) d.power_usage_mw = u;
  if (r.ok(a.power_limit, call(a.power_limit, h, &u))) d.power_limit_mw = u;
  return d;
}

NvmlInventory NvmlSession::inventory() const {
  const Api& a = *api_;
  NvmlInventory inv;
  inv.library_path = path_;
  inv.device_count = count_;
  // Driver-wide queries: a missing or unsupported one leaves the field empty.
  auto ok = [&](const char* name, int rc,
                std::source_location loc = std::source_location::current()) {
    if (rc == abi::kSuccess) return true;
    if (rc != abi::kErrorNotSupported && rc != abi::kErrorFunctionNotFound) {
      inv.errors.push_back(a.error(name, rc, loc));
    }
    return false;
  };
  std::array<char, abi::kSystemDriverVersionBufferSize> text{};
  if (ok(a.driver_version.name,
         call(a.driver_version, text.data(), static_cast<unsigned>(text.size())))) {
    inv.driver_version = terminated(text.data(), text.size());
  }
  text.fill('\0');
  if (ok(a.nvml_version.name,
         call(a.nvml_version, text.data(), static_cast<unsigned>(text.size())))) {
    inv.nvml_version = terminated(text.data(), text.size());
  }
  int cuda = 0;
  if (ok(a.cuda_driver_version.name, call(a.cuda_driver_version, &cuda))) {
    inv.cuda_driver_version = cuda;
  }
  inv.devices.reserve(count_);
  for (unsigned i = 0; i < count_; ++i) inv.devices.push_back(device(i));
  return inv;
}

NvmlError NvmlSession::error(std::string_view call, int code, std::source_location loc) const {
  return api_->error(call, code, loc);
}

NvmlSession::ClockSample NvmlSession::clock_sample(unsigned index) const {
  const Api& a = *api_;
  ClockSample s;
  abi::Device h = nullptr;
  if (a.handle.fn(index, &h) != abi::kSuccess) return s;
  unsigned mhz = 0;
  if (call(a.clock, h, abi::kClockSm, &mhz) == abi::kSuccess) s.sm_clock_mhz = mhz;
  unsigned long long reasons = 0;
  if (call(a.event_reasons, h, &reasons) == abi::kSuccess) s.reasons = reasons;
  return s;
}

NvmlProbe probe_nvml(const std::string& library) {
  NvmlProbe p;
  NvmlSession::Opened opened = NvmlSession::open(library);
  p.failure = std::move(opened.failure);
  if (opened.session) p.inventory = opened.session->inventory();
  return p;
}

}  // namespace gpuval
