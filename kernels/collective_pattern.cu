#include "kernels/collective_pattern.cuh"

namespace gpuval::kernels {
namespace {

constexpr int kBlock = 256;

// A grid of at most this many blocks strides over any buffer (one wave on the largest GPUs).
unsigned grid_for(std::size_t count) {
  const std::size_t blocks = (count + kBlock - 1) / kBlock;
  return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

__global__ void fill_kernel(float* data, std::size_t count, unsigned rank) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    data[i] = collective_input(rank, i);
  }
}

__global__ void check_kernel(CollectiveKind kind, const float* out, std::size_t count,
                             unsigned rank, unsigned nranks, std::size_t chunk,
                             unsigned long long* counters) {
  unsigned long long bad = 0;
  unsigned long long first = ~0ull;
  for (std::size_t j = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; j < count;
       j += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    if (!(out[j] == collective_expected(kind, rank, nranks, chunk, j))) {
      if (bad == 0) first = j;
      ++bad;
    }
  }
  if (bad != 0) {
    atomicAdd(&counters[0], bad);
    atomicMin(&counters[1], first);
  }
}

}  // namespace

cudaError_t launch_collective_fill(float* data, std::size_t count, unsigned rank,
                                   cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  fill_kernel<<<grid_for(count), kBlock, 0, stream>>>(data, count, rank);
  return cudaGetLastError();
}

cudaError_t launch_collective_check(CollectiveKind kind, const float* out, std::size_t count,
                                    unsigned rank, unsigned nranks, std::size_t chunk,
                                    unsigned long long* counters, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  if (chunk == 0 || nranks == 0 || nranks > kMaxCollectiveRanks) return cudaErrorInvalidValue;
  check_kernel<<<grid_for(count), kBlock, 0, stream>>>(kind, out, count, rank, nranks, chunk,
                                                       counters);
  return cudaGetLastError();
}

}  // namespace gpuval::kernels
