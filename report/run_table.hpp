// Many runs in little memory: what build_report() reads of each run, stored once per string and
// as flat arrays of numbers. A year of a 1,000-node fleet is 730,000 runs with ~28 benchmarks
// each; as RunSummary objects (strings per benchmark key, unit, check id) that is ~13 KB a run,
// here it is the benchmark medians and fractions of peak (16 bytes per benchmark) plus ~60 bytes.
// Both `gpuval report` inputs fill one: documents read from folders (load_run_table) and the
// history index (history/index.hpp), so both give the same report for the same runs.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "report/summary.hpp"

namespace gpuval::report {

// Each distinct string once; ids are dense from 0 in order of first use.
class StringPool {
 public:
  std::uint32_t intern(std::string_view text);
  const std::string& at(std::uint32_t id) const { return strings_[id]; }
  std::size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;  // a deque never moves its elements: the map's views stay valid
  std::unordered_map<std::string_view, std::uint32_t> ids_;
};

// A growable array in fixed chunks: no reallocation copies (the peak memory of a vector that
// doubles is up to three times its contents), constant-time indexing.
template <typename T>
class ChunkedArray {
 public:
  static constexpr std::size_t kShift = 16;
  static constexpr std::size_t kChunk = std::size_t{1} << kShift;

  void push_back(T value) {
    if ((size_ >> kShift) == chunks_.size()) chunks_.push_back(std::make_unique<T[]>(kChunk));
    chunks_[size_ >> kShift][size_ & (kChunk - 1)] = value;
    ++size_;
  }
  T operator[](std::size_t i) const { return chunks_[i >> kShift][i & (kChunk - 1)]; }
  std::size_t size() const { return size_; }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t size_ = 0;
};

// A benchmark as the report groups it: its key ("stream-triad gpu0 bytes=805306368"), id, unit
// and direction (RunTable::text ids).
struct BenchSeries {
  std::uint32_t key = 0, id = 0, unit = 0;
  bool higher_is_better = true;
  bool operator==(const BenchSeries&) const = default;
};

// One run. Strings are RunTable::text ids.
struct TableRun {
  std::uint32_t host = 0, model = 0, driver = 0, mode = 0, date = 0;
  std::uint32_t layout = 0;  // RunTable::layouts: the run's measured benchmarks, in order
  std::uint64_t values = 0;  // its first entry in RunTable::medians and ::peaks
  std::uint32_t failed = 0;  // its first entry in RunTable::failed_checks
  std::uint32_t failed_count = 0;
  std::uint32_t pass = 0, warn = 0, fail = 0, skip = 0;  // check results by status
  bool container = false;                                // mode is "container"
  bool verdict_fail = false;                             // verdict.status is "fail"
};

inline constexpr double kNoPeak = std::numeric_limits<double>::quiet_NaN();

struct RunTable {
  StringPool text;
  std::vector<BenchSeries> series;
  // Benchmarks (series ids) of runs, in document order; only those with a median (the report
  // skips the others). Runs with the same benchmarks share one layout.
  std::vector<std::vector<std::uint32_t>> layouts;
  std::vector<TableRun> runs;  // in (run.started_at, path) order
  // Per run, one entry per benchmark of its layout: the median, and the fraction of peak
  // (kNoPeak when the document has none).
  ChunkedArray<double> medians, peaks;
  std::vector<std::uint32_t> failed_checks;  // text ids of each run's FAIL checks, distinct
  // The document of runs[i] (the report names the first night of each regression episode).
  std::function<std::string(std::size_t)> path_of;

  double median(const TableRun& r, std::size_t slot) const { return medians[r.values + slot]; }
  double peak(const TableRun& r, std::size_t slot) const { return peaks[r.values + slot]; }
};

// Fills a RunTable. Runs must be added in the order the report reads them ((started_at, path)),
// or reordered afterwards with reorder().
class RunTableBuilder {
 public:
  RunTableBuilder();

  std::uint32_t text(std::string_view s) { return table_->text.intern(s); }
  std::uint32_t series(const BenchSeries& s);
  std::uint32_t layout(const std::vector<std::uint32_t>& series_ids);

  // Appends a run: `run.layout` set, one median and one peak per benchmark of the layout, the
  // run's distinct FAIL check ids. Returns its index.
  std::size_t add(TableRun run, std::span<const double> medians, std::span<const double> peaks,
                  std::span<const std::uint32_t> failed_checks);
  // A run summary, converted (what the report uses of it).
  std::size_t add(const RunSummary& r);

  // runs[i] becomes runs[order[i]] (order is a permutation of a subset: runs left out are gone).
  void reorder(const std::vector<std::size_t>& order);

  std::size_t size() const { return table_->runs.size(); }
  RunTable& table() { return *table_; }
  std::unique_ptr<RunTable> finish() { return std::move(table_); }

 private:
  struct LayoutHash {
    std::size_t operator()(const std::vector<std::uint32_t>& v) const;
  };
  std::unique_ptr<RunTable> table_;
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, bool>, std::uint32_t>
      series_ids_;
  std::unordered_map<std::vector<std::uint32_t>, std::uint32_t, LayoutHash> layout_ids_;
  std::vector<std::uint32_t> scratch_series_, scratch_failed_;
  std::vector<double> scratch_medians_, scratch_peaks_;
};

// Runs of a vector (any order: sorted by (started_at, path) as the loader sorts them).
std::unique_ptr<RunTable> make_run_table(const std::vector<RunSummary>& runs);

struct TableLoad {
  std::unique_ptr<RunTable> table;
  std::vector<BadFile> bad;  // sorted by path
};

// What load_runs() reads, straight into a RunTable: same files, same order, same bad files and
// duplicate rule (the first path of a run id wins), without keeping every summary in memory.
TableLoad load_run_table(const std::vector<std::filesystem::path>& inputs, unsigned threads = 0,
                         const LoadProgress& progress = {});

}  // namespace gpuval::report
