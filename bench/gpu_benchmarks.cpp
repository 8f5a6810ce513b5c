#include "bench/gpu_benchmarks.hpp"

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "bench/bench_state.hpp"
#include "bench/event_timing.hpp"
#include "bench/module_bench.hpp"
#include "bench/p2p_benchmark.hpp"
#include "core/cuda_raii.hpp"
#include "kernels/latency.cuh"
#include "kernels/stream.cuh"

namespace gpuval::bench {

// STREAM arrays a, b, c of `n` doubles (also the D2D and host-link buffers), allocated on first
// use so a profile that runs nothing allocates nothing.
struct DeviceResources {
  int device = 0;
  std::size_t n = 0;
  int blocks = 0;
  cuda::DeviceBuffer<double> a, b, c, partials, result;
};

namespace {

constexpr double kScalar = 0.4;
constexpr int kLaunchBatch = 100;  // empty kernels per timed batch (launch latency)
// Random inputs of the module benchmarks: fixed, so runs compare like with like (+ device).
constexpr std::uint64_t kModuleSeed = 0x67707576616cull;  // "gpuval"

// The resources for `spec`, allocating them when missing; throws CudaError (e.g. out of memory)
// or std::runtime_error when the buffers cannot fit in free memory.
DeviceResources& resources_for(std::shared_ptr<DeviceResources>& res, const BenchSpec& spec) {
  // STREAM specs count doubles; the copy specs count bytes of the same buffers.
  const bool is_stream = spec.kind == BenchKind::StreamCopy ||
                         spec.kind == BenchKind::StreamScale || spec.kind == BenchKind::StreamAdd ||
                         spec.kind == BenchKind::StreamTriad || spec.kind == BenchKind::StreamDot;
  const std::size_t n = is_stream ? spec.elements : (spec.elements + 7) / sizeof(double);
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
  res = std::move(r);
  return *res;
}

// Relative difference within `tol` for every element; the first bad one in `message`.
template <typename Expected>
bool verify_all(const std::vector<double>& got, Expected&& expected, double tol,
                std::string& message) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double want = expected(i);
    if (!(std::fabs(got[i] - want) <= tol * std::fabs(want))) {
      message = fmt::format("element {} is {} (expected {})", i, got[i], want);
      return false;
    }
  }
  return true;
}

void run_stream(benchmark::State& st, const BenchSpec& spec, DeviceResources& r,
                const NvmlSession* nvml, Outcome& outcome) {
  cuda::DeviceScope scope(spec.device);
  cuda::Stream stream;
  const std::size_t n = spec.elements;
  double* a = r.a.get();
  double* b = r.b.get();
  double* c = r.c.get();
  // Inputs for every op: a, b from the index pattern, c = a; then the op under test.
  GPUVAL_CUDA_CHECK(kernels::launch_stream_init(a, b, n, r.blocks, stream.get()));
  GPUVAL_CUDA_CHECK(kernels::launch_stream_copy(a, c, n, r.blocks, stream.get()));
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
  event_timed(st, stream.get(), nvml, spec.device, 1.0, launch);
  stream.synchronize();
  if (outcome.verified || !outcome.status.empty()) return;
  using kernels::stream_init_a;
  using kernels::stream_init_b;
  std::string message;
  bool ok = false;
  switch (spec.kind) {
    case BenchKind::StreamCopy:
      ok = verify_all(
          r.c.download(), [](std::size_t i) { return stream_init_a(i); }, 0, message);
      break;
    case BenchKind::StreamScale:
      ok = verify_all(
          r.b.download(), [](std::size_t i) { return kScalar * stream_init_a(i); }, 1e-15, message);
      break;
    case BenchKind::StreamAdd:
      ok = verify_all(
          r.c.download(), [](std::size_t i) { return stream_init_a(i) + stream_init_b(i); }, 1e-15,
          message);
      break;
    case BenchKind::StreamTriad:
      ok = verify_all(
          r.a.download(),
          [](std::size_t i) { return stream_init_b(i) + kScalar * stream_init_a(i); }, 1e-14,
          message);
      break;
    default: {
      long double want = 0;
      for (std::size_t i = 0; i < n; ++i) {
        want += static_cast<long double>(stream_init_a(i)) * stream_init_b(i);
      }
      const double got = r.result.download().at(0);
      const double w = static_cast<double>(want);
      ok = std::fabs(got - w) <= 1e-10 * std::fabs(w);
      if (!ok) message = fmt::format("dot is {} (expected {})", got, w);
    }
  }
  outcome.verified = ok;
  if (!ok) {
    record_failure(st, outcome, "FAIL", "wrong result: " + message,
                   "run `gpuval validate` (memory check) and look at ECC errors "
                   "(nvidia-smi -q -d ECC)");
  }
}

// A host buffer of `bytes`, pinned or pageable, filled with a non-zero byte pattern.
struct HostBuffer {
  cuda::PinnedBuffer<unsigned char> pinned;
  std::vector<unsigned char> pageable;
  unsigned char* data() { return pinned.get() != nullptr ? pinned.get() : pageable.data(); }
};

unsigned char pattern_byte(std::size_t i) { return static_cast<unsigned char>(0x5A ^ (i * 131)); }

HostBuffer make_host(std::size_t bytes, bool pinned) {
  HostBuffer h;
  if (pinned) {
    h.pinned = cuda::PinnedBuffer<unsigned char>(bytes);
  } else {
    h.pageable.resize(bytes);
  }
  unsigned char* p = h.data();
  for (std::size_t i = 0; i < bytes; ++i) p[i] = pattern_byte(i);
  return h;
}

void run_copy(benchmark::State& st, const BenchSpec& spec, DeviceResources& r,
              const NvmlSession* nvml, Outcome& outcome) {
  cuda::DeviceScope scope(spec.device);
  cuda::Stream stream;
  const std::size_t bytes = spec.elements;
  const bool pinned = spec.kind != BenchKind::H2DPageable && spec.kind != BenchKind::D2HPageable;
  HostBuffer host;
  if (spec.kind != BenchKind::MemcpyD2D) {
    try {
      host = make_host(bytes, pinned);
    } catch (const CudaError& e) {
      record_failure(
          st, outcome, "WARN",
          fmt::format("pinned host allocation of {} MiB failed: {}", bytes >> 20, e.what()),
          "raise the locked-memory limit: podman/docker run --ulimit memlock=-1:-1 "
          "(and check `ulimit -l` and the cgroup memory limit)");
      return;
    }
  }
  // Device source holds the host pattern so every direction can be checked byte for byte.
  unsigned char* dev_a = reinterpret_cast<unsigned char*>(r.a.get());
  unsigned char* dev_c = reinterpret_cast<unsigned char*>(r.c.get());
  {
    std::vector<unsigned char> pattern(bytes);
    for (std::size_t i = 0; i < bytes; ++i) pattern[i] = pattern_byte(i);
    GPUVAL_CUDA_CHECK(cudaMemcpy(dev_a, pattern.data(), bytes, cudaMemcpyHostToDevice));
  }
  GPUVAL_CUDA_CHECK(cudaMemset(dev_c, 0xFF, bytes));
  cuda::Stream second;
  cuda::Event fork, join;
  std::vector<unsigned char> back_host;  // D2H destination for the bidirectional copy
  cuda::PinnedBuffer<unsigned char> back;
  if (spec.kind == BenchKind::BidirPinned) back = cuda::PinnedBuffer<unsigned char>(bytes);
  auto launch = [&] {
    switch (spec.kind) {
      case BenchKind::MemcpyD2D:
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(dev_c, dev_a, bytes, cudaMemcpyDeviceToDevice, stream.get()));
        break;
      case BenchKind::H2DPinned:
      case BenchKind::H2DPageable:
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(dev_c, host.data(), bytes, cudaMemcpyHostToDevice, stream.get()));
        break;
      case BenchKind::D2HPinned:
      case BenchKind::D2HPageable:
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(host.data(), dev_a, bytes, cudaMemcpyDeviceToHost, stream.get()));
        break;
      default:  // bidirectional: H2D on `stream`, D2H on `second`, joined back into `stream`
        fork.record(stream.get());
        GPUVAL_CUDA_CHECK(cudaStreamWaitEvent(second.get(), fork.get(), 0));
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(dev_c, host.data(), bytes, cudaMemcpyHostToDevice, stream.get()));
        GPUVAL_CUDA_CHECK(
            cudaMemcpyAsync(back.get(), dev_a, bytes, cudaMemcpyDeviceToHost, second.get()));
        join.record(second.get());
        GPUVAL_CUDA_CHECK(cudaStreamWaitEvent(stream.get(), join.get(), 0));
        break;
    }
  };
  event_timed(st, stream.get(), nvml, spec.device, 1.0, launch);
  stream.synchronize();
  if (outcome.verified || !outcome.status.empty()) return;
  // Check what the timed copy wrote, byte for byte.
  std::vector<unsigned char> got;
  if (spec.kind == BenchKind::D2HPinned || spec.kind == BenchKind::D2HPageable) {
    got.assign(host.data(), host.data() + bytes);
  } else {
    got.resize(bytes);
    GPUVAL_CUDA_CHECK(cudaMemcpy(got.data(), dev_c, bytes, cudaMemcpyDeviceToHost));
  }
  std::size_t bad = bytes;
  for (std::size_t i = 0; i < bytes; ++i) {
    if (got[i] != pattern_byte(i)) {
      bad = i;
      break;
    }
  }
  if (bad == bytes && spec.kind == BenchKind::BidirPinned) {
    for (std::size_t i = 0; i < bytes; ++i) {
      if (back[i] != pattern_byte(i)) {
        bad = i;
        break;
      }
    }
  }
  outcome.verified = bad == bytes;
  if (!outcome.verified) {
    record_failure(st, outcome, "FAIL", fmt::format("copied data differs at byte {}", bad),
                   "run `gpuval validate` (memory check); look at ECC and PCIe errors");
  }
}

void run_latency(benchmark::State& st, const BenchSpec& spec, const NvmlSession* nvml,
                 Outcome& outcome) {
  cuda::DeviceScope scope(spec.device);
  cuda::Stream stream;
  if (spec.kind == BenchKind::LaunchLatency) {
    auto batch = [&] {
      for (int i = 0; i < kLaunchBatch; ++i) GPUVAL_CUDA_CHECK(kernels::launch_empty(stream.get()));
    };
    event_timed(st, stream.get(), nvml, spec.device, kLaunchBatch, batch);
  } else {
    GPUVAL_CUDA_CHECK(kernels::launch_empty(stream.get()));
    stream.synchronize();
    for (auto _ : st) {
      const auto t0 = std::chrono::steady_clock::now();
      GPUVAL_CUDA_CHECK(kernels::launch_empty(stream.get()));
      stream.synchronize();
      st.SetIterationTime(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    sample_clock(st, nvml, spec.device);
  }
  outcome.verified = true;  // nothing to check: the launches' errors are checked
}

}  // namespace

GpuBenchmarks::GpuBenchmarks(const NvmlSession* nvml, std::vector<std::string> probe_dirs)
    : nvml_(nvml),
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
    return Outcome{"SKIP", false, "device not visible to the CUDA runtime", ""};
  }
  int major = 0, minor = 0;
  (void)cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, spec.device);
  (void)cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, spec.device);
  if (major * 10 + minor < spec.min_cc) {
    return Outcome{"SKIP", false,
                   fmt::format("needs compute capability {}.{} (device has {}.{})",
                               spec.min_cc / 10, spec.min_cc % 10, major, minor),
                   ""};
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
  auto res = &resources_;
  std::shared_ptr<ModuleBenchCache> modules = modules_;
  auto body = [spec, name, outcome, nvml, res, module, loaded, modules](benchmark::State& st) {
    try {
      if (module != nullptr) {
        ModuleBench& bench = modules->get(name, [&] {
          return std::make_unique<ModuleBench>(
              *loaded, *module,
              bench_request(spec, kModuleSeed + static_cast<std::uint64_t>(spec.device), false));
        });
        run_module_repetition(st, bench, nvml, spec.device, *outcome);
        return;
      }
      if (spec.kind == BenchKind::P2PRead || spec.kind == BenchKind::P2PWrite) {
        run_p2p(st, spec, nvml, *outcome);
        return;
      }
      if (spec.kind == BenchKind::LaunchLatency || spec.kind == BenchKind::RoundTripLatency) {
        run_latency(st, spec, nvml, *outcome);
        return;
      }
      DeviceResources& r = resources_for(*res, spec);
      if (spec.kind == BenchKind::StreamCopy || spec.kind == BenchKind::StreamScale ||
          spec.kind == BenchKind::StreamAdd || spec.kind == BenchKind::StreamTriad ||
          spec.kind == BenchKind::StreamDot) {
        run_stream(st, spec, r, nvml, *outcome);
      } else {
        run_copy(st, spec, r, nvml, *outcome);
      }
    } catch (const CudaError& e) {
      const bool oom = e.code() == static_cast<int>(cudaErrorMemoryAllocation);
      record_failure(st, *outcome, oom ? "SKIP" : "FAIL", e.what(),
                     oom ? "free device memory (other processes: nvidia-smi) or use --quick"
                         : "run `gpuval validate` for the CUDA checks");
    } catch (const std::exception& e) {
      record_failure(st, *outcome, "SKIP", e.what(),
                     "free device memory (other processes: nvidia-smi) or use --quick");
    }
  };
  benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(name.c_str(), body);
  b->UseManualTime()->Iterations(spec.iterations)->Unit(benchmark::kMillisecond);
  if (set_repetitions) b->Repetitions(spec.repetitions);
  return std::nullopt;
}

}  // namespace gpuval::bench
