// Atomic file output: the content goes to a file nobody sees until it is complete and fsynced,
// then takes the target's name. A reader never sees a partial file, and an interrupted run leaves
// the old file (or none). Where the filesystem has O_TMPFILE (ext4, xfs, btrfs, tmpfs) that file
// is unnamed until then, so even a writer killed by SIGKILL leaves nothing behind (short of the
// instant between naming it and the rename); elsewhere (NFS, older overlayfs) it is a hidden
// ".<name>.tmp.XXXXXX" beside the target, which a killed writer may leave and readers skip.
// A target that exists and is not a regular file (/dev/null, /dev/stdout, a FIFO) is written
// into instead, never replaced.
#pragma once

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string_view>

namespace gpuval {

class WriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws WriteError with the path and strerror text; never leaves the temporary behind.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// Writes `content` as a new file `path` (mode 0644, fsynced), never replacing one: returns false,
// writing nothing, when `path` exists (the history publishes this way: concurrent writers of one
// name cannot clobber each other). `before_publish` runs once the content is durable, just before
// the file gets its name (tests kill the writer there). Throws WriteError, leaving nothing.
bool write_new_file(const std::filesystem::path& path, std::string_view content,
                    const std::function<void()>& before_publish = {});

// The first half of an atomic write where no unnamed file can be used: `content` in a hidden
// temporary beside `target` (".<name>.tmp.XXXXXX", mode 0644, fsynced, closed). Returns its
// path; the caller publishes or unlinks it. Throws WriteError, leaving nothing behind.
std::filesystem::path write_durable_temporary(const std::filesystem::path& target,
                                              std::string_view content);

// Whether files written in `dir` are unnamed until complete (O_TMPFILE): then a killed writer
// leaves nothing behind.
bool writes_unnamed_files(const std::filesystem::path& dir);

}  // namespace gpuval
