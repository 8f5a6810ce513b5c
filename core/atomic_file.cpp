#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gpuval {

namespace {

// Writes all of `content` to `fd`; false with errno set on failure.
bool write_all(int fd, std::string_view content) {
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

// A device, FIFO or socket target (/dev/null, /dev/stdout, a pipe) is written into: renaming over
// it would replace the node itself, and as root `--out /dev/null` would leave a regular file
// where /dev/null was.
void write_into_special_file(const std::filesystem::path& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    throw WriteError(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  }
  if (!write_all(fd, content)) {
    const int err = errno;
    ::close(fd);
    throw WriteError(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
  }
  ::close(fd);
}

}  // namespace

std::filesystem::path write_durable_temporary(const std::filesystem::path& target,
                                              std::string_view content) {
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    throw WriteError(fmt::format("cannot write {}: {} (is the directory writable?)",
                                 target.string(), std::strerror(errno)));
  }
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw WriteError(
        fmt::format("cannot write {}: {} failed: {}", target.string(), what, std::strerror(err)));
  };
  if (!write_all(fd, content)) fail("write");
  if (::fchmod(fd, 0644) != 0) fail("chmod");
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    throw WriteError(
        fmt::format("cannot write {}: close failed: {}", target.string(), std::strerror(err)));
  }
  return tmpl;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    write_into_special_file(path, content);
    return;
  }
  const std::filesystem::path tmp = write_durable_temporary(path, content);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw WriteError(
        fmt::format("cannot write {}: rename failed: {}", path.string(), std::strerror(err)));
  }
}

}  // namespace gpuval
