// Where documents live in the nightly results history, and how they get there.
//
//   HISTORY/<host>/<gpu-model>/<driver>/<YYYY-MM-DD>/<mode>/<run-id>.json   one run document
//   HISTORY/_pins/<host>/<gpu-model>/<mode>.json                           a pinned baseline
//
// Every path component is a slug (lowercase letters, digits, '.', '-'; the run id keeps its case
// and '_'), so odd GPU model names or host names can neither escape the history nor create
// hidden files. Filing publishes a complete, fsynced file under its final name with linkat(2),
// which never replaces an existing file: concurrent writers cannot clobber each other, the same
// run filed twice is a no-op, and a writer killed at any moment leaves nothing (the file is
// unnamed until published; core/atomic_file.hpp) or, on filesystems without O_TMPFILE, at most
// a hidden ".<name>.tmp.XXXXXX" file that every reader ignores — never a partial document.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "history/identity.hpp"
#include "report/summary.hpp"

namespace gpuval::history {

// Filing failed: a conflicting document, an unwritable history. The message says what to do.
class FilingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A safe path component: [a-z0-9.-] (keep_case: also A-Z and '_'), other runs of characters
// become one '-', no leading or trailing '.'/'-', at most 64 characters (longer ones end in a
// hash of the full text so they stay distinct), "unknown" when nothing is left.
std::string slug(std::string_view text, bool keep_case = false);

// The top-level folder of pins: '_' never starts a host slug, so it cannot clash with a host.
inline constexpr std::string_view kPinsDir = report::kHistoryPinsDir;

std::filesystem::path document_path(const std::filesystem::path& root, const RunIdentity& id);
std::filesystem::path series_root(const std::filesystem::path& root, const std::string& host,
                                  const std::string& gpu_model);
std::filesystem::path pin_path(const std::filesystem::path& root, const RunIdentity& id);

// core's write_new_file, then the directory fsynced: false, writing nothing, when `path` already
// exists. `before_publish` runs once the content is complete, just before the link (tests kill
// the writer there). Throws FilingError on I/O errors.
bool publish_new_file(const std::filesystem::path& path, std::string_view content,
                      const std::function<void()>& before_publish = {});

enum class FileStatus { kFiled, kAlreadyFiled };

struct FileResult {
  FileStatus status = FileStatus::kFiled;
  std::filesystem::path path;
  bool same_bytes = true;  // kAlreadyFiled: the filed document has exactly these bytes
};

// Files one run document (its original text) under document_path(). The same run id with equal
// content is already filed (no-op); with different content it is a FilingError (conflict).
FileResult file_document(const std::filesystem::path& root, const nlohmann::json& doc,
                         std::string_view text, const std::function<void()>& before_publish = {});

// Pins a document as the baseline of its host, GPU model and mode (replacing an earlier pin,
// atomically). Returns the pin's path. Throws FilingError.
std::filesystem::path pin_document(const std::filesystem::path& root, const nlohmann::json& doc,
                                   std::string_view text);

// The documents filed for a host and GPU model (slugs of both) in one mode, any driver, oldest
// night first: (night, path). Hidden and temporary files are skipped.
struct SeriesEntry {
  std::string night;
  std::filesystem::path path;
};
std::vector<SeriesEntry> list_series(const std::filesystem::path& root, const RunIdentity& id);

}  // namespace gpuval::history
