// Main of gpuval_gpu_tests: exit 77 (CTest's SKIP_RETURN_CODE) when CUDA sees no device, so the
// "gpu" label passes as skipped on machines without one instead of failing. --gtest_list_tests
// needs no device: scripts/gpu-check.sh runs it to see that a carried binary starts at all.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdio>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  int count = 0;
  const cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess || count == 0) {
    std::printf("gpuval_gpu_tests: no CUDA device (%s): skipping\n",
                rc != cudaSuccess ? cudaGetErrorName(rc) : "0 devices");
    return 77;
  }
  return RUN_ALL_TESTS();
}
