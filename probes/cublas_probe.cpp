// libgpuval_probe_cublas.so: GEMM through cuBLAS (FP64, FP32, TF32, FP16, BF16) and cuBLASLt
// (FP8 E4M3 on compute capability >= 8.9), every element compared with the exact dot product of
// the same rounded operands and held to its own bound from the precision's error model.
// Precisions, shape and models: probes/gemm_precisions.hpp, probes/gemm_error_model.hpp. An FP8
// combination cuBLASLt has no algorithm for is a SKIP (probes/lt_heuristic.hpp). The module's
// GEMM benchmarks (bench_* of probes/probe_abi.h) are in probes/cublaslt_bench.cpp.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <library_types.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "core/numeric_compare.hpp"
#include "kernels/reference_gemm.cuh"
#include "probes/cold_start_probe.hpp"
#include "probes/cublas_objects.hpp"
#include "probes/cublaslt_bench.hpp"
#include "probes/gemm_error_model.hpp"
#include "probes/gemm_precisions.hpp"
#include "probes/lt_heuristic.hpp"
#include "probes/probe_abi.h"
#include "probes/probe_device.hpp"
#include "probes/probe_json.hpp"

namespace gpuval::probes {
namespace {

using kernels::GemmElement;

GemmElement operand_element(GemmPrecision p) {
  switch (p) {
    case GemmPrecision::FP64:
      return GemmElement::F64;
    case GemmPrecision::FP32:
    case GemmPrecision::TF32:
      return GemmElement::F32;
    case GemmPrecision::FP16:
      return GemmElement::F16;
    case GemmPrecision::BF16:
      return GemmElement::BF16;
    case GemmPrecision::FP8:
      return GemmElement::E4M3;
  }
  return GemmElement::F64;
}

// Operands rounded to the precision's element type on the device, and the reference and bound
// of every output element from exactly those rounded values (read back: what the library
// multiplies), row-major over (m, n).
struct PreparedGemm {
  cuda::DeviceBuffer<unsigned char> a;
  cuda::DeviceBuffer<unsigned char> b;
  std::vector<ElementBound> bounds;
};

// Host threads for the bounds (M x N elements x K products).
unsigned bound_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1u : (n > 16 ? 16u : n);
}

PreparedGemm prepare(const GemmPrecisionSpec& spec, const std::vector<double>& at,
                     const std::vector<double>& b, GemmShape s) {
  const GemmElement element = operand_element(spec.precision);
  cuda::DeviceBuffer<double> a_values(at.size());
  cuda::DeviceBuffer<double> b_values(b.size());
  a_values.upload(at);
  b_values.upload(b);
  const std::size_t element_size = kernels::gemm_element_size(element);
  PreparedGemm p{cuda::DeviceBuffer<unsigned char>(at.size() * element_size),
                 cuda::DeviceBuffer<unsigned char>(b.size() * element_size),
                 {}};
  // Legacy stream, like the synchronous copies around them.
  GPUVAL_CUDA_CHECK(
      kernels::launch_quantize(element, a_values.get(), p.a.get(), a_values.size(), nullptr));
  GPUVAL_CUDA_CHECK(
      kernels::launch_quantize(element, b_values.get(), p.b.get(), b_values.size(), nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<double> a_rounded = a_values.download();  // A^T: row m at [m K, m K + K)
  const std::vector<double> b_rounded = b_values.download();  // B: column n at [n K, n K + K)
  const auto k = static_cast<std::size_t>(s.k);
  std::vector<std::vector<double>> rows(static_cast<std::size_t>(s.m));
  std::vector<std::vector<double>> cols(static_cast<std::size_t>(s.n));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].assign(a_rounded.begin() + static_cast<std::ptrdiff_t>(i * k),
                   a_rounded.begin() + static_cast<std::ptrdiff_t>((i + 1) * k));
  }
  for (std::size_t j = 0; j < cols.size(); ++j) {
    cols[j].assign(b_rounded.begin() + static_cast<std::ptrdiff_t>(j * k),
                   b_rounded.begin() + static_cast<std::ptrdiff_t>((j + 1) * k));
  }
  p.bounds = gemm_grid_bounds(*spec.model, rows, cols, bound_threads());
  return p;
}

// C (M x N, FP64 for FP64, else FP32) = A^T B through cublasGemmEx.
void gemm_ex(cublasHandle_t handle, GemmPrecision precision, const PreparedGemm& in, void* c,
             GemmShape s) {
  cudaDataType_t ab = CUDA_R_32F;
  cudaDataType_t ct = CUDA_R_32F;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  switch (precision) {
    case GemmPrecision::FP64:
      ab = CUDA_R_64F;
      ct = CUDA_R_64F;
      compute = CUBLAS_COMPUTE_64F;
      break;
    case GemmPrecision::FP32:
      break;
    case GemmPrecision::TF32:
      compute = CUBLAS_COMPUTE_32F_FAST_TF32;
      break;
    case GemmPrecision::FP16:
      ab = CUDA_R_16F;
      break;
    case GemmPrecision::BF16:
      ab = CUDA_R_16BF;
      break;
    case GemmPrecision::FP8:
      throw std::logic_error("FP8 goes through cuBLASLt");
  }
  const double alpha64 = 1.0;
  const double beta64 = 0.0;
  const float alpha32 = 1.0f;
  const float beta32 = 0.0f;
  const bool f64 = compute == CUBLAS_COMPUTE_64F;
  GPUVAL_CUBLAS_CHECK(cublasGemmEx(
      handle, CUBLAS_OP_T, CUBLAS_OP_N, s.m, s.n, s.k,
      f64 ? static_cast<const void*>(&alpha64) : &alpha32, in.a.get(), ab, s.k, in.b.get(), ab, s.k,
      f64 ? static_cast<const void*>(&beta64) : &beta32, c, ct, s.m, compute, CUBLAS_GEMM_DEFAULT));
}

// C (M x N, FP32) = A^T B with E4M3 operands through cuBLASLt ("TN" is what FP8 requires), or
// the reason to SKIP when cuBLASLt has no algorithm for it.
std::optional<std::string> gemm_fp8_lt(cublasLtHandle_t lt, const PreparedGemm& in, float* c,
                                       GemmShape s) {
  LtMatmulDesc op;
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulDescCreate(op.out(), CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t trans_a = CUBLAS_OP_T;
  const cublasOperation_t trans_b = CUBLAS_OP_N;
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op.get(), CUBLASLT_MATMUL_DESC_TRANSA,
                                                     &trans_a, sizeof(trans_a)));
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op.get(), CUBLASLT_MATMUL_DESC_TRANSB,
                                                     &trans_b, sizeof(trans_b)));
  // Unit scales, given explicitly (device pointers, as the FP8 path reads them).
  cuda::DeviceBuffer<float> scales(2);
  scales.upload({1.0f, 1.0f});
  const float* a_scale = scales.get();
  const float* b_scale = scales.get() + 1;
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op.get(), CUBLASLT_MATMUL_DESC_A_SCALE_POINTER,
                                                     &a_scale, sizeof(a_scale)));
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(op.get(), CUBLASLT_MATMUL_DESC_B_SCALE_POINTER,
                                                     &b_scale, sizeof(b_scale)));

  LtLayout a_layout;
  LtLayout b_layout;
  LtLayout c_layout;
  GPUVAL_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(a_layout.out(), CUDA_R_8F_E4M3, s.k, s.m, s.k));
  GPUVAL_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(b_layout.out(), CUDA_R_8F_E4M3, s.k, s.n, s.k));
  GPUVAL_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(c_layout.out(), CUDA_R_32F, s.m, s.n, s.m));

  LtPreference preference;
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(preference.out()));
  const std::uint64_t workspace_bytes = kLtWorkspaceBytes;
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      preference.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes,
      sizeof(workspace_bytes)));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  const cublasStatus_t status =
      cublasLtMatmulAlgoGetHeuristic(lt, op.get(), a_layout.get(), b_layout.get(), c_layout.get(),
                                     c_layout.get(), preference.get(), 1, &heuristic, &found);
  const LtDecision decision =
      decide_lt_heuristic(static_cast<int>(status), found,
                          LtQuery{"fp8-e4m3", "TN", "CUDA_R_8F_E4M3", "CUDA_R_32F",
                                  "CUBLAS_COMPUTE_32F", s.m, s.n, s.k, cublasLtGetVersion()});
  if (decision.verdict == LtVerdict::Unsupported) return decision.reason;
  GPUVAL_CUBLAS_CHECK(status);  // LtVerdict::Error throws here
  cuda::DeviceBuffer<unsigned char> workspace(kLtWorkspaceBytes);
  const float alpha = 1.0f;
  const float beta = 0.0f;
  GPUVAL_CUBLAS_CHECK(cublasLtMatmul(lt, op.get(), &alpha, in.a.get(), a_layout.get(), in.b.get(),
                                     b_layout.get(), &beta, c, c_layout.get(), c, c_layout.get(),
                                     &heuristic.algo, workspace.get(), kLtWorkspaceBytes, nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());  // scales and workspace are freed on return
  return std::nullopt;
}

template <typename T>
std::vector<double> download_as_double(const cuda::DeviceBuffer<T>& buffer) {
  const std::vector<T> host = buffer.download();
  return std::vector<double>(host.begin(), host.end());
}

nlohmann::json run_case(const GemmPrecisionSpec& spec, cublasHandle_t handle, cublasLtHandle_t lt,
                        const std::vector<double>& at, const std::vector<double>& b, bool corrupt) {
  const GemmShape s = kGemmShape;
  const PreparedGemm in = prepare(spec, at, b, s);
  const std::size_t count = static_cast<std::size_t>(s.m) * s.n;
  std::vector<double> column_major;
  if (spec.precision == GemmPrecision::FP64) {
    cuda::DeviceBuffer<double> c(count);
    c.fill_bytes(0xFF);  // NaN poison: an unwritten element fails
    gemm_ex(handle, spec.precision, in, c.get(), s);
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    column_major = download_as_double(c);
  } else {
    cuda::DeviceBuffer<float> c(count);
    c.fill_bytes(0xFF);
    if (spec.precision == GemmPrecision::FP8) {
      if (std::optional<std::string> skip = gemm_fp8_lt(lt, in, c.get(), s)) {
        return skipped_case_json(spec.name, *skip);
      }
    } else {
      gemm_ex(handle, spec.precision, in, c.get(), s);
    }
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    column_major = download_as_double(c);
  }
  // C is column-major (m + n M); the bounds are row-major (m N + n).
  std::vector<double> out(count);
  std::vector<double> reference(count);
  for (std::size_t m = 0; m < static_cast<std::size_t>(s.m); ++m) {
    for (std::size_t n = 0; n < static_cast<std::size_t>(s.n); ++n) {
      out[m * static_cast<std::size_t>(s.n) + n] =
          column_major[m + n * static_cast<std::size_t>(s.m)];
    }
  }
  for (std::size_t i = 0; i < count; ++i) reference[i] = in.bounds[i].reference;
  nlohmann::json injected = nullptr;
  if (corrupt) injected = corrupt_one_element(out, reference);
  nlohmann::json j = bound_case_json(spec.name, compare_to_grid(out, in.bounds));
  j["shape"] = {{"m", s.m}, {"n", s.n}, {"k", s.k}, {"layout", "TN"}};
  j["bound_model"] = gemm_bound_model_json(spec);
  j["bounds"] = bound_summary_json(in.bounds);
  if (!injected.is_null()) j["injected_fault_at"] = injected;
  return j;
}

nlohmann::json library_json(cublasHandle_t handle) {
  int major = 0;
  int minor = 0;
  int patch = 0;
  GPUVAL_CUBLAS_CHECK(cublasGetProperty(MAJOR_VERSION, &major));
  GPUVAL_CUBLAS_CHECK(cublasGetProperty(MINOR_VERSION, &minor));
  GPUVAL_CUBLAS_CHECK(cublasGetProperty(PATCH_LEVEL, &patch));
  int code = 0;
  GPUVAL_CUBLAS_CHECK(cublasGetVersion(handle, &code));
  return {{"name", "cuBLAS"},
          {"version",
           std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch)},
          {"version_code", code},
          {"header_version_code", CUBLAS_VERSION},
          {"lt_version_code", cublasLtGetVersion()}};
}

void probe(const gpuval_probe_request& request, nlohmann::json& result) {
  const DeviceInfo device = device_info(request.device);
  CublasHandle handle;
  GPUVAL_CUBLAS_CHECK(cublasCreate(handle.out()));
  LtHandle lt;
  GPUVAL_CUBLAS_CHECK(cublasLtCreate(lt.out()));
  result["library"] = library_json(handle.get());

  std::mt19937_64 rng(request.seed);
  const GemmShape s = kGemmShape;
  const std::vector<double> at = random_operand(static_cast<std::size_t>(s.k) * s.m, rng);
  const std::vector<double> b = random_operand(static_cast<std::size_t>(s.k) * s.n, rng);
  const bool corrupt = (request.flags & GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT) != 0;

  for (const GemmPrecisionSpec& spec : kGemmPrecisions) {
    if (device.cc < spec.min_cc) {
      result["cases"].push_back(skipped_case_json(
          spec.name, "needs compute capability >= " + std::to_string(spec.min_cc / 10) + "." +
                         std::to_string(spec.min_cc % 10)));
      continue;
    }
    // One precision's failure (NOT_SUPPORTED, ...) does not hide the others'.
    try {
      result["cases"].push_back(run_case(spec, handle.get(), lt.get(), at, b, corrupt));
    } catch (const CudaError& e) {
      result["cases"].push_back(failed_case_json(spec.name, error_json(e)));
    }
  }
}

char* run(const gpuval_probe_request* request) { return run_request("cublas", request, probe); }

void free_result(char* text) { free_c_string(text); }

}  // namespace
}  // namespace gpuval::probes

extern "C" const gpuval_probe_module* gpuval_probe_module_v1(void) {
  static const gpuval_probe_module module{GPUVAL_PROBE_ABI_VERSION,
                                          sizeof(gpuval_probe_module),
                                          "cublas",
                                          &gpuval::probes::run,
                                          &gpuval::probes::free_result,
                                          &gpuval::probes::cublas_bench_open,
                                          &gpuval::probes::cublas_bench_start,
                                          &gpuval::probes::cublas_bench_finish,
                                          &gpuval::probes::cublas_bench_close,
                                          &gpuval::probes::cublas_cold_start,
                                          nullptr};
  return &module;
}
