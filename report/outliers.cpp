// Fleet outliers: within one (GPU model, driver, mode, benchmark key) group, each node's median
// over its runs is compared with the median of the nodes' medians. Groups of fewer than three
// nodes have no meaningful "fleet" median and are left out.
#include <algorithm>
#include <cmath>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "report/aggregate_internal.hpp"

namespace gpuval::report {

std::vector<Outlier> find_outliers(const RunTable& t, const DenseKeys& keys,
                                   const ReportOptions& options) {
  std::vector<Outlier> out;
  const auto groups = group_runs(t, [](const TableRun& r) {
    return std::tuple{r.model, r.driver, r.mode};
  });
  KeyWalker walker(t, keys);
  CellMedians by_host;
  std::vector<std::uint32_t> host_of;    // per run of the group: its host, numbered in the group
  std::vector<std::uint64_t> values_of;  // and where its values are
  std::vector<std::uint32_t> hosts;      // text ids of the group's hosts
  std::unordered_map<std::uint32_t, std::uint32_t> host_number;
  std::vector<double> medians;
  for (const auto& [group, runs] : groups) {
    const auto [model, driver, mode] = group;
    if (t.text.at(model) == kNoGpu) continue;
    host_of.resize(runs.size());
    values_of.resize(runs.size());
    hosts.clear();
    host_number.clear();
    for (std::size_t p = 0; p < runs.size(); ++p) {
      const std::uint32_t h = t.runs[runs[p]].host;
      const auto [it, added] = host_number.try_emplace(h, static_cast<std::uint32_t>(hosts.size()));
      if (added) hosts.push_back(h);
      host_of[p] = it->second;
      values_of[p] = t.runs[runs[p]].values;
    }
    walker.walk(runs, [&](std::uint32_t key, std::span<const Slot> slots) {
      // Each host's median over its runs, then the median of those.
      const auto& node = by_host.compute(
          hosts.size(), slots.size(),
          [&](std::size_t i) { return static_cast<std::int32_t>(host_of[slots[i].run]); },
          [&](std::size_t i) { return t.medians[values_of[slots[i].run] + slots[i].slot]; });
      medians.clear();
      for (const CellMedians::Result& r : node) {
        if (r.count > 0) medians.push_back(r.median);
      }
      const std::size_t nodes = medians.size();
      if (nodes < kMinOutlierNodes) return;
      const double group_median = median_in_place(medians);
      if (group_median == 0) return;
      const Slot first = slots.front();
      const BenchSeries& b = t.series[t.layouts[t.runs[runs[first.run]].layout][first.slot]];
      for (std::size_t h = 0; h < node.size(); ++h) {
        if (node[h].count == 0) continue;
        const double change = node[h].median / group_median - 1;
        if (!is_worse(change, b.higher_is_better, options.outlier_threshold)) continue;
        out.push_back({t.text.at(hosts[h]), t.text.at(model), t.text.at(driver), t.text.at(mode),
                       t.text.at(keys.key_text[key]), t.text.at(b.unit), node[h].median,
                       group_median, change, nodes});
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
