// Atomic file output: write to a temporary file in the same directory, fsync, rename over the
// target. A reader never sees a partial file, and an interrupted run leaves the old file (or none).
// A target that exists and is not a regular file (/dev/null, /dev/stdout, a FIFO) is written into
// instead, never replaced.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace gpuval {

class WriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws WriteError with the path and strerror text; never leaves the temporary behind.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// The first half of an atomic write, for publishers other than rename (the history publishes with
// link(), which never replaces): `content` in a hidden temporary beside `target`
// (".<name>.tmp.XXXXXX", mode 0644, fsynced, closed). Returns its path; the caller publishes or
// unlinks it. Throws WriteError, leaving nothing behind.
std::filesystem::path write_durable_temporary(const std::filesystem::path& target,
                                              std::string_view content);

}  // namespace gpuval
