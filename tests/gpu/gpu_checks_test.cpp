// The GPU checks on a real device, as `gpuval run` runs them: each passes on a healthy GPU, and
// each comparison FAILs when one element of the result (one word of memory) is corrupted between
// the GPU writing it and the check comparing it.
#include "validate/gpu/gpu_checks.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/context.hpp"
#include "validate/checks.hpp"

namespace gpuval {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class GpuChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.fs = Sysroot("/");
    ctx_.env = Env::from_process();
    ctx_.libraries = &libs_;
    ctx_.cuda = &cuda_;
    ctx_.cuda_runtime_version = 13000;
    ctx_.profile = "quick";
    const CheckResult driver = checks::cuda_driver(ctx_, facts_);
    ASSERT_TRUE(facts_.gpu_usable) << driver.message << " / " << driver.hint;
  }

  checks::GpuCheckOptions corrupt() const {
    checks::GpuCheckOptions o;
    o.corrupt_one_element = true;
    o.memory_bytes = 64u << 20;
    return o;
  }

  DlopenLibraryLoader libs_;
  DlopenCudaDriverProbe cuda_;
  Context ctx_{Sysroot("/"), Env{}, nullptr, nullptr, 0};
  Facts facts_;
};

TEST_F(GpuChecks, CudaComputePasses) {
  const CheckResult r = checks::cuda_compute(ctx_, facts_);
  EXPECT_EQ(r.status, Status::Pass) << r.message << " / " << r.hint;
  EXPECT_TRUE(has(r.message, "bit-exact")) << r.message;
}

TEST_F(GpuChecks, CudaComputeFailsOnACorruptedElement) {
  const CheckResult r = checks::run_cuda_compute(ctx_, facts_, corrupt());
  EXPECT_EQ(r.status, Status::Fail) << r.message;
  EXPECT_TRUE(has(r.message, "1 of 4194304 elements wrong")) << r.message;
  EXPECT_FALSE(r.hint.empty());
}

TEST_F(GpuChecks, PtxJitPasses) {
  const CheckResult r = checks::ptx_jit(ctx_, facts_);
  EXPECT_EQ(r.status, Status::Pass) << r.message << " / " << r.hint;
}

TEST_F(GpuChecks, PtxJitFailsOnACorruptedElement) {
  const CheckResult r = checks::run_ptx_jit(ctx_, facts_, corrupt());
  EXPECT_EQ(r.status, Status::Fail) << r.message;
  EXPECT_TRUE(has(r.message, "1 of 1048576 elements wrong")) << r.message;
}

TEST_F(GpuChecks, CublasPassesEveryPrecision) {
  const CheckResult r = checks::cublas(ctx_, facts_);
  ASSERT_EQ(r.status, Status::Pass) << r.message << " / " << r.hint;
  const auto& cases = r.metrics["devices"][0]["cases"];
  ASSERT_EQ(cases.size(), 6u) << r.metrics.dump(2);
  for (const auto& c : cases) {
    EXPECT_TRUE(c["status"] == "PASS" || c["status"] == "SKIP") << c.dump();
    if (c["status"] == "PASS") {
      EXPECT_LE(c["rel_error"].get<double>(), c["tolerance"].get<double>()) << c.dump();
      EXPECT_EQ(c["bad_elements"], 0) << c.dump();
      EXPECT_LE(c["margin"].get<double>(), 1.0) << c.dump();
      std::printf("cublas %s: margin %s norm_margin %s\n", c.value("name", "?").c_str(),
                  c["margin"].dump().c_str(), c["norm_margin"].dump().c_str());
    }
  }
  std::printf("cublas: %s\n", r.message.c_str());
}

TEST_F(GpuChecks, CublasFailsOnACorruptedElementAtEveryPrecision) {
  const CheckResult r = checks::run_cublas(ctx_, facts_, corrupt());
  EXPECT_EQ(r.status, Status::Fail) << r.message;
  EXPECT_TRUE(has(r.message, "wrong")) << r.message;
  for (const auto& c : r.metrics["devices"][0]["cases"]) {
    if (c["status"] == "SKIP") continue;
    EXPECT_EQ(c["status"], "FAIL") << c.dump();
    EXPECT_GE(c["bad_elements"].get<int>(), 1) << c.dump();
    EXPECT_EQ(c["first_bad"]["index"], c["injected_fault_at"]) << c.dump();
  }
}

TEST_F(GpuChecks, CudnnPasses) {
  const CheckResult r = checks::cudnn(ctx_, facts_);
#if GPUVAL_HAVE_CUDNN_PROBE
  EXPECT_EQ(r.status, Status::Pass) << r.message << " / " << r.hint;
  std::printf("cudnn: %s\n", r.message.c_str());
#else
  EXPECT_EQ(r.status, Status::Skip) << r.message;
#endif
}

TEST_F(GpuChecks, CudnnFailsOnACorruptedElement) {
#if GPUVAL_HAVE_CUDNN_PROBE
  const CheckResult r = checks::run_cudnn(ctx_, facts_, corrupt());
  EXPECT_EQ(r.status, Status::Fail) << r.message;
  EXPECT_TRUE(has(r.message, "conv2d-fwd-fp32 wrong")) << r.message;
#else
  GTEST_SKIP() << "built without cuDNN";
#endif
}

TEST_F(GpuChecks, MemoryPatternPasses) {
  checks::GpuCheckOptions o;
  o.memory_bytes = 256u << 20;
  const CheckResult r = checks::run_memory_pattern(ctx_, facts_, o);
  EXPECT_EQ(r.status, Status::Pass) << r.message << " / " << r.hint;
  EXPECT_EQ(r.metrics["devices"][0]["mismatches"], 0);
}

TEST_F(GpuChecks, MemoryPatternFailsOnACorruptedWord) {
  const CheckResult r = checks::run_memory_pattern(ctx_, facts_, corrupt());
  EXPECT_EQ(r.status, Status::Fail) << r.message;
  EXPECT_TRUE(has(r.message, "walking-ones pattern: 1 of")) << r.message;
  EXPECT_EQ(r.metrics["devices"][0]["mismatches"], 1);
}

}  // namespace
}  // namespace gpuval
