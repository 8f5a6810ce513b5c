// What `gpuval report` and the nightly history need from one run document, extracted once so that
// thousands of documents fit in memory: identity (host, GPU model, driver, mode, date), the
// verdict, each check's status and each benchmark's median. Samples and check metrics are dropped
// while parsing (they are most of a document's bytes).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval::report {

// RunSummary::gpu_model of a run that saw no GPU (no devices): grouped apart, never charted.
inline constexpr const char* kNoGpu = "no GPU";

// The folder of pinned baselines in a nightly history (history/layout.hpp): copies of runs the
// history holds, so a report over the history does not read them.
inline constexpr const char* kHistoryPinsDir = "_pins";

struct BenchPoint {
  std::string
      key;  // id plus compare::describe_params(device, params): "stream-triad gpu0 bytes=..."
  std::string id;    // "stream-triad"
  std::string unit;  // "GB/s"
  bool higher_is_better = true;
  std::string status;                      // PASS | WARN | FAIL | SKIP ("" when absent)
  std::optional<double> median;            // absent for SKIP / unmeasured entries
  std::optional<double> cv;                // relative stdev
  std::optional<double> fraction_of_peak;  // 0..1
};

struct CheckPoint {
  std::string id;
  std::string status;  // PASS | WARN | FAIL | SKIP
  std::string message;
};

struct RunSummary {
  std::string path;       // where it was read from
  std::string run_id;     // run.id
  std::string host;       // host.hostname
  std::string gpu_model;  // devices[0].name; "no GPU" when the run saw none
  std::vector<std::string> gpu_uuids;
  std::string driver;                 // driver.version; "none" when absent
  std::string mode;                   // environment.mode: "baremetal" | "container"
  std::string engine;                 // environment.engine ("" bare metal)
  std::string injection;              // environment.injection when a string ("" otherwise)
  std::size_t device_count = 0;       // entries of devices[]
  bool first_device_unnamed = false;  // devices[0] is no object or has no name (or "")
  std::string started_at;             // run.started_at, RFC 3339 UTC
  std::string date;                   // first 10 characters of started_at: YYYY-MM-DD (the night)
  std::string profile;                // quick | full
  std::string verdict;                // pass | fail | no-gpu | interrupted
  std::vector<CheckPoint> checks;
  std::vector<BenchPoint> benchmarks;
};

// A file that could not be used, and why (one line).
struct BadFile {
  std::string path;
  std::string reason;
};

struct LoadResult {
  std::vector<RunSummary> runs;  // sorted by (started_at, path)
  std::vector<BadFile> bad;      // sorted by path
};

// From an already parsed document, with the loader's rules (report/summary.cpp): throws
// DocumentError when it is no gpuval.run/1 document or required fields are unusable.
RunSummary summarize(const nlohmann::json& doc, std::string path);

// One file as load_runs() reads it: a run, JSON that is not a run document (ignored), or a bad
// file and why (one line, without the path).
struct FileReading {
  enum class Kind { kIgnored, kRun, kBad } kind = Kind::kIgnored;
  RunSummary run;      // kRun
  std::string reason;  // kBad
};
FileReading read_run_file(const std::string& path);
// Reads a whole file into `text` (its capacity reused); returns why it could not ("" when it
// could), as a bad file's reason.
std::string read_document_text(const std::string& path, std::string& text);
// The reason a second document of a run id is listed with.
std::string duplicate_reason(const std::string& first_path, const std::string& run_id);
FileReading read_run_text(std::string_view text, const std::string& path);

// The files load_runs() reads under `inputs`, sorted, and (in `bad`) the inputs it cannot list.
std::vector<std::string> collect_run_files(const std::vector<std::filesystem::path>& inputs,
                                           std::vector<BadFile>& bad);

// Called now and then while loading (on the thread that called load_runs): files read so far of
// `total`.
using LoadProgress = std::function<void(std::size_t done, std::size_t total)>;

// Reads files and directories (recursively: every *.json whose "schema" is gpuval.run/1; other
// JSON files such as host-facts.json or compare output are ignored silently, unreadable or
// invalid run documents go to `bad`). threads = 0: one per hardware thread. A file named
// directly is read whatever its extension; a missing input is a bad file. A folder `_pins` right
// under an input folder (a history's pinned baselines: copies) is not read.
LoadResult load_runs(const std::vector<std::filesystem::path>& inputs, unsigned threads = 0,
                     const LoadProgress& progress = {});

}  // namespace gpuval::report
