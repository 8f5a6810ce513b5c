// Persistence mode off, judged after the benchmarks. Off is normal on VMs and most Kubernetes
// nodes (the hypervisor or the device plugin keeps the GPU initialised), so gpu-health reports
// it as information. It costs something only where nothing else holds the GPU initialised, on
// bare metal: every process then starts the GPU cold. The evidence is a benchmark of that GPU
// whose first repetition is clearly worse than the rest; with it, gpu-health becomes WARN.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/check_result.hpp"
#include "core/context.hpp"

namespace gpuval::checks {

// A first repetition worse than the median of the others by more than this fraction.
inline constexpr double kColdStartExcess = 0.10;

// The benchmark of `device` whose first sample is the worst relative to the median of its later
// samples, when that excess is over kColdStartExcess (>= 3 samples), as "stream-triad: first
// repetition 23 % slower than the median of the rest"; empty without such evidence.
std::optional<std::string> cold_start_evidence(const nlohmann::json& benchmarks, int device);

// Turns gpu-health (in `checks`) into a WARN naming the GPU and the evidence when the run is on
// bare metal, a bound GPU has persistence mode off and its benchmarks show the cold start.
// Returns whether it changed anything.
bool apply_persistence_followup(std::vector<CheckResult>& checks, const Facts& facts,
                                const nlohmann::json& benchmarks);

}  // namespace gpuval::checks
