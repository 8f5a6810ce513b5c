// The FP64 reference for GEMM checks, and the rounding of random inputs to the element type under
// test. Host launchers only; each returns the cudaError_t of the launch.
//
// Layout ("TN", what cuBLASLt's FP8 path requires on sm_89/sm_90, used for every precision so one
// reference serves all): A is given transposed as a K x M column-major array (element (m,k) at
// at[k + m*K]), B as K x N column-major (element (k,n) at b[k + n*K]), C as M x N column-major
// (element (m,n) at c[m + n*M]).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "kernels/gemm_element.hpp"

namespace gpuval::kernels {

// Rounds each of the n values to `element` (round to nearest even; E4M3 saturates to +-448),
// writes the typed copy to `typed` (n elements of that type) and the rounded value back into
// `values`, so the reference multiplies exactly what the library under test multiplies.
cudaError_t launch_quantize(GemmElement element, double* values, void* typed, std::size_t n,
                            cudaStream_t stream);

// c = at^T * b in FP64, accumulated with fma in k order, 16 x 16 tiles through shared memory.
cudaError_t launch_reference_gemm_tn(int m, int n, int k, const double* at, const double* b,
                                     double* c, cudaStream_t stream);

}  // namespace gpuval::kernels
