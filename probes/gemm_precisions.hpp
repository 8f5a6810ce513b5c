// The GEMM precisions the cuBLAS probe checks and benchmarks, each with the error model its
// results are held to (probes/gemm_error_model.hpp; bench/README.md "Verification tolerances").
//
// Every case multiplies random operands (magnitudes in [0.25, 1], random signs: never zeros,
// which hide unwritten outputs and run faster) in the "TN" layout into a NaN-poisoned output. The
// reference is the exact dot product of the SAME rounded operands the library multiplied (read
// back from the device), so what is left is the library's own error: the TF32 cut of the FP32
// operands inside the unit and the accumulation. Each element gets its own bound from the model
// and its row and column; NaN never passes.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/numeric_compare.hpp"
#include "probes/gemm_error_model.hpp"

namespace gpuval::probes {

enum class GemmPrecision { FP64, FP32, TF32, FP16, BF16, FP8 };

struct GemmPrecisionSpec {
  GemmPrecision precision;
  std::string_view name;  // case name in the result JSON
  int min_cc;             // lowest compute capability (major*10+minor) with hardware support
  const GemmErrorModel* model;
  std::string_view why;  // the reasoning behind the model, recorded with the result
};

inline constexpr std::array<GemmPrecisionSpec, 6> kGemmPrecisions{{
    {GemmPrecision::FP64, "fp64", 0, &kFp64Model,
     "DFMA/DMMA: IEEE FMA chains, round to nearest; Hoeffding bound lambda u sqrt(sum D_j^2)"},
    {GemmPrecision::FP32, "fp32", 0, &kFp32Model,
     "FFMA (CUBLAS_COMPUTE_32F, no TF32): IEEE FMA chains, round to nearest; a TF32 result "
     "(2^-11 relative on the products) fails it"},
    {GemmPrecision::TF32, "tf32", 0, &kTf32Model,
     "FP32 operands cut to TF32 in the unit (exact error of the worst of RZ/RN/RNA cuts), FP32 "
     "tensor-core accumulation truncated: deterministic worst case"},
    {GemmPrecision::FP16, "fp16", 0, &kHalfModel,
     "products exact in FP32; FP32 tensor-core accumulation truncated: deterministic worst case"},
    {GemmPrecision::BF16, "bf16", 80, &kHalfModel,
     "products exact in FP32; FP32 tensor-core accumulation truncated: deterministic worst case"},
    {GemmPrecision::FP8, "fp8-e4m3", 89, &kFp8Model,
     "products exact; e8m13 in-unit accumulation over <= 256 products, truncated, promoted to "
     "FP32 (FAST_ACCUM off): deterministic worst case"},
}};

struct GemmShape {
  int m;
  int n;
  int k;
};
inline constexpr GemmShape kGemmShape{256, 192, 320};

// The model as recorded with a result: what bound the elements were held to, and why.
inline nlohmann::json gemm_bound_model_json(const GemmPrecisionSpec& spec) {
  const GemmErrorModel& m = *spec.model;
  nlohmann::json j = {{"id", std::string(m.id)}, {"accumulator", std::string(m.accumulator)},
                      {"lambda", kBoundLambda},  {"norm_fraction", kNormFraction},
                      {"u_out", m.u_out},        {"u_acc", m.u_acc},
                      {"tf32_cut", m.tf32_cut},  {"why", std::string(spec.why)}};
  if (m.accumulation == Accumulation::Fp8Chunked) {
    j["u_unit"] = m.u_unit;
    j["chunk"] = m.chunk;
  }
  return j;
}

// The grid's bounds relative to rms(ref): how tight the check was.
inline nlohmann::json bound_summary_json(const std::vector<ElementBound>& bounds) {
  if (bounds.empty()) return nlohmann::json::object();
  double ref_sq = 0.0;
  for (const ElementBound& b : bounds) ref_sq += b.reference * b.reference;
  const double rms = std::sqrt(ref_sq / static_cast<double>(bounds.size()));
  std::vector<double> relative;
  relative.reserve(bounds.size());
  for (const ElementBound& b : bounds) relative.push_back(rms > 0.0 ? b.bound / rms : 0.0);
  std::sort(relative.begin(), relative.end());
  return {{"ref_rms", rms},
          {"bound_over_rms_median", relative[relative.size() / 2]},
          {"bound_over_rms_max", relative.back()}};
}

// The comparison of `out` with a grid's references and bounds.
inline Comparison compare_to_grid(const std::vector<double>& out,
                                  const std::vector<ElementBound>& bounds) {
  std::vector<double> ref;
  std::vector<double> bound;
  std::vector<double> budget;
  ref.reserve(bounds.size());
  bound.reserve(bounds.size());
  budget.reserve(bounds.size());
  for (const ElementBound& b : bounds) {
    ref.push_back(b.reference);
    bound.push_back(b.bound);
    budget.push_back(b.norm_budget);
  }
  if (out.size() != bounds.size()) return Comparison{};  // never passes
  return compare_to_bounds(out.data(), ref.data(), bound.data(), budget.data(), out.size());
}

}  // namespace gpuval::probes
