#include "core/driver_probe.hpp"

#include <dlfcn.h>
#include <link.h>

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
  return s;
}

}  // namespace gpuval
