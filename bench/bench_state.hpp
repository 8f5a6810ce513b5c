// What every benchmark body does with its Google Benchmark state besides timing: the NVML clock
// sample of a repetition and the recording of a failure. CUDA-free (NVML is dlopen'd).
#pragma once

#include <benchmark/benchmark.h>

#include <optional>
#include <string>

#include "bench/entry.hpp"
#include "core/nvml.hpp"

namespace gpuval::bench {

// The SM clock and clocks-event reasons of the NVML board `nvml_index` now, as the repetition's
// counters. The index is the CUDA device's board matched by PCI bus id (BenchSpec::nvml_index),
// never the CUDA ordinal: CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER and MIG renumber CUDA's devices.
inline void sample_clock(benchmark::State& st, const NvmlSession* nvml,
                         std::optional<unsigned> nvml_index) {
  if (nvml == nullptr || !nvml_index) return;
  const NvmlSession::ClockSample s = nvml->clock_sample(*nvml_index);
  if (s.sm_clock_mhz) st.counters[kCounterSmClock] = static_cast<double>(*s.sm_clock_mhz);
  if (s.reasons) st.counters[kCounterClockReasons] = static_cast<double>(*s.reasons);
}

// Records why the benchmark failed (or skipped) in its outcome and ends the repetition without
// a sample.
inline void record_failure(benchmark::State& st, Outcome& outcome, const std::string& status,
                           const std::string& message, const std::string& hint) {
  outcome.status = status;
  outcome.message = message;
  outcome.hint = hint;
  st.SkipWithError(message.c_str());
}

}  // namespace gpuval::bench
