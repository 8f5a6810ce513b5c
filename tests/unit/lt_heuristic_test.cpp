// cuBLASLt's "no algorithm" answers are a SKIP with the reason, not a FAIL
// (probes/lt_heuristic.hpp), and the benchmark side reads them as a SKIP
// (bench/module_bench.cpp open_failure).
#include "probes/lt_heuristic.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "bench/module_bench.hpp"
#include "probes/host/probe_loader.hpp"

namespace gpuval::probes {
namespace {

LtQuery fp8_query() {
  return {"fp8-e4m3", "TN",  "CUDA_R_8F_E4M3", "CUDA_R_32F", "CUBLAS_COMPUTE_32F", 8192, 8192,
          8192,       130100};
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(LtHeuristic, AnAlgorithmIsUsed) {
  const LtDecision d = decide_lt_heuristic(kCublasStatusSuccess, 3, fp8_query());
  EXPECT_EQ(d.verdict, LtVerdict::Use);
  EXPECT_TRUE(d.reason.empty());
}

TEST(LtHeuristic, NotSupportedIsASkipNamingTheCombination) {
  const LtDecision d = decide_lt_heuristic(kCublasStatusNotSupported, 0, fp8_query());
  ASSERT_EQ(d.verdict, LtVerdict::Unsupported);
  for (const char* part :
       {"fp8-e4m3", "TN", "CUDA_R_8F_E4M3", "CUDA_R_32F", "CUBLAS_COMPUTE_32F", "cuBLASLt 13.1.0",
        "8192 x 8192 x 8192", "CUBLAS_STATUS_NOT_SUPPORTED"}) {
    EXPECT_TRUE(has(d.reason, part)) << part << " missing from: " << d.reason;
  }
}

TEST(LtHeuristic, ZeroAlgorithmsIsASkipToo) {
  const LtDecision d = decide_lt_heuristic(kCublasStatusSuccess, 0, fp8_query());
  ASSERT_EQ(d.verdict, LtVerdict::Unsupported);
  EXPECT_TRUE(has(d.reason, "found 0 algorithms")) << d.reason;
  // NOT_SUPPORTED with a stale count is still unsupported, not a use of garbage.
  EXPECT_EQ(decide_lt_heuristic(kCublasStatusNotSupported, 2, fp8_query()).verdict,
            LtVerdict::Unsupported);
}

TEST(LtHeuristic, OtherStatusesAreErrors) {
  for (int status : {1, 3, 7, 8, 13, 14}) {  // NOT_INITIALIZED ... INTERNAL_ERROR
    EXPECT_EQ(decide_lt_heuristic(status, 0, fp8_query()).verdict, LtVerdict::Error) << status;
    EXPECT_EQ(decide_lt_heuristic(status, 4, fp8_query()).verdict, LtVerdict::Error) << status;
  }
}

TEST(LtHeuristic, VersionTextFollowsCublasLtGetVersion) {
  EXPECT_EQ(lt_version_text(130100), "13.1.0");
  EXPECT_EQ(lt_version_text(120903), "12.9.3");
}

// The answer bench_open gives for it (mark_skipped) is what the benchmark side turns into a SKIP
// entry with the reason, and no hint to go and fix something.
TEST(LtHeuristic, TheBenchSideReadsTheSkip) {
  const LtDecision d = decide_lt_heuristic(kCublasStatusNotSupported, 0, fp8_query());
  nlohmann::json answer = {{"probe", "cublas"}, {"op", "gemm"}};
  mark_skipped(answer, d.reason, "unsupported");
  EXPECT_EQ(answer["status"], "SKIP");
  EXPECT_EQ(answer["skip"], "unsupported");
  const auto outcome = bench::open_failure(kCublasProbe, answer.dump());
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->status, "SKIP");
  EXPECT_FALSE(outcome->verified);
  EXPECT_TRUE(has(outcome->message, d.reason)) << outcome->message;
  EXPECT_TRUE(outcome->hint.empty()) << outcome->hint;
}

}  // namespace
}  // namespace gpuval::probes
