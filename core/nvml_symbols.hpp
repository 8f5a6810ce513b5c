// What core's NVML wrappers (nvml.cpp, nvml_cluster.cpp, nvml_mig.cpp) share: entry points
// resolved by name in the dlopen'ed library, fixed-size strings NVML fills, and the NvmlError of
// a failed call (call, file, line, error name and NVML's description).
#pragma once

#include <dlfcn.h>

#include <cstddef>
#include <initializer_list>
#include <source_location>
#include <string>
#include <string_view>

#include "core/nvml.hpp"
#include "core/nvml_abi.hpp"

namespace gpuval::nvml_detail {

// A resolved entry point and the symbol name it was found under (or looked for).
template <typename Fn>
struct Sym {
  const char* name = nullptr;
  Fn fn = nullptr;
};

// The first of `names` the library exports (newest first), or the first name with no function.
template <typename Fn>
Sym<Fn> resolve(void* handle, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (void* p = dlsym(handle, n)) return Sym<Fn>{n, reinterpret_cast<Fn>(p)};
  }
  return Sym<Fn>{*names.begin(), nullptr};
}

// The text of a buffer NVML filled, up to its first NUL (or all of it when there is none).
std::string terminated(const char* buf, std::size_t size);

// The error of `call` returning `code`, located at `loc` (file as "core/nvml.cpp").
NvmlError make_error(std::string_view call, int code, nvml_abi::ErrorStringFn error_string,
                     std::source_location loc);

}  // namespace gpuval::nvml_detail
