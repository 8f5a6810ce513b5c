// The one error path for the CUDA runtime and driver, cuBLAS, cuDNN and NCCL: a typed exception
// that keeps the library, the numeric code, the error's NAME (cudaErrorMemoryAllocation,
// CUBLAS_STATUS_NOT_SUPPORTED, ...), its description, the call text and where it was made.
//
// This header needs no CUDA header itself (core stays CUDA-free and unit-testable); the CHECK
// macros name the libraries' own functions, so they compile only where that library's header is
// included. It stays C++17 so nvcc-compiled kernels can include it.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace gpuval {

enum class CudaLibrary { Runtime, Driver, Cublas, Cudnn, Nccl };

constexpr std::string_view to_string(CudaLibrary library) {
  switch (library) {
    case CudaLibrary::Runtime:
      return "CUDA runtime";
    case CudaLibrary::Driver:
      return "CUDA driver";
    case CudaLibrary::Cublas:
      return "cuBLAS";
    case CudaLibrary::Cudnn:
      return "cuDNN";
    case CudaLibrary::Nccl:
      return "NCCL";
  }
  return "CUDA";
}

// "cudaMalloc(&p, bytes) failed: cudaErrorMemoryAllocation (2): out of memory [probe.cpp:42]".
// An empty name becomes "<library> error <code>" so a code is never printed without a label.
inline std::string format_cuda_error(CudaLibrary library, int code, std::string_view name,
                                     std::string_view description, std::string_view call,
                                     std::string_view file, int line) {
  std::string out(call);
  out += " failed: ";
  if (name.empty()) {
    out += std::string(to_string(library)) + " error";
  } else {
    out += name;
  }
  out += " (" + std::to_string(code) + ")";
  if (!description.empty() && description != name) {
    out += ": ";
    out += description;
  }
  if (!file.empty()) {
    // Only the file name: build directories differ between machines and say nothing.
    const std::size_t slash = file.find_last_of('/');
    out += " [";
    out += slash == std::string_view::npos ? file : file.substr(slash + 1);
    out += ":" + std::to_string(line) + "]";
  }
  return out;
}

class CudaError : public std::runtime_error {
 public:
  CudaError(CudaLibrary library, int code, std::string name, std::string description,
            std::string call, std::string file, int line)
      : std::runtime_error(format_cuda_error(library, code, name, description, call, file, line)),
        library_(library),
        code_(code),
        name_(std::move(name)),
        description_(std::move(description)),
        call_(std::move(call)),
        file_(std::move(file)),
        line_(line) {}

  CudaLibrary library() const noexcept { return library_; }
  int code() const noexcept { return code_; }
  // The library's name for the code; never empty (falls back to "<library> error <code>").
  std::string name() const {
    return name_.empty() ? std::string(to_string(library_)) + " error " + std::to_string(code_)
                         : name_;
  }
  const std::string& description() const noexcept { return description_; }
  const std::string& call() const noexcept { return call_; }
  const std::string& file() const noexcept { return file_; }
  int line() const noexcept { return line_; }

 private:
  CudaLibrary library_;
  int code_;
  std::string name_;
  std::string description_;
  std::string call_;
  std::string file_;
  int line_;
};

// Out of line from the macros so the happy path stays a compare and a branch.
[[noreturn]] inline void throw_cuda_error(CudaLibrary library, int code, const char* name,
                                          const char* description, const char* call,
                                          const char* file, int line) {
  throw CudaError(library, code, name != nullptr ? name : "",
                  description != nullptr ? description : "", call != nullptr ? call : "",
                  file != nullptr ? file : "", line);
}

// Driver API entry points gpuval resolves with dlsym (it never links libcuda): the name and
// description functions come in as pointers. CUresult is an int-sized enum.
using CuErrorTextFn = int (*)(int error, const char** text);

inline const char* cu_error_text(CuErrorTextFn fn, int code) {
  const char* text = nullptr;
  if (fn == nullptr || fn(code, &text) != 0) return nullptr;
  return text;
}

}  // namespace gpuval

// CUDA runtime: GPUVAL_CUDA_CHECK(cudaMalloc(&p, n));
#define GPUVAL_CUDA_CHECK(call)                                                                    \
  do {                                                                                             \
    const cudaError_t gpuval_status_ = (call);                                                     \
    if (gpuval_status_ != cudaSuccess) {                                                           \
      ::gpuval::throw_cuda_error(::gpuval::CudaLibrary::Runtime, static_cast<int>(gpuval_status_), \
                                 cudaGetErrorName(gpuval_status_),                                 \
                                 cudaGetErrorString(gpuval_status_), #call, __FILE__, __LINE__);   \
    }                                                                                              \
  } while (0)

// After a kernel launch through a launcher that returns cudaGetLastError(), or on its own.
#define GPUVAL_CUDA_CHECK_LAST() GPUVAL_CUDA_CHECK(cudaGetLastError())

// CUDA driver API through dlsym'd pointers: GPUVAL_CU_CHECK(cu_fn(args), get_name, get_string).
#define GPUVAL_CU_CHECK(call, get_name_fn, get_string_fn)                                       \
  do {                                                                                          \
    const int gpuval_status_ = static_cast<int>(call);                                          \
    if (gpuval_status_ != 0) {                                                                  \
      ::gpuval::throw_cuda_error(::gpuval::CudaLibrary::Driver, gpuval_status_,                 \
                                 ::gpuval::cu_error_text(get_name_fn, gpuval_status_),          \
                                 ::gpuval::cu_error_text(get_string_fn, gpuval_status_), #call, \
                                 __FILE__, __LINE__);                                           \
    }                                                                                           \
  } while (0)

// cuBLAS and cuBLASLt (both return cublasStatus_t): GPUVAL_CUBLAS_CHECK(cublasCreate(&h));
#define GPUVAL_CUBLAS_CHECK(call)                                                                 \
  do {                                                                                            \
    const cublasStatus_t gpuval_status_ = (call);                                                 \
    if (gpuval_status_ != CUBLAS_STATUS_SUCCESS) {                                                \
      ::gpuval::throw_cuda_error(::gpuval::CudaLibrary::Cublas, static_cast<int>(gpuval_status_), \
                                 cublasGetStatusName(gpuval_status_),                             \
                                 cublasGetStatusString(gpuval_status_), #call, __FILE__,          \
                                 __LINE__);                                                       \
    }                                                                                             \
  } while (0)

// cuDNN: cudnnGetErrorString returns the enum name ("CUDNN_STATUS_BAD_PARAM"); the detailed
// reason, when cuDNN recorded one, comes from cudnnGetLastErrorString (cuDNN >= 9).
#define GPUVAL_CUDNN_CHECK(call)                                                                 \
  do {                                                                                           \
    const cudnnStatus_t gpuval_status_ = (call);                                                 \
    if (gpuval_status_ != CUDNN_STATUS_SUCCESS) {                                                \
      char gpuval_detail_[512] = {0};                                                            \
      cudnnGetLastErrorString(gpuval_detail_, sizeof(gpuval_detail_));                           \
      ::gpuval::throw_cuda_error(::gpuval::CudaLibrary::Cudnn, static_cast<int>(gpuval_status_), \
                                 cudnnGetErrorString(gpuval_status_), gpuval_detail_, #call,     \
                                 __FILE__, __LINE__);                                            \
    }                                                                                            \
  } while (0)
