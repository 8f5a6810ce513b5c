#include "core/numeric_compare.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "probes/gemm_precisions.hpp"
#include "probes/probe_json.hpp"

namespace gpuval {
namespace {

// A GEMM-like reference (sums of random signed products) and an output off by relative noise.
struct Pair {
  std::vector<double> ref;
  std::vector<double> out;
};
Pair noisy(std::size_t n, double relative_noise, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> value(0.0, 7.0);
  std::normal_distribution<double> noise(0.0, 1.0);
  Pair p{std::vector<double>(n), std::vector<double>(n)};
  for (std::size_t i = 0; i < n; ++i) {
    p.ref[i] = value(rng);
    p.out[i] = p.ref[i] + relative_noise * 7.0 * noise(rng);
  }
  return p;
}

TEST(NumericCompare, PassesWithinTolerance) {
  Pair p = noisy(4096, 1e-4);
  const Comparison c = compare_to_reference(p.out.data(), p.ref.data(), p.out.size(), 1e-3);
  EXPECT_TRUE(c.pass);
  EXPECT_GT(c.rel_error, 5e-5);
  EXPECT_LT(c.rel_error, 2e-4);
  EXPECT_EQ(c.bad_elements, 0u);
  EXPECT_EQ(c.first_bad, kNoIndex);
}

TEST(NumericCompare, FailsAboveTolerance) {
  Pair p = noisy(4096, 1e-2);
  const Comparison c = compare_to_reference(p.out.data(), p.ref.data(), p.out.size(), 1e-3);
  EXPECT_FALSE(c.pass);
  EXPECT_GT(c.rel_error, 1e-3);
}

TEST(NumericCompare, OneNanFailsAndMakesTheErrorInfinite) {
  Pair p = noisy(1000, 0.0);
  p.out[123] = std::numeric_limits<double>::quiet_NaN();
  const Comparison c = compare_to_reference(p.out.data(), p.ref.data(), p.out.size(), 1.0);
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.non_finite, 1u);
  EXPECT_TRUE(std::isinf(c.rel_error));
  EXPECT_EQ(c.first_bad, 123u);
  EXPECT_TRUE(std::isnan(c.first_bad_value));
}

TEST(NumericCompare, InfinityFails) {
  Pair p = noisy(100, 0.0);
  p.out[5] = -std::numeric_limits<double>::infinity();
  EXPECT_FALSE(compare_to_reference(p.out.data(), p.ref.data(), p.out.size(), 1.0).pass);
}

TEST(NumericCompare, ANanReferenceFailsToo) {
  Pair p = noisy(100, 0.0);
  p.ref[7] = std::numeric_limits<double>::quiet_NaN();
  const Comparison c = compare_to_reference(p.out.data(), p.ref.data(), p.out.size(), 1.0);
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.ref_non_finite, 1u);
}

TEST(NumericCompare, OneWrongElementFailsEvenWhenTheNormwiseErrorIsSmall) {
  Pair p = noisy(256 * 192, 0.0);
  p.out[4000] = p.ref[4000] + 10.0;  // one element off by ~1.4 rms
  const Comparison c = compare_to_reference(p.out.data(), p.ref.data(), p.out.size(), 1e-2);
  EXPECT_LT(c.rel_error, 1e-2) << "the norm alone would have passed it";
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.bad_elements, 1u);
  EXPECT_EQ(c.first_bad, 4000u);
}

TEST(NumericCompare, NothingToCompareNeverPasses) {
  const double one = 1.0;
  EXPECT_FALSE(compare_to_reference(&one, &one, 0, 1e-3).pass);
  const double* none = nullptr;
  EXPECT_FALSE(compare_to_reference(none, &one, 1, 1e-3).pass);
  EXPECT_FALSE(compare_to_reference(&one, &one, 1, 0.0).pass) << "a zero tolerance is a bug";
  EXPECT_FALSE(compare_to_reference(&one, &one, 1, std::nan("")).pass);
}

TEST(NumericCompare, AllZeroReferencePassesOnlyExactZeros) {
  const std::vector<double> zeros(8, 0.0);
  std::vector<double> out(8, 0.0);
  EXPECT_FALSE(compare_to_reference(out.data(), zeros.data(), 8, 1e-3).pass)
      << "a zero reference means the inputs were zeros: never a valid test";
  out[3] = 1e-9;
  EXPECT_TRUE(std::isinf(compare_to_reference(out.data(), zeros.data(), 8, 1e-3).rel_error));
}

TEST(NumericCompare, ExactComparisonIsBitForBit) {
  std::vector<float> expected = {1.0f, -2.5f, 0.0f, 3.25f};
  std::vector<float> out = expected;
  EXPECT_TRUE(compare_exact(out.data(), expected.data(), out.size()).pass);
  out[2] = -0.0f;  // equal as numbers, different bits
  ExactComparison c = compare_exact(out.data(), expected.data(), out.size());
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.first_bad, 2u);
  out = expected;
  out[3] = std::nextafter(3.25f, 4.0f);
  EXPECT_EQ(compare_exact(out.data(), expected.data(), out.size()).mismatches, 1u);
}

TEST(NumericCompare, ExactComparisonNeverPassesNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> a = {nan};
  EXPECT_FALSE(compare_exact(a.data(), a.data(), 1).pass) << "the same NaN bits still fail";
  EXPECT_FALSE(compare_exact(a.data(), a.data(), 0).pass);
}

TEST(GemmPrecisions, EveryPrecisionHasAModelAndTheFp8ShapeRules) {
  for (const auto& spec : probes::kGemmPrecisions) {
    ASSERT_NE(spec.model, nullptr) << spec.name;
    EXPECT_FALSE(spec.model->id.empty()) << spec.name;
    EXPECT_FALSE(spec.why.empty()) << spec.name;
    EXPECT_GT(spec.model->u_acc, 0.0) << spec.name;
  }
  const auto& t = probes::kGemmPrecisions;
  EXPECT_TRUE(t[2].model->tf32_cut) << "only TF32 cuts its operands";
  EXPECT_FALSE(t[1].model->tf32_cut);
  EXPECT_EQ(t[5].min_cc, 89);               // FP8 needs Ada / Hopper
  EXPECT_EQ(probes::kGemmShape.m % 16, 0);  // FP8 cuBLASLt wants multiples of 16
  EXPECT_EQ(probes::kGemmShape.n % 16, 0);
  EXPECT_EQ(probes::kGemmShape.k % 16, 0);
}

TEST(NumericCompare, BoundsHoldEachElementAndTheNorm) {
  const std::vector<double> ref = {1.0, -2.0, 3.0, 0.5};
  const std::vector<double> bound = {0.1, 0.1, 0.1, 0.1};
  const std::vector<double> budget = {0.05, 0.05, 0.05, 0.05};  // ||budget|| = 0.1
  std::vector<double> out = {1.05, -2.0, 3.0, 0.5};
  Comparison c = compare_to_bounds(out.data(), ref.data(), bound.data(), budget.data(), 4);
  EXPECT_TRUE(c.pass);
  EXPECT_NEAR(c.margin, 0.5, 1e-12);
  EXPECT_EQ(c.worst, 0u);
  EXPECT_NEAR(c.norm_margin, 0.5, 1e-12);
  EXPECT_NEAR(c.tolerance, 0.1 / std::sqrt(14.25), 1e-15);
  out[2] = 3.0 + 0.11;  // one element over its bound
  c = compare_to_bounds(out.data(), ref.data(), bound.data(), budget.data(), 4);
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.bad_elements, 1u);
  EXPECT_EQ(c.first_bad, 2u);
  EXPECT_EQ(c.worst, 2u);
  // Every element within its bound, but the error over the norm budget.
  out = {1.09, -2.09, 3.09, 0.59};
  c = compare_to_bounds(out.data(), ref.data(), bound.data(), budget.data(), 4);
  EXPECT_EQ(c.bad_elements, 0u);
  EXPECT_GT(c.norm_margin, 1.0);
  EXPECT_FALSE(c.pass);
}

TEST(NumericCompare, BoundsNeverPassNanOrABrokenBound) {
  const std::vector<double> ref = {1.0, 2.0};
  std::vector<double> bound = {0.1, 0.1};
  const std::vector<double> budget = {0.1, 0.1};
  std::vector<double> out = {1.0, std::numeric_limits<double>::quiet_NaN()};
  Comparison c = compare_to_bounds(out.data(), ref.data(), bound.data(), budget.data(), 2);
  EXPECT_FALSE(c.pass);
  EXPECT_EQ(c.non_finite, 1u);
  EXPECT_TRUE(std::isinf(c.margin));
  EXPECT_EQ(c.first_bad, 1u);
  out = ref;
  bound[0] = 0.0;  // a zero or NaN bound is a model bug
  EXPECT_FALSE(compare_to_bounds(out.data(), ref.data(), bound.data(), budget.data(), 2).pass);
  bound[0] = std::nan("");
  EXPECT_FALSE(compare_to_bounds(out.data(), ref.data(), bound.data(), budget.data(), 2).pass);
  EXPECT_FALSE(compare_to_bounds(out.data(), ref.data(), bound.data(), budget.data(), 0).pass);
}

TEST(ProbeJson, BoundCaseJsonRecordsTheMarginsAndTheNormwiseTolerance) {
  const std::vector<double> ref = {1.0, 2.0};
  const std::vector<double> bound = {0.2, 0.2};
  const std::vector<double> budget = {0.1, 0.1};
  const std::vector<double> out = {1.1, 2.0};
  const auto j = probes::bound_case_json(
      "fp16", compare_to_bounds(out.data(), ref.data(), bound.data(), budget.data(), 2));
  EXPECT_EQ(j["status"], "PASS");
  EXPECT_NEAR(j["margin"].get<double>(), 0.5, 1e-12);
  EXPECT_EQ(j["worst"]["index"], 0);
  // rel_error <= tolerance is the normwise criterion, as validate/gpu/probe_outcome.cpp reads it.
  EXPECT_LE(j["rel_error"].get<double>(), j["tolerance"].get<double>());
  EXPECT_NEAR(j["tolerance"].get<double>(), std::sqrt(0.02) / std::sqrt(5.0), 1e-15);
}

TEST(ProbeJson, CaseJsonRecordsNanAsNullWithText) {
  std::vector<double> ref = {1.0, 2.0};
  std::vector<double> out = {1.0, std::numeric_limits<double>::quiet_NaN()};
  const auto j = probes::comparison_case_json(
      "fp16", 1e-3, compare_to_reference(out.data(), ref.data(), 2, 1e-3));
  EXPECT_EQ(j["status"], "FAIL");
  EXPECT_TRUE(j["rel_error"].is_null());
  EXPECT_EQ(j["non_finite"], 1);
  EXPECT_EQ(j["first_bad"]["index"], 1);
  EXPECT_EQ(j["first_bad"]["got_text"], "NaN");
  EXPECT_EQ(j["first_bad"]["expected"], 2.0);
}

TEST(ProbeJson, GuardedTurnsEveryExceptionIntoAnErrorObject) {
  auto r = probes::guarded(nlohmann::json::object(), [](nlohmann::json&) {
    throw CudaError(CudaLibrary::Cublas, 15, "CUBLAS_STATUS_NOT_SUPPORTED", "not supported",
                    "cublasLtMatmul(...)", "/x/y/cublas_probe.cpp", 12);
  });
  EXPECT_EQ(r["error"]["name"], "CUBLAS_STATUS_NOT_SUPPORTED");
  EXPECT_EQ(r["error"]["library"], "cuBLAS");
  EXPECT_EQ(r["error"]["where"], "cublas_probe.cpp:12");
  r = probes::guarded(nlohmann::json::object(),
                      [](nlohmann::json&) { throw std::runtime_error("boom"); });
  EXPECT_EQ(r["error"]["description"], "boom");
  r = probes::guarded(nlohmann::json::object(), [](nlohmann::json&) { throw 42; });
  EXPECT_EQ(r["error"]["name"], "exception");
  r = probes::guarded(nlohmann::json::object(), [](nlohmann::json& x) { x["ok"] = true; });
  EXPECT_FALSE(r.contains("error"));
}

TEST(ProbeJson, CStringRoundTrips) {
  char* text = probes::to_c_string({{"a", 1}});
  ASSERT_NE(text, nullptr);
  EXPECT_STREQ(text, R"({"a":1})");
  probes::free_c_string(text);
}

}  // namespace
}  // namespace gpuval
