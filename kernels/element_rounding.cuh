// Device-side rounding of a double to each GEMM element type, shared by launch_quantize
// (kernels/reference_gemm.cu) and the operand generator (kernels/operand_fill.cu) so both round
// identically: one round-to-nearest-even from double each (E4M3 saturating to +-448), which the
// host reproduces exactly (probes/element_codec.hpp round_to_element). Included by .cu files
// only: it holds device code and no launcher.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

namespace gpuval::kernels::detail {

template <typename T>
struct Rounding;

template <>
struct Rounding<double> {
  __device__ static double to(double v) { return v; }
  __device__ static double back(double v) { return v; }
};
template <>
struct Rounding<float> {
  __device__ static float to(double v) { return __double2float_rn(v); }
  __device__ static double back(float v) { return static_cast<double>(v); }
};
template <>
struct Rounding<__half> {
  __device__ static __half to(double v) { return __double2half(v); }
  __device__ static double back(__half v) { return static_cast<double>(__half2float(v)); }
};
template <>
struct Rounding<__nv_bfloat16> {
  __device__ static __nv_bfloat16 to(double v) { return __double2bfloat16(v); }
  __device__ static double back(__nv_bfloat16 v) {
    return static_cast<double>(__bfloat162float(v));
  }
};
template <>
struct Rounding<__nv_fp8_e4m3> {
  // The constructor from double: __nv_cvt_double_to_fp8(v, __NV_SATFINITE, __NV_E4M3).
  __device__ static __nv_fp8_e4m3 to(double v) { return __nv_fp8_e4m3(v); }
  __device__ static double back(__nv_fp8_e4m3 v) { return static_cast<double>(float(v)); }
};

}  // namespace gpuval::kernels::detail
