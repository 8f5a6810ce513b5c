// What a cuBLASLt heuristic query's answer means for a GEMM case: cublasLtMatmulAlgoGetHeuristic
// returning CUBLAS_STATUS_NOT_SUPPORTED, or success with no algorithm, says this cuBLASLt has no
// kernel for the combination on this GPU (precision, layout, compute type): that is a SKIP with
// the reason, never a FAIL (an operator who sees a FAIL on a healthy GPU stops trusting the
// tool). Any other status is an error. CUDA-free (the status arrives as its integer value) so
// unit tests decide without a GPU; probes/cublas_objects.hpp checks the constants against
// cublas_api.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace gpuval::probes {

inline constexpr int kCublasStatusSuccess = 0;        // CUBLAS_STATUS_SUCCESS
inline constexpr int kCublasStatusNotSupported = 15;  // CUBLAS_STATUS_NOT_SUPPORTED

// The combination asked for, named as the result JSON names it.
struct LtQuery {
  std::string_view precision;  // "fp8-e4m3"
  std::string_view layout;     // "TN"
  std::string_view ab_type;    // "CUDA_R_8F_E4M3"
  std::string_view c_type;     // "CUDA_R_32F"
  std::string_view compute_type;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::size_t lt_version = 0;  // cublasLtGetVersion(), e.g. 130100
};

enum class LtVerdict { Use, Unsupported, Error };

struct LtDecision {
  LtVerdict verdict = LtVerdict::Error;
  std::string reason;  // Unsupported: the SKIP's reason
};

// "13.1.0" from cublasLtGetVersion()'s major*10000 + minor*100 + patch.
inline std::string lt_version_text(std::size_t v) {
  return std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." +
         std::to_string(v % 100);
}

// `status`: what cublasLtMatmulAlgoGetHeuristic returned; `found`: its returnAlgoCount.
inline LtDecision decide_lt_heuristic(int status, int found, const LtQuery& q) {
  LtDecision d;
  if (status == kCublasStatusSuccess && found > 0) {
    d.verdict = LtVerdict::Use;
    return d;
  }
  if (status != kCublasStatusSuccess && status != kCublasStatusNotSupported) {
    d.verdict = LtVerdict::Error;
    return d;
  }
  d.verdict = LtVerdict::Unsupported;
  d.reason = "cuBLASLt " + lt_version_text(q.lt_version) + " has no algorithm for " +
             std::string(q.precision) + " GEMM " + std::to_string(q.m) + " x " +
             std::to_string(q.n) + " x " + std::to_string(q.k) + " (" + std::string(q.layout) +
             ", A/B " + std::string(q.ab_type) + ", C " + std::string(q.c_type) + ", " +
             std::string(q.compute_type) + ") on this GPU: cublasLtMatmulAlgoGetHeuristic " +
             (status == kCublasStatusNotSupported ? "returned CUBLAS_STATUS_NOT_SUPPORTED"
                                                  : "found 0 algorithms");
  return d;
}

// A benchmark's bench_open answer for a case it cannot run: status SKIP, its kind ("unsupported",
// "capability", "memory") and reason (what bench/module_bench.cpp open_failure reads).
inline void mark_skipped(nlohmann::json& result, std::string reason, std::string_view kind) {
  result["status"] = "SKIP";
  result["skip"] = std::string(kind);
  result["reason"] = std::move(reason);
}

}  // namespace gpuval::probes
