#include "validate/gpu/persistence_followup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/stats.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

constexpr const char* kHint =
    "enable persistence on the host: run nvidia-persistenced (or `nvidia-smi -pm 1`); without "
    "it the driver tears the GPU down when the last process exits, so every job starts cold";

}  // namespace

std::optional<std::string> cold_start_evidence(const json& benchmarks, int device) {
  if (!benchmarks.is_array()) return std::nullopt;
  double worst = kColdStartExcess;
  std::optional<std::string> out;
  for (const json& b : benchmarks) {
    if (!b.is_object() || b.value("device", -1) != device) continue;
    const auto it = b.find("samples");
    if (it == b.end() || !it->is_array() || it->size() < 3) continue;
    std::vector<double> rest;
    bool numeric = true;
    for (std::size_t i = 1; i < it->size(); ++i) {
      numeric = numeric && (*it)[i].is_number();
      if (numeric) rest.push_back((*it)[i].get<double>());
    }
    if (!numeric || !(*it)[0].is_number()) continue;
    const double first = (*it)[0].get<double>();
    const double median = stats::summarize(rest).median;
    if (!(median > 0) || !(first > 0)) continue;
    const bool higher_is_better = b.value("higher_is_better", true);
    // Slower: a lower rate, or a higher latency.
    const double excess = higher_is_better ? median / first - 1.0 : first / median - 1.0;
    if (excess > worst) {
      worst = excess;
      out = fmt::format("{}: first repetition {:.0f} % slower than the median of the rest",
                        b.value("id", std::string("?")), 100 * excess);
    }
  }
  return out;
}

bool apply_persistence_followup(std::vector<CheckResult>& checks, const Facts& facts,
                                const json& benchmarks) {
  if (facts.in_container || !facts.nvml) return false;
  auto health = std::find_if(checks.begin(), checks.end(),
                             [](const CheckResult& c) { return c.id == "gpu-health"; });
  if (health == checks.end() || health->status == Status::Skip) return false;
  std::vector<std::string> found;
  for (const DeviceBinding& b : facts.bindings) {
    if (!b.nvml_index) continue;
    const auto d = std::find_if(facts.nvml->devices.begin(), facts.nvml->devices.end(),
                                [&](const NvmlDevice& n) { return n.index == *b.nvml_index; });
    if (d == facts.nvml->devices.end() || !d->persistence_mode || *d->persistence_mode) continue;
    if (auto evidence = cold_start_evidence(benchmarks, b.cuda_ordinal)) {
      found.push_back(fmt::format("GPU {}: persistence mode off on bare metal and {}",
                                  b.cuda_ordinal, *evidence));
    }
  }
  if (found.empty()) return false;
  std::string text;
  for (const std::string& f : found) text += (text.empty() ? "" : "; ") + f;
  health->message = text + "; " + health->message;
  if (health->status == Status::Pass) {
    health->status = Status::Warn;
    health->hint = kHint;
  }
  health->metrics["cold_start"] = found;
  return true;
}

}  // namespace gpuval::checks
