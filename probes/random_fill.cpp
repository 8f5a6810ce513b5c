#include "probes/random_fill.hpp"

#include <stdexcept>

#include "core/cuda_error.hpp"
#include "kernels/operand_fill.cuh"
#include "probes/element_codec.hpp"

namespace gpuval::probes {

std::vector<std::vector<double>> fill_random(kernels::GemmElement element, void* typed,
                                             std::size_t count, std::uint64_t key,
                                             const std::vector<Segment>& capture,
                                             cudaStream_t stream) {
  for (const Segment& s : capture) {
    if (s.offset > count || s.length > count - s.offset) {
      throw std::out_of_range("fill_random: a captured segment lies outside the operand");
    }
  }
  std::vector<std::vector<double>> captured(capture.size());
  if (count == 0) return captured;
  GPUVAL_CUDA_CHECK(kernels::launch_fill_operand(element, typed, count, key, stream));
  const std::size_t size = kernels::gemm_element_size(element);
  const auto* base = static_cast<const unsigned char*>(typed);
  // The typed elements, as written; pageable destinations: the copies are staged by the driver
  // but stay ordered after the fill on `stream`, and nothing is read before the synchronisation.
  std::vector<std::vector<unsigned char>> bytes(capture.size());
  for (std::size_t s = 0; s < capture.size(); ++s) {
    bytes[s].resize(capture[s].length * size);
    if (bytes[s].empty()) continue;
    GPUVAL_CUDA_CHECK(cudaMemcpyAsync(bytes[s].data(), base + capture[s].offset * size,
                                      bytes[s].size(), cudaMemcpyDeviceToHost, stream));
  }
  GPUVAL_CUDA_CHECK(cudaStreamSynchronize(stream));
  for (std::size_t s = 0; s < capture.size(); ++s) {
    captured[s] = decode_elements(element, bytes[s].data(), capture[s].length);
  }
  return captured;
}

}  // namespace gpuval::probes
