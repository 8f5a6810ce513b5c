// An empty kernel, for launch latency: what a launch costs with no work behind it.
#pragma once

#include <cuda_runtime_api.h>

namespace gpuval::kernels {

// One block of one thread that does nothing.
cudaError_t launch_empty(cudaStream_t stream);

}  // namespace gpuval::kernels
