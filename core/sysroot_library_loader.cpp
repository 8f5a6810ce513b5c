#include "core/sysroot_library_loader.hpp"

#include <sstream>

namespace gpuval {

SysrootLibraryLoader::SysrootLibraryLoader(const Sysroot& fs, const Env& env) : fs_(fs) {
  if (auto ld = env.get("LD_LIBRARY_PATH")) {
    std::stringstream ss(*ld);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      if (!dir.empty() && dir.front() == '/') dirs_.push_back(dir);
    }
  }
  for (const char* d : {"/usr/local/nvidia/lib64", "/usr/local/nvidia/lib",
                        "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                        "/lib64", "/usr/lib", "/lib"}) {
    dirs_.emplace_back(d);
  }
}

LibraryLoad SysrootLibraryLoader::load(const std::string& soname) const {
  for (const std::string& dir : dirs_) {
    std::string path = dir + "/" + soname;
    if (!fs_.exists(path)) continue;
    // Follow the symlink chain inside the tree (at most 8 hops, as a loop guard).
    for (int hop = 0; hop < 8; ++hop) {
      auto target = fs_.read_link(path);
      if (!target) break;
      std::string next = target->front() == '/' ? *target
                                                : path.substr(0, path.rfind('/') + 1) + *target;
      path = next;
    }
    if (!fs_.stat(path).exists) {
      return {false, {}, soname + ": dangling symlink to " + path};
    }
    return {true, path, {}};
  }
  return {false, {}, soname + ": cannot open shared object file: No such file or directory"};
}

CudaDriverStatus OfflineCudaDriverProbe::probe() const {
  CudaDriverStatus s;
  s.offline = true;
  s.load_error = "offline analysis of a sysroot: the CUDA driver is not loaded";
  return s;
}

}  // namespace gpuval
