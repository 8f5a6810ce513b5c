#include "bench/p2p_benchmark.hpp"

#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <array>
#include <stdexcept>
#include <vector>

#include "bench/bench_state.hpp"
#include "bench/event_timing.hpp"
#include "core/cuda_raii.hpp"
#include "kernels/stream.cuh"

namespace gpuval::bench {
namespace {

// Lets kernels on `device` dereference `peer`'s memory. Left enabled: it costs nothing and
// another P2P benchmark of the same pair reuses it.
void enable_peer_access(int device, int peer) {
  cuda::DeviceScope scope(device);
  const cudaError_t rc = cudaDeviceEnablePeerAccess(peer, 0);
  if (rc == cudaErrorPeerAccessAlreadyEnabled) {
    (void)cudaGetLastError();  // clear it: not an error here
    return;
  }
  GPUVAL_CUDA_CHECK(rc);
}

// Throws std::runtime_error when `bytes` (plus 10 % headroom) do not fit in `device`'s free memory.
void require_free(int device, std::size_t bytes) {
  cuda::DeviceScope scope(device);
  std::size_t free_bytes = 0, total_bytes = 0;
  GPUVAL_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (static_cast<double>(bytes) > 0.9 * static_cast<double>(free_bytes)) {
    throw std::runtime_error(
        fmt::format("needs {:.2f} GiB of device memory on GPU {}, {:.2f} GiB free",
                    static_cast<double>(bytes) / (1 << 30), device,
                    static_cast<double>(free_bytes) / (1 << 30)));
  }
}

}  // namespace

std::optional<Outcome> p2p_unavailable(const BenchSpec& spec, int device_count) {
  if (spec.peer < 0 || device_count < 2) {
    return Outcome{"SKIP", false, fmt::format("needs two or more GPUs ({} visible)", device_count),
                   ""};
  }
  if (spec.peer >= device_count || spec.peer == spec.device) {
    return Outcome{"SKIP", false,
                   fmt::format("peer GPU {} is not visible to the CUDA runtime", spec.peer), ""};
  }
  int can = 0;
  const cudaError_t rc = cudaDeviceCanAccessPeer(&can, spec.device, spec.peer);
  if (rc != cudaSuccess || can == 0) {
    (void)cudaGetLastError();
    return Outcome{
        "SKIP", false,
        fmt::format("GPU {} cannot access GPU {} directly (no NVLink or PCIe peer path{})",
                    spec.device, spec.peer,
                    rc != cudaSuccess ? std::string(": ") + cudaGetErrorName(rc) : ""),
        "`nvidia-smi topo -m` shows the path; PCIe peer access needs both GPUs under one root "
        "complex and is often disabled in VMs or with IOMMU/ACS"};
  }
  return std::nullopt;
}

void run_p2p(benchmark::State& st, const BenchSpec& spec, const NvmlSession* nvml,
             Outcome& outcome) {
  // Whole 16-byte vectors of doubles (the copy kernel's access width).
  const std::size_t n = (spec.elements / sizeof(double)) & ~std::size_t{1};
  require_free(spec.device, n * sizeof(double));
  require_free(spec.peer, n * sizeof(double));
  enable_peer_access(spec.device, spec.peer);

  cuda::DeviceBuffer<double> remote;
  {
    cuda::DeviceScope on_peer(spec.peer);
    remote = cuda::DeviceBuffer<double>(n);
  }
  cuda::DeviceScope scope(spec.device);
  cuda::DeviceBuffer<double> local(n);
  const bool read = spec.kind == BenchKind::P2PRead;
  double* source = read ? remote.get() : local.get();
  double* destination = read ? local.get() : remote.get();
  int blocks = 0;
  GPUVAL_CUDA_CHECK(kernels::stream_grid_size(spec.device, &blocks));
  cuda::Stream stream;
  // source = pattern a (destination = pattern b), on the timed stream.
  GPUVAL_CUDA_CHECK(kernels::launch_stream_init(source, destination, n, blocks, stream.get()));
  const bool verify = !outcome.verified && outcome.status.empty();
  // The destination NaN-poisoned after the warm-up: what is checked was written by timed copies.
  auto poison = [&] {
    if (verify) {
      GPUVAL_CUDA_CHECK(cudaMemsetAsync(destination, 0xFF, n * sizeof(double), stream.get()));
    }
  };
  event_timed(
      st, stream.get(), nvml, spec.nvml_index, 1.0,
      [&] {
        GPUVAL_CUDA_CHECK(
            kernels::launch_stream_copy(source, destination, n, blocks, stream.get()));
      },
      poison);
  stream.synchronize();
  if (!verify) return;
  // Checked on the device that did the copy: every element against the pattern, exactly.
  cuda::DeviceBuffer<unsigned long long> counters(2);
  const std::array<unsigned long long, 2> initial{0ull, ~0ull};
  std::array<unsigned long long, 2> bad{};
  GPUVAL_CUDA_CHECK(cudaMemcpyAsync(counters.get(), initial.data(), sizeof initial,
                                    cudaMemcpyHostToDevice, stream.get()));
  GPUVAL_CUDA_CHECK(kernels::launch_stream_check(kernels::StreamResult::Copy, 0.0, destination, n,
                                                 0.0, counters.get(), stream.get()));
  GPUVAL_CUDA_CHECK(cudaMemcpyAsync(bad.data(), counters.get(), sizeof bad, cudaMemcpyDeviceToHost,
                                    stream.get()));
  stream.synchronize();
  if (bad[0] != 0) {
    record_failure(
        st, outcome, "FAIL",
        fmt::format("{} of {} elements wrong after the peer copy, first at {}", bad[0], n, bad[1]),
        "check the NVLink/PCIe link (nvidia-smi nvlink -e, dmesg for Xid errors) "
        "and run `gpuval validate`");
    return;
  }
  outcome.verified = true;
}

}  // namespace gpuval::bench
