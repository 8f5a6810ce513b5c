// The element types GEMM operands are rounded to, shared by the kernels (device rounding), the
// probe modules and the CUDA-free host code (exact host rounding and decoding,
// probes/element_codec.hpp). No CUDA header: unit tests include it on machines without CUDA.
// C++17, so nvcc-compiled kernels include it too.
#pragma once

#include <cstddef>

namespace gpuval::kernels {

enum class GemmElement : int { F64, F32, F16, BF16, E4M3 };

// Bytes per element of the type (8, 4, 2, 2, 1).
constexpr std::size_t gemm_element_size(GemmElement element) {
  switch (element) {
    case GemmElement::F64:
      return 8;
    case GemmElement::F32:
      return 4;
    case GemmElement::F16:
      return 2;
    case GemmElement::BF16:
      return 2;
    case GemmElement::E4M3:
      return 1;
  }
  return 0;
}

}  // namespace gpuval::kernels
