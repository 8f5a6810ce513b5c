// Timing a launch with CUDA events inside a Google Benchmark loop (UseManualTime): the timer of
// every GPU benchmark that runs gpuval's own kernels or copies.
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include "bench/bench_state.hpp"
#include "core/cuda_raii.hpp"
#include "core/nvml.hpp"

namespace gpuval::bench {

// Times `launch` once per iteration between CUDA events on `stream` after two warm-up calls;
// samples the SM clock in the middle iteration while the work runs.
template <typename Launch>
void event_timed(benchmark::State& st, cudaStream_t stream, const NvmlSession* nvml, int device,
                 double per_iteration_divisor, Launch&& launch) {
  cuda::Event start, stop;
  launch();
  launch();
  GPUVAL_CUDA_CHECK(cudaStreamSynchronize(stream));
  const benchmark::IterationCount mid = st.max_iterations / 2;
  benchmark::IterationCount i = 0;
  for (auto _ : st) {
    start.record(stream);
    launch();
    stop.record(stream);
    if (i++ == mid) sample_clock(st, nvml, device);
    stop.synchronize();
    st.SetIterationTime(static_cast<double>(stop.elapsed_ms_since(start)) / 1e3 /
                        per_iteration_divisor);
  }
}

}  // namespace gpuval::bench
