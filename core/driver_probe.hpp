// Narrow interfaces over what the NVIDIA user-space driver offers without a GPU-side program:
// loading a library by soname, and the CUDA driver API's init/version/count. The real
// implementations use dlopen (gpuval never links libcuda or libnvidia-ml, so it starts in an
// environment without them); tests inject fakes.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gpuval {

struct LibraryLoad {
  bool loaded = false;
  std::string resolved_path;  // absolute path of the file really mapped (symlinks resolved)
  std::string error;          // dlerror() text when not loaded
};

class LibraryLoader {
 public:
  virtual ~LibraryLoader() = default;
  virtual LibraryLoad load(const std::string& soname) const = 0;
};

// dlopen(RTLD_NOW | RTLD_LOCAL) then dlclose; resolved path from dlinfo + realpath.
class DlopenLibraryLoader final : public LibraryLoader {
 public:
  LibraryLoad load(const std::string& soname) const override;
};

// One device as the CUDA driver enumerates it (after CUDA_VISIBLE_DEVICES and
// CUDA_DEVICE_ORDER): its ordinal is what every CUDA call and every benchmark means by "device".
// The PCI bus id is what ties it to NVML's index, which CUDA does not share. A query the driver
// refused leaves its field empty and is named in `errors`.
struct CudaDeviceInfo {
  int ordinal = 0;
  std::string name;        // cuDeviceGetName
  std::string pci_bus_id;  // cuDeviceGetPCIBusId, "0000:3B:00.0"; a MIG device gives its parent's
  // cuDeviceGetUuid_v2, spelled as nvidia-smi and NVML do: "GPU-xxxxxxxx-xxxx-..." for a whole
  // GPU, "MIG-..." for a MIG device (its own UUID). CUDA does not say which it is: a device whose
  // cuDeviceGetUuid (v1, the parent GPU's UUID under MIG) differs from _v2 is a MIG device, and
  // the NVML binding (core/device_inventory.hpp mark_mig_devices) settles it by the board's MIG
  // mode and its MIG devices' UUIDs.
  std::string uuid;
  bool mig = false;              // a MIG device (see uuid)
  std::string parent_uuid = {};  // a MIG device's GPU ("GPU-..."), when known; "" otherwise
  std::optional<int> cc_major, cc_minor;
  std::optional<unsigned> sm_count;          // multiprocessors: the slice's own on MIG
  std::optional<unsigned> clock_mhz;         // CU_DEVICE_ATTRIBUTE_CLOCK_RATE (max SM clock)
  std::optional<unsigned> memory_clock_mhz;  // CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE
  std::optional<unsigned> memory_bus_width_bits;
  std::optional<unsigned long long> total_memory_bytes;
  std::vector<std::string> errors;  // "cuDeviceGetPCIBusId: CUDA_ERROR_..."
};

struct CudaDriverStatus {
  bool offline = false;         // offline analysis of a sysroot: nothing was loaded on purpose
  bool library_loaded = false;  // libcuda.so.1 could be dlopen'd
  std::string library_path;
  std::string load_error;
  int init_code = -1;        // CUresult of cuInit(0); 0 = CUDA_SUCCESS; -1 = not attempted
  std::string init_error;    // CUresult name, e.g. "CUDA_ERROR_NO_DEVICE"
  std::string init_message;  // cuGetErrorString text
  int driver_version = 0;    // cuDriverGetVersion, e.g. 12040; 0 unknown
  int device_count = 0;      // cuDeviceGetCount after a successful init
  std::vector<CudaDeviceInfo> devices;  // one per ordinal 0 .. device_count - 1
};

class CudaDriverProbe {
 public:
  virtual ~CudaDriverProbe() = default;
  virtual CudaDriverStatus probe() const = 0;
};

// The real one: dlopen("libcuda.so.1") and resolve cuInit & co. with dlsym.
class DlopenCudaDriverProbe final : public CudaDriverProbe {
 public:
  CudaDriverStatus probe() const override;
};

}  // namespace gpuval
