// Fleet outliers: within one (GPU model, driver, mode, benchmark key) group, each node's median
// over its runs is compared with the median of the nodes' medians. Groups of fewer than three
// nodes have no meaningful "fleet" median and are left out.
#include <algorithm>
#include <cmath>
#include <memory>
#include <tuple>

#include "report/aggregate_internal.hpp"

namespace gpuval::report {

std::vector<Outlier> find_outliers(const RunTable& t, const DenseKeys& keys,
                                   const ReportOptions& options) {
  std::vector<Outlier> out;
  const auto groups = group_runs(t, [](const TableRun& r) {
    return std::tuple{r.model, r.driver, r.mode};
  });
  KeyWalker walker(t, keys);
  std::vector<std::pair<std::uint32_t, double>> values;  // host text id, value
  std::vector<std::pair<std::uint32_t, double>> nodes;   // host text id, the host's median
  std::vector<double> scratch, medians;
  for (const auto& [group, runs] : groups) {
    const auto [model, driver, mode] = group;
    if (t.text.at(model) == kNoGpu) continue;
    walker.walk(runs, [&](std::uint32_t key, std::span<const Slot> slots) {
      values.clear();
      for (const Slot& slot : slots) {
        const TableRun& r = t.runs[runs[slot.run]];
        values.emplace_back(r.host, t.median(r, slot.slot));
      }
      std::stable_sort(values.begin(), values.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      nodes.clear();
      medians.clear();
      for (std::size_t i = 0; i < values.size();) {
        std::size_t j = i;
        scratch.clear();
        for (; j < values.size() && values[j].first == values[i].first; ++j) {
          scratch.push_back(values[j].second);
        }
        nodes.emplace_back(values[i].first, median_in_place(scratch));
        medians.push_back(nodes.back().second);
        i = j;
      }
      if (nodes.size() < kMinOutlierNodes) return;
      const double group_median = median_in_place(medians);
      if (group_median == 0) return;
      const Slot first = slots.front();
      const BenchSeries& b = t.series[t.layouts[t.runs[runs[first.run]].layout][first.slot]];
      for (const auto& [host, node_median] : nodes) {
        const double change = node_median / group_median - 1;
        if (!is_worse(change, b.higher_is_better, options.outlier_threshold)) continue;
        out.push_back({t.text.at(host), t.text.at(model), t.text.at(driver), t.text.at(mode),
                       t.text.at(keys.key_text[key]), t.text.at(b.unit), node_median, group_median,
                       change, nodes.size()});
      }
    });
  }
  // Worst first: only worse nodes are listed, so the size of the change says how much worse.
  std::sort(out.begin(), out.end(), [](const Outlier& a, const Outlier& b) {
    if (std::fabs(a.change) != std::fabs(b.change))
      return std::fabs(a.change) > std::fabs(b.change);
    return std::tie(a.gpu_model, a.host, a.benchmark, a.driver, a.mode) <
           std::tie(b.gpu_model, b.host, b.benchmark, b.driver, b.mode);
  });
  return out;
}

std::vector<Outlier> find_outliers(const std::vector<RunSummary>& runs,
                                   const ReportOptions& options) {
  const std::unique_ptr<RunTable> table = make_run_table(runs);
  return find_outliers(*table, DenseKeys(*table), options);
}

}  // namespace gpuval::report
