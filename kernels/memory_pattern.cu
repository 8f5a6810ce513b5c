#include "kernels/memory_pattern.cuh"

namespace gpuval::kernels {
namespace {

constexpr unsigned kBlock = 256;
constexpr unsigned kMaxGrid = 65535;

__host__ __device__ inline std::uint64_t splitmix64(std::uint64_t x) {
  std::uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

__host__ __device__ inline std::uint64_t pattern_word(MemoryPattern pattern, bool inverted,
                                                      std::size_t index, std::uint64_t base_address,
                                                      std::uint64_t seed) {
  std::uint64_t v = 0;
  switch (pattern) {
    case MemoryPattern::WalkingOnes:
      v = 1ull << ((index + seed) & 63u);
      break;
    case MemoryPattern::AddressAsData:
      v = base_address + index * sizeof(std::uint64_t);
      break;
    case MemoryPattern::Random:
      v = splitmix64(seed + index);
      break;
  }
  return inverted ? ~v : v;
}

unsigned grid_for(std::size_t count) {
  const std::size_t blocks = (count + kBlock - 1) / kBlock;
  return blocks > kMaxGrid ? kMaxGrid : static_cast<unsigned>(blocks);
}

__global__ void pattern_write_kernel(std::uint64_t* __restrict__ words, std::size_t count,
                                     MemoryPattern pattern, bool inverted, std::uint64_t seed) {
  const std::uint64_t base = reinterpret_cast<std::uintptr_t>(words);
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    words[i] = pattern_word(pattern, inverted, i, base, seed);
  }
}

__global__ void pattern_verify_kernel(const std::uint64_t* __restrict__ words, std::size_t count,
                                      MemoryPattern pattern, bool inverted, std::uint64_t seed,
                                      unsigned long long* __restrict__ counters) {
  const std::uint64_t base = reinterpret_cast<std::uintptr_t>(words);
  unsigned long long bad = 0;
  unsigned long long first = ~0ull;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    if (words[i] != pattern_word(pattern, inverted, i, base, seed)) {
      if (bad == 0) first = i;  // grid-stride indices only grow: the first is the smallest
      ++bad;
    }
  }
  // Mismatches are rare, so only threads that saw one touch the counters.
  if (bad != 0) {
    atomicAdd(&counters[0], bad);
    atomicMin(&counters[1], first);
  }
}

}  // namespace

std::uint64_t memory_pattern_word(MemoryPattern pattern, bool inverted, std::size_t index,
                                  std::uint64_t base_address, std::uint64_t seed) {
  return pattern_word(pattern, inverted, index, base_address, seed);
}

cudaError_t launch_memory_pattern_write(std::uint64_t* words, std::size_t count,
                                        MemoryPattern pattern, bool inverted, std::uint64_t seed,
                                        cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  pattern_write_kernel<<<grid_for(count), kBlock, 0, stream>>>(words, count, pattern, inverted,
                                                               seed);
  return cudaGetLastError();
}

cudaError_t launch_memory_pattern_verify(const std::uint64_t* words, std::size_t count,
                                         MemoryPattern pattern, bool inverted, std::uint64_t seed,
                                         unsigned long long* counters, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  pattern_verify_kernel<<<grid_for(count), kBlock, 0, stream>>>(words, count, pattern, inverted,
                                                                seed, counters);
  return cudaGetLastError();
}

}  // namespace gpuval::kernels
