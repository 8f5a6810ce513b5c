// GEMM benchmark of the cuBLAS module: C (M x N) = A^T B through cublasLtMatmul in the "TN"
// layout (what FP8 requires; used for every precision), the first algorithm of cuBLASLt's
// heuristic with a 32 MiB workspace, random operands (probes/bench_operands.hpp, never zero),
// timed with CUDA events on the module's own stream. The operands are generated on the device
// (probes/random_fill.hpp); the checked rows of A and columns of B come back as the typed
// elements the library multiplies. Output is FP64 for FP64 and FP32 otherwise, as in the
// correctness probe. After every batch a 16 x 16 grid of output elements (first and last row and
// column included) is compared with the exact dot products of the rounded operands, each element
// held to its own bound from the precision's error model (probes/gemm_error_model.hpp). A
// combination cuBLASLt has no algorithm for is a SKIP (probes/lt_heuristic.hpp).
#include "probes/cublaslt_bench.hpp"

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <library_types.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "core/numeric_compare.hpp"
#include "kernels/gemm_element.hpp"
#include "probes/bench_glue.hpp"
#include "probes/bench_operands.hpp"
#include "probes/cublas_objects.hpp"
#include "probes/gemm_error_model.hpp"
#include "probes/gemm_precisions.hpp"
#include "probes/lt_heuristic.hpp"
#include "probes/probe_device.hpp"
#include "probes/probe_json.hpp"
#include "probes/random_fill.hpp"

namespace gpuval::probes {
namespace {

using kernels::GemmElement;
using nlohmann::json;

struct GemmTypes {
  GemmElement element;  // operand element (rounding of the random values)
  cudaDataType_t ab;    // A and B
  cudaDataType_t c;     // C and D
  cublasComputeType_t compute;
  cudaDataType_t scale;  // alpha, beta
  const char* ab_name;
  const char* c_name;
  const char* compute_name;
};

GemmTypes gemm_types(GemmPrecision p) {
  switch (p) {
    case GemmPrecision::FP64:
      return {GemmElement::F64, CUDA_R_64F,   CUDA_R_64F,   CUBLAS_COMPUTE_64F,
              CUDA_R_64F,       "CUDA_R_64F", "CUDA_R_64F", "CUBLAS_COMPUTE_64F"};
    case GemmPrecision::FP32:
      return {GemmElement::F32, CUDA_R_32F,   CUDA_R_32F,   CUBLAS_COMPUTE_32F,
              CUDA_R_32F,       "CUDA_R_32F", "CUDA_R_32F", "CUBLAS_COMPUTE_32F"};
    case GemmPrecision::TF32:
      return {GemmElement::F32, CUDA_R_32F,   CUDA_R_32F,   CUBLAS_COMPUTE_32F_FAST_TF32,
              CUDA_R_32F,       "CUDA_R_32F", "CUDA_R_32F", "CUBLAS_COMPUTE_32F_FAST_TF32"};
    case GemmPrecision::FP16:
      return {GemmElement::F16, CUDA_R_16F,   CUDA_R_32F,   CUBLAS_COMPUTE_32F,
              CUDA_R_32F,       "CUDA_R_16F", "CUDA_R_32F", "CUBLAS_COMPUTE_32F"};
    case GemmPrecision::BF16:
      return {GemmElement::BF16, CUDA_R_16BF,   CUDA_R_32F,   CUBLAS_COMPUTE_32F,
              CUDA_R_32F,        "CUDA_R_16BF", "CUDA_R_32F", "CUBLAS_COMPUTE_32F"};
    case GemmPrecision::FP8:
      return {GemmElement::E4M3, CUDA_R_8F_E4M3,   CUDA_R_32F,   CUBLAS_COMPUTE_32F,
              CUDA_R_32F,        "CUDA_R_8F_E4M3", "CUDA_R_32F", "CUBLAS_COMPUTE_32F"};
  }
  throw std::logic_error("unknown GEMM precision");
}

const GemmPrecisionSpec* find_precision(const char* name) {
  if (name == nullptr) return nullptr;
  for (const GemmPrecisionSpec& s : kGemmPrecisions) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::size_t c_element_size(const GemmTypes& t) { return t.c == CUDA_R_64F ? 8 : 4; }

// Device memory the session allocates: A, B, C and the workspace (the operands are generated in
// place: no staging buffer).
std::size_t bytes_needed(const GemmTypes& t, std::size_t m, std::size_t n, std::size_t k) {
  const std::size_t element = kernels::gemm_element_size(t.element);
  return (m * k + k * n) * element + m * n * c_element_size(t) + kLtWorkspaceBytes;
}

std::string gib(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / (1u << 30));
  return text;
}

json lt_library_json() {
  const std::size_t v = cublasLtGetVersion();
  return {{"name", "cuBLASLt"},
          {"version", lt_version_text(v)},
          {"version_code", v},
          {"header_version_code", CUBLAS_VERSION}};
}

// Host threads for the bounds of the checked grid (256 elements x K products).
unsigned bound_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1u : (n > 16 ? 16u : n);
}

template <typename T>
void set_attribute(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attribute,
                   const T& value) {
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, attribute, &value, sizeof(value)));
}

// The cuBLASLt objects of one GEMM and the algorithm the heuristic chose for it.
struct LtPlan {
  LtHandle lt;
  LtMatmulDesc op;
  LtLayout a_layout, b_layout, c_layout;
  cuda::DeviceBuffer<float> scales;  // FP8: the unit scale factors the descriptor points at
  cublasLtMatmulAlgo_t algo{};
  json algorithm;  // for the result
};

// The descriptors and cuBLASLt's first algorithm for the "TN" GEMM, or nullopt with `skip` set
// when cuBLASLt has none for the combination (probes/lt_heuristic.hpp). Other failures throw.
std::optional<LtPlan> plan_gemm(const GemmPrecisionSpec& spec, const GemmTypes& types,
                                std::size_t m, std::size_t n, std::size_t k, std::string& skip) {
  LtPlan p;
  GPUVAL_CUBLAS_CHECK(cublasLtCreate(p.lt.out()));
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulDescCreate(p.op.out(), types.compute, types.scale));
  set_attribute(p.op.get(), CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T);
  set_attribute(p.op.get(), CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N);
  if (spec.precision == GemmPrecision::FP8) {
    // Unit scales, given explicitly as the FP8 path reads them (device pointers); and the
    // accurate accumulation (FP32 promotion), not the fast one.
    p.scales = cuda::DeviceBuffer<float>(2);
    p.scales.upload({1.0f, 1.0f});
    // A pageable upload may still be in flight when cudaMemcpy returns, and the matmuls run on a
    // non-blocking stream: wait for it here.
    GPUVAL_CUDA_CHECK(cudaStreamSynchronize(nullptr));
    const float* a_scale = p.scales.get();
    const float* b_scale = p.scales.get() + 1;
    set_attribute(p.op.get(), CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, a_scale);
    set_attribute(p.op.get(), CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, b_scale);
    set_attribute(p.op.get(), CUBLASLT_MATMUL_DESC_FAST_ACCUM, std::int8_t{0});
  }
  const auto ld_k = static_cast<std::int64_t>(k);
  GPUVAL_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(p.a_layout.out(), types.ab, k, m, ld_k));
  GPUVAL_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(p.b_layout.out(), types.ab, k, n, ld_k));
  GPUVAL_CUBLAS_CHECK(
      cublasLtMatrixLayoutCreate(p.c_layout.out(), types.c, m, n, static_cast<std::int64_t>(m)));
  LtPreference preference;
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(preference.out()));
  const std::uint64_t workspace_bytes = kLtWorkspaceBytes;
  GPUVAL_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(
      preference.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes,
      sizeof(workspace_bytes)));
  std::array<cublasLtMatmulHeuristicResult_t, 8> heuristics{};
  int found = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
      p.lt.get(), p.op.get(), p.a_layout.get(), p.b_layout.get(), p.c_layout.get(),
      p.c_layout.get(), preference.get(), static_cast<int>(heuristics.size()), heuristics.data(),
      &found);
  const LtQuery query{spec.name,
                      "TN",
                      types.ab_name,
                      types.c_name,
                      types.compute_name,
                      static_cast<std::int64_t>(m),
                      static_cast<std::int64_t>(n),
                      static_cast<std::int64_t>(k),
                      cublasLtGetVersion()};
  const LtDecision decision = decide_lt_heuristic(static_cast<int>(status), found, query);
  if (decision.verdict == LtVerdict::Unsupported) {
    skip = decision.reason;
    return std::nullopt;
  }
  GPUVAL_CUBLAS_CHECK(status);  // LtVerdict::Error throws here
  p.algo = heuristics[0].algo;  // cuBLASLt's first choice
  p.algorithm = {{"api", "cublasLtMatmul"},
                 {"selection", "heuristic, first of " + std::to_string(found)},
                 {"workspace_limit_bytes", kLtWorkspaceBytes},
                 {"workspace_bytes", heuristics[0].workspaceSize},
                 {"waves", heuristics[0].wavesCount}};
  return p;
}

class GemmSession final : public BenchSession {
 public:
  GemmSession(const GemmPrecisionSpec& spec, const gpuval_probe_bench_request& r, LtPlan plan,
              json& result)
      : spec_(spec),
        types_(gemm_types(spec.precision)),
        device_(r.device),
        m_(static_cast<std::size_t>(r.m)),
        n_(static_cast<std::size_t>(r.n)),
        k_(static_cast<std::size_t>(r.k)),
        corrupt_((r.flags & GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT) != 0),
        plan_(std::move(plan)) {
    result["algorithm"] = plan_.algorithm;
    const std::size_t element = kernels::gemm_element_size(types_.element);
    a_ = cuda::DeviceBuffer<unsigned char>(m_ * k_ * element);
    b_ = cuda::DeviceBuffer<unsigned char>(k_ * n_ * element);
    c_ = cuda::DeviceBuffer<unsigned char>(m_ * n_ * c_element_size(types_));
    workspace_ = cuda::DeviceBuffer<unsigned char>(kLtWorkspaceBytes);
    prepare_operands(r.seed);
    result["problem"] = {{"precision", std::string(spec.name)},
                         {"m", m_},
                         {"n", n_},
                         {"k", k_},
                         {"layout", "TN"},
                         {"ab_type", types_.ab_name},
                         {"c_type", types_.c_name},
                         {"compute_type", types_.compute_name},
                         {"flop", 2.0 * static_cast<double>(m_) * static_cast<double>(n_) *
                                      static_cast<double>(k_)}};
    if (spec.precision == GemmPrecision::FP8) {
      result["problem"]["scales"] = {{"a", 1.0}, {"b", 1.0}};
      result["problem"]["fast_accum"] = false;
    }
    result["verification"] = {{"samples", rows_.size() * cols_.size()},
                              {"rows", rows_},
                              {"cols", cols_},
                              {"operands", "generated on the device"},
                              {"bound_model", gemm_bound_model_json(spec)},
                              {"bounds", bound_summary_json(bounds_)}};
  }

  void start(int iterations, int warmup) override {
    GPUVAL_CUDA_CHECK(cudaSetDevice(device_));
    for (int i = 0; i < warmup; ++i) matmul();
    // NaN poison after the warm-up: the checked elements must come from the timed calls.
    c_.fill_bytes(0xFF, stream_.get());
    start_.record(stream_.get());
    for (int i = 0; i < iterations; ++i) matmul();
    stop_.record(stream_.get());
    iterations_ = iterations;
  }

  json finish() override {
    GPUVAL_CUDA_CHECK(cudaSetDevice(device_));
    stop_.synchronize();
    const double ms = static_cast<double>(stop_.elapsed_ms_since(start_));
    std::vector<double> out = sampled_output();
    json injected = nullptr;
    if (corrupt_) {
      std::vector<double> reference;
      reference.reserve(bounds_.size());
      for (const ElementBound& b : bounds_) reference.push_back(b.reference);
      injected = corrupt_one_element(out, reference);
    }
    const Comparison cmp = compare_to_grid(out, bounds_);
    json check = bound_case_json(spec_.name, cmp);
    check["bound_model"] = std::string(spec_.model->id);
    check["lambda"] = kBoundLambda;
    if (!injected.is_null()) check["injected_fault_at"] = injected;
    return {{"status", cmp.pass ? "PASS" : "FAIL"},
            {"time_ms", ms},
            {"iterations", iterations_},
            {"verified", cmp.pass},
            {"check", std::move(check)}};
  }

 private:
  // Random A^T (K x M) and B (K x N), generated on the device; the checked rows of A (columns of
  // A^T) and columns of B come back as the library will read them, and the reference and bound
  // of every element of the checked grid are computed from them.
  void prepare_operands(std::uint64_t seed) {
    rows_ = sample_indices(static_cast<std::int64_t>(m_), kSampledRows, operand_key(seed, 2));
    cols_ = sample_indices(static_cast<std::int64_t>(n_), kSampledCols, operand_key(seed, 3));
    std::vector<Segment> a_segments;
    for (std::int64_t row : rows_) a_segments.push_back({static_cast<std::size_t>(row) * k_, k_});
    std::vector<Segment> b_segments;
    for (std::int64_t col : cols_) b_segments.push_back({static_cast<std::size_t>(col) * k_, k_});
    const auto a_rows = fill_random(types_.element, a_.get(), m_ * k_, operand_key(seed, 0),
                                    a_segments, stream_.get());
    const auto b_cols = fill_random(types_.element, b_.get(), k_ * n_, operand_key(seed, 1),
                                    b_segments, stream_.get());
    bounds_ = gemm_grid_bounds(*spec_.model, a_rows, b_cols, bound_threads());
  }

  void matmul() {
    const double alpha64 = 1.0;
    const double beta64 = 0.0;
    const float alpha32 = 1.0f;
    const float beta32 = 0.0f;
    const bool f64 = types_.scale == CUDA_R_64F;
    const void* alpha = f64 ? static_cast<const void*>(&alpha64) : &alpha32;
    const void* beta = f64 ? static_cast<const void*>(&beta64) : &beta32;
    GPUVAL_CUBLAS_CHECK(cublasLtMatmul(
        plan_.lt.get(), plan_.op.get(), alpha, a_.get(), plan_.a_layout.get(), b_.get(),
        plan_.b_layout.get(), beta, c_.get(), plan_.c_layout.get(), c_.get(), plan_.c_layout.get(),
        &plan_.algo, workspace_.get(), workspace_.bytes(), stream_.get()));
  }

  // The checked elements, row by row (the order of bounds_): one column of C at a time.
  std::vector<double> sampled_output() const {
    const std::size_t size = c_element_size(types_);
    std::vector<unsigned char> column(m_ * size);
    std::vector<double> out(rows_.size() * cols_.size());
    for (std::size_t j = 0; j < cols_.size(); ++j) {
      const std::size_t col = static_cast<std::size_t>(cols_[j]);
      GPUVAL_CUDA_CHECK(cudaMemcpy(column.data(), c_.get() + col * m_ * size, column.size(),
                                   cudaMemcpyDeviceToHost));
      for (std::size_t i = 0; i < rows_.size(); ++i) {
        const unsigned char* at = column.data() + static_cast<std::size_t>(rows_[i]) * size;
        if (size == 8) {
          double v = 0;
          std::memcpy(&v, at, sizeof v);
          out[i * cols_.size() + j] = v;
        } else {
          float v = 0;
          std::memcpy(&v, at, sizeof v);
          out[i * cols_.size() + j] = static_cast<double>(v);
        }
      }
    }
    return out;
  }

  const GemmPrecisionSpec& spec_;
  GemmTypes types_;
  int device_;
  std::size_t m_, n_, k_;
  bool corrupt_;
  LtPlan plan_;
  cuda::DeviceBuffer<unsigned char> a_, b_, c_, workspace_;
  cuda::Stream stream_;
  cuda::Event start_, stop_;
  std::vector<std::int64_t> rows_, cols_;
  std::vector<ElementBound> bounds_;  // the checked grid, row by row
  int iterations_ = 0;
};

bool is_out_of_memory(const CudaError& e) {
  return e.library() == CudaLibrary::Runtime &&
         e.code() == static_cast<int>(cudaErrorMemoryAllocation);
}

std::unique_ptr<BenchSession> open_gemm(const gpuval_probe_bench_request& r, json& result) {
  result["op"] = "gemm";
  // kind: "unsupported" (op, precision, or no cuBLASLt algorithm), "capability" (the GPU lacks
  // it), "memory".
  auto skip = [&](std::string reason, const char* kind) {
    mark_skipped(result, std::move(reason), kind);
    return std::unique_ptr<BenchSession>();
  };
  if (r.op != GPUVAL_BENCH_OP_GEMM) {
    return skip("the cuBLAS module benchmarks GEMM only (op " + std::to_string(r.op) + ")",
                "unsupported");
  }
  const GemmPrecisionSpec* spec = find_precision(r.precision);
  if (spec == nullptr) {
    return skip(std::string("unknown GEMM precision '") +
                    (r.precision != nullptr ? r.precision : "(null)") + "'",
                "unsupported");
  }
  constexpr std::int64_t kMaxDim = std::int64_t{1} << 20;  // keeps every byte count in range
  if (r.m <= 0 || r.n <= 0 || r.k <= 0 || r.m > kMaxDim || r.n > kMaxDim || r.k > kMaxDim) {
    throw std::invalid_argument("GEMM shape " + std::to_string(r.m) + " x " + std::to_string(r.n) +
                                " x " + std::to_string(r.k) +
                                " is outside 1 .. 2^20 per dimension");
  }
  GPUVAL_CUDA_CHECK(cudaSetDevice(r.device));
  const DeviceInfo device = device_info(r.device);
  result["device"] = device.to_json(r.device);
  result["library"] = lt_library_json();
  if (device.cc < spec->min_cc) {
    return skip("needs compute capability >= " + std::to_string(spec->min_cc / 10) + "." +
                    std::to_string(spec->min_cc % 10),
                "capability");
  }
  const GemmTypes types = gemm_types(spec->precision);
  // Before the big allocations: a combination without an algorithm skips at once.
  std::string unsupported;
  std::optional<LtPlan> plan =
      plan_gemm(*spec, types, static_cast<std::size_t>(r.m), static_cast<std::size_t>(r.n),
                static_cast<std::size_t>(r.k), unsupported);
  if (!plan.has_value()) return skip(unsupported, "unsupported");
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  GPUVAL_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const std::size_t need =
      bytes_needed(types, static_cast<std::size_t>(r.m), static_cast<std::size_t>(r.n),
                   static_cast<std::size_t>(r.k));
  result["memory"] = {{"needed_bytes", need}, {"free_bytes", free_bytes}};
  // 10 % headroom: cuBLAS and the CUDA context allocate beside the session.
  if (static_cast<double>(need) > 0.9 * static_cast<double>(free_bytes)) {
    return skip("needs " + gib(need) + " of device memory, " + gib(free_bytes) + " free", "memory");
  }
  try {
    return std::make_unique<GemmSession>(*spec, r, std::move(*plan), result);
  } catch (const CudaError& e) {
    if (!is_out_of_memory(e)) throw;
    return skip(std::string("out of device memory: ") + e.what(), "memory");
  }
}

}  // namespace

char* cublas_bench_open(const gpuval_probe_bench_request* request, gpuval_probe_bench** session) {
  return open_bench("cublas", request, session, open_gemm);
}

int32_t cublas_bench_start(gpuval_probe_bench* session, int32_t iterations, int32_t warmup) {
  return start_bench(session, iterations, warmup);
}

char* cublas_bench_finish(gpuval_probe_bench* session) { return finish_bench(session); }

void cublas_bench_close(gpuval_probe_bench* session) { close_bench(session); }

}  // namespace gpuval::probes
