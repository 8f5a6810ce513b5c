// Resolves sonames inside a sysroot the way the dynamic loader would find them (search path, then
// symlinks to the real file), without loading anything: used for `gpuval --sysroot DIR`, where
// dlopen would see the host's libraries instead of the tree's.
#pragma once

#include <string>
#include <vector>

#include "core/driver_probe.hpp"
#include "core/environment.hpp"
#include "core/sysroot.hpp"

namespace gpuval {

class SysrootLibraryLoader final : public LibraryLoader {
 public:
  SysrootLibraryLoader(const Sysroot& fs, const Env& env);
  LibraryLoad load(const std::string& soname) const override;
  const std::vector<std::string>& search_path() const { return dirs_; }

 private:
  const Sysroot& fs_;
  std::vector<std::string> dirs_;
};

// A CUDA driver probe for offline analysis: reports that nothing was loaded, and why.
class OfflineCudaDriverProbe final : public CudaDriverProbe {
 public:
  CudaDriverStatus probe() const override;
};

}  // namespace gpuval
