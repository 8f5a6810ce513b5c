#include "core/cuda_error.hpp"

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <string>

#include "core/gpu_error_hints.hpp"

namespace gpuval {
namespace {

cudaError_t returns(cudaError_t e) { return e; }

TEST(CudaError, RuntimeCheckThrowsWithTheErrorName) {
  try {
    GPUVAL_CUDA_CHECK(returns(cudaErrorMemoryAllocation));
    FAIL() << "no exception";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.library(), CudaLibrary::Runtime);
    EXPECT_EQ(e.code(), 2);
    EXPECT_EQ(e.name(), "cudaErrorMemoryAllocation");
    EXPECT_EQ(e.call(), "returns(cudaErrorMemoryAllocation)");
    EXPECT_GT(e.line(), 0);
    const std::string what = e.what();
    EXPECT_NE(what.find("returns(cudaErrorMemoryAllocation) failed: cudaErrorMemoryAllocation (2)"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("[cuda_error_test.cpp:"), std::string::npos) << what;
    EXPECT_EQ(what.find("/tests/unit/"), std::string::npos) << "only the file name: " << what;
  }
}

TEST(CudaError, RuntimeCheckIsSilentOnSuccess) {
  EXPECT_NO_THROW(GPUVAL_CUDA_CHECK(returns(cudaSuccess)));
}

int fake_cu_call(int code) { return code; }
int fake_name(int code, const char** text) {
  *text = code == 999 ? "CUDA_ERROR_UNKNOWN" : nullptr;
  return code == 999 ? 0 : 1;
}
int fake_string(int, const char** text) {
  *text = "unknown error";
  return 0;
}

TEST(CudaError, DriverCheckUsesTheResolvedNameFunctions) {
  try {
    GPUVAL_CU_CHECK(fake_cu_call(999), &fake_name, &fake_string);
    FAIL() << "no exception";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.library(), CudaLibrary::Driver);
    EXPECT_EQ(e.name(), "CUDA_ERROR_UNKNOWN");
    EXPECT_EQ(e.description(), "unknown error");
  }
}

TEST(CudaError, AnUnnamedCodeStillGetsALabel) {
  try {
    GPUVAL_CU_CHECK(fake_cu_call(4242), &fake_name, nullptr);
    FAIL() << "no exception";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.name(), "CUDA driver error 4242");
    EXPECT_NE(std::string(e.what()).find("CUDA driver error (4242)"), std::string::npos)
        << e.what();
  }
}

TEST(CudaError, FormatOmitsADescriptionEqualToTheName) {
  EXPECT_EQ(format_cuda_error(CudaLibrary::Cudnn, 2000, "CUDNN_STATUS_BAD_PARAM",
                              "CUDNN_STATUS_BAD_PARAM", "cudnnX()", "/a/b/probe.cpp", 7),
            "cudnnX() failed: CUDNN_STATUS_BAD_PARAM (2000) [probe.cpp:7]");
  EXPECT_EQ(format_cuda_error(CudaLibrary::Cublas, 15, "CUBLAS_STATUS_NOT_SUPPORTED",
                              "the functionality requested is not supported", "gemm()", "", 0),
            "gemm() failed: CUBLAS_STATUS_NOT_SUPPORTED (15): the functionality requested is not "
            "supported");
}

TEST(GpuErrorHints, EachKnownNameHasItsOwnHint) {
  const std::string oom = gpu_error_hint("cudaErrorMemoryAllocation");
  EXPECT_NE(oom.find("out of memory"), std::string::npos);
  EXPECT_NE(gpu_error_hint("cudaErrorNoKernelImageForDevice").find("CMAKE_CUDA_ARCHITECTURES"),
            std::string::npos);
  EXPECT_NE(gpu_error_hint("cudaErrorJitCompilerNotFound").find("ptxjitcompiler"),
            std::string::npos);
  EXPECT_NE(gpu_error_hint("cudaErrorIllegalAddress").find("Xid"), std::string::npos);
  EXPECT_NE(gpu_error_hint("CUBLAS_STATUS_NOT_SUPPORTED").find("FP8"), std::string::npos);
  EXPECT_EQ(gpu_error_hint("CUBLAS_STATUS_ALLOC_FAILED"), oom);
  EXPECT_NE(gpu_error_hint("CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED").find("libcudnn9-cuda-13"),
            std::string::npos);
}

TEST(GpuErrorHints, CudnnSubStatusesFallBackToTheirFamily) {
  EXPECT_NE(gpu_error_hint("CUDNN_STATUS_NOT_SUPPORTED_SHAPE").find("upgrade cuDNN"),
            std::string::npos);
  EXPECT_NE(gpu_error_hint("CUDNN_STATUS_EXECUTION_FAILED_CUBLAS").find("Xid"), std::string::npos);
}

TEST(GpuErrorHints, UnknownNamesGetAGenericActionableHint) {
  for (const char* name : {"", "garbage", "cudaErrorSomethingNew"}) {
    const std::string hint = gpu_error_hint(name);
    EXPECT_NE(hint.find("dmesg"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace gpuval
