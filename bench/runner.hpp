// The one entry point for `gpuval run` and `gpuval bench`: runs the catalogue through Google
// Benchmark and returns the run document's "benchmarks" array.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/catalogue.hpp"
#include "core/context.hpp"

namespace gpuval::bench {

struct BenchOptions {
  std::string profile = "quick";            // "quick" | "full"
  std::vector<std::string> benchmark_args;  // passed to Google Benchmark (--benchmark_out=..., ...)
  std::string filter;                       // ECMAScript regex on benchmark ids; "" = all
  // Where the GEMM/convolution probe modules are looked for; empty = probe_search_dirs() of
  // the process environment ($GPUVAL_PROBE_DIR, else lib/ beside bin/).
  std::vector<std::string> probe_dirs;
  // The gpuval the cold-start benchmarks run again in fresh processes (bench/cold_start.hpp).
  std::string cold_start_exe = "/proc/self/exe";
};

// Without a usable GPU (facts.gpu_usable false) CUDA is not touched: every catalogue benchmark
// comes back as a SKIP entry saying why. Never throws for a failed benchmark: it becomes an entry
// with status FAIL/WARN/SKIP and a message. `progress` gets one line per finished benchmark.
// Throws std::invalid_argument for a bad filter or an unrecognised --benchmark_* argument.
nlohmann::json run_benchmarks(const BenchOptions& opt, const Facts& facts,
                              std::function<void(const std::string&)> progress);

// What run_benchmarks registers, in order: the catalogue for each CUDA device (facts.cuda), each
// spec with the NVML board bound to its device (facts.bindings) and no link floor on a MIG slice.
// Throws std::invalid_argument for a bad filter.
std::vector<BenchSpec> planned_specs(const BenchOptions& opt, const Facts& facts);

// The catalogue entries as SKIP entries (what run_benchmarks returns without a GPU).
nlohmann::json skipped_catalogue(const BenchOptions& opt, const std::string& message);

}  // namespace gpuval::bench
