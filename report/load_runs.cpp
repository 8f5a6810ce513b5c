// load_runs(): find the run documents under the inputs and summarise them on a few threads. Each
// file is parsed with parse_filtered_json (only what summarize() reads is built); a file that is
// not valid JSON is parsed again with nlohmann for the exact message.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <variant>

#include "core/run_document.hpp"
#include "report/json_reader.hpp"
#include "report/run_table.hpp"
#include "report/summary.hpp"
#include "report/summary_internal.hpp"

namespace gpuval::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Ignored {};  // valid JSON, but not a run document
using Outcome = std::variant<Ignored, RunSummary, BadFile>;

}  // namespace

// Reads the whole file into `text` (whose capacity is reused from file to file); returns why not
// ("" when it could). A file larger than a run document may be is refused unread.
std::string read_document_text(const std::string& path, std::string& text) {
  text.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::string("cannot open: ") + std::strerror(errno);
  struct stat st {};
  std::size_t expected = 0;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) expected = static_cast<std::size_t>(st.st_size);
  const auto too_large = [](std::string_view size) {
    return fmt::format("{} is larger than the {} MiB a run document may have", size,
                       kMaxDocumentBytes >> 20);
  };
  if (expected > kMaxDocumentBytes) {
    ::close(fd);
    return too_large(fmt::format("the file ({} bytes)", expected));
  }
  std::string error;
  std::size_t used = 0;
  for (;;) {
    if (text.size() < used + 1) {
      if (used > kMaxDocumentBytes) {
        error = too_large("the file (still growing)");
        break;
      }
      text.resize(std::min(std::max(expected + 1, 2 * used + 4096), kMaxDocumentBytes + 1));
    }
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::string("cannot read: ") + std::strerror(errno);
      break;
    }
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(used);
  return error;
}

namespace {

// parse_json_text's message less the path it starts with (the reading names the file apart).
std::string without_path(const std::string& path, std::string message) {
  if (message.starts_with(path + ": ")) message.erase(0, path.size() + 2);
  return message;
}

FileReading bad_reading(std::string reason) {
  FileReading r;
  r.kind = FileReading::Kind::kBad;
  r.reason = std::move(reason);
  return r;
}

Outcome read_one(const std::string& path) {
  FileReading r = read_run_file(path);
  switch (r.kind) {
    case FileReading::Kind::kRun:
      return std::move(r.run);
    case FileReading::Kind::kBad:
      return BadFile{path, std::move(r.reason)};
    case FileReading::Kind::kIgnored:
      break;
  }
  return Ignored{};
}

bool is_json_name(const fs::path& p) { return p.extension() == ".json"; }

}  // namespace

FileReading read_run_text(std::string_view text, const std::string& path) {
  if (text.empty()) return bad_reading("empty file (truncated JSON at byte 0)");
  try {
    TextReading reading = read_run_summary(text, path);
    if (reading.kind == TextReading::Kind::kNotRunDocument) return {};
    FileReading r;
    r.kind = FileReading::Kind::kRun;
    r.run = std::move(reading.run);
    return r;
  } catch (const DocumentError& e) {
    return bad_reading(e.what());
  } catch (const JsonSyntaxError& e) {
    // Not JSON: the document parser every other reader uses says exactly why.
    try {
      [[maybe_unused]] const json doc = parse_json_text(text, path);
    } catch (const DocumentError& de) {
      return bad_reading(without_path(path, de.what()));
    }
    // Both parsers accept and reject the same texts (tests/fuzz/json_differential.cpp).
    return bad_reading(fmt::format("not valid JSON at byte {}", e.byte));
  } catch (const std::exception& e) {
    // This runs on worker threads, where an escaping exception would abort the whole report.
    return bad_reading(fmt::format("cannot be read: {}", e.what()));
  }
}

FileReading read_run_file(const std::string& path) {
  thread_local std::string text;
  if (std::string error = read_document_text(path, text); !error.empty()) {
    return bad_reading(error);
  }
  return read_run_text(text, path);
}

std::vector<std::string> collect_run_files(const std::vector<fs::path>& inputs,
                                           std::vector<BadFile>& bad) {
  std::set<std::string> files;
  for (const fs::path& input : inputs) {
    std::error_code ec;
    const fs::file_status st = fs::status(input, ec);
    if (ec || !fs::exists(st)) {
      bad.push_back({input.string(), "no such file or directory"});
      continue;
    }
    if (!fs::is_directory(st)) {
      // A FIFO or device would block or never end: only regular files are read.
      if (fs::is_regular_file(st)) {
        files.insert(input.lexically_normal().string());
      } else {
        bad.push_back({input.string(), "not a regular file"});
      }
      continue;
    }
    fs::recursive_directory_iterator it(input, ec), end;
    if (ec) {
      bad.push_back({input.string(), "cannot list directory: " + ec.message()});
      continue;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) {
        bad.push_back({input.string(), "cannot list directory: " + ec.message()});
        break;
      }
      std::error_code type_ec;
      // A history's pinned baselines are copies of runs it holds (history/layout.hpp).
      if (it.depth() == 0 && it->path().filename() == kHistoryPinsDir &&
          it->is_directory(type_ec)) {
        it.disable_recursion_pending();
        continue;
      }
      if (is_json_name(it->path()) && it->is_regular_file(type_ec)) {
        files.insert(it->path().lexically_normal().string());
      }
    }
  }
  return {files.begin(), files.end()};
}

namespace {

// Reads `files` on `threads` threads: deliver(i, outcome) for each (on the worker thread), and
// progress now and then on the calling thread.
template <typename Deliver>
void read_all(const std::vector<std::string>& files, unsigned threads, const LoadProgress& progress,
              Deliver deliver) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads =
      static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, files.size())));
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex mu;
  std::condition_variable finished;
  auto work = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      deliver(i, read_one(files[i]));
      if (++done == files.size()) {
        std::lock_guard lock(mu);
        finished.notify_all();
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work);
  if (progress) {
    std::unique_lock lock(mu);
    while (!finished.wait_for(lock, std::chrono::milliseconds(200),
                              [&] { return done.load() == files.size(); })) {
      progress(done.load(), files.size());
    }
    lock.unlock();
    progress(files.size(), files.size());
  }
  for (std::thread& t : pool) t.join();
}

}  // namespace

std::string duplicate_reason(const std::string& first_path, const std::string& run_id) {
  return fmt::format("duplicate of {} (same run id {}): counted once", first_path, run_id);
}

LoadResult load_runs(const std::vector<fs::path>& inputs, unsigned threads,
                     const LoadProgress& progress) {
  LoadResult result;
  const std::vector<std::string> files = collect_run_files(inputs, result.bad);
  std::vector<Outcome> outcomes(files.size());
  read_all(files, threads, progress,
           [&](std::size_t i, Outcome&& outcome) { outcomes[i] = std::move(outcome); });

  // The same run reached twice (a history and the staging folder it was filed from, a copied
  // folder) would be counted twice and move every median: the first path wins, the others are
  // listed.
  std::unordered_map<std::string, std::string> first_path_of_run;
  for (Outcome& o : outcomes) {
    if (auto* run = std::get_if<RunSummary>(&o)) {
      if (!run->run_id.empty()) {
        const auto [it, inserted] = first_path_of_run.emplace(run->run_id, run->path);
        if (!inserted) {
          result.bad.push_back({run->path, duplicate_reason(it->second, run->run_id)});
          continue;
        }
      }
      result.runs.push_back(std::move(*run));
    } else if (auto* b = std::get_if<BadFile>(&o)) {
      result.bad.push_back(std::move(*b));
    }
  }
  std::sort(result.runs.begin(), result.runs.end(), [](const RunSummary& a, const RunSummary& b) {
    return std::tie(a.started_at, a.path) < std::tie(b.started_at, b.path);
  });
  std::sort(result.bad.begin(), result.bad.end(),
            [](const BadFile& a, const BadFile& b) { return a.path < b.path; });
  return result;
}

TableLoad load_run_table(const std::vector<fs::path>& inputs, unsigned threads,
                         const LoadProgress& progress) {
  TableLoad result;
  const std::vector<std::string> files = collect_run_files(inputs, result.bad);
  // Per run added to the table: the file it came from and when it started.
  struct Added {
    std::size_t file;
    std::string started_at, run_id;
  };
  std::vector<Added> added;
  RunTableBuilder builder;
  std::mutex mu;
  read_all(files, threads, progress, [&](std::size_t i, Outcome&& outcome) {
    if (auto* run = std::get_if<RunSummary>(&outcome)) {
      std::lock_guard lock(mu);
      builder.add(*run);
      added.push_back({i, std::move(run->started_at), std::move(run->run_id)});
    } else if (auto* b = std::get_if<BadFile>(&outcome)) {
      std::lock_guard lock(mu);
      result.bad.push_back(std::move(*b));
    }
  });

  // Duplicates as load_runs() finds them: in path order, the first file of a run id wins.
  std::vector<std::size_t> by_file(added.size());
  for (std::size_t k = 0; k < added.size(); ++k) by_file[k] = k;
  std::sort(by_file.begin(), by_file.end(),
            [&](std::size_t a, std::size_t b) { return added[a].file < added[b].file; });
  std::unordered_map<std::string_view, std::size_t> first_file_of_run;
  std::vector<std::size_t> keep;
  keep.reserve(added.size());
  for (std::size_t k : by_file) {
    const Added& a = added[k];
    if (!a.run_id.empty()) {
      const auto [it, inserted] = first_file_of_run.emplace(a.run_id, a.file);
      if (!inserted) {
        result.bad.push_back({files[a.file], duplicate_reason(files[it->second], a.run_id)});
        continue;
      }
    }
    keep.push_back(k);
  }
  std::sort(keep.begin(), keep.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(added[a].started_at, files[added[a].file]) <
           std::tie(added[b].started_at, files[added[b].file]);
  });
  builder.reorder(keep);
  auto paths = std::make_shared<std::vector<std::string>>();
  paths->reserve(keep.size());
  for (std::size_t k : keep) paths->push_back(files[added[k].file]);
  result.table = builder.finish();
  result.table->path_of = [paths](std::size_t i) { return (*paths)[i]; };
  std::sort(result.bad.begin(), result.bad.end(),
            [](const BadFile& a, const BadFile& b) { return a.path < b.path; });
  return result;
}

}  // namespace gpuval::report
