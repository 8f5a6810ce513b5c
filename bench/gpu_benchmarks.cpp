#include "bench/gpu_benchmarks.hpp"

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "bench/bench_state.hpp"
#include "bench/event_timing.hpp"
#include "bench/host_memory.hpp"
#include "bench/host_pattern.hpp"
#include "bench/module_bench.hpp"
#include "bench/p2p_benchmark.hpp"
#include "core/cuda_raii.hpp"
#include "core/interrupt.hpp"
#include "kernels/byte_pattern.cuh"
#include "kernels/latency.cuh"
#include "kernels/stream.cuh"

namespace gpuval::bench {

// STREAM arrays a, b, c of `n` doubles (also the D2D and host-link device buffers), allocated on
// first use so a profile that runs nothing allocates nothing, plus the mismatch counters of the
// device-side verification.
struct DeviceResources {
  int device = 0;
  std::size_t n = 0;
  int blocks = 0;
  cuda::DeviceBuffer<double> a, b, c, partials, result;
  cuda::DeviceBuffer<unsigned long long> counters;  // {mismatches, first index}
};

// Host buffers of the host-link benchmarks: a source holding the byte pattern and a destination
// poisoned before each verified copy. Allocated and filled once per benchmark family (pinned:
// h2d, d2h and bidir share them; pageable: h2d and d2h), never per repetition.
struct HostBuffers {
  int device = -1;
  std::size_t bytes = 0;
  bool pinned = false;
  cuda::PinnedBuffer<unsigned char> pinned_src, pinned_dst;
  std::unique_ptr<unsigned char[]> pageable_src, pageable_dst;
  unsigned char* src() { return pinned ? pinned_src.get() : pageable_src.get(); }
  unsigned char* dst() { return pinned ? pinned_dst.get() : pageable_dst.get(); }
};

// Per registered benchmark: launches per timed iteration of a latency benchmark, calibrated on
// its first repetition (0 until then).
struct LatencyPlan {
  long long batch = 0;
};

namespace {

constexpr double kScalar = 0.4;
constexpr long long kMinLaunchBatch = 100;
constexpr long long kMaxLaunchBatch = 1'000'000;
constexpr long long kMinRoundTripBatch = 10;
constexpr long long kMaxRoundTripBatch = 100'000;
// Random inputs of the module benchmarks: fixed, so runs compare like with like (+ device).
constexpr std::uint64_t kModuleSeed = 0x67707576616cull;  // "gpuval"
constexpr const char* kMemoryHint =
    "free device memory (other processes: nvidia-smi) or use --quick";
constexpr const char* kCopyFailHint =
    "run `gpuval validate` (memory check); look at ECC and PCIe errors (nvidia-smi -q -d "
    "ECC,PCI; dmesg for Xid)";

bool is_stream_kind(BenchKind k) {
  return k == BenchKind::StreamCopy || k == BenchKind::StreamScale || k == BenchKind::StreamAdd ||
         k == BenchKind::StreamTriad || k == BenchKind::StreamDot;
}

// The resources for `spec`, allocating them when missing; throws CudaError (e.g. out of memory)
// or std::runtime_error when the buffers cannot fit in free memory.
DeviceResources& resources_for(std::shared_ptr<DeviceResources>& res, const BenchSpec& spec) {
  // STREAM specs count doubles; the copy specs count bytes of the same buffers.
  const std::size_t n =
      is_stream_kind(spec.kind) ? spec.elements : (spec.elements + 15) / 16 * 2;  // 16 B units
  if (res && res->device == spec.device && res->n >= n) return *res;
  res.reset();  // free the old buffers before sizing new ones
  cuda::DeviceScope scope(spec.device);
  std::size_t free_bytes = 0, total_bytes = 0;
  GPUVAL_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const double need = 3.0 * static_cast<double>(n) * sizeof(double);
  if (need > 0.9 * static_cast<double>(free_bytes)) {
    throw std::runtime_error(fmt::format("needs {:.2f} GiB of device memory, {:.2f} GiB free",
                                         need / (1 << 30),
                                         static_cast<double>(free_bytes) / (1 << 30)));
  }
  auto r = std::make_shared<DeviceResources>();
  r->device = spec.device;
  r->n = n;
  GPUVAL_CUDA_CHECK(kernels::stream_grid_size(spec.device, &r->blocks));
  r->a = cuda::DeviceBuffer<double>(n);
  r->b = cuda::DeviceBuffer<double>(n);
  r->c = cuda::DeviceBuffer<double>(n);
  r->partials = cuda::DeviceBuffer<double>(static_cast<std::size_t>(r->blocks));
  r->result = cuda::DeviceBuffer<double>(1);
  r->counters = cuda::DeviceBuffer<unsigned long long>(2);
  res = std::move(r);
  return *res;
}

// The mismatch counters after `count` (a launch of a counting kernel on `stream`): {bad, first}.
template <typename Count>
std::array<unsigned long long, 2> count_mismatches(DeviceResources& r, cudaStream_t stream,
                                                   Count&& count) {
  const std::array<unsigned long long, 2> initial{0ull, ~0ull};
  std::array<unsigned long long, 2> got{};
  GPUVAL_CUDA_CHECK(cudaMemcpyAsync(r.counters.get(), initial.data(), sizeof initial,
                                    cudaMemcpyHostToDevice, stream));
  GPUVAL_CUDA_CHECK(count());
  GPUVAL_CUDA_CHECK(
      cudaMemcpyAsync(got.data(), r.counters.get(), sizeof got, cudaMemcpyDeviceToHost, stream));
  GPUVAL_CUDA_CHECK(cudaStreamSynchronize(stream));
  return got;
}

void run_stream(benchmark::State& st, const BenchSpec& spec, DeviceResources& r,
                const NvmlSession* nvml, Outcome& outcome) {
  cuda::DeviceScope scope(spec.device);
  cuda::Stream stream;
  const std::size_t n = spec.elements;
  double* a = r.a.get();
  double* b = r.b.get();
  double* c = r.c.get();
  // Inputs for every op, on the timed stream: a, b from the index pattern, c = a.
  GPUVAL_CUDA_CHECK(kernels::launch_stream_init(a, b, n, r.blocks, stream.get()));
  GPUVAL_CUDA_CHECK(kernels::launch_stream_copy(a, c, n, r.blocks, stream.get()));
  // The array the op writes (dot: its result), poisoned (NaN) before the timed calls of a
  // verified repetition.
  double* written = spec.kind == BenchKind::StreamCopy    ? c
                    : spec.kind == BenchKind::StreamScale ? b
                    : spec.kind == BenchKind::StreamAdd   ? c
                    : spec.kind == BenchKind::StreamTriad ? a
                                                          : r.result.get();
  const std::size_t written_count = spec.kind == BenchKind::StreamDot ? 1 : n;
  const bool verify = !outcome.verified && outcome.status.empty();
  auto launch = [&] {
    switch (spec.kind) {
      case BenchKind::StreamCopy:
        GPUVAL_CUDA_CHECK(kernels::launch_stream_copy(a, c, n, r.blocks, stream.get()));
        break;
      case BenchKind::StreamScale:
        GPUVAL_CUDA_CHECK(kernels::launch_stream_scale(kScalar, c, b, n, r.blocks, stream.get()));
        break;
      case BenchKind::StreamAdd:
        GPUVAL_CUDA_CHECK(kernels::launch_stream_add(a, b, c, n, r.blocks, stream.get()));
        break;
      case BenchKind::StreamTriad:
        GPUVAL_CUDA_CHECK(
            kernels::launch_stream_triad(kScalar, b, c, a, n, r.blocks, stream.get()));
        break;
      default:
        GPUVAL_CUDA_CHECK(kernels::launch_stream_dot(a, b, r.partials.get(), r.result.get(), n,
                                                     r.blocks, stream.get()));
        break;
    }
  };
  auto poison = [&] {
    if (!verify) return;
    GPUVAL_CUDA_CHECK(cudaMemsetAsync(written, 0xFF, written_count * sizeof(double), stream.get()));
    if (spec.kind == BenchKind::StreamDot) {
      GPUVAL_CUDA_CHECK(cudaMemsetAsync(r.partials.get(), 0xFF,
                                        static_cast<std::size_t>(r.blocks) * sizeof(double),
                                        stream.get()));
    }
  };
  event_timed(st, stream.get(), nvml, spec.nvml_index, 1.0, launch, poison);
  stream.synchronize();
  if (!verify) return;
  std::string message;
  if (spec.kind == BenchKind::StreamDot) {
    long double want = 0;
    for (std::size_t i = 0; i < n; ++i) {
      want += static_cast<long double>(kernels::stream_init_a(i)) * kernels::stream_init_b(i);
    }
    double got = 0;
    GPUVAL_CUDA_CHECK(
        cudaMemcpyAsync(&got, r.result.get(), sizeof got, cudaMemcpyDeviceToHost, stream.get()));
    stream.synchronize();
    const double w = static_cast<double>(want);
    // Tree sums of n positive terms err ~ log2(n) ulps; 1e-10 relative is far above that.
    if (!(std::fabs(got - w) <= 1e-10 * std::fabs(w))) {
      message = fmt::format("dot is {} (expected {})", got, w);
    }
  } else {
    const kernels::StreamResult op =
        spec.kind == BenchKind::StreamCopy    ? kernels::StreamResult::Copy
        : spec.kind == BenchKind::StreamScale ? kernels::StreamResult::Scale
        : spec.kind == BenchKind::StreamAdd   ? kernels::StreamResult::Add
                                              : kernels::StreamResult::Triad;
    // Copy is exact; scale and add round once, triad once or twice (FMA or not): 1e-15 covers
    // both orders, anything else is a wrong value.
    const double tolerance = op == kernels::StreamResult::Copy ? 0.0 : 1e-15;
    const auto bad = count_mismatches(r, stream.get(), [&] {
      return kernels::launch_stream_check(op, kScalar, written, n, tolerance, r.counters.get(),
                                          stream.get());
    });
    if (bad[0] != 0) {
      double got = 0;
      GPUVAL_CUDA_CHECK(cudaMemcpyAsync(&got, written + bad[1], sizeof got, cudaMemcpyDeviceToHost,
                                        stream.get()));
      stream.synchronize();
      message = fmt::format("{} of {} elements wrong, first at {}: {} (expected {})", bad[0], n,
                            bad[1], got, kernels::stream_expected(op, kScalar, bad[1]));
    }
  }
  outcome.verified = message.empty();
  if (!outcome.verified) {
    record_failure(st, outcome, "FAIL", "wrong result: " + message,
                   "run `gpuval validate` (memory check) and look at ECC errors "
                   "(nvidia-smi -q -d ECC)");
  }
}

bool is_pinned_kind(BenchKind k) {
  return k == BenchKind::H2DPinned || k == BenchKind::D2HPinned || k == BenchKind::BidirPinned;
}

// The host buffers for `spec`, allocated and pattern-filled when the cached ones do not fit.
// Throws CudaError when pinned memory cannot be allocated.
HostBuffers& host_for(std::shared_ptr<HostBuffers>& cache, const BenchSpec& spec) {
  const bool pinned = is_pinned_kind(spec.kind);
  const std::size_t bytes = spec.elements;
  if (cache && cache->device == spec.device && cache->pinned == pinned && cache->bytes >= bytes) {
    return *cache;
  }
  cache.reset();  // one family's buffers at a time
  auto h = std::make_shared<HostBuffers>();
  h->device = spec.device;
  h->bytes = bytes;
  h->pinned = pinned;
  if (pinned) {
    h->pinned_src = cuda::PinnedBuffer<unsigned char>(bytes);
    h->pinned_dst = cuda::PinnedBuffer<unsigned char>(bytes);
  } else {
    h->pageable_src = std::make_unique_for_overwrite<unsigned char[]>(bytes);
    h->pageable_dst = std::make_unique_for_overwrite<unsigned char[]>(bytes);
  }
  fill_host_pattern(h->src(), bytes, kernels::kPatternSalt);
  cache = std::move(h);
  return *cache;
}

void run_copy(benchmark::State& st, const BenchSpec& spec, DeviceResources& r,
              std::shared_ptr<HostBuffers>& host_cache, const NvmlSession* nvml, const Facts& facts,
              Outcome& outcome) {
  cuda::DeviceScope scope(spec.device);
  cuda::Stream stream;
  const std::size_t bytes = spec.elements;
  HostBuffers* host = nullptr;
  if (spec.kind != BenchKind::MemcpyD2D) {
    try {
      host = &host_for(host_cache, spec);
    } catch (const CudaError& e) {
      host_cache.reset();
      const PinnedFailure f =
          pinned_allocation_failure(bytes, e.what(), read_host_memory(Sysroot("/"), facts));
      record_failure(st, outcome, "WARN", f.message, f.hint);
      return;
    }
  }
  unsigned char* dev_src = reinterpret_cast<unsigned char*>(r.a.get());
  unsigned char* dev_dst = reinterpret_cast<unsigned char*>(r.c.get());
  // The device source holds the pattern, on the timed stream (ordered before the copies).
  GPUVAL_CUDA_CHECK(
      kernels::launch_fill_byte_pattern(dev_src, bytes, kernels::kPatternSalt, stream.get()));
  const bool verify = !outcome.verified && outcome.status.empty();
  const bool to_device = spec.kind == BenchKind::MemcpyD2D || spec.kind == BenchKind::H2DPinned ||
                         spec.kind == BenchKind::H2DPageable || spec.kind == BenchKind::BidirPinned;
  const bool to_host = spec.kind == BenchKind::D2HPinned || spec.kind == BenchKind::D2HPageable ||
                       spec.kind == BenchKind::BidirPinned;
  cuda::Stream second;
  cuda::Event fork, join;
  auto launch = [&] {
    switch (spec.kind) {
      case BenchKind::MemcpyD2D:
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(dev_dst, dev_src, bytes, cudaMemcpyDeviceToDevice, stream.get()));
        break;
      case BenchKind::H2DPinned:
      case BenchKind::H2DPageable:
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(dev_dst, host->src(), bytes, cudaMemcpyHostToDevice, stream.get()));
        break;
      case BenchKind::D2HPinned:
      case BenchKind::D2HPageable:
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(host->dst(), dev_src, bytes, cudaMemcpyDeviceToHost, stream.get()));
        break;
      default:  // bidirectional: H2D on `stream`, D2H on `second`, joined back into `stream`
        fork.record(stream.get());
        GPUVAL_CUDA_CHECK(cudaStreamWaitEvent(second.get(), fork.get(), 0));
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(dev_dst, host->src(), bytes, cudaMemcpyHostToDevice, stream.get()));
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(host->dst(), dev_src, bytes, cudaMemcpyDeviceToHost, second.get()));
        join.record(second.get());
        GPUVAL_CUDA_CHECK(cudaStreamWaitEvent(stream.get(), join.get(), 0));
        break;
    }
  };
  // Destinations poisoned with the complement of the pattern (every bit of every byte differs)
  // after the warm-up: a byte the timed copies did not write fails the check.
  auto poison = [&] {
    if (!verify) return;
    if (to_device) {
      GPUVAL_CUDA_CHECK(
          kernels::launch_fill_byte_pattern(dev_dst, bytes, kernels::kPoisonSalt, stream.get()));
    }
    if (to_host) fill_host_pattern(host->dst(), bytes, kernels::kPoisonSalt);  // no copy in flight
  };
  event_timed(st, stream.get(), nvml, spec.nvml_index, 1.0, launch, poison);
  stream.synchronize();
  second.synchronize();
  if (!verify) return;
  std::string message;
  if (to_device) {
    const auto bad = count_mismatches(r, stream.get(), [&] {
      return kernels::launch_count_byte_mismatches(dev_dst, bytes, kernels::kPatternSalt,
                                                   r.counters.get(), stream.get());
    });
    if (bad[0] != 0) {
      message = fmt::format("{} of {} bytes copied to the device are wrong, first at byte {}",
                            bad[0], bytes, bad[1]);
    }
  }
  if (message.empty() && to_host) {
    if (const std::size_t at = first_pattern_mismatch(host->dst(), bytes); at != bytes) {
      message = fmt::format("bytes copied to the host differ from the device's from byte {}", at);
    }
  }
  outcome.verified = message.empty();
  if (!outcome.verified) record_failure(st, outcome, "FAIL", message, kCopyFailHint);
}

long long clamp_batch(double target_s, double per_call_s, long long lo, long long hi) {
  if (!(per_call_s > 0)) return lo;
  const double want = std::round(target_s / per_call_s);
  return static_cast<long long>(std::clamp(want, static_cast<double>(lo), static_cast<double>(hi)));
}

// Launch latency: each timed iteration is a batch of back-to-back empty launches between two
// events, the batch sized once so a repetition takes about spec.repetition_budget_s.
void run_launch_latency(benchmark::State& st, const BenchSpec& spec, LatencyPlan& plan,
                        const NvmlSession* nvml, Outcome& outcome) {
  cuda::Stream stream;
  auto launches = [&](long long count) {
    for (long long i = 0; i < count; ++i) GPUVAL_CUDA_CHECK(kernels::launch_empty(stream.get()));
  };
  if (plan.batch == 0) {
    launches(kMinLaunchBatch);  // warm-up: module load, first launches
    stream.synchronize();
    cuda::Event start, stop;
    start.record(stream.get());
    launches(kMinLaunchBatch);
    stop.record(stream.get());
    stop.synchronize();
    const double per_launch = stop.elapsed_ms_since(start) / 1e3 / kMinLaunchBatch;
    plan.batch = clamp_batch(spec.repetition_budget_s / static_cast<double>(st.max_iterations),
                             per_launch, kMinLaunchBatch, kMaxLaunchBatch);
    outcome.details["launches_per_iteration"] = plan.batch;
    outcome.details["calibration_us_per_launch"] = per_launch * 1e6;
  }
  event_timed(st, stream.get(), nvml, spec.nvml_index, static_cast<double>(plan.batch),
              [&] { launches(plan.batch); });
}

// Round trip: launch + stream synchronize, timed on the host, in batches sized like the
// launch-latency ones.
void run_roundtrip_latency(benchmark::State& st, const BenchSpec& spec, LatencyPlan& plan,
                           const NvmlSession* nvml, Outcome& outcome) {
  cuda::Stream stream;
  auto roundtrips = [&](long long count) {
    for (long long i = 0; i < count; ++i) {
      GPUVAL_CUDA_CHECK(kernels::launch_empty(stream.get()));
      stream.synchronize();
    }
  };
  using clock = std::chrono::steady_clock;
  roundtrips(kMinRoundTripBatch);  // warm-up
  if (plan.batch == 0) {
    const auto t0 = clock::now();
    roundtrips(kMinRoundTripBatch);
    const double per = std::chrono::duration<double>(clock::now() - t0).count() /
                       static_cast<double>(kMinRoundTripBatch);
    plan.batch = clamp_batch(spec.repetition_budget_s / static_cast<double>(st.max_iterations), per,
                             kMinRoundTripBatch, kMaxRoundTripBatch);
    outcome.details["roundtrips_per_iteration"] = plan.batch;
    outcome.details["calibration_us_per_roundtrip"] = per * 1e6;
  }
  const benchmark::IterationCount mid = st.max_iterations / 2;
  benchmark::IterationCount i = 0;
  for (auto _ : st) {
    const auto t0 = clock::now();
    roundtrips(plan.batch);
    st.SetIterationTime(std::chrono::duration<double>(clock::now() - t0).count() /
                        static_cast<double>(plan.batch));
    if (i++ == mid) sample_clock(st, nvml, spec.nvml_index);
  }
}

}  // namespace

GpuBenchmarks::GpuBenchmarks(const NvmlSession* nvml, const Facts& facts,
                             std::vector<std::string> probe_dirs)
    : nvml_(nvml),
      facts_(facts),
      probe_dirs_(std::move(probe_dirs)),
      modules_(std::make_shared<ModuleBenchCache>()) {}
GpuBenchmarks::~GpuBenchmarks() = default;

std::optional<Outcome> GpuBenchmarks::module_ready(const ProbeModuleSpec& module) {
  auto it = loads_.find(std::string(module.id));
  if (it == loads_.end()) {
    it = loads_.emplace(std::string(module.id), load_probe_module(module, probe_dirs_)).first;
  }
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) != cudaSuccess) runtime = CUDART_VERSION;
  return module_unavailable(module, it->second, runtime);
}

std::optional<Outcome> GpuBenchmarks::add(const BenchSpec& spec, const std::string& name,
                                          std::shared_ptr<Outcome> outcome, bool set_repetitions) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || spec.device >= count) {
    return Outcome{"SKIP", false, "device not visible to the CUDA runtime", "", {}};
  }
  int major = 0, minor = 0;
  (void)cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, spec.device);
  (void)cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, spec.device);
  if (major * 10 + minor < spec.min_cc) {
    return Outcome{"SKIP",
                   false,
                   fmt::format("needs compute capability {}.{} (device has {}.{})",
                               spec.min_cc / 10, spec.min_cc % 10, major, minor),
                   "",
                   {}};
  }
  if (spec.kind == BenchKind::P2PRead || spec.kind == BenchKind::P2PWrite) {
    if (std::optional<Outcome> why = p2p_unavailable(spec, count)) return why;
  }
  const ProbeModuleSpec* module = module_for(spec);
  if (module != nullptr) {
    if (std::optional<Outcome> why = module_ready(*module)) return why;
  }
  const gpuval_probe_module* loaded =
      module != nullptr ? loads_.at(std::string(module->id)).module : nullptr;
  const NvmlSession* nvml = nvml_;
  const Facts* facts = &facts_;
  auto res = &resources_;
  auto host = &host_;
  std::shared_ptr<ModuleBenchCache> modules = modules_;
  auto plan = std::make_shared<LatencyPlan>();
  auto body = [spec, name, outcome, nvml, facts, res, host, module, loaded, modules,
               plan](benchmark::State& st) {
    // SIGINT/SIGTERM (a timeout, Ctrl-C): the benchmarks not yet run pass by at once, so the
    // run writes the figures measured so far instead of being killed with them.
    if (interrupted()) {
      if (outcome->status.empty() && !outcome->verified) {
        record_failure(st, *outcome, "SKIP", "not run: the run was interrupted", "");
      } else {
        st.SkipWithError("interrupted");  // the repetitions measured so far stand
      }
      return;
    }
    try {
      if (module != nullptr) {
        ModuleBench& bench = modules->get(name, [&] {
          return std::make_unique<ModuleBench>(
              *loaded, *module,
              bench_request(spec, kModuleSeed + static_cast<std::uint64_t>(spec.device), false));
        });
        run_module_repetition(st, bench, nvml, spec.nvml_index, *outcome);
        return;
      }
      if (spec.kind == BenchKind::P2PRead || spec.kind == BenchKind::P2PWrite) {
        run_p2p(st, spec, nvml, *outcome);
        return;
      }
      if (spec.kind == BenchKind::LaunchLatency || spec.kind == BenchKind::RoundTripLatency) {
        cuda::DeviceScope scope(spec.device);
        if (spec.kind == BenchKind::LaunchLatency) {
          run_launch_latency(st, spec, *plan, nvml, *outcome);
        } else {
          run_roundtrip_latency(st, spec, *plan, nvml, *outcome);
        }
        outcome->verified = true;  // nothing to check: every launch's error is checked
        return;
      }
      DeviceResources& r = resources_for(*res, spec);
      if (is_stream_kind(spec.kind)) {
        run_stream(st, spec, r, nvml, *outcome);
      } else {
        run_copy(st, spec, r, *host, nvml, *facts, *outcome);
      }
    } catch (const CudaError& e) {
      const bool oom = e.code() == static_cast<int>(cudaErrorMemoryAllocation);
      record_failure(st, *outcome, oom ? "SKIP" : "FAIL", e.what(),
                     oom ? kMemoryHint : "run `gpuval validate` for the CUDA checks");
    } catch (const std::exception& e) {
      record_failure(st, *outcome, "SKIP", e.what(), kMemoryHint);
    }
  };
  benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(name.c_str(), body);
  b->UseManualTime()->Iterations(spec.iterations)->Unit(benchmark::kMillisecond);
  if (set_repetitions) b->Repetitions(spec.repetitions);
  return std::nullopt;
}

}  // namespace gpuval::bench
