// Benchmarks measured inside a probe module (probes/probe_abi.h, "Benchmarks"): GEMM through the
// cuBLAS module (cuBLASLt) and the convolution through the cuDNN module, so an image without
// cuDNN, or with a broken cuBLAS, loses those entries and nothing else. The module times its own
// calls with CUDA events and checks their output; this side turns one batch into one Google
// Benchmark repetition and keeps the NVML clock sampling. CUDA-free: unit-tested with the fake
// probe module (tests/support/fake_probe_module.cpp).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "bench/catalogue.hpp"
#include "bench/entry.hpp"
#include "core/nvml.hpp"
#include "probes/probe_abi.h"
#include "probes/host/probe_loader.hpp"

namespace gpuval::bench {

// Untimed calls before each timed batch (the first also loads the library's kernels).
inline constexpr int kModuleWarmup = 2;

// The module that runs `spec`: cuBLAS for GEMM, cuDNN for the convolution; null otherwise.
const ProbeModuleSpec* module_for(const BenchSpec& spec);

// Why `load` cannot run benchmarks, as a SKIP outcome naming the module and what to do: not
// loadable (the package or image that brings the library), or built before the benchmark entry
// points (struct_size too small). Empty when it can.
std::optional<Outcome> module_unavailable(const ProbeModuleSpec& module, const ProbeLoad& load,
                                          int cuda_runtime_version);

// The request for `spec` on its device. precision points at a static string.
gpuval_probe_bench_request bench_request(const BenchSpec& spec, std::uint64_t seed, bool corrupt);

// bench_open's answer when it is not READY: SKIP with the module's reason, or FAIL with its
// error (malformed answers included). Empty for READY.
std::optional<Outcome> open_failure(const ProbeModuleSpec& module, std::string_view answer);

// One batch as bench_finish reported it.
struct BatchResult {
  bool ok = false;     // the batch ran and was timed
  double seconds = 0;  // event time of the batch's calls
  long long iterations = 0;
  bool verified = false;  // the checked output elements were right
  std::string message;    // why not ok, or what the check found when not verified
  nlohmann::json check;   // the module's comparison object
};
BatchResult parse_batch(const ProbeModuleSpec& module, std::string_view text);

// One open benchmark session of a module; closed on destruction.
class ModuleBench {
 public:
  ModuleBench(const gpuval_probe_module& module, const ProbeModuleSpec& spec,
              const gpuval_probe_bench_request& request);
  ~ModuleBench();
  ModuleBench(const ModuleBench&) = delete;
  ModuleBench& operator=(const ModuleBench&) = delete;

  // Why the session could not be opened; empty when it is ready.
  const std::optional<Outcome>& failure() const { return failure_; }
  // bench_open's answer (problem, algorithm, memory, verification), {} if unparsable.
  const nlohmann::json& description() const { return description_; }
  const ProbeModuleSpec& module_spec() const { return spec_; }
  // Enqueues a batch; false when that failed (finish() says why).
  bool start(int iterations, int warmup);
  BatchResult finish();

 private:
  const gpuval_probe_module& module_;
  const ProbeModuleSpec& spec_;
  gpuval_probe_bench* session_ = nullptr;
  std::optional<Outcome> failure_;
  nlohmann::json description_;
};

// The sessions of one benchmark run: one open at a time, so only one problem's device memory is
// held (a new key closes the previous session before opening the next).
class ModuleBenchCache {
 public:
  using Opener = std::function<std::unique_ptr<ModuleBench>()>;
  ModuleBench& get(const std::string& key, const Opener& open);
  void close() {
    current_.reset();
    key_.clear();
  }

 private:
  std::string key_;
  std::unique_ptr<ModuleBench> current_;
};

// One repetition of a module benchmark: one batch of st.max_iterations calls (after `warmup`)
// timed inside the module, its event time spread evenly over the Google Benchmark iterations so
// the repetition's sample is work x iterations / batch time; the clock sampled while it runs;
// a failed open, a failed batch or a wrong result recorded in `outcome`.
// The module's description of the problem (algorithm, memory, verification model) and the last
// batch's check (errors, bounds, margin) go into outcome.details.
void run_module_repetition(benchmark::State& st, ModuleBench& bench, const NvmlSession* nvml,
                           std::optional<unsigned> nvml_index, Outcome& outcome,
                           int warmup = kModuleWarmup);

}  // namespace gpuval::bench
