// Compute sanity kernels. Host launchers only; callers never see <<<>>>. Each returns the
// cudaError_t of the launch (cudaSuccess when queued).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace gpuval::kernels {

// y[i] = a * x[i] + y[i].
cudaError_t launch_saxpy(float a, const float* x, float* y, std::size_t n, cudaStream_t stream);

// out[i] = fmaf(a, x[i], y[i]), and *checksum += the sum of the outputs' bit patterns (mod 2^64,
// reduced per block through shared memory). A fused multiply-add rounds once, so every IEEE 754
// device and the host's std::fma give the same bits: the caller checks element by element.
// *checksum must be zeroed before the launch.
cudaError_t launch_fma_checksum(float a, const float* x, const float* y, float* out, std::size_t n,
                                unsigned long long* checksum, cudaStream_t stream);

}  // namespace gpuval::kernels
