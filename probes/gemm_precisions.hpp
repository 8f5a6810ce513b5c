// The GEMM precisions the cuBLAS probe checks, with the tolerance each is held to and why.
//
// Every case multiplies random operands (magnitudes in [0.25, 1], random signs: never zeros,
// which hide unwritten outputs and run faster) in the "TN" layout, M x N x K = 256 x 192 x 320
// (all different, so a swapped dimension cannot pass), into a NaN-poisoned output, and compares
// with an FP64 reference GEMM of the SAME rounded operands (kernels/reference_gemm.cuh). The
// comparison (core/numeric_compare.hpp) needs both ||out-ref||/||ref|| <= tolerance and every
// element within 10 x tolerance x (rms(ref) + |ref_i|); NaN never passes.
//
// Because the reference multiplies the operands the library saw, the error left is the library's
// accumulation (and, for TF32, the in-unit rounding of FP32 operands to 10 mantissa bits), not
// the rounding of the inputs; the tolerances are the upper ends of the bands METHOD.md gives
// (fp32 far under 1e-3, tf32 ~3e-4..1e-3, bf16 1e-3..1e-2), loose enough for any correct
// accumulation order and tight enough that a wrong element, a wrong precision or NaN fails.
#pragma once

#include <array>
#include <string_view>

namespace gpuval::probes {

enum class GemmPrecision { FP64, FP32, TF32, FP16, BF16, FP8 };

struct GemmPrecisionSpec {
  GemmPrecision precision;
  std::string_view name;  // case name in the result JSON
  double tolerance;       // on ||out - ref||_2 / ||ref||_2
  int min_cc;             // lowest compute capability (major*10+minor) with hardware support
  std::string_view why;   // the reasoning behind the tolerance, recorded with the result
};

inline constexpr std::array<GemmPrecisionSpec, 6> kGemmPrecisions{{
    {GemmPrecision::FP64, "fp64", 1e-12, 0,
     "FP64 accumulation of 320 terms errs ~1e-16 x sqrt(K); 1e-12 leaves four orders"},
    {GemmPrecision::FP32, "fp32", 1e-5, 0,
     "FP32 accumulation errs ~1e-7..1e-6; 1e-5 is far under METHOD's 1e-3 and fails if TF32 "
     "(~5e-4) is used in its place"},
    {GemmPrecision::TF32, "tf32", 2e-3, 0,
     "FP32 operands cut to TF32's 10 mantissa bits: ~4e-4 when rounded, ~1.1e-3 when truncated; "
     "2e-3 covers both"},
    {GemmPrecision::FP16, "fp16", 1e-3, 0,
     "operands exact in FP16, products exact in FP32, FP32 output: only accumulation (~1e-6) "
     "remains; 1e-3 allows reduced-precision tensor-core accumulation"},
    {GemmPrecision::BF16, "bf16", 1e-3, 80,
     "operands exact in BF16, products exact in FP32, FP32 output: only accumulation (~1e-6) "
     "remains; 1e-3 is the lower end of METHOD's bf16 band"},
    {GemmPrecision::FP8, "fp8-e4m3", 1e-2, 89,
     "E4M3 operands exact, FP32 output through cuBLASLt; FP8 tensor cores may accumulate in "
     "~14-bit partial sums (~1e-3 at K=320); 1e-2 is METHOD's bf16 upper bound"},
}};

struct GemmShape {
  int m;
  int n;
  int k;
};
inline constexpr GemmShape kGemmShape{256, 192, 320};

}  // namespace gpuval::probes
