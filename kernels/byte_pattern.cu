#include "kernels/byte_pattern.cuh"

namespace gpuval::kernels {
namespace {

constexpr int kBlock = 256;

// A grid of at most this many blocks strides over any buffer (one wave on the largest GPUs).
unsigned grid_for(std::size_t count) {
  const std::size_t blocks = (count + kBlock - 1) / kBlock;
  return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

__global__ void fill_kernel(unsigned char* bytes, std::size_t count, unsigned char salt) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    bytes[i] = byte_pattern(i, salt);
  }
}

__global__ void count_kernel(const unsigned char* bytes, std::size_t count, unsigned char salt,
                             unsigned long long* counters) {
  unsigned long long bad = 0;
  unsigned long long first = ~0ull;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    if (bytes[i] != byte_pattern(i, salt)) {
      if (bad == 0) first = i;
      ++bad;
    }
  }
  if (bad != 0) {
    atomicAdd(&counters[0], bad);
    atomicMin(&counters[1], first);
  }
}

}  // namespace

cudaError_t launch_fill_byte_pattern(unsigned char* bytes, std::size_t count, unsigned char salt,
                                     cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  fill_kernel<<<grid_for(count), kBlock, 0, stream>>>(bytes, count, salt);
  return cudaGetLastError();
}

cudaError_t launch_count_byte_mismatches(const unsigned char* bytes, std::size_t count,
                                         unsigned char salt, unsigned long long* counters,
                                         cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  count_kernel<<<grid_for(count), kBlock, 0, stream>>>(bytes, count, salt, counters);
  return cudaGetLastError();
}

}  // namespace gpuval::kernels
