#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
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

namespace {

std::filesystem::path dir_of(const std::filesystem::path& target) {
  return target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
}

[[noreturn]] void fail(const std::filesystem::path& target, const char* what, int err) {
  throw WriteError(
      fmt::format("cannot write {}: {} failed: {}", target.string(), what, std::strerror(err)));
}

// Writes, sets mode 0644 (whatever the umask) and fsyncs; the errno-setting step that failed, or
// nullptr.
const char* fill(int fd, std::string_view content) {
  if (!write_all(fd, content)) return "write";
  if (::fchmod(fd, 0644) != 0) return "chmod";
  if (::fsync(fd) != 0) return "fsync";
  return nullptr;
}

// `content` in an unnamed file of `target`'s directory (O_TMPFILE), durable, its descriptor
// returned; -1 when the filesystem has no unnamed files. Throws WriteError on write errors (the
// unnamed file goes with its descriptor: nothing is left).
int write_unnamed(const std::filesystem::path& target, std::string_view content) {
  const int fd = ::open(dir_of(target).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return -1;  // EOPNOTSUPP, EISDIR (old kernels), ...: the named way says why
  if (const char* what = fill(fd, content)) {
    const int err = errno;
    ::close(fd);
    fail(target, what, err);
  }
  return fd;
}

// Gives the unnamed file `fd` the name `path`; false with errno set (EEXIST when taken, ENOENT
// without /proc). Through /proc/self/fd: linkat's AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH.
bool name_unnamed(int fd, const std::filesystem::path& path) {
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  return ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0;
}

// A fresh hidden name beside `target` for the instant between naming an unnamed file and
// renaming it over the target.
std::filesystem::path hidden_name(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  return dir_of(target) / fmt::format(".{}.tmp.{:08x}{:04x}", target.filename().string(), random(),
                                      counter++ & 0xffffu);
}

}  // namespace

std::filesystem::path write_durable_temporary(const std::filesystem::path& target,
                                              std::string_view content) {
  std::string tmpl = (dir_of(target) / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    throw WriteError(fmt::format("cannot write {}: {} (is the directory writable?)",
                                 target.string(), std::strerror(errno)));
  }
  if (const char* what = fill(fd, content)) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    fail(target, what, err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    fail(target, "close", err);
  }
  return tmpl;
}

bool writes_unnamed_files(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool write_new_file(const std::filesystem::path& path, std::string_view content,
                    const std::function<void()>& before_publish) {
  if (const int fd = write_unnamed(path, content); fd >= 0) {
    if (before_publish) before_publish();
    const bool named = name_unnamed(fd, path);
    const int err = errno;
    ::close(fd);
    if (named) return true;
    if (err == EEXIST) return false;
    if (err != ENOENT) fail(path, "link", err);
    // No /proc to name it through: the named way below.
  }
  const std::filesystem::path tmp = write_durable_temporary(path, content);
  if (before_publish) before_publish();
  // link() fails with EEXIST instead of replacing: the first writer of a name wins.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    if (err == EEXIST) return false;
    fail(path, "link", err);
  }
  ::unlink(tmp.c_str());
  return true;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    write_into_special_file(path, content);
    return;
  }
  std::filesystem::path tmp;
  if (const int fd = write_unnamed(path, content); fd >= 0) {
    for (int attempt = 0; attempt < 16 && tmp.empty(); ++attempt) {
      std::filesystem::path name = hidden_name(path);
      if (name_unnamed(fd, name)) {
        tmp = std::move(name);
      } else if (errno != EEXIST) {
        break;  // no /proc: the named way below
      }
    }
    ::close(fd);
  }
  if (tmp.empty()) tmp = write_durable_temporary(path, content);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "rename", err);
  }
}

}  // namespace gpuval
