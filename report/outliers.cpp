// Fleet outliers: within one (GPU model, driver, mode, benchmark key) group, each node's median
// over its runs is compared with the median of the nodes' medians. Groups of fewer than three
// nodes have no meaningful "fleet" median and are left out.
#include <algorithm>
#include <cmath>
#include <tuple>
#include <unordered_map>

#include "report/aggregate_internal.hpp"

namespace gpuval::report {
namespace {

struct Group {
  std::string model, driver, mode, key, unit;
  bool higher_is_better = true;
  std::unordered_map<std::size_t, std::vector<double>> by_host;  // host id -> values
};

}  // namespace

std::vector<Outlier> find_outliers(const std::vector<RunSummary>& runs,
                                   const ReportOptions& options) {
  std::vector<Group> groups;
  std::unordered_map<std::string, SlotCache> slots;  // per (model, driver, mode): key -> group
  std::unordered_map<std::string, std::size_t> host_ids;
  std::vector<const std::string*> hosts;  // by id
  for (const RunSummary& r : runs) {
    if (r.gpu_model == kNoGpu) continue;
    SlotCache& cache = slots[r.gpu_model + '\x1f' + r.driver + '\x1f' + r.mode];
    const auto [host, added_host] = host_ids.try_emplace(r.host, hosts.size());
    if (added_host) hosts.push_back(&host->first);
    for (std::size_t i = 0; i < r.benchmarks.size(); ++i) {
      const BenchPoint& b = r.benchmarks[i];
      if (!b.median) continue;
      const std::size_t g = cache.slot(i, b.key, [&] {
        groups.push_back({r.gpu_model, r.driver, r.mode, b.key, b.unit, b.higher_is_better, {}});
        return groups.size() - 1;
      });
      groups[g].by_host[host->second].push_back(*b.median);
    }
  }

  std::vector<Outlier> out;
  for (const Group& g : groups) {
    if (g.by_host.size() < kMinOutlierNodes) continue;
    std::vector<std::pair<std::string, double>> nodes;
    std::vector<double> medians;
    for (const auto& [host, values] : g.by_host) {
      nodes.emplace_back(*hosts[host], median_of(values));
      medians.push_back(nodes.back().second);
    }
    const double group_median = median_of(medians);
    if (group_median == 0) continue;
    for (const auto& [host, node_median] : nodes) {
      const double change = node_median / group_median - 1;
      if (!is_worse(change, g.higher_is_better, options.outlier_threshold)) continue;
      out.push_back({host, g.model, g.driver, g.mode, g.key, g.unit, node_median, group_median,
                     change, g.by_host.size()});
    }
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

}  // namespace gpuval::report
