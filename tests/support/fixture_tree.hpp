// A throw-away sysroot for tests: write the /proc, /sys, /dev, /run files a scenario needs, point
// a Context at it, run a check. Removed when the object goes out of scope.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/context.hpp"

namespace gpuval::testing {

class FixtureTree {
 public:
  FixtureTree();
  ~FixtureTree();
  FixtureTree(const FixtureTree&) = delete;
  FixtureTree& operator=(const FixtureTree&) = delete;

  const std::filesystem::path& root() const { return root_; }
  // Create a file (and its parent directories) at an absolute in-system path.
  void write(std::string_view abs_path, std::string_view content = {});
  void mkdir(std::string_view abs_path);
  void symlink(std::string_view target, std::string_view abs_link);
  // A regular file standing in for a character device MAJOR:MINOR (see Sysroot::stat).
  void chardev(std::string_view abs_path, unsigned major, unsigned minor);
  // Make open(O_RDWR) on this path report errno_name ("EPERM", "EACCES", "ENXIO", ...).
  void force_open_errno(std::string_view abs_path, std::string_view errno_name);
  void chmod(std::string_view abs_path, unsigned mode);

 private:
  std::filesystem::path root_;
};

// Fakes for the driver-facing probes.
class FakeLibraryLoader final : public LibraryLoader {
 public:
  // soname -> resolved path; sonames not added fail to load with "cannot open shared object".
  void add(const std::string& soname, const std::string& resolved_path);
  LibraryLoad load(const std::string& soname) const override;

 private:
  std::map<std::string, std::string> libs_;
};

class FakeCudaDriverProbe final : public CudaDriverProbe {
 public:
  CudaDriverStatus status;
  CudaDriverStatus probe() const override { return status; }
};

// A Context over the fixture tree with the given environment and fakes (no libcuda, no GPU by
// default). The fakes must outlive the Context.
Context make_context(const FixtureTree& tree, Env env, const FakeLibraryLoader& libs,
                     const FakeCudaDriverProbe& cuda, int runtime_version = 13000);

}  // namespace gpuval::testing
