// Every probe reads /proc, /sys, /dev, /run and library directories through a Sysroot, so checks
// run unchanged against fixture trees in tests (`gpuval --sysroot DIR`) and against "/" for real.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval {

struct NodeInfo {
  bool exists = false;
  bool is_char_device = false;
  bool is_regular = false;
  bool is_directory = false;
  unsigned major = 0;
  unsigned minor = 0;
  mode_t mode = 0;  // permission bits
  uid_t uid = 0;
  gid_t gid = 0;
};

class Sysroot {
 public:
  explicit Sysroot(std::filesystem::path root = "/");

  const std::filesystem::path& root() const { return root_; }
  bool is_real_root() const { return root_ == "/"; }

  // Map an absolute in-system path ("/proc/self/mountinfo") to the host path under the root.
  std::filesystem::path resolve(std::string_view abs_path) const;

  // The whole file; nullopt when missing, unreadable, not a regular file (a FIFO would block)
  // or larger than kMaxFileBytes.
  std::optional<std::string> read_file(std::string_view abs_path) const;
  static constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;
  bool exists(std::string_view abs_path) const;
  NodeInfo stat(std::string_view abs_path) const;
  // Names (not paths) of the entries of a directory, sorted; empty if it does not exist.
  std::vector<std::string> list_dir(std::string_view abs_path) const;
  // Target of a symlink as stored (may be relative), or nullopt if not a symlink.
  std::optional<std::string> read_link(std::string_view abs_path) const;
  // open(O_RDWR) then close: 0 on success, else errno (EPERM, EACCES, ENXIO, ENOENT, ...).
  // Fixture trees can force an errno per path with a sidecar file "<path>.errno" holding the
  // name (e.g. "EPERM"), since a fixture cannot reproduce cgroup or SELinux denials.
  int open_rw_errno(std::string_view abs_path) const;
  // The same with other open(2) flags (O_RDONLY for nodes the driver opens read-only); the
  // sidecar forces the errno whatever the flags.
  int open_errno(std::string_view abs_path, int flags) const;

 private:
  std::filesystem::path root_;
};

}  // namespace gpuval
