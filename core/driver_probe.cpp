#include "core/driver_probe.hpp"

#include <dlfcn.h>
#include <link.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "core/dynamic_library.hpp"

namespace gpuval {
namespace {

// The few driver API entry points the probe needs, declared here so gpuval neither includes
// cuda.h's linkable API nor links libcuda. CUresult is an int-sized enum: returning int is
// ABI-safe.
using CuInitFn = int (*)(unsigned int flags);
using CuDriverGetVersionFn = int (*)(int* version);
using CuDeviceGetCountFn = int (*)(int* count);
// cuGetErrorName and cuGetErrorString share this shape; both work before cuInit.
using CuErrorTextFn = int (*)(int error, const char** text);
// Per-device queries (CUdevice is an int).
using CuDeviceGetFn = int (*)(int* device, int ordinal);
using CuDeviceGetTextFn = int (*)(char* text, int length, int device);  // name, PCI bus id
using CuDeviceGetAttributeFn = int (*)(int* value, int attribute, int device);
using CuDeviceTotalMemFn = int (*)(std::size_t* bytes, int device);
using CuDeviceGetUuidFn = int (*)(std::array<unsigned char, 16>* uuid, int device);

// CUdevice_attribute values (cuda.h; stable since CUDA 2.x/6.x).
constexpr int kAttrClockRateKhz = 13;
constexpr int kAttrMultiprocessorCount = 16;
constexpr int kAttrMemoryClockRateKhz = 36;
constexpr int kAttrGlobalMemoryBusWidth = 37;
constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;

constexpr const char* kLibcuda = "libcuda.so.1";

// libcuda starts threads and registers exit handlers in cuInit; unloading it afterwards can crash
// the process at exit, and a second dlopen of a still-mapped library costs nothing.
bool must_stay_loaded(const std::string& soname) { return soname.starts_with("libcuda.so"); }

template <typename Fn>
Fn symbol(void* handle, const char* name) {
  return reinterpret_cast<Fn>(dlsym(handle, name));
}

std::string error_text(CuErrorTextFn fn, int code) {
  const char* text = nullptr;
  if (fn == nullptr || fn(code, &text) != 0 || text == nullptr) return {};
  return text;
}

// "GPU-8-4-4-4-12" (or "MIG-...") as nvidia-smi and NVML print it.
std::string uuid_text(const std::array<unsigned char, 16>& b, const char* prefix = "GPU-") {
  std::string out = prefix;
  char hex[3];
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    std::snprintf(hex, sizeof hex, "%02x", b[i]);
    out += hex;
  }
  return out;
}

struct DeviceApi {
  CuDeviceGetFn get = nullptr;
  CuDeviceGetTextFn name = nullptr;
  CuDeviceGetTextFn pci_bus_id = nullptr;
  CuDeviceGetAttributeFn attribute = nullptr;
  CuDeviceTotalMemFn total_mem = nullptr;
  CuDeviceGetUuidFn uuid = nullptr;     // cuDeviceGetUuid_v2 (else v1)
  CuDeviceGetUuidFn uuid_v1 = nullptr;  // cuDeviceGetUuid, when _v2 is there too
  CuErrorTextFn error_name = nullptr;
};

// What the driver says about each ordinal; every refused query named, never fatal.
CudaDeviceInfo describe_device(const DeviceApi& api, int ordinal) {
  CudaDeviceInfo d;
  d.ordinal = ordinal;
  auto failed = [&](const char* call, int rc) {
    const std::string name = error_text(api.error_name, rc);
    d.errors.push_back(std::string(call) + ": " +
                       (name.empty() ? "CUresult " + std::to_string(rc) : name));
  };
  int device = 0;
  if (api.get == nullptr) {
    d.errors.emplace_back("cuDeviceGet: missing from libcuda");
    return d;
  }
  if (int rc = api.get(&device, ordinal); rc != 0) {
    failed("cuDeviceGet", rc);
    return d;
  }
  std::array<char, 256> text{};
  if (api.name != nullptr) {
    if (int rc = api.name(text.data(), static_cast<int>(text.size()), device); rc == 0) {
      d.name = text.data();
    } else {
      failed("cuDeviceGetName", rc);
    }
  }
  text.fill('\0');
  if (api.pci_bus_id != nullptr) {
    if (int rc = api.pci_bus_id(text.data(), static_cast<int>(text.size()), device); rc == 0) {
      d.pci_bus_id = text.data();
    } else {
      failed("cuDeviceGetPCIBusId", rc);
    }
  } else {
    d.errors.emplace_back("cuDeviceGetPCIBusId: missing from libcuda");
  }
  if (api.uuid != nullptr) {
    std::array<unsigned char, 16> bytes{};
    if (int rc = api.uuid(&bytes, device); rc == 0) {
      // Under MIG, v1 answers the parent GPU's UUID and _v2 the MIG device's own: a
      // difference means a MIG device.
      std::array<unsigned char, 16> parent{};
      if (api.uuid_v1 != nullptr && api.uuid_v1(&parent, device) == 0 && parent != bytes) {
        d.mig = true;
        d.parent_uuid = uuid_text(parent);
      }
      d.uuid = uuid_text(bytes, d.mig ? "MIG-" : "GPU-");
    } else {
      failed("cuDeviceGetUuid", rc);
    }
  }
  auto attribute = [&](int which, const char* what) -> std::optional<int> {
    if (api.attribute == nullptr) return std::nullopt;
    int value = 0;
    if (int rc = api.attribute(&value, which, device); rc != 0) {
      failed(what, rc);
      return std::nullopt;
    }
    return value;
  };
  auto positive = [](std::optional<int> v, int divisor = 1) -> std::optional<unsigned> {
    if (!v || *v <= 0) return std::nullopt;
    return static_cast<unsigned>(*v / divisor);
  };
  d.cc_major = attribute(kAttrComputeCapabilityMajor, "cuDeviceGetAttribute(CC major)");
  d.cc_minor = attribute(kAttrComputeCapabilityMinor, "cuDeviceGetAttribute(CC minor)");
  d.sm_count = positive(attribute(kAttrMultiprocessorCount, "cuDeviceGetAttribute(SM count)"));
  d.clock_mhz = positive(attribute(kAttrClockRateKhz, "cuDeviceGetAttribute(clock rate)"), 1000);
  d.memory_clock_mhz =
      positive(attribute(kAttrMemoryClockRateKhz, "cuDeviceGetAttribute(memory clock)"), 1000);
  d.memory_bus_width_bits =
      positive(attribute(kAttrGlobalMemoryBusWidth, "cuDeviceGetAttribute(bus width)"));
  if (api.total_mem != nullptr) {
    std::size_t bytes = 0;
    if (int rc = api.total_mem(&bytes, device); rc == 0) {
      d.total_memory_bytes = bytes;
    } else {
      failed("cuDeviceTotalMem", rc);
    }
  }
  return d;
}

}  // namespace

LibraryLoad DlopenLibraryLoader::load(const std::string& soname) const {
  dlerror();  // clear a stale message
  void* handle = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return {false, {}, last_dl_error()};
  LibraryLoad out{true, resolved_path_of(handle), {}};
  if (!must_stay_loaded(soname)) dlclose(handle);
  return out;
}

CudaDriverStatus DlopenCudaDriverProbe::probe() const {
  CudaDriverStatus s;
  dlerror();
  void* handle = dlopen(kLibcuda, RTLD_NOW | RTLD_LOCAL);  // never closed, see must_stay_loaded
  if (handle == nullptr) {
    s.load_error = last_dl_error();
    return s;
  }
  s.library_loaded = true;
  s.library_path = resolved_path_of(handle);

  auto cu_init = symbol<CuInitFn>(handle, "cuInit");
  auto cu_driver_get_version = symbol<CuDriverGetVersionFn>(handle, "cuDriverGetVersion");
  auto cu_device_get_count = symbol<CuDeviceGetCountFn>(handle, "cuDeviceGetCount");
  auto cu_get_error_name = symbol<CuErrorTextFn>(handle, "cuGetErrorName");
  auto cu_get_error_string = symbol<CuErrorTextFn>(handle, "cuGetErrorString");
  if (cu_init == nullptr || cu_driver_get_version == nullptr || cu_device_get_count == nullptr) {
    s.load_error = std::string(kLibcuda) + " at " + s.library_path +
                   " lacks cuInit/cuDriverGetVersion/cuDeviceGetCount: not a CUDA driver library";
    return s;
  }

  // cuDriverGetVersion works before cuInit, so the version is known even when init fails.
  int version = 0;
  if (cu_driver_get_version(&version) == 0) s.driver_version = version;

  s.init_code = cu_init(0);
  if (s.init_code != 0) {
    s.init_error = error_text(cu_get_error_name, s.init_code);
    s.init_message = error_text(cu_get_error_string, s.init_code);
    return s;
  }
  int count = 0;
  if (int rc = cu_device_get_count(&count); rc != 0) {
    // Init succeeded but enumeration did not: report it as the init failure it amounts to.
    s.init_code = rc;
    s.init_error = error_text(cu_get_error_name, rc);
    s.init_message = "cuDeviceGetCount: " + error_text(cu_get_error_string, rc);
    return s;
  }
  s.device_count = count;
  DeviceApi api;
  api.get = symbol<CuDeviceGetFn>(handle, "cuDeviceGet");
  api.name = symbol<CuDeviceGetTextFn>(handle, "cuDeviceGetName");
  api.pci_bus_id = symbol<CuDeviceGetTextFn>(handle, "cuDeviceGetPCIBusId");
  api.attribute = symbol<CuDeviceGetAttributeFn>(handle, "cuDeviceGetAttribute");
  api.total_mem = symbol<CuDeviceTotalMemFn>(handle, "cuDeviceTotalMem_v2");
  api.uuid = symbol<CuDeviceGetUuidFn>(handle, "cuDeviceGetUuid_v2");
  if (api.uuid == nullptr) {
    api.uuid = symbol<CuDeviceGetUuidFn>(handle, "cuDeviceGetUuid");
  } else {
    api.uuid_v1 = symbol<CuDeviceGetUuidFn>(handle, "cuDeviceGetUuid");
  }
  api.error_name = cu_get_error_name;
  for (int i = 0; i < count; ++i) s.devices.push_back(describe_device(api, i));
  return s;
}

}  // namespace gpuval
