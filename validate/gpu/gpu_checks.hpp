// The GPU checks (cuda-compute, ptx-jit, cublas, cudnn, memory-pattern) with their knobs exposed:
// the registry runs them with default options; the GPU tests inject a corrupted element and
// expect FAIL. Every one SKIPs when facts.gpu_usable is false and runs on each device CUDA sees
// (facts.cuda->device_count).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/check_result.hpp"
#include "core/context.hpp"

namespace gpuval::checks {

struct GpuCheckOptions {
  // Fault injection for tests: corrupt one element of the result (or one word of memory) after
  // the GPU wrote it and before the comparison, which must then FAIL.
  bool corrupt_one_element = false;
  // Random inputs; 0 draws a fresh seed (recorded in the metrics, so a failure can be replayed).
  std::uint64_t seed = 0;
  // memory-pattern: bytes tested per device; 0 picks by profile (quick: 256 MiB, full: half of
  // the free memory), never more than 90 % of the free memory.
  std::size_t memory_bytes = 0;
};

CheckResult run_cuda_compute(const Context& ctx, Facts& facts, const GpuCheckOptions& options);
CheckResult run_ptx_jit(const Context& ctx, Facts& facts, const GpuCheckOptions& options);
CheckResult run_cublas(const Context& ctx, Facts& facts, const GpuCheckOptions& options);
CheckResult run_cudnn(const Context& ctx, Facts& facts, const GpuCheckOptions& options);
CheckResult run_memory_pattern(const Context& ctx, Facts& facts, const GpuCheckOptions& options);

}  // namespace gpuval::checks
