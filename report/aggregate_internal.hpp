// Pieces of build_report() shared between report/aggregate.cpp, regressions.cpp and outliers.cpp;
// exposed here (not in model.hpp) for those files and their unit tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "report/model.hpp"
#include "report/run_table.hpp"
#include "report/summary.hpp"

namespace gpuval::report {

// Median of a copy (0 for none).
double median_of(std::vector<double> values);
// Median of the values in place (reorders them; 0 for none).
double median_in_place(std::span<double> values);

// Whether a relative change is worse than `threshold` in the benchmark's direction: a drop for
// higher-is-better units (GB/s, TFLOP/s), a rise for lower-is-better ones (us).
bool is_worse(double change, bool higher_is_better, double threshold);

// How much worse a change is (positive = worse), for sorting worst first.
double badness(double change, bool higher_is_better);

// One benchmark entry of a run: runs[run] of the group being walked, `slot` in its layout.
struct Slot {
  std::uint32_t run;
  std::uint32_t slot;
};

// Benchmark keys of a table as dense numbers 0..count-1 (RunTable::text ids of keys are sparse).
struct DenseKeys {
  explicit DenseKeys(const RunTable& t);
  std::vector<std::uint32_t> of_series;  // series id -> dense key
  std::vector<std::uint32_t> key_text;   // dense key -> text id of the key
  std::size_t count() const { return key_text.size(); }
};

// Walks the benchmark entries of a group of runs key by key: on_key(dense key, slots) with the
// key's entries in the order of `runs` (slots index `runs`). Keys come in batches so that the
// entries held at once stay under a budget whatever the group's size: a year of a fleet's runs
// of one GPU model is tens of millions of entries.
class KeyWalker {
 public:
  KeyWalker(const RunTable& table, const DenseKeys& keys, std::size_t budget = 8u << 20)
      : t_(table),
        keys_(keys),
        budget_(budget),
        count_(keys.count(), 0),
        batch_pos_(keys.count(), -1) {}

  template <typename OnKey>
  void walk(const std::vector<std::uint32_t>& runs, OnKey on_key) {
    if (runs.empty()) return;
    // Usually every run of a group has the same benchmarks: then a key's entries are one slot
    // of every run, in order.
    const std::uint32_t shared = t_.runs[runs.front()].layout;
    if (std::all_of(runs.begin(), runs.end(),
                    [&](std::uint32_t r) { return t_.runs[r].layout == shared; })) {
      const std::vector<std::uint32_t>& series = t_.layouts[shared];
      slots_.resize(runs.size());
      for (std::size_t i = 0; i < series.size(); ++i) {
        for (std::size_t pos = 0; pos < runs.size(); ++pos) {
          slots_[pos] = {static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(i)};
        }
        on_key(keys_.of_series[series[i]], std::span<const Slot>(slots_.data(), runs.size()));
      }
      return;
    }
    touched_.clear();
    for (std::uint32_t r : runs) {
      for (std::uint32_t s : t_.layouts[t_.runs[r].layout]) {
        const std::uint32_t k = keys_.of_series[s];
        if (count_[k]++ == 0) touched_.push_back(k);
      }
    }
    std::sort(touched_.begin(), touched_.end());
    for (std::size_t first = 0; first < touched_.size();) {
      // A batch: keys from `first` while their entries fit the budget (at least one key).
      std::size_t last = first, entries = 0;
      while (last < touched_.size() &&
             (last == first || entries + count_[touched_[last]] <= budget_)) {
        entries += count_[touched_[last++]];
      }
      offsets_.assign(last - first + 1, 0);
      for (std::size_t i = first; i < last; ++i) {
        batch_pos_[touched_[i]] = static_cast<std::int64_t>(i - first);
        offsets_[i - first + 1] = offsets_[i - first] + count_[touched_[i]];
      }
      slots_.resize(entries);
      fill_ = offsets_;
      for (std::size_t pos = 0; pos < runs.size(); ++pos) {
        const std::vector<std::uint32_t>& layout = t_.layouts[t_.runs[runs[pos]].layout];
        for (std::size_t i = 0; i < layout.size(); ++i) {
          const std::int64_t b = batch_pos_[keys_.of_series[layout[i]]];
          if (b < 0) continue;
          slots_[fill_[static_cast<std::size_t>(b)]++] = {static_cast<std::uint32_t>(pos),
                                                          static_cast<std::uint32_t>(i)};
        }
      }
      for (std::size_t i = first; i < last; ++i) {
        const std::size_t b = i - first;
        on_key(touched_[i],
               std::span<const Slot>(slots_.data() + offsets_[b], offsets_[b + 1] - offsets_[b]));
        batch_pos_[touched_[i]] = -1;
      }
      first = last;
    }
    for (std::uint32_t k : touched_) count_[k] = 0;
  }

 private:
  const RunTable& t_;
  const DenseKeys& keys_;
  std::size_t budget_;
  std::vector<std::size_t> count_;       // per dense key: entries in the group
  std::vector<std::int64_t> batch_pos_;  // per dense key: position in the current batch, or -1
  std::vector<std::uint32_t> touched_;   // keys with entries in the group
  std::vector<std::size_t> offsets_, fill_;
  std::vector<Slot> slots_;
};

// Median and count per cell of values spread over `cells` cells: cell_of(i) (-1: none) and
// value_of(i) for i in [0, n). Counting sort into one buffer, reused between calls.
class CellMedians {
 public:
  struct Result {
    std::size_t count = 0;
    double median = 0;
  };
  template <typename CellOf, typename ValueOf>
  const std::vector<Result>& compute(std::size_t cells, std::size_t n, CellOf cell_of,
                                     ValueOf value_of) {
    offsets_.assign(cells + 1, 0);
    cell_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      cell_[i] = static_cast<std::int32_t>(cell_of(i));
      if (cell_[i] >= 0) ++offsets_[static_cast<std::size_t>(cell_[i]) + 1];
    }
    for (std::size_t c = 0; c < cells; ++c) offsets_[c + 1] += offsets_[c];
    values_.resize(offsets_[cells]);
    fill_.assign(offsets_.begin(), offsets_.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
      if (cell_[i] >= 0) values_[fill_[static_cast<std::size_t>(cell_[i])]++] = value_of(i);
    }
    results_.assign(cells, {});
    for (std::size_t c = 0; c < cells; ++c) {
      const std::size_t count = offsets_[c + 1] - offsets_[c];
      results_[c].count = count;
      if (count > 0) {
        results_[c].median =
            median_in_place(std::span<double>(values_.data() + offsets_[c], count));
      }
    }
    return results_;
  }

 private:
  std::vector<std::size_t> offsets_, fill_;
  std::vector<std::int32_t> cell_;
  std::vector<double> values_;
  std::vector<Result> results_;
};

// Regression episodes over nights, per series (host, GPU model, mode, benchmark key): ongoing
// first, then newest first.
std::vector<Regression> find_regressions(const RunTable& table, const DenseKeys& keys,
                                         const ReportOptions& options);
std::vector<Regression> find_regressions(const std::vector<RunSummary>& runs,
                                         const ReportOptions& options);

// Fleet outliers per (GPU model, driver, mode, benchmark key) with at least kMinOutlierNodes
// nodes: worst first.
inline constexpr std::size_t kMinOutlierNodes = 3;
std::vector<Outlier> find_outliers(const RunTable& table, const DenseKeys& keys,
                                   const ReportOptions& options);
std::vector<Outlier> find_outliers(const std::vector<RunSummary>& runs,
                                   const ReportOptions& options);

// Runs of `table` grouped by a key of each run (key_of(run) -> any ordered value), the table's
// order kept within each group; groups in the key's order.
template <typename KeyOf>
auto group_runs(const RunTable& table, KeyOf key_of) {
  using Key = decltype(key_of(table.runs.front()));
  std::map<Key, std::vector<std::uint32_t>> groups;
  for (std::size_t i = 0; i < table.runs.size(); ++i) {
    groups[key_of(table.runs[i])].push_back(static_cast<std::uint32_t>(i));
  }
  return groups;
}

}  // namespace gpuval::report
