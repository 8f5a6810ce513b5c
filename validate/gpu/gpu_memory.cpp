// memory-pattern: write walking-ones, address-as-data and random patterns, each plain and
// inverted, over a slice of free device memory and count on the device the words that read back
// wrong. Quick: 256 MiB per device; full: half of the free memory. NVML's ECC counters are read
// before and after: errors the test provoked count even when ECC corrected the data.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "core/device_inventory.hpp"
#include "core/nvml.hpp"
#include "kernels/memory_pattern.cuh"
#include "validate/checks.hpp"
#include "validate/gpu/ecc_delta.hpp"
#include "validate/gpu/gpu_checks.hpp"
#include "validate/gpu/gpu_outcome.hpp"

namespace gpuval::checks {
namespace {

using kernels::MemoryPattern;

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kQuickBytes = 256 * kMiB;

struct Pass {
  MemoryPattern pattern;
  bool inverted;
  const char* name;
};
constexpr std::array<Pass, 6> kPasses{{
    {MemoryPattern::WalkingOnes, false, "walking-ones"},
    {MemoryPattern::WalkingOnes, true, "walking-zeros"},
    {MemoryPattern::AddressAsData, false, "address"},
    {MemoryPattern::AddressAsData, true, "address-inverse"},
    {MemoryPattern::Random, false, "random"},
    {MemoryPattern::Random, true, "random-inverse"},
}};

std::size_t slice_bytes(const Context& ctx, const GpuCheckOptions& options,
                        std::size_t free_bytes) {
  std::size_t want = options.memory_bytes != 0 ? options.memory_bytes
                     : ctx.profile == "full"   ? free_bytes / 2
                                               : kQuickBytes;
  // Leave room for the context, other processes and the allocator's rounding.
  want = std::min(want, free_bytes / 10 * 9);
  return want / sizeof(std::uint64_t) * sizeof(std::uint64_t);
}

std::optional<NvmlEcc> read_ecc(const NvmlSession* nvml, std::optional<unsigned> index) {
  if (nvml == nullptr || !index) return std::nullopt;
  return nvml->device(*index).ecc;
}

DeviceOutcome memory_on(const Context& ctx, const NvmlSession* nvml,
                        std::optional<unsigned> nvml_index, int device, std::uint64_t seed,
                        const GpuCheckOptions& options) {
  cuda::DeviceScope scope(device);
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  GPUVAL_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const std::size_t bytes = slice_bytes(ctx, options, free_bytes);
  const std::size_t words = bytes / sizeof(std::uint64_t);
  nlohmann::json metrics = {{"seed", seed},
                            {"bytes_tested", bytes},
                            {"free_bytes", free_bytes},
                            {"total_bytes", total_bytes}};
  if (words == 0) {
    return DeviceOutcome{
        device, Status::Warn,
        "no free device memory to test (" + std::to_string(free_bytes) + " bytes free)",
        "other processes hold the GPU's memory: check `nvidia-smi` and rerun "
        "on an idle GPU",
        metrics};
  }

  const std::optional<NvmlEcc> ecc_before = read_ecc(nvml, nvml_index);
  cuda::DeviceBuffer<std::uint64_t> buffer(words);
  cuda::DeviceBuffer<unsigned long long> counters(2);
  const std::uint64_t base = reinterpret_cast<std::uintptr_t>(buffer.get());
  nlohmann::json passes = nlohmann::json::array();
  std::uint64_t total_bad = 0;
  DeviceOutcome o{device, Status::Pass, "", "", {}};
  for (std::size_t p = 0; p < kPasses.size(); ++p) {
    const Pass& pass = kPasses[p];
    const std::uint64_t pass_seed = seed + p;
    GPUVAL_CUDA_CHECK(kernels::launch_memory_pattern_write(buffer.get(), words, pass.pattern,
                                                           pass.inverted, pass_seed, nullptr));
    if (options.corrupt_one_element && p == 0) {
      // Test hook: one word overwritten with its bitwise inverse between write and verify.
      const std::size_t index = words / 2 + 5 < words ? words / 2 + 5 : words / 2;
      const std::uint64_t wrong =
          ~kernels::memory_pattern_word(pass.pattern, pass.inverted, index, base, pass_seed);
      GPUVAL_CUDA_CHECK(
          cudaMemcpy(buffer.get() + index, &wrong, sizeof wrong, cudaMemcpyHostToDevice));
    }
    const unsigned long long initial[2] = {0ull, ~0ull};
    GPUVAL_CUDA_CHECK(cudaMemcpy(counters.get(), initial, sizeof initial, cudaMemcpyHostToDevice));
    GPUVAL_CUDA_CHECK(kernels::launch_memory_pattern_verify(
        buffer.get(), words, pass.pattern, pass.inverted, pass_seed, counters.get(), nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    const std::vector<unsigned long long> result = counters.download();
    nlohmann::json pj = {{"pattern", pass.name}, {"mismatches", result[0]}};
    if (result[0] != 0) {
      const std::size_t first = static_cast<std::size_t>(result[1]);
      std::uint64_t got = 0;
      GPUVAL_CUDA_CHECK(cudaMemcpy(&got, buffer.get() + first, sizeof got, cudaMemcpyDeviceToHost));
      const std::uint64_t expected =
          kernels::memory_pattern_word(pass.pattern, pass.inverted, first, base, pass_seed);
      pj["first_bad"] = {{"word", first},
                         {"byte_offset", first * sizeof(std::uint64_t)},
                         {"got", got},
                         {"expected", expected},
                         {"bits_flipped", __builtin_popcountll(got ^ expected)}};
      if (total_bad == 0) {
        o.status = Status::Fail;
        o.message = std::string(pass.name) + " pattern: " + std::to_string(result[0]) + " of " +
                    std::to_string(words) + " words read back wrong (first at byte " +
                    std::to_string(first * sizeof(std::uint64_t)) + ", " +
                    std::to_string(__builtin_popcountll(got ^ expected)) + " bits flipped)";
        o.hint =
            "device memory returned wrong data: check `nvidia-smi -q -d ECC` (and retired / "
            "remapped rows, `nvidia-smi -q -d ROW_REMAPPER`) and `dmesg` for Xid 48/63/64/94/95; "
            "drain the GPU for a reset or RMA if it repeats";
      }
      total_bad += result[0];
    }
    passes.push_back(std::move(pj));
  }
  metrics["passes"] = std::move(passes);
  metrics["mismatches"] = total_bad;
  if (o.status == Status::Pass) {
    o.message = std::to_string(kPasses.size()) + " patterns over " + std::to_string(bytes / kMiB) +
                " MiB read back intact";
  }
  const EccDelta ecc = ecc_delta(ecc_before, read_ecc(nvml, nvml_index));
  metrics["ecc"] = ecc.metrics;
  if (!ecc.message.empty()) o.message += "; " + ecc.message;
  if (worst(o.status, ecc.status) != o.status) {
    o.status = ecc.status;
    o.hint = ecc.hint;
  }
  o.metrics = std::move(metrics);
  return o;
}

}  // namespace

CheckResult run_memory_pattern(const Context& ctx, Facts& facts, const GpuCheckOptions& options) {
  if (gpu_unusable(facts)) return skip_no_gpu();
  const std::uint64_t seed = pick_seed(options.seed);
  // ECC counters come from the real NVML only (a sysroot run never gets here: no usable GPU).
  NvmlSession::Opened nvml = NvmlSession::open(ctx.nvml_library);
  auto outcomes = for_each_device(facts, [&](int d) {
    // The board's ECC counters: the NVML device bound to this CUDA ordinal by PCI bus id.
    return memory_on(ctx, nvml.session.get(), nvml_index_for(facts.bindings, d), d, seed, options);
  });
  return roll_up(outcomes, {{"profile", ctx.profile.empty() ? "quick" : ctx.profile}});
}

CheckResult memory_pattern(const Context& ctx, Facts& facts) {
  return run_memory_pattern(ctx, facts, GpuCheckOptions{});
}

}  // namespace gpuval::checks
