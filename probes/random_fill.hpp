// Filling a benchmark operand on the device with the random values of probes/bench_operands.hpp,
// rounded to the element type by the same kernel the correctness probes use
// (kernels/reference_gemm.cuh launch_quantize), in chunks so a 512 MiB operand needs a bounded
// staging buffer and no host copy. Chosen segments of the ROUNDED values come back to the host:
// they are what the library multiplies, so the FP64 reference built from them leaves only the
// library's own error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/reference_gemm.cuh"

namespace gpuval::probes {

// Elements per staging chunk (doubles): 128 MiB of device memory, 128 MiB of host memory.
inline constexpr std::size_t kFillChunkElements = std::size_t{16} << 20;

// A run of consecutive elements whose rounded values are wanted back.
struct Segment {
  std::size_t offset = 0;
  std::size_t length = 0;
};

// Bytes of device memory fill_random needs besides `typed` itself.
std::size_t fill_staging_bytes(std::size_t count);

// Writes operand_value(key, i) rounded to `element` into typed[i] for i < count (typed holds
// count elements of that type on the current device) and returns the rounded values of each
// segment, in order. Synchronous; throws CudaError.
std::vector<std::vector<double>> fill_random(kernels::GemmElement element, void* typed,
                                             std::size_t count, std::uint64_t key,
                                             const std::vector<Segment>& capture);

}  // namespace gpuval::probes
