#include "kernels/sanity.cuh"

namespace gpuval::kernels {
namespace {

__global__ void saxpy_kernel(float a, const float* __restrict__ x, float* __restrict__ y,
                             std::size_t n) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    y[i] = a * x[i] + y[i];
  }
}

}  // namespace

cudaError_t launch_saxpy(float a, const float* x, float* y, std::size_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  constexpr unsigned kBlock = 256;
  const std::size_t blocks = (n + kBlock - 1) / kBlock;
  const unsigned grid = blocks > 65535 ? 65535u : static_cast<unsigned>(blocks);
  saxpy_kernel<<<grid, kBlock, 0, stream>>>(a, x, y, n);
  return cudaGetLastError();
}

}  // namespace gpuval::kernels
