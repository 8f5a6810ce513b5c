#include "history/layout.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/atomic_file.hpp"
#include "core/run_document.hpp"

namespace gpuval::history {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxSlug = 64;

// FNV-1a: a stable short hash for slugs that had to be shortened.
std::uint32_t fnv1a(std::string_view text) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : text) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

bool is_night(const std::string& name) {
  if (name.size() != 10 || name[4] != '-' || name[7] != '-') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
}

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec && !fs::is_directory(dir)) {
    throw FilingError(
        fmt::format("cannot create {}: {} (is the history writable?)", dir.string(), ec.message()));
  }
}

// Makes the new directory entry durable; best effort (some filesystems refuse fsync on a dir).
void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string slug(std::string_view text, bool keep_case) {
  std::string out;
  bool dash = false;
  for (unsigned char c : text) {
    char ch = static_cast<char>(c);
    if (!keep_case && c >= 'A' && c <= 'Z') ch = static_cast<char>(c - 'A' + 'a');
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                    ch == '-' || (keep_case && ((ch >= 'A' && ch <= 'Z') || ch == '_'));
    if (ok && ch != '-') {
      out += ch;
      dash = false;
    } else if (!dash) {
      out += '-';
      dash = true;
    }
  }
  const auto trim = [](char c) { return c == '-' || c == '.'; };
  while (!out.empty() && trim(out.back())) out.pop_back();
  std::size_t start = 0;
  while (start < out.size() && trim(out[start])) ++start;
  out.erase(0, start);
  if (out.size() > kMaxSlug) {
    out.resize(kMaxSlug - 9);
    while (!out.empty() && trim(out.back())) out.pop_back();
    out += fmt::format("-{:08x}", fnv1a(text));
  }
  return out.empty() ? "unknown" : out;
}

fs::path series_root(const fs::path& root, const std::string& host, const std::string& gpu_model) {
  return root / slug(host) / slug(gpu_model);
}

fs::path document_path(const fs::path& root, const RunIdentity& id) {
  return series_root(root, id.host, id.gpu_model) / slug(id.driver) / id.night / slug(id.mode) /
         (slug(id.run_id, true) + ".json");
}

fs::path pin_path(const fs::path& root, const RunIdentity& id) {
  return root / std::string(kPinsDir) / slug(id.host) / slug(id.gpu_model) /
         (slug(id.mode) + ".json");
}

bool publish_new_file(const fs::path& path, std::string_view content,
                      const std::function<void()>& before_publish) {
  bool published = false;
  try {
    published = write_new_file(path, content, before_publish);
  } catch (const WriteError& e) {
    throw FilingError(e.what());
  }
  if (published) sync_dir(path.has_parent_path() ? path.parent_path() : fs::path("."));
  return published;
}

FileResult file_document(const fs::path& root, const nlohmann::json& doc, std::string_view text,
                         const std::function<void()>& before_publish) {
  const RunIdentity id = identify(doc);
  FileResult result{FileStatus::kFiled, document_path(root, id)};
  // Filed before (a night ingested again): compared without writing anything.
  struct stat st {};
  if (::lstat(result.path.c_str(), &st) != 0) {
    make_dirs(result.path.parent_path());
    if (publish_new_file(result.path, text, before_publish)) return result;
  }
  // Already there: the same run filed again is fine, a different one under its name is not
  // (also when what is there cannot be read: it is not this document).
  bool same = false, same_bytes = false;
  try {
    const std::string existing = read_document_text(result.path);
    same_bytes = existing == text;
    same = same_bytes || parse_json_text(existing, result.path.string()) == doc;
  } catch (const DocumentError&) {
  }
  if (same) {
    result.status = FileStatus::kAlreadyFiled;
    result.same_bytes = same_bytes;
    return result;
  }
  throw FilingError(fmt::format(
      "conflict: {} already holds a different document with run id {}; the history keeps the "
      "first one (give each run a unique run.id, or remove the filed document if it is wrong)",
      result.path.string(), id.run_id));
}

fs::path pin_document(const fs::path& root, const nlohmann::json& doc, std::string_view text) {
  const RunIdentity id = identify(doc);
  const fs::path path = pin_path(root, id);
  make_dirs(path.parent_path());
  try {
    write_file_atomically(path, text);
  } catch (const WriteError& e) {
    throw FilingError(e.what());
  }
  return path;
}

std::vector<SeriesEntry> list_series(const fs::path& root, const RunIdentity& id) {
  std::vector<SeriesEntry> out;
  const fs::path series = series_root(root, id.host, id.gpu_model);
  const std::string mode = slug(id.mode);
  std::error_code ec;
  for (const auto& driver : fs::directory_iterator(series, ec)) {
    if (!driver.is_directory() || driver.path().filename().string().starts_with(".")) continue;
    std::error_code ec_night;
    for (const auto& night : fs::directory_iterator(driver.path(), ec_night)) {
      const std::string name = night.path().filename().string();
      if (!night.is_directory() || !is_night(name)) continue;
      std::error_code ec_doc;
      for (const auto& doc : fs::directory_iterator(night.path() / mode, ec_doc)) {
        const std::string file = doc.path().filename().string();
        if (file.starts_with(".") || !file.ends_with(".json") || !doc.is_regular_file()) continue;
        out.push_back({name, doc.path()});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const SeriesEntry& a, const SeriesEntry& b) {
    return a.night != b.night ? a.night < b.night : a.path < b.path;
  });
  return out;
}

}  // namespace gpuval::history
