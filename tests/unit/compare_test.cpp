#include "compare/compare.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/run_document.hpp"

namespace gpuval::compare {
namespace {

using nlohmann::json;
using V = std::vector<double>;

// Deterministic "repetitions": mean * (1 + spread * k), k spread evenly over [-1, 1].
V reps(double mean, double spread, int n = 10) {
  V out;
  for (int i = 0; i < n; ++i) {
    const double k = n == 1 ? 0 : -1.0 + 2.0 * i / (n - 1);
    out.push_back(mean * (1 + spread * k));
  }
  return out;
}

json bench(const std::string& id, const V& samples, json params = json::object(),
           const std::string& unit = "GB/s") {
  return json{{"id", id},           {"device", 0},      {"params", params}, {"unit", unit},
              {"samples", samples}, {"status", "PASS"}, {"verified", true}};
}

json check(const std::string& id, const std::string& status) {
  return json{{"id", id},
              {"title", id},
              {"status", status},
              {"message", id + " says " + status},
              {"hint", status == "FAIL" ? "fix " + id : ""}};
}

json doc() {
  return json{
      {"schema", "gpuval.run/1"},
      {"tool", {{"name", "gpuval"}, {"version", "0.1.0"}, {"git_sha", "abc"}}},
      {"run", {{"id", "r1"}, {"started_at", "2026-11-24T02:00:00Z"}, {"profile", "full"}}},
      {"host", {{"hostname", "node"}, {"cpus", 64}}},
      {"environment",
       {{"mode", "baremetal"},
        {"engine", "none"},
        {"injection", "none"},
        {"nvidia_env", json::object()}}},
      {"driver",
       {{"version", "550.54.15"}, {"cuda_driver_version", 12040}, {"cuda_runtime_version", 12040}}},
      {"devices", json::array({{{"index", 0}, {"name", "NVIDIA H100 80GB HBM3"}}})},
      {"checks", json::array({check("engine", "PASS"), check("device-access", "PASS")})},
      {"benchmarks", json::array({bench("stream-triad", reps(3011, 0.001))})},
      {"verdict", {{"status", "pass"}, {"exit_code", 0}, {"summary", "all checks passed"}}}};
}

const BenchmarkComparison* find_bench(const Comparison& c, const std::string& id) {
  for (const auto& b : c.benchmarks) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

const CheckComparison* find_check(const Comparison& c, const std::string& id) {
  for (const auto& k : c.checks) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- decide_benchmark: the statistical verdict on samples alone ----

TEST(CompareDecide, IdenticalSamplesAreSame) {
  const BenchDecision d = decide_benchmark(reps(3011, 0.001), reps(3011, 0.001), true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kSame);
  EXPECT_DOUBLE_EQ(*d.ratio, 1.0);
  EXPECT_DOUBLE_EQ(*d.p_value, 1.0);
  EXPECT_TRUE(has(d.reason, "+0.0 %")) << d.reason;
}

TEST(CompareDecide, FivePercentSlowerWithTightRepetitionsIsWorse) {
  const BenchDecision d = decide_benchmark(reps(3011, 0.001), reps(3011 * 0.95, 0.001), true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kWorse);
  EXPECT_NEAR(*d.ratio, 0.95, 1e-9);
  EXPECT_LT(*d.p_value, 0.05);
  EXPECT_TRUE(has(d.reason, "-5.0 %")) << d.reason;
  EXPECT_TRUE(has(d.reason, "significant")) << d.reason;
}

TEST(CompareDecide, FivePercentFasterIsBetter) {
  const BenchDecision d = decide_benchmark(reps(3011, 0.001), reps(3011 * 1.05, 0.001), true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kBetter);
}

TEST(CompareDecide, LowerIsBetterFlipsTheDirection) {
  // A latency 5 % lower is better, 5 % higher is worse.
  EXPECT_EQ(decide_benchmark(reps(2.1, 0.001), reps(2.1 * 0.95, 0.001), false, {}).verdict,
            BenchVerdict::kBetter);
  EXPECT_EQ(decide_benchmark(reps(2.1, 0.001), reps(2.1 * 1.05, 0.001), false, {}).verdict,
            BenchVerdict::kWorse);
}

TEST(CompareDecide, NoisyOnePercentDifferenceIsSame) {
  const BenchDecision d = decide_benchmark(reps(3011, 0.03), reps(3011 * 1.01, 0.03), true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kSame);
  EXPECT_TRUE(has(d.reason, "minimum effect")) << d.reason;
}

TEST(CompareDecide, LargeButNoisyDifferenceIsInconclusive) {
  // 5 % apart, but +-20 % noise: the rank test finds no significant shift.
  const BenchDecision d = decide_benchmark(reps(3011, 0.2), reps(3011 * 0.95, 0.2), true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kInconclusive);
  EXPECT_GE(*d.p_value, 0.05);
  EXPECT_TRUE(has(d.reason, "not significant")) << d.reason;
}

TEST(CompareDecide, TooFewSamplesIsInconclusiveUnlessHuge) {
  // 3 vs 3 can never reach p < 0.05 (smallest two-sided p is 0.1).
  BenchDecision d = decide_benchmark(reps(3011, 0.001, 3), reps(3011 * 0.9, 0.001, 3), true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kInconclusive);
  EXPECT_TRUE(has(d.reason, "too few")) << d.reason;
  d = decide_benchmark(reps(3011, 0.001, 3), reps(3011 * 0.6, 0.001, 3), true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kWorse);
  EXPECT_TRUE(has(d.reason, "huge-effect")) << d.reason;
  d = decide_benchmark(V{3011}, V{3011 * 0.99}, true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kSame) << "below min effect is same even with one sample";
}

TEST(CompareDecide, MissingSamplesOrZeroReferenceAreInconclusive) {
  BenchDecision d = decide_benchmark(V{}, reps(1, 0.01), true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kInconclusive);
  EXPECT_TRUE(has(d.reason, "no samples in A")) << d.reason;
  d = decide_benchmark(reps(1, 0.01), V{}, true, {});
  EXPECT_TRUE(has(d.reason, "no samples in B")) << d.reason;
  d = decide_benchmark(V{0, 0, 0}, V{1, 1, 1}, true, {});
  EXPECT_EQ(d.verdict, BenchVerdict::kInconclusive);
  EXPECT_FALSE(d.ratio.has_value());
  EXPECT_TRUE(has(d.reason, "no ratio")) << d.reason;
}

TEST(CompareDecide, OptionsChangeTheThresholds) {
  CompareOptions loose;
  loose.min_effect = 0.10;
  EXPECT_EQ(decide_benchmark(reps(3011, 0.001), reps(3011 * 0.95, 0.001), true, loose).verdict,
            BenchVerdict::kSame);
  CompareOptions strict;
  strict.alpha = 1e-9;  // unreachable with 10 vs 10
  EXPECT_EQ(decide_benchmark(reps(3011, 0.001), reps(3011 * 0.95, 0.001), true, strict).verdict,
            BenchVerdict::kInconclusive);
}

// ---- compare_runs: whole documents ----

TEST(Compare, IdenticalRunsAreSameAndExitZero) {
  const Comparison c = compare_runs(doc(), doc());
  ASSERT_EQ(c.benchmarks.size(), 1u);
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kSame);
  EXPECT_TRUE(c.environment.empty());
  EXPECT_EQ(c.count(CheckChange::kSame), 2u);
  EXPECT_TRUE(c.regressions.empty());
  EXPECT_EQ(c.exit_code(), 0);
  EXPECT_FALSE(c.neither_has_gpu);
}

TEST(Compare, SlowerBenchmarkIsARegression) {
  json b = doc();
  b["benchmarks"][0]["samples"] = reps(3011 * 0.95, 0.001);
  const Comparison c = compare_runs(doc(), b, {}, "base.json", "night.json");
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kWorse);
  EXPECT_NEAR(*c.benchmarks[0].ratio, 0.95, 1e-9);
  EXPECT_EQ(c.benchmarks[0].n_reference, 10u);
  EXPECT_NEAR(*c.benchmarks[0].cv_candidate, 0.000673, 1e-6);
  ASSERT_EQ(c.regressions.size(), 1u);
  EXPECT_TRUE(has(c.regressions[0], "stream-triad gpu0")) << c.regressions[0];
  EXPECT_EQ(c.exit_code(), 1);
  EXPECT_EQ(c.reference.label, "base.json");
  EXPECT_EQ(c.candidate.label, "night.json");
}

TEST(Compare, BenchmarksMatchByIdDeviceAndParams) {
  json a = doc(), b = doc();
  a["benchmarks"] = json::array({bench("gemm", reps(790, 0.001), {{"precision", "bf16"}}),
                                 bench("gemm", reps(60, 0.001), {{"precision", "fp64"}})});
  // Same entries in another order, plus one on another device.
  json other_device = bench("gemm", reps(790, 0.001), {{"precision", "bf16"}});
  other_device["device"] = 1;
  b["benchmarks"] =
      json::array({bench("gemm", reps(60, 0.001), {{"precision", "fp64"}}),
                   bench("gemm", reps(790, 0.001), {{"precision", "bf16"}}), other_device});
  const Comparison c = compare_runs(a, b);
  ASSERT_EQ(c.benchmarks.size(), 3u);
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kSame);
  EXPECT_EQ(c.benchmarks[1].verdict, BenchVerdict::kSame);
  EXPECT_EQ(c.benchmarks[2].verdict, BenchVerdict::kAdded);
  EXPECT_EQ(c.benchmarks[2].device, 1);
  EXPECT_EQ(c.exit_code(), 0);
}

TEST(Compare, AddedAndRemovedBenchmarksAreListedNotRegressions) {
  json b = doc();
  b["benchmarks"] = json::array({bench("memcpy-h2d", reps(53, 0.002))});
  const Comparison c = compare_runs(doc(), b);
  ASSERT_NE(find_bench(c, "stream-triad"), nullptr);
  EXPECT_EQ(find_bench(c, "stream-triad")->verdict, BenchVerdict::kRemoved);
  EXPECT_EQ(find_bench(c, "stream-triad")->reason, "only in A");
  EXPECT_EQ(find_bench(c, "memcpy-h2d")->verdict, BenchVerdict::kAdded);
  EXPECT_EQ(c.exit_code(), 0);
}

TEST(Compare, RepeatedKeysPairByOccurrence) {
  json a = doc();
  a["benchmarks"] = json::array({bench("x", reps(100, 0.001)), bench("x", reps(200, 0.001))});
  const Comparison c = compare_runs(a, a);
  ASSERT_EQ(c.benchmarks.size(), 2u);
  EXPECT_EQ(c.count(BenchVerdict::kSame), 2u);
}

TEST(Compare, CheckThatWentToFailIsARegression) {
  json b = doc();
  b["checks"][1]["status"] = "FAIL";
  b["checks"][1]["message"] = "open /dev/nvidia0: EPERM";
  const Comparison c = compare_runs(doc(), b);
  const CheckComparison* k = find_check(c, "device-access");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->change, CheckChange::kRegressed);
  EXPECT_EQ(k->status_reference, "PASS");
  EXPECT_EQ(k->status_candidate, "FAIL");
  ASSERT_EQ(c.regressions.size(), 1u);
  EXPECT_TRUE(has(c.regressions[0], "device-access: PASS -> FAIL: open /dev/nvidia0: EPERM"))
      << c.regressions[0];
  EXPECT_EQ(c.exit_code(), 1);
}

TEST(Compare, CheckStatusChangesAreClassified) {
  json a = doc(), b = doc();
  a["checks"] = json::array({check("c1", "FAIL"), check("c2", "WARN"), check("c3", "PASS"),
                             check("c4", "SKIP"), check("c5", "PASS")});
  b["checks"] = json::array({check("c1", "PASS"), check("c2", "PASS"), check("c3", "WARN"),
                             check("c4", "PASS"), check("c6", "PASS"), check("c7", "FAIL")});
  const Comparison c = compare_runs(a, b);
  EXPECT_EQ(find_check(c, "c1")->change, CheckChange::kImproved);
  EXPECT_EQ(find_check(c, "c2")->change, CheckChange::kImproved);
  EXPECT_EQ(find_check(c, "c3")->change, CheckChange::kWorse);
  EXPECT_EQ(find_check(c, "c4")->change, CheckChange::kChanged);
  EXPECT_EQ(find_check(c, "c5")->change, CheckChange::kRemoved);
  EXPECT_EQ(find_check(c, "c6")->change, CheckChange::kAdded);
  // A new check that fails is a failure of the candidate.
  EXPECT_EQ(find_check(c, "c7")->change, CheckChange::kRegressed);
  ASSERT_EQ(c.regressions.size(), 1u);
  EXPECT_TRUE(has(c.regressions[0], "c7: (new) -> FAIL")) << c.regressions[0];
}

TEST(Compare, EnvironmentDifferencesComeInTheDocumentedOrder) {
  json b = doc();
  b["environment"]["mode"] = "container";
  b["environment"]["engine"] = "podman";
  b["environment"]["injection"] = "cdi";
  b["environment"]["nvidia_env"]["NVIDIA_VISIBLE_DEVICES"] = "all";
  b["driver"]["version"] = "560.35.03";
  b["driver"]["cuda_driver_version"] = 12060;
  b["devices"][0]["name"] = "NVIDIA A100-SXM4-80GB";
  b["host"]["hostname"] = "other";
  const Comparison c = compare_runs(doc(), b);
  std::vector<std::string> fields;
  for (const EnvDifference& d : c.environment) fields.push_back(d.field);
  const std::vector<std::string> expected{"environment.mode",
                                          "environment.engine",
                                          "environment.injection",
                                          "driver.version",
                                          "driver.cuda_driver_version",
                                          "devices[0].name",
                                          "environment.nvidia_env.NVIDIA_VISIBLE_DEVICES",
                                          "host.hostname"};
  EXPECT_EQ(fields, expected);
  EXPECT_EQ(c.environment[0].reference, "baremetal");
  EXPECT_EQ(c.environment[0].candidate, "container");
  EXPECT_TRUE(c.environment[6].reference.is_null());
  EXPECT_EQ(c.exit_code(), 0) << "environment differences alone are not regressions";
}

TEST(Compare, DeviceCountDifferenceIsListed) {
  json b = doc();
  b["devices"] = json::array();
  const Comparison c = compare_runs(doc(), b);
  ASSERT_GE(c.environment.size(), 2u);
  EXPECT_EQ(c.environment[0].field, "devices.count");
  EXPECT_EQ(c.environment[1].field, "devices[0].name");
}

TEST(Compare, NeitherRunHadAGpu) {
  json a = doc();
  a["verdict"] = {{"status", "no-gpu"}, {"exit_code", 3}, {"summary", "no usable GPU: no nodes"}};
  a["benchmarks"] = json::array();
  const Comparison c = compare_runs(a, a);
  EXPECT_TRUE(c.neither_has_gpu);
  EXPECT_EQ(c.exit_code(), 0);
  json b = a;
  b["checks"][1]["status"] = "FAIL";
  const Comparison regressed = compare_runs(a, b);
  EXPECT_TRUE(regressed.neither_has_gpu);
  EXPECT_EQ(regressed.exit_code(), 1) << "a check regression still counts";
}

TEST(Compare, CandidateThatLostItsGpuIsARegression) {
  json b = doc();
  b["verdict"] = {{"status", "no-gpu"}, {"exit_code", 3}, {"summary", "no usable GPU: no nodes"}};
  b["benchmarks"] = json::array();
  const Comparison c = compare_runs(doc(), b);
  EXPECT_FALSE(c.neither_has_gpu);
  ASSERT_FALSE(c.regressions.empty());
  EXPECT_TRUE(has(c.regressions[0], "B has no usable GPU")) << c.regressions[0];
  EXPECT_EQ(c.exit_code(), 1);
  // The other way round (A had none, B has one) is not a regression.
  EXPECT_EQ(compare_runs(b, doc()).exit_code(), 0);
}

TEST(Compare, FailedOrUnverifiedCandidateBenchmarkIsWorse) {
  json b = doc();
  b["benchmarks"][0]["status"] = "FAIL";
  b["benchmarks"][0]["message"] = "triad result mismatch at 17";
  Comparison c = compare_runs(doc(), b);
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kWorse);
  EXPECT_TRUE(has(c.benchmarks[0].reason, "failed: triad result mismatch"))
      << c.benchmarks[0].reason;
  EXPECT_EQ(c.exit_code(), 1);

  b = doc();
  b["benchmarks"][0]["verified"] = false;
  c = compare_runs(doc(), b);
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kWorse);
  EXPECT_TRUE(has(c.benchmarks[0].reason, "not verified")) << c.benchmarks[0].reason;

  c = compare_runs(b, doc());
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kBetter);
  c = compare_runs(b, b);
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kInconclusive);
}

TEST(Compare, SkippedBenchmarkIsInconclusive) {
  json b = doc();
  b["benchmarks"][0]["status"] = "SKIP";
  b["benchmarks"][0]["samples"] = json::array();
  b["benchmarks"][0]["message"] = "FP8 needs sm_89";
  const Comparison c = compare_runs(doc(), b);
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kInconclusive);
  EXPECT_EQ(c.benchmarks[0].reason, "skipped in B: FP8 needs sm_89");
  EXPECT_EQ(c.exit_code(), 0);
}

TEST(Compare, DifferentUnitsAreNotCompared) {
  json b = doc();
  b["benchmarks"][0]["unit"] = "GiB/s";
  const Comparison c = compare_runs(doc(), b);
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kInconclusive);
  EXPECT_TRUE(has(c.benchmarks[0].reason, "units differ")) << c.benchmarks[0].reason;
}

TEST(Compare, HigherIsBetterIsInferredFromTimeUnits) {
  json a = doc(), b = doc();
  a["benchmarks"] = json::array({bench("launch", reps(2.0, 0.001), json::object(), "us")});
  b["benchmarks"] = json::array({bench("launch", reps(2.2, 0.001), json::object(), "us")});
  Comparison c = compare_runs(a, b);
  EXPECT_FALSE(c.benchmarks[0].higher_is_better);
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kWorse);
  // An explicit flag wins over the unit.
  a["benchmarks"][0]["higher_is_better"] = true;
  c = compare_runs(a, b);
  EXPECT_EQ(c.benchmarks[0].verdict, BenchVerdict::kBetter);
}

TEST(Compare, UnusableBenchmarkEntriesThrowNamingTheDocument) {
  auto error_of = [](const json& b) -> std::string {
    try {
      compare_runs(doc(), b, {}, "a.json", "b.json");
    } catch (const DocumentError& e) {
      return e.what();
    }
    return "";
  };
  json b = doc();
  b["benchmarks"][0]["samples"][3] = "fast";
  EXPECT_EQ(error_of(b), "b.json: benchmarks[0].samples[3] must be a number (found string)");
  b = doc();
  b["benchmarks"][0]["params"] = "bytes=1";
  EXPECT_TRUE(has(error_of(b), "b.json: benchmarks[0].params must be an object"));
  b = doc();
  b["benchmarks"][0]["device"] = "0";
  EXPECT_TRUE(has(error_of(b), "benchmarks[0].device must be an integer"));
  b = doc();
  b["benchmarks"][0]["higher_is_better"] = "yes";
  EXPECT_TRUE(has(error_of(b), "higher_is_better must be true or false"));
  b = doc();
  b["benchmarks"][0]["samples"] = 5;
  EXPECT_TRUE(has(error_of(b), "samples must be an array"));
}

TEST(Compare, DescribeParams) {
  EXPECT_EQ(describe_params(0, {{"bytes", 4096}, {"precision", "bf16"}}),
            "gpu0 bytes=4096 precision=bf16");
  EXPECT_EQ(describe_params(nullptr, json::object()), "");
}

// ---- the fixture documents used by the end-to-end test ----

json fixture(const std::string& name) {
  return read_run_document(std::string(GPUVAL_SOURCE_DIR) + "/tests/fixtures/compare/" + name);
}

TEST(CompareFixtures, ContainerWithSamePerformanceIsSame) {
  const Comparison c = compare_runs(fixture("baseline.json"), fixture("container_same.json"));
  EXPECT_EQ(c.count(BenchVerdict::kSame), 4u);
  EXPECT_EQ(c.environment.at(0).field, "environment.mode");
  EXPECT_EQ(c.exit_code(), 0);
}

TEST(CompareFixtures, ContainerWithSlowerTriadIsWorse) {
  const Comparison c = compare_runs(fixture("baseline.json"), fixture("container_slower.json"));
  EXPECT_EQ(find_bench(c, "stream-triad")->verdict, BenchVerdict::kWorse);
  EXPECT_EQ(find_bench(c, "memcpy-h2d")->verdict, BenchVerdict::kAdded);
  EXPECT_EQ(c.exit_code(), 1);
}

TEST(CompareFixtures, RecordedRunsWithoutGpu) {
  const Comparison same =
      compare_runs(fixture("recorded_nogpu_host.json"), fixture("recorded_nogpu_host.json"));
  EXPECT_TRUE(same.neither_has_gpu);
  EXPECT_EQ(same.exit_code(), 0);
  const Comparison container =
      compare_runs(fixture("recorded_nogpu_host.json"), fixture("recorded_nogpu_container.json"));
  EXPECT_TRUE(container.neither_has_gpu);
  EXPECT_EQ(find_check(container, "nvidia-visible-devices")->change, CheckChange::kRegressed);
  EXPECT_EQ(container.exit_code(), 1);
}

}  // namespace
}  // namespace gpuval::compare
