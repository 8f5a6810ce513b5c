// Known inputs and the device-side check of collective results (the NCCL probe module): rank r
// contributes collective_input(r, i) at element i of its input; every value is a small integer,
// so the sum over up to 64 ranks (at most 64 x 61 = 3904) is exact in float32 whatever order the
// library adds in, and a result is right only when it is equal. The value depends on both the
// rank and the index, so a chunk from the wrong rank or at the wrong offset does not match.
// Host launchers only; each returns the cudaError_t of its launch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define GPUVAL_COLLECTIVE_HD __host__ __device__
#else
#define GPUVAL_COLLECTIVE_HD
#endif

namespace gpuval::kernels {

// The most ranks the exact-sum argument covers.
inline constexpr unsigned kMaxCollectiveRanks = 64;

GPUVAL_COLLECTIVE_HD constexpr float collective_input(unsigned rank, std::uint64_t i) {
  return static_cast<float>((rank * 131u + static_cast<unsigned>(i % 977u) * 7u) % 61u + 1u);
}

// What a result element must be.
enum class CollectiveKind : int { AllReduce = 0, AllGather = 1, ReduceScatter = 2 };

// The expected element j of rank `rank`'s output, with `chunk` elements per rank: all-reduce
// sum_q input(q, j); all-gather input(j / chunk, j % chunk); reduce-scatter
// sum_q input(q, rank * chunk + j).
GPUVAL_COLLECTIVE_HD constexpr float collective_expected(CollectiveKind kind, unsigned rank,
                                                         unsigned nranks, std::uint64_t chunk,
                                                         std::uint64_t j) {
  if (kind == CollectiveKind::AllGather) {
    return collective_input(static_cast<unsigned>(j / chunk), j % chunk);
  }
  const std::uint64_t i = kind == CollectiveKind::ReduceScatter ? rank * chunk + j : j;
  float sum = 0.0f;
  for (unsigned q = 0; q < nranks; ++q) sum += collective_input(q, i);
  return sum;
}

// data[i] = collective_input(rank, i) for i < count.
cudaError_t launch_collective_fill(float* data, std::size_t count, unsigned rank,
                                   cudaStream_t stream);

// counters[0] += the number of j < count with out[j] != collective_expected(kind, rank, nranks,
// chunk, j) (NaN never equals); counters[1] = min(counters[1], first such j). The caller sets
// counters to {0, ~0} first (on `stream`).
cudaError_t launch_collective_check(CollectiveKind kind, const float* out, std::size_t count,
                                    unsigned rank, unsigned nranks, std::size_t chunk,
                                    unsigned long long* counters, cudaStream_t stream);

}  // namespace gpuval::kernels
