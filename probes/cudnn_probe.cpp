// libgpuval_probe_cudnn.so: one FP32 convolution forward through cuDNN (restricted to FMA math,
// so TF32 tensor cores are not used behind the probe's back), compared with a direct
// convolution computed on the host in FP64 from the same inputs; and cuDNN's version. The
// module's convolution benchmark (bench_* of probes/probe_abi.h) is in cudnn_conv_bench.cpp.
//
// Shape: N=2, C=8, H=W=17 (odd, so border handling is exercised), K=16 filters of 3x3, padding 1,
// stride 1, cross-correlation, NCHW. Tolerance 1e-4 on ||out-ref||/||ref|| (plus the elementwise
// bound of core/numeric_compare.hpp): FP32 sums of 72 products err ~1e-7; FFT and Winograd
// algorithms, which cuDNN may pick, err up to ~1e-5.
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "core/numeric_compare.hpp"
#include "probes/cold_start_probe.hpp"
#include "probes/cudnn_conv_bench.hpp"
#include "probes/cudnn_objects.hpp"
#include "probes/probe_abi.h"
#include "probes/probe_device.hpp"
#include "probes/probe_json.hpp"

namespace gpuval::probes {
namespace {

constexpr double kConvTolerance = 1e-4;
constexpr std::size_t kMaxWorkspaceBytes = 256u << 20;

struct ConvShape {
  int n = 2, c = 8, h = 17, w = 17;  // input
  int k = 16, r = 3, s = 3;          // filters
  int pad = 1, stride = 1, dilation = 1;
  int out_h() const { return (h + 2 * pad - dilation * (r - 1) - 1) / stride + 1; }
  int out_w() const { return (w + 2 * pad - dilation * (s - 1) - 1) / stride + 1; }
};

std::vector<float> to_float(const std::vector<double>& v) {
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i]);
  return out;
}

// Direct cross-correlation in FP64 of the FP32 inputs, NCHW / KCRS / NKPQ.
std::vector<double> reference_conv(const ConvShape& s, const std::vector<float>& x,
                                   const std::vector<float>& w) {
  const int p_max = s.out_h();
  const int q_max = s.out_w();
  std::vector<double> y(static_cast<std::size_t>(s.n) * s.k * p_max * q_max, 0.0);
  for (int n = 0; n < s.n; ++n) {
    for (int k = 0; k < s.k; ++k) {
      for (int p = 0; p < p_max; ++p) {
        for (int q = 0; q < q_max; ++q) {
          double acc = 0.0;
          for (int c = 0; c < s.c; ++c) {
            for (int r = 0; r < s.r; ++r) {
              const int h = p * s.stride - s.pad + r * s.dilation;
              if (h < 0 || h >= s.h) continue;
              for (int t = 0; t < s.s; ++t) {
                const int wi = q * s.stride - s.pad + t * s.dilation;
                if (wi < 0 || wi >= s.w) continue;
                const std::size_t xi =
                    ((static_cast<std::size_t>(n) * s.c + c) * s.h + h) * s.w + wi;
                const std::size_t fi =
                    ((static_cast<std::size_t>(k) * s.c + c) * s.r + r) * s.s + t;
                acc += static_cast<double>(x[xi]) * static_cast<double>(w[fi]);
              }
            }
          }
          y[((static_cast<std::size_t>(n) * s.k + k) * p_max + p) * q_max + q] = acc;
        }
      }
    }
  }
  return y;
}

nlohmann::json run_conv(cudnnHandle_t handle, std::mt19937_64& rng, bool corrupt) {
  const ConvShape s;
  const std::vector<float> x =
      to_float(random_operand(static_cast<std::size_t>(s.n) * s.c * s.h * s.w, rng));
  const std::vector<float> w =
      to_float(random_operand(static_cast<std::size_t>(s.k) * s.c * s.r * s.s, rng));
  const std::vector<double> reference = reference_conv(s, x, w);

  TensorDesc x_desc;
  TensorDesc y_desc;
  FilterDesc w_desc;
  ConvDesc conv;
  GPUVAL_CUDNN_CHECK(cudnnCreateTensorDescriptor(x_desc.out()));
  GPUVAL_CUDNN_CHECK(cudnnCreateTensorDescriptor(y_desc.out()));
  GPUVAL_CUDNN_CHECK(cudnnCreateFilterDescriptor(w_desc.out()));
  GPUVAL_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(conv.out()));
  GPUVAL_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_desc.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                s.n, s.c, s.h, s.w));
  GPUVAL_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_desc.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                s.k, s.c, s.r, s.s));
  GPUVAL_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv.get(), s.pad, s.pad, s.stride, s.stride,
                                                     s.dilation, s.dilation,
                                                     CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  GPUVAL_CUDNN_CHECK(cudnnSetConvolutionMathType(conv.get(), CUDNN_FMA_MATH));
  int on = 0, oc = 0, oh = 0, ow = 0;
  GPUVAL_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv.get(), x_desc.get(), w_desc.get(),
                                                           &on, &oc, &oh, &ow));
  if (on != s.n || oc != s.k || oh != s.out_h() || ow != s.out_w()) {
    throw CudaError(CudaLibrary::Cudnn, CUDNN_STATUS_BAD_PARAM, "CUDNN_STATUS_BAD_PARAM",
                    "cuDNN computed output dims " + std::to_string(on) + "x" + std::to_string(oc) +
                        "x" + std::to_string(oh) + "x" + std::to_string(ow) + ", expected " +
                        std::to_string(s.n) + "x" + std::to_string(s.k) + "x" +
                        std::to_string(s.out_h()) + "x" + std::to_string(s.out_w()),
                    "cudnnGetConvolution2dForwardOutputDim", __FILE__, __LINE__);
  }
  GPUVAL_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y_desc.get(), CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                on, oc, oh, ow));

  // The heuristics' first choice that is supported and fits the workspace cap.
  std::array<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT> perf{};
  int returned = 0;
  GPUVAL_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
      handle, x_desc.get(), w_desc.get(), conv.get(), y_desc.get(), static_cast<int>(perf.size()),
      &returned, perf.data()));
  const cudnnConvolutionFwdAlgoPerf_t* chosen = nullptr;
  for (int i = 0; i < returned; ++i) {
    if (perf[static_cast<std::size_t>(i)].status == CUDNN_STATUS_SUCCESS &&
        perf[static_cast<std::size_t>(i)].memory <= kMaxWorkspaceBytes) {
      chosen = &perf[static_cast<std::size_t>(i)];
      break;
    }
  }
  if (chosen == nullptr) {
    throw CudaError(CudaLibrary::Cudnn, CUDNN_STATUS_NOT_SUPPORTED, "CUDNN_STATUS_NOT_SUPPORTED",
                    "no forward algorithm for an FP32 3x3 convolution with FMA math",
                    "cudnnGetConvolutionForwardAlgorithm_v7", __FILE__, __LINE__);
  }
  std::size_t workspace_bytes = 0;
  GPUVAL_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle, x_desc.get(), w_desc.get(),
                                                             conv.get(), y_desc.get(), chosen->algo,
                                                             &workspace_bytes));

  cuda::DeviceBuffer<float> dx(x.size());
  cuda::DeviceBuffer<float> dw(w.size());
  cuda::DeviceBuffer<float> dy(reference.size());
  cuda::DeviceBuffer<unsigned char> workspace(workspace_bytes);
  dx.upload(x);
  dw.upload(w);
  dy.fill_bytes(0xFF);  // NaN poison: an unwritten element fails
  const float alpha = 1.0f;
  const float beta = 0.0f;
  GPUVAL_CUDNN_CHECK(cudnnConvolutionForward(handle, &alpha, x_desc.get(), dx.get(), w_desc.get(),
                                             dw.get(), conv.get(), chosen->algo, workspace.get(),
                                             workspace_bytes, &beta, y_desc.get(), dy.get()));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> y_host = dy.download();
  std::vector<double> out(y_host.begin(), y_host.end());

  nlohmann::json injected = nullptr;
  if (corrupt) injected = corrupt_one_element(out, reference);
  nlohmann::json j = comparison_case_json(
      "conv2d-fwd-fp32", kConvTolerance,
      compare_to_reference(out.data(), reference.data(), out.size(), kConvTolerance));
  j["shape"] = {{"n", s.n}, {"c", s.c}, {"h", s.h},     {"w", s.w},           {"k", s.k},
                {"r", s.r}, {"s", s.s}, {"pad", s.pad}, {"stride", s.stride}, {"layout", "NCHW"}};
  j["algorithm"] = algo_name(chosen->algo);
  j["math"] = "FMA";
  j["tolerance_reason"] = "FP32 sums of 72 products err ~1e-7; FFT/Winograd algorithms up to ~1e-5";
  if (!injected.is_null()) j["injected_fault_at"] = injected;
  return j;
}

void probe(const gpuval_probe_request& request, nlohmann::json& result) {
  result["library"] = cudnn_library_json();
  CudnnHandle handle;
  GPUVAL_CUDNN_CHECK(cudnnCreate(handle.out()));
  GPUVAL_CUDNN_CHECK(cudnnSetStream(handle.get(), nullptr));
  std::mt19937_64 rng(request.seed);
  const bool corrupt = (request.flags & GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT) != 0;
  try {
    result["cases"].push_back(run_conv(handle.get(), rng, corrupt));
  } catch (const CudaError& e) {
    result["cases"].push_back(failed_case_json("conv2d-fwd-fp32", error_json(e)));
  }
}

char* run(const gpuval_probe_request* request) { return run_request("cudnn", request, probe); }

void free_result(char* text) { free_c_string(text); }

}  // namespace
}  // namespace gpuval::probes

extern "C" const gpuval_probe_module* gpuval_probe_module_v1(void) {
  static const gpuval_probe_module module{GPUVAL_PROBE_ABI_VERSION,
                                          sizeof(gpuval_probe_module),
                                          "cudnn",
                                          &gpuval::probes::run,
                                          &gpuval::probes::free_result,
                                          &gpuval::probes::cudnn_bench_open,
                                          &gpuval::probes::cudnn_bench_start,
                                          &gpuval::probes::cudnn_bench_finish,
                                          &gpuval::probes::cudnn_bench_close,
                                          &gpuval::probes::cudnn_cold_start,
                                          nullptr};
  return &module;
}
