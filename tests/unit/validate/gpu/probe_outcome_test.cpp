#include "validate/gpu/probe_outcome.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gpuval {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kAllPass = R"J({
  "probe": "cublas",
  "library": {"name": "cuBLAS", "version": "13.1.0", "version_code": 130100},
  "device": {"index": 0, "name": "NVIDIA H100 80GB HBM3", "cc": "9.0"},
  "cases": [
    {"name": "fp32", "status": "PASS", "tolerance": 1e-5, "rel_error": 2e-7},
    {"name": "tf32", "status": "PASS", "tolerance": 2e-3, "rel_error": 4.1e-4},
    {"name": "fp8-e4m3", "status": "SKIP", "reason": "needs compute capability >= 8.9"}
  ]})J";

TEST(ProbeReport, AllCasesPassingIsAPassNamingVersionClosestCaseAndSkips) {
  const DeviceOutcome o = interpret_probe_result(kCublasProbe, 0, kAllPass);
  EXPECT_EQ(o.status, Status::Pass) << o.message;
  EXPECT_TRUE(has(o.message, "cuBLAS 13.1.0")) << o.message;
  EXPECT_TRUE(has(o.message, "fp32, tf32 within tolerance")) << o.message;
  EXPECT_TRUE(has(o.message, "closest: tf32 4.10e-04 <= 2.00e-03")) << o.message;
  EXPECT_TRUE(has(o.message, "skipped fp8-e4m3 (needs compute capability >= 8.9)")) << o.message;
  EXPECT_EQ(o.metrics["library"]["version_code"], 130100);
  EXPECT_EQ(o.metrics["cases"].size(), 3u);
}

TEST(ProbeReport, AWrongResultFailsWithItsNumbersAndAHint) {
  const char* json = R"J({"probe": "cublas", "cases": [
    {"name": "fp64", "status": "PASS", "tolerance": 1e-12, "rel_error": 1e-16},
    {"name": "fp16", "status": "FAIL", "tolerance": 1e-3, "rel_error": 3.2e-1,
     "elements": 49152, "bad_elements": 12, "non_finite": 2,
     "first_bad": {"index": 17, "got": null, "got_text": "NaN", "expected": 0.25}}]})J";
  const DeviceOutcome o = interpret_probe_result(kCublasProbe, 1, json);
  EXPECT_EQ(o.status, Status::Fail);
  EXPECT_TRUE(has(o.message, "fp16 wrong: rel error 3.20e-01 > tolerance 1.00e-03")) << o.message;
  EXPECT_TRUE(has(o.message, "12 of 49152 elements off (2 NaN/Inf)")) << o.message;
  EXPECT_TRUE(has(o.message, "first at [17]: got NaN, expected 0.25")) << o.message;
  EXPECT_TRUE(has(o.hint, "cuBLAS returned wrong results")) << o.hint;
  EXPECT_TRUE(has(o.hint, "ECC")) << o.hint;
}

TEST(ProbeReport, ANonFiniteErrorSaysSo) {
  const char* json = R"J({"cases": [{"name": "conv2d-fwd-fp32", "status": "FAIL",
    "tolerance": 1e-4, "rel_error": null, "elements": 10, "bad_elements": 10, "non_finite": 10}]})J";
  const DeviceOutcome o = interpret_probe_result(kCudnnProbe, 0, json);
  EXPECT_EQ(o.status, Status::Fail);
  EXPECT_TRUE(has(o.message, "rel error not finite")) << o.message;
  EXPECT_TRUE(has(o.hint, "cuDNN returned wrong results")) << o.hint;
}

TEST(ProbeReport, ACaseErrorNamesTheLibraryStatusWithItsHint) {
  const char* json = R"J({"cases": [{"name": "fp8-e4m3", "status": "FAIL", "error": {
    "library": "cuBLAS", "code": 15, "name": "CUBLAS_STATUS_NOT_SUPPORTED",
    "description": "the functionality requested is not supported",
    "call": "cublasLtMatmul(...)", "where": "cublas_probe.cpp:180"}}]})J";
  const DeviceOutcome o = interpret_probe_result(kCublasProbe, 0, json);
  EXPECT_EQ(o.status, Status::Fail);
  EXPECT_TRUE(
      has(o.message, "fp8-e4m3: cublasLtMatmul(...) failed: CUBLAS_STATUS_NOT_SUPPORTED (15)"))
      << o.message;
  EXPECT_TRUE(has(o.hint, "FP8")) << o.hint;
}

TEST(ProbeReport, AProbeLevelErrorFailsWithItsName) {
  const char* json = R"J({"probe": "cudnn", "cases": [], "error": {"library": "cuDNN",
    "code": 1008, "name": "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED", "description": "",
    "call": "cudnnCreate(handle.out())", "where": "cudnn_probe.cpp:1"}})J";
  const DeviceOutcome o = interpret_probe_result(kCudnnProbe, 0, json);
  EXPECT_EQ(o.status, Status::Fail);
  EXPECT_TRUE(has(o.message, "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED (1008)")) << o.message;
  EXPECT_TRUE(has(o.hint, "libcudnn9-cuda-13")) << o.hint;
}

TEST(ProbeReport, MalformedJsonIsAFailNotACrash) {
  for (const char* bad : {"", "{", "not json", "[1,2]", "null", "{\"cases\": 3}", "{\"cases\": []}",
                          "{\"cases\": [7]}"}) {
    const DeviceOutcome o = interpret_probe_result(kCublasProbe, 0, bad);
    EXPECT_EQ(o.status, Status::Fail) << bad;
    EXPECT_FALSE(o.hint.empty()) << bad;
    EXPECT_TRUE(has(o.message, "libgpuval_probe_cublas.so")) << bad << " -> " << o.message;
  }
}

TEST(ProbeReport, AnUnknownCaseStatusIsAFail) {
  const DeviceOutcome o = interpret_probe_result(
      kCublasProbe, 0, R"J({"cases": [{"name": "fp32", "status": "MAYBE"}]})J");
  EXPECT_EQ(o.status, Status::Fail);
  EXPECT_TRUE(has(o.message, "\"MAYBE\"")) << o.message;
}

TEST(ProbeReport, EveryCaseSkippedIsASkip) {
  const DeviceOutcome o = interpret_probe_result(
      kCublasProbe, 0, R"J({"cases": [{"name": "fp8-e4m3", "status": "SKIP", "reason": "old"}]})J");
  EXPECT_EQ(o.status, Status::Skip);
  EXPECT_TRUE(has(o.message, "fp8-e4m3 (old)")) << o.message;
}

}  // namespace
}  // namespace gpuval
