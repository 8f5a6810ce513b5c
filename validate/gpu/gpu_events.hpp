// gpu-events: the NVML events of the run (core/nvml_events.hpp), judged with core/xid_table.hpp.
//
// How an event turns the run (documented in validate/README.md):
//  - gpu-events itself: FAIL when any FAIL-class event (Xid 48, 79, 95, 119, ..., a double-bit
//    ECC error) or a lost GPU was seen on a GPU this run used, WARN for WARN-class ones
//    (application Xids of another process, a pending row remap, a MIG layout change) and for
//    FAIL-class ones on GPUs it did not use; PASS with the count of informational ones (a
//    corrected single-bit error); SKIP when nothing could be watched.
//  - Every check of the gpu group and every benchmark that PASSed (or WARNed) while an event of
//    worse class fired on its GPU takes the event's class, with its meaning in the message and
//    its hint: its window (checks: in registry order from the start of the checks phase;
//    benchmarks: run_window_s) holds the event's time, allowing kEventSlackS after the end for
//    delivery. A check spans every GPU of the run, so any GPU the run used counts for it.
// The check runs in registry order with the events seen so far; the pipeline evaluates it again
// after the benchmarks (apply_gpu_events), when the watch has stopped.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "core/check_result.hpp"
#include "core/context.hpp"
#include "core/nvml_events.hpp"

namespace gpuval::checks {

inline constexpr double kEventSlackS = 1.0;

// The check's result for a log (pure: the check and apply_gpu_events share it).
CheckResult evaluate_gpu_events(const NvmlEventLog& log, const Facts& facts);

// The CUDA ordinals an event concerns: the CUDA devices bound to its NVML GPU; on a MIG GPU,
// when the event names its GPU (and compute) instance, only the slices of that instance.
// Empty when this run used no CUDA device of that GPU.
std::vector<int> cuda_ordinals_of(const NvmlEventRecord& e, const Facts& facts);

// The run document's "events": what was watched on which GPU, every event with its time, GPU
// (NVML index, UUID, CUDA ordinals) and meaning.
nlohmann::json events_json(const NvmlEventLog& log, const Facts& facts);

// [start, end] on the run clock.
struct RunWindow {
  double start_s = 0, end_s = 0;
};

// After the run: gpu-events re-evaluated with the whole log, and checks (`windows[i]` is
// `checks[i]`'s) and benchmarks (their "run_window_s") downgraded as above, each naming the
// events (indexes into events_json's "list") in "events". Returns whether anything changed.
bool apply_gpu_events(std::vector<CheckResult>& checks, const std::vector<RunWindow>& windows,
                      nlohmann::json& benchmarks, const NvmlEventLog& log, const Facts& facts);

}  // namespace gpuval::checks
