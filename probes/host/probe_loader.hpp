// Finding and loading gpuval's probe modules (libgpuval_probe_cublas.so, ...): shared libraries
// that link the library they probe, dlopen'd at run time so that a missing or broken cuBLAS or
// cuDNN costs one check, never the whole run. See probes/probe_abi.h for the interface.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/environment.hpp"
#include "probes/probe_abi.h"

namespace gpuval {

// What gpuval knows about each probe module.
struct ProbeModuleSpec {
  std::string_view id;    // "cublas": also the check id and the module's gpuval_probe_module.name
  std::string_view file;  // "libgpuval_probe_cublas.so"
  std::string_view library;  // "cuBLAS"
};

inline constexpr ProbeModuleSpec kCublasProbe{"cublas", "libgpuval_probe_cublas.so", "cuBLAS"};
inline constexpr ProbeModuleSpec kCudnnProbe{"cudnn", "libgpuval_probe_cudnn.so", "cuDNN"};
// The collectives of `gpuval bench` (group nccl), run in the probe worker process.
inline constexpr ProbeModuleSpec kNcclProbe{"nccl", "libgpuval_probe_nccl.so", "NCCL"};

enum class ProbeLoadStatus {
  Loaded,
  NotInstalled,       // no module file in any search directory
  DependencyMissing,  // the module is there, the library it links (libcudnn.so.9, ...) is not
  Unloadable,         // dlopen failed otherwise (not an ELF file, undefined symbol, ...)
  NoEntryPoint,       // loaded, but GPUVAL_PROBE_ENTRY_SYMBOL is missing or returns null
  AbiMismatch,        // built against another probe ABI version
};

std::string_view to_string(ProbeLoadStatus status);

struct ProbeLoad {
  ProbeLoadStatus status = ProbeLoadStatus::NotInstalled;
  const gpuval_probe_module* module = nullptr;  // set only when Loaded; valid for the process
  std::string path;                             // the module file loaded or tried
  std::string error;                            // dlerror() text or the reason, one line
  std::vector<std::string> searched;            // directories looked in, in order
};

// Where modules are looked for: $GPUVAL_PROBE_DIR (colon-separated) when set, and then only
// there; otherwise next to the executable: <exe dir>/../<libdir> and <exe dir>/../lib, which is
// lib/ beside bin/ when installed and <build>/lib in the build tree.
std::vector<std::string> probe_search_dirs(const Env& env);

// dlopen the module (RTLD_NOW | RTLD_LOCAL, never unloaded: it holds CUDA library state) and
// check its entry point and ABI version.
ProbeLoad load_probe_module(const ProbeModuleSpec& spec, const std::vector<std::string>& dirs);

// Which package or image brings the library, for `cuda_runtime_version` (e.g. 13000):
// "cuDNN not found: use an nvidia/cuda:13.0.x-cudnn-runtime-* image or install
// libcudnn9-cuda-13".
std::string probe_package_hint(const ProbeModuleSpec& spec, int cuda_runtime_version);

}  // namespace gpuval
