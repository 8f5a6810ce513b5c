// Move-only owners of cuDNN objects, cuDNN's version and the names of its forward algorithms,
// shared by the correctness probe and the convolution benchmark of the cuDNN module. Header-only:
// each module is its own shared library.
#pragma once

#include <cudnn.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace gpuval::probes {

// Owner of a cuDNN object released by `Destroy`.
template <typename T, cudnnStatus_t (*Destroy)(T)>
class CudnnObject {
 public:
  CudnnObject() = default;
  ~CudnnObject() {
    if (object_ != nullptr) (void)Destroy(object_);
  }
  CudnnObject(CudnnObject&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  CudnnObject& operator=(CudnnObject&& other) noexcept {
    if (this != &other) {
      if (object_ != nullptr) (void)Destroy(object_);
      object_ = std::exchange(other.object_, nullptr);
    }
    return *this;
  }
  CudnnObject(const CudnnObject&) = delete;
  CudnnObject& operator=(const CudnnObject&) = delete;

  T get() const noexcept { return object_; }
  T* out() noexcept { return &object_; }

 private:
  T object_ = nullptr;
};

using CudnnHandle = CudnnObject<cudnnHandle_t, cudnnDestroy>;
using TensorDesc = CudnnObject<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor>;
using FilterDesc = CudnnObject<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor>;
using ConvDesc = CudnnObject<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor>;

inline nlohmann::json cudnn_library_json() {
  const std::size_t version = cudnnGetVersion();
  const std::size_t major = version / 10000;
  const std::size_t minor = (version % 10000) / 100;
  const std::size_t patch = version % 100;
  return {{"name", "cuDNN"},
          {"version",
           std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch)},
          {"version_code", version},
          {"header_version_code", CUDNN_VERSION},
          {"cudart_version_code", cudnnGetCudartVersion()},
          // cuDNN needs the major version it was built against at run time.
          {"major_matches_build", major == static_cast<std::size_t>(CUDNN_MAJOR)}};
}

inline const char* algo_name(cudnnConvolutionFwdAlgo_t algo) {
  switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
      return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT:
      return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
      return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
      return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
      return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
      return "WINOGRAD_NONFUSED";
    case CUDNN_CONVOLUTION_FWD_ALGO_COUNT:
      break;
  }
  return "unknown";
}

}  // namespace gpuval::probes
