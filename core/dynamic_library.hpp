// Small helpers around the dynamic loader shared by every dlopen'd dependency (libcuda, NVML, the
// cuBLAS/cuDNN probe modules).
#pragma once

#include <string>

namespace gpuval {

// dlerror() as a string, never empty ("unknown dynamic loader error" when the loader gave none).
std::string last_dl_error();

// The file the loader really mapped for `handle`, symlinks resolved; "" when it cannot tell.
std::string resolved_path_of(void* handle);

}  // namespace gpuval
