// Move-only owners of cuBLAS and cuBLASLt objects, shared by the correctness probe and the GEMM
// benchmark of the cuBLAS module. Header-only: each module is its own shared library.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>

#include <cstddef>
#include <utility>

#include "probes/lt_heuristic.hpp"

namespace gpuval::probes {

// Owner of a cuBLAS object released by `Destroy`.
template <typename T, cublasStatus_t (*Destroy)(T)>
class CublasObject {
 public:
  CublasObject() = default;
  ~CublasObject() {
    if (object_ != nullptr) (void)Destroy(object_);
  }
  CublasObject(CublasObject&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  CublasObject& operator=(CublasObject&& other) noexcept {
    if (this != &other) {
      if (object_ != nullptr) (void)Destroy(object_);
      object_ = std::exchange(other.object_, nullptr);
    }
    return *this;
  }
  CublasObject(const CublasObject&) = delete;
  CublasObject& operator=(const CublasObject&) = delete;

  T get() const noexcept { return object_; }
  T* out() noexcept { return &object_; }  // for the create call; only on an empty object

 private:
  T object_ = nullptr;
};

using CublasHandle = CublasObject<cublasHandle_t, cublasDestroy>;
using LtHandle = CublasObject<cublasLtHandle_t, cublasLtDestroy>;
using LtMatmulDesc = CublasObject<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using LtLayout = CublasObject<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using LtPreference = CublasObject<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

// The CUDA-free decision (probes/lt_heuristic.hpp) names the statuses by value.
static_assert(static_cast<int>(CUBLAS_STATUS_SUCCESS) == kCublasStatusSuccess);
static_assert(static_cast<int>(CUBLAS_STATUS_NOT_SUPPORTED) == kCublasStatusNotSupported);

// cuBLASLt workspace: NVIDIA recommends 32 MiB on Hopper (cuBLAS docs, cublasSetWorkspace).
inline constexpr std::size_t kLtWorkspaceBytes = std::size_t{32} << 20;

}  // namespace gpuval::probes
