#include "probes/host/probe_loader.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <system_error>

#include "core/dynamic_library.hpp"

namespace gpuval {
namespace {

namespace fs = std::filesystem;

#ifndef GPUVAL_INSTALL_LIBDIR
#define GPUVAL_INSTALL_LIBDIR "lib"
#endif

std::vector<std::string> split_colons(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find(':', start);
    std::string item =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!item.empty()) out.push_back(std::move(item));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

void add_unique(std::vector<std::string>& dirs, const fs::path& dir) {
  const std::string text = dir.lexically_normal().string();
  for (const std::string& d : dirs) {
    if (d == text) return;
  }
  dirs.push_back(text);
}

}  // namespace

std::string_view to_string(ProbeLoadStatus status) {
  switch (status) {
    case ProbeLoadStatus::Loaded:
      return "loaded";
    case ProbeLoadStatus::NotInstalled:
      return "not-installed";
    case ProbeLoadStatus::DependencyMissing:
      return "dependency-missing";
    case ProbeLoadStatus::Unloadable:
      return "unloadable";
    case ProbeLoadStatus::NoEntryPoint:
      return "no-entry-point";
    case ProbeLoadStatus::AbiMismatch:
      return "abi-mismatch";
  }
  return "unknown";
}

std::vector<std::string> probe_search_dirs(const Env& env) {
  std::vector<std::string> dirs;
  if (auto configured = env.get("GPUVAL_PROBE_DIR"); configured && !configured->empty()) {
    for (const std::string& d : split_colons(*configured)) add_unique(dirs, d);
    return dirs;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return dirs;
  const fs::path prefix = exe.parent_path().parent_path();
  add_unique(dirs, prefix / GPUVAL_INSTALL_LIBDIR);
  add_unique(dirs, prefix / "lib");
  return dirs;
}

ProbeLoad load_probe_module(const ProbeModuleSpec& spec, const std::vector<std::string>& dirs) {
  ProbeLoad out;
  out.searched = dirs;
  std::error_code ec;
  for (const std::string& dir : dirs) {
    const fs::path candidate = fs::path(dir) / std::string(spec.file);
    if (fs::exists(candidate, ec)) {
      out.path = candidate.string();
      break;
    }
  }
  if (out.path.empty()) {
    out.status = ProbeLoadStatus::NotInstalled;
    out.error = std::string(spec.file) + " not found";
    return out;
  }

  dlerror();
  // RTLD_NODELETE: the module's CUDA library state must outlive any dlclose.
  void* handle = dlopen(out.path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    out.error = last_dl_error();
    // The module file exists, so "cannot open shared object file" names a library it needs.
    const bool dependency = out.error.find("cannot open shared object file") != std::string::npos &&
                            out.error.find(std::string(spec.file) + ":") == std::string::npos;
    out.status = dependency ? ProbeLoadStatus::DependencyMissing : ProbeLoadStatus::Unloadable;
    return out;
  }
  auto entry = reinterpret_cast<gpuval_probe_entry_fn>(dlsym(handle, GPUVAL_PROBE_ENTRY_SYMBOL));
  const gpuval_probe_module* module = entry != nullptr ? entry() : nullptr;
  if (module == nullptr || module->run == nullptr || module->free_result == nullptr) {
    out.status = ProbeLoadStatus::NoEntryPoint;
    out.error = std::string(out.path) + " has no usable " + GPUVAL_PROBE_ENTRY_SYMBOL +
                " entry point: not a gpuval probe module";
    return out;
  }
  if (module->abi_version != GPUVAL_PROBE_ABI_VERSION ||
      module->struct_size < GPUVAL_PROBE_MODULE_BASE_SIZE) {
    out.status = ProbeLoadStatus::AbiMismatch;
    out.error = "probe ABI version " + std::to_string(module->abi_version) + " (size " +
                std::to_string(module->struct_size) + "), gpuval expects " +
                std::to_string(GPUVAL_PROBE_ABI_VERSION);
    return out;
  }
  out.status = ProbeLoadStatus::Loaded;
  out.module = module;
  return out;
}

std::string probe_package_hint(const ProbeModuleSpec& spec, int cuda_runtime_version) {
  const int major = cuda_runtime_version > 0 ? cuda_runtime_version / 1000 : 13;
  const int minor = cuda_runtime_version > 0 ? (cuda_runtime_version % 1000) / 10 : 0;
  const std::string tag = std::to_string(major) + "." + std::to_string(minor) + ".x";
  if (spec.id == kCudnnProbe.id) {
    return "cuDNN not found: use an nvidia/cuda:" + tag +
           "-cudnn-runtime-* image or install libcudnn9-cuda-" + std::to_string(major);
  }
  if (spec.id == kCublasProbe.id) {
    return "cuBLAS not found: use an nvidia/cuda:" + tag +
           "-runtime-* image (the -base images have no cuBLAS) or install libcublas-" +
           std::to_string(major) + "-" + std::to_string(minor);
  }
  if (spec.id == kNcclProbe.id) {
    return "NCCL not found: use an nvidia/cuda:" + tag +
           "-runtime-* image (the -base images have no NCCL) or install libnccl2 (NVIDIA's "
           "CUDA repository, built for CUDA " +
           std::to_string(major) + ")";
  }
  return std::string(spec.library) + " not found: install it for CUDA " + std::to_string(major) +
         "." + std::to_string(minor);
}

}  // namespace gpuval
