// Pieces of build_report() shared between report/aggregate.cpp, regressions.cpp and outliers.cpp;
// exposed here (not in model.hpp) for those files and their unit tests.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "report/model.hpp"
#include "report/summary.hpp"

namespace gpuval::report {

// Maps benchmark keys to slots (an index the caller assigns). Runs list the same benchmarks in
// the same order as the run before, so most lookups are one string comparison at the same
// position instead of hashing the key: 10,000 runs have some 250,000 benchmark entries.
class SlotCache {
 public:
  // The slot of `key`, seen at `position` of a run's benchmarks; new_slot() makes one for a key
  // never seen.
  template <typename NewSlot>
  std::size_t slot(std::size_t position, const std::string& key, NewSlot new_slot) {
    if (position < layout_.size() && layout_[position].first && *layout_[position].first == key) {
      return layout_[position].second;
    }
    auto it = index_.find(key);
    if (it == index_.end()) it = index_.emplace(key, new_slot()).first;
    if (position >= layout_.size()) layout_.resize(position + 1, {nullptr, 0});
    layout_[position] = {&it->first, it->second};  // keys of an unordered_map do not move
    return it->second;
  }

 private:
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::pair<const std::string*, std::size_t>> layout_;
};

// Median of a copy (0 for none).
double median_of(std::vector<double> values);

// Whether a relative change is worse than `threshold` in the benchmark's direction: a drop for
// higher-is-better units (GB/s, TFLOP/s), a rise for lower-is-better ones (us).
bool is_worse(double change, bool higher_is_better, double threshold);

// How much worse a change is (positive = worse), for sorting worst first.
double badness(double change, bool higher_is_better);

// Regression episodes over nights, per series (host, GPU model, mode, benchmark key): ongoing
// first, then newest first. `runs` in any order.
std::vector<Regression> find_regressions(const std::vector<RunSummary>& runs,
                                         const ReportOptions& options);

// Fleet outliers per (GPU model, driver, mode, benchmark key) with at least kMinOutlierNodes
// nodes: worst first.
inline constexpr std::size_t kMinOutlierNodes = 3;
std::vector<Outlier> find_outliers(const std::vector<RunSummary>& runs,
                                   const ReportOptions& options);

}  // namespace gpuval::report
