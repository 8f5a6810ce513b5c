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
#include "report/summary.hpp"
#include "report/summary_internal.hpp"

namespace gpuval::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Ignored {};  // valid JSON, but not a run document
using Outcome = std::variant<Ignored, RunSummary, BadFile>;

// Reads the whole file into `text` (whose capacity is reused from file to file); returns why not
// ("" when it could). A file larger than a run document may be is refused unread.
std::string read_file(const std::string& path, std::string& text) {
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

// parse_json_text's message less the path it starts with (BadFile names the file apart).
std::string without_path(const std::string& path, std::string message) {
  if (message.starts_with(path + ": ")) message.erase(0, path.size() + 2);
  return message;
}

Outcome read_one(const std::string& path) {
  thread_local std::string text;
  if (std::string error = read_file(path, text); !error.empty()) return BadFile{path, error};
  if (text.empty()) return BadFile{path, "empty file (truncated JSON at byte 0)"};
  try {
    TextReading reading = read_run_summary(text, path);
    if (reading.kind == TextReading::Kind::kNotRunDocument) return Ignored{};
    return std::move(reading.run);
  } catch (const DocumentError& e) {
    return BadFile{path, e.what()};
  } catch (const JsonSyntaxError& e) {
    // Not JSON: the document parser every other reader uses says exactly why.
    try {
      [[maybe_unused]] const json doc = parse_json_text(text, path);
    } catch (const DocumentError& de) {
      return BadFile{path, without_path(path, de.what())};
    }
    // Both parsers accept and reject the same texts (tests/fuzz/json_differential.cpp).
    return BadFile{path, fmt::format("not valid JSON at byte {}", e.byte)};
  } catch (const std::exception& e) {
    // This runs on a worker thread, where an escaping exception would abort the whole report.
    return BadFile{path, fmt::format("cannot be read: {}", e.what())};
  }
}

bool is_json_name(const fs::path& p) { return p.extension() == ".json"; }

// Every file to read, in a stable order, and the inputs that could not be listed.
std::vector<std::string> collect_files(const std::vector<fs::path>& inputs,
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
      if (is_json_name(it->path()) && it->is_regular_file(type_ec)) {
        files.insert(it->path().lexically_normal().string());
      }
    }
  }
  return {files.begin(), files.end()};
}

}  // namespace

LoadResult load_runs(const std::vector<fs::path>& inputs, unsigned threads,
                     const LoadProgress& progress) {
  LoadResult result;
  const std::vector<std::string> files = collect_files(inputs, result.bad);
  std::vector<Outcome> outcomes(files.size());

  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads =
      static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, files.size())));
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex mu;
  std::condition_variable finished;
  auto work = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      outcomes[i] = read_one(files[i]);
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

  // The same run reached twice (a history and the staging folder it was filed from, a copied
  // folder) would be counted twice and move every median: the first path wins, the others are
  // listed.
  std::unordered_map<std::string, std::string> first_path_of_run;
  for (Outcome& o : outcomes) {
    if (auto* run = std::get_if<RunSummary>(&o)) {
      if (!run->run_id.empty()) {
        const auto [it, inserted] = first_path_of_run.emplace(run->run_id, run->path);
        if (!inserted) {
          result.bad.push_back(
              {run->path, fmt::format("duplicate of {} (same run id {}): counted once", it->second,
                                      run->run_id)});
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

}  // namespace gpuval::report
