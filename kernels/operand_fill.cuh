// The benchmarks' random operands generated on the device: element i of the typed operand is
// kernels/operand_rng.hpp operand_value(key, i) rounded to the element type by the same device
// rounding as launch_quantize (kernels/element_rounding.cuh), written straight into the operand
// (no staging buffer, nothing generated or copied from the host). Host launcher only.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "kernels/gemm_element.hpp"

namespace gpuval::kernels {

// typed[i] = round_to(element, operand_value(key, i)) for i < count, on `stream` (asynchronous;
// the caller synchronises before reading). `typed` holds count elements of the type. Returns
// cudaGetLastError() of the launch, cudaErrorInvalidValue for a null `typed` with count > 0.
cudaError_t launch_fill_operand(GemmElement element, void* typed, std::size_t count,
                                std::uint64_t key, cudaStream_t stream);

}  // namespace gpuval::kernels
