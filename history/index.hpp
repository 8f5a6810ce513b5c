// The history index: one SQLite row per run document of a results history, with what `gpuval
// report` and `gpuval history check` need of it, so neither re-reads a year of documents.
//
//   HISTORY/_index.sqlite  (+ -wal, -shm while in use)   schema gpuval.history-index/1.0
//
// The documents stay the truth: the index is kept by `gpuval history add` (the documents it
// files) and rebuilt from them by `gpuval history reindex`. SQLite in WAL mode: readers never
// wait for writers; writers take turns (a busy timeout, one IMMEDIATE transaction per step). A
// writer first records its documents as *pending* (path, content hash), then files them, then
// marks them indexed: killed in between, the pending rows stay; readers count a pending row only
// when its document exists with that content, and the next writer settles it from the file. So
// the index never claims a document that is not there, nor misses one that was filed.
// Versioned like the run document: readers and writers refuse another major (the report then
// reads the documents), `reindex` rebuilds whatever is there. docs/nightly.md has the tables.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "history/identity.hpp"
#include "report/run_table.hpp"
#include "report/summary.hpp"

namespace gpuval::history {

inline constexpr const char* kIndexFile = "_index.sqlite";
inline constexpr const char* kIndexSchemaName = "gpuval.history-index";
inline constexpr int kIndexSchemaMajor = 1;
inline constexpr int kIndexSchemaMinor = 0;

// The index cannot be used (not a database, another major, locked for too long, I/O error). The
// message says what to do.
class IndexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::filesystem::path index_path(const std::filesystem::path& history);
bool has_index(const std::filesystem::path& history);

// What the index keeps of one document.
struct IndexEntry {
  std::string path;  // relative to the history, '/'-separated
  std::uint64_t size = 0;
  std::uint64_t hash = 0;  // FNV-1a 64 of the bytes
  report::RunSummary run;
  // The history's identity of the run (identify()); absent for a document gpuval history would
  // not file (empty run id, a verdict outside the schema, ...): such a row is never a baseline.
  struct Series {
    std::string gpu_model;  // identify(): "unknown GPU" for a device without a name
    std::string mode;       // "baremetal" | "<engine>-<injection>"
    std::string night;      // UTC date
    std::int64_t started_epoch = 0;
  };
  std::optional<Series> series;
};

std::uint64_t content_hash(std::string_view text);

// A document's text as the index reads it: an entry, a bad file (the reason, as `gpuval report`
// gives it) or nothing (JSON that is no run document).
struct EntryReading {
  report::FileReading::Kind kind = report::FileReading::Kind::kIgnored;
  IndexEntry entry;    // kRun
  std::string reason;  // kBad
};
EntryReading read_entry(std::string_view text, std::string relative_path);

// The history identity of a summary (see IndexEntry::series).
std::optional<IndexEntry::Series> series_of(const report::RunSummary& run);

class Index {
 public:
  // kRead: an existing index of a schema this gpuval reads. kWrite: the same, created when
  // missing in one transaction with indexing every document already in the history (`created()`
  // says so). kRebuild: whatever database is there (or a new one), for rebuild() only.
  enum class Access { kRead, kWrite, kRebuild };

  // Opens the index of `history`. Throws IndexError.
  static std::unique_ptr<Index> open(const std::filesystem::path& history, Access access);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  const std::filesystem::path& history() const;
  bool created() const;              // this open created the index
  std::size_t created_runs() const;  // documents indexed when it was created

  // --- writing (kWrite) ------------------------------------------------------------------------
  // Records entries as pending (a row that already exists is left as it is). One transaction.
  void put_pending(const std::vector<IndexEntry>& entries);
  // Marks entries indexed, with their content (replacing any row of their path). One transaction.
  void put_indexed(const std::vector<IndexEntry>& entries);
  // Settles rows of these paths (or, with none given, every pending row) from the files: a file
  // that exists is indexed from its content (or recorded as a bad file), a pending row whose file
  // is missing is dropped once older than `max_pending_age_s`. Returns the rows changed.
  std::size_t settle(const std::vector<std::string>& paths = {},
                     std::int64_t max_pending_age_s = 3600);
  // Rebuilds the whole index from the documents (one transaction; readers see the old index
  // until it commits). Tables of another major are dropped first. Needs kWrite or kRebuild.
  struct RebuildResult {
    std::size_t runs = 0, bad = 0;
  };
  RebuildResult rebuild(unsigned threads = 0,
                        const std::function<void(std::size_t, std::size_t)>& progress = {});

  // --- reading ---------------------------------------------------------------------------------
  // The runs for `gpuval report`, in its order, with paths shown under `shown_root` (the history
  // as named on the command line). Duplicate run ids and bad files as the folder reader lists
  // them. Pending rows count when their document exists with the recorded content.
  report::TableLoad load_report_table(const std::filesystem::path& shown_root);

  // Baseline candidates of tonight's series: documents of passing runs of its host, GPU model
  // and mode from nights before tonight's, other than tonight's run: newest night first, by path
  // within a night, absolute paths. With max_nights, only the newest that many nights
  // (`truncated` says whether there were more).
  struct Candidate {
    std::string night;
    std::filesystem::path path;
  };
  std::vector<Candidate> baseline_candidates(const RunIdentity& tonight, std::size_t max_nights = 0,
                                             bool* truncated = nullptr);

  // The latest run of every host, GPU model and mode in the history.
  struct LastRun {
    std::string host, gpu_model, mode;
    std::int64_t started_epoch = 0;
  };
  std::vector<LastRun> last_runs();

  std::size_t run_count();

 private:
  struct Impl;
  explicit Index(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuval::history
