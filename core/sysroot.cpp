#include "core/sysroot.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "core/errno_name.hpp"

namespace gpuval {
namespace fs = std::filesystem;

Sysroot::Sysroot(fs::path root) : root_(std::move(root)) {
  if (root_.empty()) root_ = "/";
}

fs::path Sysroot::resolve(std::string_view abs_path) const {
  if (is_real_root()) return fs::path(abs_path);
  std::string_view rel = abs_path;
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  return root_ / fs::path(rel);
}

std::optional<std::string> Sysroot::read_file(std::string_view abs_path) const {
  // O_NONBLOCK and regular files only: a FIFO or device in a captured tree (--sysroot) must not
  // hang the run. /proc and /sys files are regular (of size 0: read until the end).
  const int fd = ::open(resolve(abs_path).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return std::nullopt;
    }
    // Beyond any /proc or /sys file gpuval reads (a mountinfo of 10,000 mounts is ~2 MiB).
    if (text.size() + static_cast<std::size_t>(n) > kMaxFileBytes) {
      ::close(fd);
      return std::nullopt;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

bool Sysroot::exists(std::string_view abs_path) const {
  std::error_code ec;
  return fs::exists(fs::symlink_status(resolve(abs_path), ec)) && !ec;
}

NodeInfo Sysroot::stat(std::string_view abs_path) const {
  NodeInfo info;
  struct stat st {};
  if (::stat(resolve(abs_path).c_str(), &st) != 0) return info;
  info.exists = true;
  info.is_char_device = S_ISCHR(st.st_mode);
  info.is_regular = S_ISREG(st.st_mode);
  info.is_directory = S_ISDIR(st.st_mode);
  info.major = major(st.st_rdev);
  info.minor = minor(st.st_rdev);
  info.mode = st.st_mode & 07777;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  // Fixture trees cannot hold real device nodes (mknod needs privileges); a sidecar
  // "<node>.chardev" holding "MAJOR:MINOR" makes a regular file stand in for one.
  if (!is_real_root() && info.is_regular) {
    if (auto spec = read_file(std::string(abs_path) + ".chardev")) {
      unsigned ma = 0, mi = 0;
      if (std::sscanf(spec->c_str(), "%u:%u", &ma, &mi) == 2) {
        info.is_char_device = true;
        info.is_regular = false;
        info.major = ma;
        info.minor = mi;
      }
    }
  }
  return info;
}

std::vector<std::string> Sysroot::list_dir(std::string_view abs_path) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(resolve(abs_path), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    // Fixture sidecars are metadata, not entries of the simulated system.
    if (!is_real_root() && (name.ends_with(".errno") || name.ends_with(".chardev"))) continue;
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::string> Sysroot::read_link(std::string_view abs_path) const {
  std::error_code ec;
  fs::path target = fs::read_symlink(resolve(abs_path), ec);
  if (ec) return std::nullopt;
  return target.string();
}

int Sysroot::open_rw_errno(std::string_view abs_path) const { return open_errno(abs_path, O_RDWR); }

int Sysroot::open_errno(std::string_view abs_path, int flags) const {
  if (!is_real_root()) {
    if (auto forced = read_file(std::string(abs_path) + ".errno")) {
      return errno_from_name(*forced).value_or(EIO);
    }
  }
  int fd = ::open(resolve(abs_path).c_str(), flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

}  // namespace gpuval
