// Timing a launch with CUDA events inside a Google Benchmark loop (UseManualTime): the timer of
// every GPU benchmark that runs gpuval's own kernels or copies.
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include <optional>

#include "bench/bench_state.hpp"
#include "core/cuda_raii.hpp"
#include "core/nvml.hpp"

namespace gpuval::bench {

// A before_timed hook that does nothing.
inline void nothing_before_timed() {}

// Times `launch` once per iteration between CUDA events on `stream` after two warm-up calls;
// samples the SM clock of NVML board `nvml_index` in the middle iteration while the work runs.
// `before_timed` runs after the warm-up has finished (stream synchronized) and before the first
// timed call: where outputs are poisoned, so what is verified afterwards was written by the
// timed calls. Every setup the timed work depends on must be on `stream` (or finished).
template <typename Launch, typename BeforeTimed = void (*)()>
void event_timed(benchmark::State& st, cudaStream_t stream, const NvmlSession* nvml,
                 std::optional<unsigned> nvml_index, double per_iteration_divisor, Launch&& launch,
                 BeforeTimed&& before_timed = nothing_before_timed) {
  cuda::Event start, stop;
  launch();
  launch();
  GPUVAL_CUDA_CHECK(cudaStreamSynchronize(stream));
  before_timed();
  const benchmark::IterationCount mid = st.max_iterations / 2;
  benchmark::IterationCount i = 0;
  for (auto _ : st) {
    start.record(stream);
    launch();
    stop.record(stream);
    if (i++ == mid) sample_clock(st, nvml, nvml_index);
    stop.synchronize();
    st.SetIterationTime(static_cast<double>(stop.elapsed_ms_since(start)) / 1e3 /
                        per_iteration_divisor);
  }
}

}  // namespace gpuval::bench
