#include "probes/random_fill.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <stdexcept>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "probes/bench_operands.hpp"

namespace gpuval::probes {

std::size_t fill_staging_bytes(std::size_t count) {
  return std::min(count, kFillChunkElements) * sizeof(double);
}

std::vector<std::vector<double>> fill_random(kernels::GemmElement element, void* typed,
                                             std::size_t count, std::uint64_t key,
                                             const std::vector<Segment>& capture) {
  std::vector<std::vector<double>> captured(capture.size());
  for (std::size_t s = 0; s < capture.size(); ++s) {
    if (capture[s].offset + capture[s].length > count) {
      throw std::out_of_range("fill_random: a captured segment lies outside the operand");
    }
    captured[s].resize(capture[s].length);
  }
  if (count == 0) return captured;
  const std::size_t chunk = std::min(count, kFillChunkElements);
  cuda::DeviceBuffer<double> staging(chunk);
  std::vector<double> host(chunk);
  auto* out = static_cast<unsigned char*>(typed);
  const std::size_t element_size = kernels::gemm_element_size(element);
  for (std::size_t begin = 0; begin < count; begin += chunk) {
    const std::size_t n = std::min(chunk, count - begin);
    for (std::size_t i = 0; i < n; ++i) host[i] = operand_value(key, begin + i);
    GPUVAL_CUDA_CHECK(
        cudaMemcpy(staging.get(), host.data(), n * sizeof(double), cudaMemcpyHostToDevice));
    // Rounds in place in `staging` and writes the typed copy (legacy stream: ordered with the
    // synchronous copies around it).
    GPUVAL_CUDA_CHECK(
        kernels::launch_quantize(element, staging.get(), out + begin * element_size, n, nullptr));
    for (std::size_t s = 0; s < capture.size(); ++s) {
      const std::size_t lo = std::max(capture[s].offset, begin);
      const std::size_t hi = std::min(capture[s].offset + capture[s].length, begin + n);
      if (lo >= hi) continue;
      GPUVAL_CUDA_CHECK(cudaMemcpy(captured[s].data() + (lo - capture[s].offset),
                                   staging.get() + (lo - begin), (hi - lo) * sizeof(double),
                                   cudaMemcpyDeviceToHost));
    }
  }
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  return captured;
}

}  // namespace gpuval::probes
