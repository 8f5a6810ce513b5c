// Narrow interfaces over what the NVIDIA user-space driver offers without a GPU-side program:
// loading a library by soname, and the CUDA driver API's init/version/count. The real
// implementations use dlopen (gpuval never links libcuda or libnvidia-ml, so it starts in an
// environment without them); tests inject fakes.
#pragma once

#include <string>

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

struct CudaDriverStatus {
  bool offline = false;         // offline analysis of a sysroot: nothing was loaded on purpose
  bool library_loaded = false;  // libcuda.so.1 could be dlopen'd
  std::string library_path;
  std::string load_error;
  int init_code = -1;         // CUresult of cuInit(0); 0 = CUDA_SUCCESS; -1 = not attempted
  std::string init_error;     // CUresult name, e.g. "CUDA_ERROR_NO_DEVICE"
  std::string init_message;   // cuGetErrorString text
  int driver_version = 0;     // cuDriverGetVersion, e.g. 12040; 0 unknown
  int device_count = 0;       // cuDeviceGetCount after a successful init
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
