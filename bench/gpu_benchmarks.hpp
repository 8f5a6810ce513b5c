// Registration of the GPU benchmarks with Google Benchmark (CUDA runtime; only called when a GPU
// is usable). Each benchmark times with CUDA events (UseManualTime), warms up first, samples the
// SM clock once per repetition and verifies its output once; what it finds goes into its Outcome.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "bench/catalogue.hpp"
#include "bench/entry.hpp"
#include "core/nvml.hpp"

namespace gpuval::bench {

struct DeviceResources;  // buffers shared by one device's benchmarks (gpu_benchmarks.cpp)

class GpuBenchmarks {
 public:
  // `nvml` may be null (no clock samples); it must outlive the benchmark run.
  explicit GpuBenchmarks(const NvmlSession* nvml);
  ~GpuBenchmarks();
  GpuBenchmarks(const GpuBenchmarks&) = delete;
  GpuBenchmarks& operator=(const GpuBenchmarks&) = delete;

  // Registers `spec` under `name`, or returns why it cannot run here (status and message, e.g.
  // "needs compute capability 8.9"), registering nothing. `set_repetitions` false leaves the
  // count to --benchmark_repetitions.
  std::optional<Outcome> add(const BenchSpec& spec, const std::string& name,
                             std::shared_ptr<Outcome> outcome, bool set_repetitions);

 private:
  const NvmlSession* nvml_;
  std::shared_ptr<DeviceResources> resources_;
};

}  // namespace gpuval::bench
