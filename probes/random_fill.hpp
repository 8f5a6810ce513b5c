// Filling a benchmark operand with the random values of kernels/operand_rng.hpp, generated and
// rounded to the element type on the device (kernels/operand_fill.cuh: no host generation, no
// staging buffer, no upload). Chosen segments come back to the host as the typed elements the
// device wrote, decoded exactly (probes/element_codec.hpp): they are what the library
// multiplies, so the reference and the error bounds built from them leave only the library's
// own error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/gemm_element.hpp"

namespace gpuval::probes {

// A run of consecutive elements whose values are wanted back.
struct Segment {
  std::size_t offset = 0;
  std::size_t length = 0;
};

// Writes operand_value(key, i) rounded to `element` into typed[i] for i < count (typed holds
// count elements of that type on the current device) on `stream`, and returns the values of
// each segment, in order. Synchronises `stream` before it returns; throws CudaError, and
// std::out_of_range for a segment outside the operand (before any work is queued).
std::vector<std::vector<double>> fill_random(kernels::GemmElement element, void* typed,
                                             std::size_t count, std::uint64_t key,
                                             const std::vector<Segment>& capture,
                                             cudaStream_t stream);

}  // namespace gpuval::probes
