// Convolution benchmark of the cuDNN module: cudnnConvolutionForward, NHWC input and output,
// KRSC filters, FP16 or BF16 data with FP32 compute and tensor-op math (cuDNN's "pseudo half"
// configuration), cross-correlation with zero padding. The algorithm is the first of
// cudnnGetConvolutionForwardAlgorithm_v7 that succeeds within a 256 MiB workspace. Random inputs
// (probes/bench_operands.hpp, never zero; generated on the device, probes/random_fill.hpp), timed
// with CUDA events on the module's own stream.
// After every batch 16 output pixels (the first and last included: padding) x 16 filters are
// compared with FP64 sums of the rounded inputs on the host.
#include "probes/cudnn_conv_bench.hpp"

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "core/numeric_compare.hpp"
#include "kernels/reference_gemm.cuh"
#include "probes/bench_glue.hpp"
#include "probes/bench_operands.hpp"
#include "probes/cudnn_objects.hpp"
#include "probes/probe_device.hpp"
#include "probes/probe_json.hpp"
#include "probes/random_fill.hpp"

namespace gpuval::probes {
namespace {

using kernels::GemmElement;
using nlohmann::json;

constexpr std::size_t kMaxWorkspaceBytes = std::size_t{256} << 20;

struct ConvPrecision {
  const char* name;
  GemmElement element;
  cudnnDataType_t data;
  int min_cc;
  double tolerance;
  const char* why;
};

// The output is rounded to the data type (2^-11 relative for FP16, 2^-8 for BF16); sums of
// C x R x S products in FP32 add ~1e-6, transform algorithms (Winograd, FFT) a little more.
constexpr std::array<ConvPrecision, 2> kConvPrecisions{{
    {"fp16", GemmElement::F16, CUDNN_DATA_HALF, 70, 5e-3,
     "FP16 output rounding (<= 4.9e-4 relative) plus FP32 accumulation; 5e-3 also allows "
     "transform algorithms"},
    {"bf16", GemmElement::BF16, CUDNN_DATA_BFLOAT16, 80, 2e-2,
     "BF16 output rounding (<= 3.9e-3 relative) plus FP32 accumulation; 2e-2 also allows "
     "transform algorithms"},
}};

const ConvPrecision* find_precision(const char* name) {
  if (name == nullptr) return nullptr;
  for (const ConvPrecision& p : kConvPrecisions) {
    if (std::strcmp(p.name, name) == 0) return &p;
  }
  return nullptr;
}

struct Dims {
  std::size_t n, c, h, w, k, r, s, pad, stride;
  std::size_t p() const { return (h + 2 * pad - r) / stride + 1; }
  std::size_t q() const { return (w + 2 * pad - s) / stride + 1; }
  std::size_t x_count() const { return n * h * w * c; }
  std::size_t w_count() const { return k * r * s * c; }
  std::size_t y_count() const { return n * p() * q() * k; }
};

Dims dims_of(const gpuval_probe_bench_request& r) {
  const std::int32_t v[] = {r.conv_n, r.conv_c, r.conv_h, r.conv_w, r.conv_k, r.conv_r, r.conv_s};
  for (std::int32_t x : v) {
    if (x <= 0 || x > 65536) throw std::invalid_argument("convolution dimension out of range");
  }
  if (r.conv_pad < 0 || r.conv_stride < 1 || r.conv_pad > 64 || r.conv_stride > 64) {
    throw std::invalid_argument("convolution padding or stride out of range");
  }
  if (r.conv_h + 2 * r.conv_pad < r.conv_r || r.conv_w + 2 * r.conv_pad < r.conv_s) {
    throw std::invalid_argument("convolution filter larger than the padded input");
  }
  auto u = [](std::int32_t x) { return static_cast<std::size_t>(x); };
  return {u(r.conv_n), u(r.conv_c), u(r.conv_h),   u(r.conv_w),     u(r.conv_k),
          u(r.conv_r), u(r.conv_s), u(r.conv_pad), u(r.conv_stride)};
}

std::string gib(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(bytes) / (1u << 30));
  return text;
}

int as_int(std::size_t v) { return static_cast<int>(v); }

class ConvSession final : public BenchSession {
 public:
  ConvSession(const ConvPrecision& precision, const Dims& d, const gpuval_probe_bench_request& r,
              json& result)
      : precision_(precision),
        d_(d),
        device_(r.device),
        corrupt_((r.flags & GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT) != 0) {
    GPUVAL_CUDNN_CHECK(cudnnCreate(handle_.out()));
    GPUVAL_CUDNN_CHECK(cudnnSetStream(handle_.get(), stream_.get()));
    describe(result);
    x_ = cuda::DeviceBuffer<std::uint16_t>(d_.x_count());
    w_ = cuda::DeviceBuffer<std::uint16_t>(d_.w_count());
    y_ = cuda::DeviceBuffer<std::uint16_t>(d_.y_count());
    workspace_ = cuda::DeviceBuffer<unsigned char>(workspace_bytes_);
    prepare_inputs(r.seed);
    const double flop = 2.0 * static_cast<double>(d_.n * d_.k * d_.p() * d_.q()) *
                        static_cast<double>(d_.c * d_.r * d_.s);
    result["problem"] = {{"precision", precision_.name},
                         {"n", d_.n},
                         {"c", d_.c},
                         {"h", d_.h},
                         {"w", d_.w},
                         {"k", d_.k},
                         {"r", d_.r},
                         {"s", d_.s},
                         {"pad", d_.pad},
                         {"stride", d_.stride},
                         {"p", d_.p()},
                         {"q", d_.q()},
                         {"layout", "NHWC"},
                         {"compute_type", "CUDNN_DATA_FLOAT"},
                         {"math", "CUDNN_TENSOR_OP_MATH"},
                         {"flop", flop}};
    result["verification"] = {{"samples", pixels_.size() * filters_.size()},
                              {"pixels", pixels_},
                              {"filters", filters_},
                              {"tolerance", precision_.tolerance},
                              {"tolerance_reason", precision_.why}};
  }

  void start(int iterations, int warmup) override {
    GPUVAL_CUDA_CHECK(cudaSetDevice(device_));
    for (int i = 0; i < warmup; ++i) forward();
    y_.fill_bytes(0xFF, stream_.get());  // NaN poison (0xFFFF is NaN in FP16 and BF16)
    start_.record(stream_.get());
    for (int i = 0; i < iterations; ++i) forward();
    stop_.record(stream_.get());
    iterations_ = iterations;
  }

  json finish() override {
    GPUVAL_CUDA_CHECK(cudaSetDevice(device_));
    stop_.synchronize();
    const double ms = static_cast<double>(stop_.elapsed_ms_since(start_));
    std::vector<double> out = sampled_output();
    json injected = nullptr;
    if (corrupt_) injected = corrupt_one_element(out, reference_);
    const Comparison cmp =
        compare_to_reference(out.data(), reference_.data(), out.size(), precision_.tolerance);
    json check = comparison_case_json(std::string("conv2d-fwd-") + precision_.name,
                                      precision_.tolerance, cmp);
    if (!injected.is_null()) check["injected_fault_at"] = injected;
    return {{"status", cmp.pass ? "PASS" : "FAIL"},
            {"time_ms", ms},
            {"iterations", iterations_},
            {"verified", cmp.pass},
            {"check", std::move(check)}};
  }

 private:
  void describe(json& result) {
    GPUVAL_CUDNN_CHECK(cudnnCreateTensorDescriptor(x_desc_.out()));
    GPUVAL_CUDNN_CHECK(cudnnCreateTensorDescriptor(y_desc_.out()));
    GPUVAL_CUDNN_CHECK(cudnnCreateFilterDescriptor(w_desc_.out()));
    GPUVAL_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(conv_.out()));
    GPUVAL_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_desc_.get(), CUDNN_TENSOR_NHWC, precision_.data,
                                                  as_int(d_.n), as_int(d_.c), as_int(d_.h),
                                                  as_int(d_.w)));
    GPUVAL_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_desc_.get(), precision_.data, CUDNN_TENSOR_NHWC,
                                                  as_int(d_.k), as_int(d_.c), as_int(d_.r),
                                                  as_int(d_.s)));
    GPUVAL_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv_.get(), as_int(d_.pad), as_int(d_.pad),
                                                       as_int(d_.stride), as_int(d_.stride), 1, 1,
                                                       CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    GPUVAL_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_.get(), CUDNN_TENSOR_OP_MATH));
    int on = 0, oc = 0, oh = 0, ow = 0;
    GPUVAL_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv_.get(), x_desc_.get(),
                                                             w_desc_.get(), &on, &oc, &oh, &ow));
    if (on != as_int(d_.n) || oc != as_int(d_.k) || oh != as_int(d_.p()) || ow != as_int(d_.q())) {
      throw CudaError(CudaLibrary::Cudnn, CUDNN_STATUS_BAD_PARAM, "CUDNN_STATUS_BAD_PARAM",
                      "cuDNN computed output dims " + std::to_string(on) + "x" +
                          std::to_string(oc) + "x" + std::to_string(oh) + "x" + std::to_string(ow) +
                          ", expected " + std::to_string(d_.n) + "x" + std::to_string(d_.k) + "x" +
                          std::to_string(d_.p()) + "x" + std::to_string(d_.q()),
                      "cudnnGetConvolution2dForwardOutputDim", __FILE__, __LINE__);
    }
    GPUVAL_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y_desc_.get(), CUDNN_TENSOR_NHWC, precision_.data,
                                                  on, oc, oh, ow));
    std::array<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT> perf{};
    int returned = 0;
    GPUVAL_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
        handle_.get(), x_desc_.get(), w_desc_.get(), conv_.get(), y_desc_.get(),
        static_cast<int>(perf.size()), &returned, perf.data()));
    const cudnnConvolutionFwdAlgoPerf_t* chosen = nullptr;
    for (int i = 0; i < returned; ++i) {
      const cudnnConvolutionFwdAlgoPerf_t& p = perf[static_cast<std::size_t>(i)];
      if (p.status == CUDNN_STATUS_SUCCESS && p.memory <= kMaxWorkspaceBytes) {
        chosen = &p;
        break;
      }
    }
    if (chosen == nullptr) {
      throw CudaError(CudaLibrary::Cudnn, CUDNN_STATUS_NOT_SUPPORTED, "CUDNN_STATUS_NOT_SUPPORTED",
                      std::string("no forward algorithm for an NHWC ") + precision_.name +
                          " convolution within a 256 MiB workspace",
                      "cudnnGetConvolutionForwardAlgorithm_v7", __FILE__, __LINE__);
    }
    algo_ = chosen->algo;
    // The math type the algorithm was rated with is the one to run it with (cuDNN's advice).
    GPUVAL_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_.get(), chosen->mathType));
    GPUVAL_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(
        handle_.get(), x_desc_.get(), w_desc_.get(), conv_.get(), y_desc_.get(), algo_,
        &workspace_bytes_));
    result["algorithm"] = {
        {"api", "cudnnConvolutionForward"},
        {"selection", "cudnnGetConvolutionForwardAlgorithm_v7, first that succeeds within " +
                          std::to_string(kMaxWorkspaceBytes >> 20) + " MiB"},
        {"algorithm", algo_name(algo_)},
        {"tensor_ops", chosen->mathType == CUDNN_TENSOR_OP_MATH ||
                           chosen->mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION},
        {"workspace_bytes", workspace_bytes_}};
  }

  // Random inputs; the rounded input rows under each checked pixel's window and the checked
  // filters come back, and the FP64 reference of the checked grid is built.
  void prepare_inputs(std::uint64_t seed) {
    const std::size_t pq = d_.p() * d_.q();
    pixels_ =
        sample_indices(static_cast<std::int64_t>(d_.n * pq), kSampledRows, operand_key(seed, 2));
    filters_ = sample_indices(static_cast<std::int64_t>(d_.k), kSampledCols, operand_key(seed, 3));
    // x segments: for each pixel and each (r, s) of its window inside the input, the C values at
    // that input position (NHWC: contiguous); window[pixel][r*S+s] = segment index or -1.
    std::vector<Segment> x_segments;
    std::vector<std::vector<std::int64_t>> window(pixels_.size(),
                                                  std::vector<std::int64_t>(d_.r * d_.s, -1));
    for (std::size_t i = 0; i < pixels_.size(); ++i) {
      const auto idx = static_cast<std::size_t>(pixels_[i]);
      const std::size_t n = idx / pq;
      const std::size_t p = (idx % pq) / d_.q();
      const std::size_t q = idx % d_.q();
      for (std::size_t r = 0; r < d_.r; ++r) {
        for (std::size_t s = 0; s < d_.s; ++s) {
          // Input row/column p*stride - pad + r, as signed arithmetic (may be outside: padding).
          const auto h =
              static_cast<std::int64_t>(p * d_.stride + r) - static_cast<std::int64_t>(d_.pad);
          const auto w =
              static_cast<std::int64_t>(q * d_.stride + s) - static_cast<std::int64_t>(d_.pad);
          if (h < 0 || w < 0 || h >= static_cast<std::int64_t>(d_.h) ||
              w >= static_cast<std::int64_t>(d_.w)) {
            continue;
          }
          window[i][r * d_.s + s] = static_cast<std::int64_t>(x_segments.size());
          const std::size_t offset =
              ((n * d_.h + static_cast<std::size_t>(h)) * d_.w + static_cast<std::size_t>(w)) *
              d_.c;
          x_segments.push_back({offset, d_.c});
        }
      }
    }
    std::vector<Segment> w_segments;
    const std::size_t filter_size = d_.r * d_.s * d_.c;  // KRSC: one filter is contiguous
    for (std::int64_t k : filters_) {
      w_segments.push_back({static_cast<std::size_t>(k) * filter_size, filter_size});
    }
    const auto xs = fill_random(precision_.element, x_.get(), d_.x_count(), operand_key(seed, 0),
                                x_segments, stream_.get());
    const auto ws = fill_random(precision_.element, w_.get(), d_.w_count(), operand_key(seed, 1),
                                w_segments, stream_.get());
    reference_.clear();
    for (std::size_t i = 0; i < pixels_.size(); ++i) {
      for (std::size_t j = 0; j < filters_.size(); ++j) {
        long double sum = 0;
        for (std::size_t rs = 0; rs < d_.r * d_.s; ++rs) {
          if (window[i][rs] < 0) continue;  // zero padding
          const std::vector<double>& x = xs[static_cast<std::size_t>(window[i][rs])];
          const std::vector<double>& f = ws[j];
          for (std::size_t c = 0; c < d_.c; ++c) {
            sum += static_cast<long double>(x[c]) * static_cast<long double>(f[rs * d_.c + c]);
          }
        }
        reference_.push_back(static_cast<double>(sum));
      }
    }
  }

  void forward() {
    const float alpha = 1.0f;
    const float beta = 0.0f;
    GPUVAL_CUDNN_CHECK(cudnnConvolutionForward(
        handle_.get(), &alpha, x_desc_.get(), x_.get(), w_desc_.get(), w_.get(), conv_.get(), algo_,
        workspace_.get(), workspace_bytes_, &beta, y_desc_.get(), y_.get()));
  }

  // The checked elements, pixel by pixel (the order of reference_): one pixel's K outputs at a
  // time (NHWC: contiguous).
  std::vector<double> sampled_output() const {
    std::vector<std::uint16_t> row(d_.k);
    std::vector<double> out(pixels_.size() * filters_.size());
    for (std::size_t i = 0; i < pixels_.size(); ++i) {
      const std::size_t offset = static_cast<std::size_t>(pixels_[i]) * d_.k;
      GPUVAL_CUDA_CHECK(cudaMemcpy(row.data(), y_.get() + offset, d_.k * sizeof(std::uint16_t),
                                   cudaMemcpyDeviceToHost));
      for (std::size_t j = 0; j < filters_.size(); ++j) {
        const std::uint16_t bits = row[static_cast<std::size_t>(filters_[j])];
        out[i * filters_.size() + j] = precision_.data == CUDNN_DATA_HALF
                                           ? half_bits_to_double(bits)
                                           : bf16_bits_to_double(bits);
      }
    }
    return out;
  }

  const ConvPrecision& precision_;
  Dims d_;
  int device_;
  bool corrupt_;
  cuda::Stream stream_;
  cuda::Event start_, stop_;
  CudnnHandle handle_;
  TensorDesc x_desc_, y_desc_;
  FilterDesc w_desc_;
  ConvDesc conv_;
  cudnnConvolutionFwdAlgo_t algo_ = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  std::size_t workspace_bytes_ = 0;
  cuda::DeviceBuffer<std::uint16_t> x_, w_, y_;
  cuda::DeviceBuffer<unsigned char> workspace_;
  std::vector<std::int64_t> pixels_, filters_;
  std::vector<double> reference_;
  int iterations_ = 0;
};

std::unique_ptr<BenchSession> open_conv(const gpuval_probe_bench_request& r, json& result) {
  result["op"] = "conv2d-fwd";
  // kind: "unsupported" (op or precision), "capability" (the GPU lacks it), "memory".
  auto skip = [&](std::string reason, const char* kind) {
    result["status"] = "SKIP";
    result["skip"] = kind;
    result["reason"] = std::move(reason);
    return std::unique_ptr<BenchSession>();
  };
  if (r.op != GPUVAL_BENCH_OP_CONV2D_FWD) {
    return skip(
        "the cuDNN module benchmarks convolution forward only (op " + std::to_string(r.op) + ")",
        "unsupported");
  }
  const ConvPrecision* precision = find_precision(r.precision);
  if (precision == nullptr) {
    return skip(std::string("unsupported convolution precision '") +
                    (r.precision != nullptr ? r.precision : "(null)") + "' (fp16, bf16)",
                "unsupported");
  }
  const Dims d = dims_of(r);
  GPUVAL_CUDA_CHECK(cudaSetDevice(r.device));
  const DeviceInfo device = device_info(r.device);
  result["device"] = device.to_json(r.device);
  result["library"] = cudnn_library_json();
  if (device.cc < precision->min_cc) {
    return skip("needs compute capability >= " + std::to_string(precision->min_cc / 10) + "." +
                    std::to_string(precision->min_cc % 10),
                "capability");
  }
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  GPUVAL_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const std::size_t need =
      (d.x_count() + d.w_count() + d.y_count()) * sizeof(std::uint16_t) + kMaxWorkspaceBytes;
  result["memory"] = {{"needed_bytes", need}, {"free_bytes", free_bytes}};
  if (static_cast<double>(need) > 0.9 * static_cast<double>(free_bytes)) {
    return skip("needs " + gib(need) + " of device memory, " + gib(free_bytes) + " free", "memory");
  }
  try {
    return std::make_unique<ConvSession>(*precision, d, r, result);
  } catch (const CudaError& e) {
    if (e.library() != CudaLibrary::Runtime ||
        e.code() != static_cast<int>(cudaErrorMemoryAllocation)) {
      throw;
    }
    return skip(std::string("out of device memory: ") + e.what(), "memory");
  }
}

}  // namespace

char* cudnn_bench_open(const gpuval_probe_bench_request* request, gpuval_probe_bench** session) {
  return open_bench("cudnn", request, session, open_conv);
}

int32_t cudnn_bench_start(gpuval_probe_bench* session, int32_t iterations, int32_t warmup) {
  return start_bench(session, iterations, warmup);
}

char* cudnn_bench_finish(gpuval_probe_bench* session) { return finish_bench(session); }

void cudnn_bench_close(gpuval_probe_bench* session) { close_bench(session); }

}  // namespace gpuval::probes
