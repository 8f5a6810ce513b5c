// Registration of the GPU benchmarks with Google Benchmark (CUDA runtime; only called when a GPU
// is usable). Each benchmark times with CUDA events (UseManualTime), warms up first, samples the
// SM clock once per repetition and verifies its output; what it finds goes into its Outcome.
// GEMM and the convolution run inside their probe module (bench/module_bench.hpp), P2P in
// bench/p2p_benchmark.cpp.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/catalogue.hpp"
#include "bench/entry.hpp"
#include "core/context.hpp"
#include "core/nvml.hpp"
#include "probes/host/probe_loader.hpp"

namespace gpuval::bench {

struct DeviceResources;  // buffers shared by one device's benchmarks (gpu_benchmarks.cpp)
struct HostBuffers;      // host buffers shared by the host-link benchmarks (gpu_benchmarks.cpp)
class ModuleBenchCache;  // the open probe-module benchmark session (bench/module_bench.hpp)

class GpuBenchmarks {
 public:
  // `nvml` may be null (no clock samples); it and `facts` (what the checks found: the memory
  // cgroup, for a failed pinned allocation's message) must outlive the benchmark run. GEMM and
  // the convolution load their probe module from `probe_dirs` (probes/host/probe_loader.hpp).
  GpuBenchmarks(const NvmlSession* nvml, const Facts& facts, std::vector<std::string> probe_dirs);
  ~GpuBenchmarks();
  GpuBenchmarks(const GpuBenchmarks&) = delete;
  GpuBenchmarks& operator=(const GpuBenchmarks&) = delete;

  // Registers `spec` under `name`, or returns why it cannot run here (status and message, e.g.
  // "needs compute capability 8.9"), registering nothing. `set_repetitions` false leaves the
  // count to --benchmark_repetitions.
  std::optional<Outcome> add(const BenchSpec& spec, const std::string& name,
                             std::shared_ptr<Outcome> outcome, bool set_repetitions);

 private:
  // Loads the module once; why it cannot run benchmarks, or empty.
  std::optional<Outcome> module_ready(const ProbeModuleSpec& module);

  const NvmlSession* nvml_;
  const Facts& facts_;
  std::vector<std::string> probe_dirs_;
  std::shared_ptr<DeviceResources> resources_;
  std::shared_ptr<HostBuffers> host_;
  std::shared_ptr<ModuleBenchCache> modules_;
  std::map<std::string, ProbeLoad> loads_;  // by module id
};

}  // namespace gpuval::bench
