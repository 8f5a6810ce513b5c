#include "kernels/sanity.cuh"

namespace gpuval::kernels {
namespace {

constexpr unsigned kBlock = 256;  // a power of two: the checksum reduction halves it
constexpr unsigned kMaxGrid = 65535;

unsigned grid_for(std::size_t n) {
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  return blocks > kMaxGrid ? kMaxGrid : static_cast<unsigned>(blocks);
}

__global__ void saxpy_kernel(float a, const float* __restrict__ x, float* __restrict__ y,
                             std::size_t n) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    y[i] = a * x[i] + y[i];
  }
}

__global__ void fma_checksum_kernel(float a, const float* __restrict__ x,
                                    const float* __restrict__ y, float* __restrict__ out,
                                    std::size_t n, unsigned long long* __restrict__ checksum) {
  __shared__ unsigned long long partial[kBlock];
  unsigned long long local = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const float v = fmaf(a, x[i], y[i]);
    out[i] = v;
    local += __float_as_uint(v);
  }
  partial[threadIdx.x] = local;
  __syncthreads();
  for (unsigned stride = kBlock / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) atomicAdd(checksum, partial[0]);
}

}  // namespace

cudaError_t launch_saxpy(float a, const float* x, float* y, std::size_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  saxpy_kernel<<<grid_for(n), kBlock, 0, stream>>>(a, x, y, n);
  return cudaGetLastError();
}

cudaError_t launch_fma_checksum(float a, const float* x, const float* y, float* out, std::size_t n,
                                unsigned long long* checksum, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  fma_checksum_kernel<<<grid_for(n), kBlock, 0, stream>>>(a, x, y, out, n, checksum);
  return cudaGetLastError();
}

}  // namespace gpuval::kernels
