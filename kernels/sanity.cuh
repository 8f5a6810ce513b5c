// Compute sanity kernel: y[i] = a * x[i] + y[i] on device buffers. Host launcher only; callers never
// see <<<>>>. Returns the cudaError_t of the launch (cudaSuccess when queued).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace gpuval::kernels {

cudaError_t launch_saxpy(float a, const float* x, float* y, std::size_t n, cudaStream_t stream);

}  // namespace gpuval::kernels
