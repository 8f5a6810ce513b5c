// The time budget of bench/README.md: `gpuval run --quick` <= 20 s on one H100, `--full` <= 180 s,
// of which the checks (CUDA context, cuBLAS/cuDNN handles, memory patterns) take a few seconds.
// Estimated from the catalogue with an H100 rate model (bench/budget.hpp) that errs long; the
// real wall times are in every run document (benchmarks[].wall_s, run.phases).
#include <gtest/gtest.h>

#include <map>

#include "bench/budget.hpp"

namespace gpuval::bench {
namespace {

// Seconds left for everything but the benchmarks: process start, the checks (context creation,
// library handles, the memory-pattern pass), writing the document.
constexpr double kQuickChecksSeconds = 6;
constexpr double kFullChecksSeconds = 20;

TEST(BenchBudget, QuickFitsTwentySecondsOnOneH100) {
  const double s = estimated_seconds(catalogue("quick", 0, 1), RateModel{});
  EXPECT_LE(s + kQuickChecksSeconds, 20.0) << s << " s of benchmarks";
  EXPECT_GT(s, 1.0) << "the model lost the benchmarks";
}

TEST(BenchBudget, FullFitsThreeMinutesOnOneH100) {
  const double s = estimated_seconds(catalogue("full", 0, 1), RateModel{});
  EXPECT_LE(s + kFullChecksSeconds, 180.0) << s << " s of benchmarks";
  EXPECT_GT(s, 10.0);
}

TEST(BenchBudget, NoSingleBenchmarkDominatesTheQuickRun) {
  std::map<std::string, double> by_id;
  for (const BenchSpec& spec : catalogue("quick", 0, 1)) {
    by_id[spec.id] += estimated_seconds(spec, RateModel{});
  }
  for (const auto& [id, seconds] : by_id) EXPECT_LE(seconds, 4.0) << id;
}

TEST(BenchBudget, LatencyRepetitionsTakeTheirBudgetNotAFixedLaunchCount) {
  for (const char* profile : {"quick", "full"}) {
    for (const BenchSpec& s : catalogue(profile, 0, 1)) {
      if (s.kind != BenchKind::LaunchLatency && s.kind != BenchKind::RoundTripLatency) continue;
      EXPECT_GT(s.repetition_budget_s, 0) << s.id;
      RateModel slow;
      slow.launch_us = 100;  // a slow launch path does not stretch the run
      slow.roundtrip_us = 500;
      EXPECT_NEAR(estimated_seconds(s, slow), estimated_seconds(s, RateModel{}), 0.2) << s.id;
    }
  }
}

}  // namespace
}  // namespace gpuval::bench
