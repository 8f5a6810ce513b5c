#include "core/verdict.hpp"

#include <gtest/gtest.h>

#include "core/exit_codes.hpp"

namespace gpuval {
namespace {

TEST(Verdict, NoGpuReportsTheMostFundamentalBlockerFirst) {
  Facts facts;
  facts.block(blocker_priority::kCudaInit, "cuda-driver", "cuInit failed", "fix init");
  facts.block(blocker_priority::kNoInjection, "device-nodes", "no NVIDIA device nodes",
              "use --device nvidia.com/gpu=all");
  facts.block(blocker_priority::kLibraryMissing, "driver-libraries", "no libcuda", "inject it");
  const Verdict v = decide_verdict(facts, {}, true);
  EXPECT_EQ(v.status, "no-gpu");
  EXPECT_EQ(v.exit_code, exit_code::kNoGpu);
  EXPECT_EQ(v.cause, "no NVIDIA device nodes");
  EXPECT_EQ(v.hint, "use --device nvidia.com/gpu=all");
  EXPECT_NE(v.summary.find("no usable GPU"), std::string::npos);
}

TEST(Verdict, NoGpuWithoutBlockerFallsBackToFirstFailure) {
  Facts facts;
  std::vector<CheckResult> results = {
      make_result("a", "A", Status::Pass, "ok"),
      make_result("b", "B", Status::Fail, "b broke", "fix b")};
  const Verdict v = decide_verdict(facts, results, true);
  EXPECT_EQ(v.status, "no-gpu");
  EXPECT_EQ(v.cause, "b broke");
  EXPECT_EQ(v.hint, "fix b");
}

TEST(Verdict, NoGpuWithoutAnyFindingStillHasCauseAndHint) {
  const Verdict v = decide_verdict(Facts{}, {}, true);
  EXPECT_FALSE(v.cause.empty());
  EXPECT_FALSE(v.hint.empty());
}

TEST(Verdict, FailListsFailedChecksAndExitsOne) {
  Facts facts;
  facts.gpu_usable = true;
  std::vector<CheckResult> results = {make_result("shm", "S", Status::Warn, "small", "bigger"),
                                      make_result("x", "X", Status::Fail, "x bad", "fix x"),
                                      make_result("y", "Y", Status::Fail, "y bad", "fix y")};
  const Verdict v = decide_verdict(facts, results, true);
  EXPECT_EQ(v.status, "fail");
  EXPECT_EQ(v.exit_code, exit_code::kFailed);
  EXPECT_EQ(v.summary, "2 checks failed: x, y");
  EXPECT_EQ(v.hint, "fix x");
}

TEST(Verdict, WarningsStillPass) {
  Facts facts;
  facts.gpu_usable = true;
  const Verdict v =
      decide_verdict(facts, {make_result("shm", "S", Status::Warn, "small", "bigger")}, true);
  EXPECT_EQ(v.status, "pass");
  EXPECT_EQ(v.exit_code, exit_code::kPass);
  EXPECT_EQ(v.summary, "all checks passed (1 warning)");
}

TEST(Verdict, InfoNeverRequiresAGpu) {
  const Verdict v = decide_verdict(Facts{}, {make_result("a", "A", Status::Pass, "ok")}, false);
  EXPECT_EQ(v.status, "pass");
}

}  // namespace
}  // namespace gpuval
