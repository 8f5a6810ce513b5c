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

TEST(GemmPrecisions, TolerancesFollowTheMethodBands) {
  for (const auto& spec : probes::kGemmPrecisions) {
    EXPECT_GT(spec.tolerance, 0.0) << spec.name;
    EXPECT_LE(spec.tolerance, 1e-2) << spec.name;
    EXPECT_FALSE(spec.why.empty()) << spec.name;
  }
  const auto& t = probes::kGemmPrecisions;
  EXPECT_LT(t[0].tolerance, t[1].tolerance);  // fp64 < fp32
  EXPECT_LT(t[1].tolerance, 1e-3);            // fp32 far under 1e-3
  EXPECT_GE(t[2].tolerance, 3e-4);            // tf32 at least its typical error
  EXPECT_GE(t[4].tolerance, 1e-3);            // bf16 inside 1e-3..1e-2
  EXPECT_EQ(t[5].min_cc, 89);                 // FP8 needs Ada / Hopper
  EXPECT_EQ(probes::kGemmShape.m % 16, 0);    // FP8 cuBLASLt wants multiples of 16
  EXPECT_EQ(probes::kGemmShape.n % 16, 0);
  EXPECT_EQ(probes::kGemmShape.k % 16, 0);
}

// The probes' fault injection must make the comparison fail at every precision's tolerance, even
// when the rest of the result carries that precision's typical error.
TEST(GemmPrecisions, TheInjectedFaultFailsAtEveryTolerance) {
  for (const auto& spec : probes::kGemmPrecisions) {
    Pair p = noisy(256 * 192, spec.tolerance / 4, 3);
    ASSERT_TRUE(compare_to_reference(p.out.data(), p.ref.data(), p.out.size(), spec.tolerance).pass)
        << spec.name;
    const std::size_t at = probes::corrupt_one_element(p.out, p.ref);
    const Comparison c =
        compare_to_reference(p.out.data(), p.ref.data(), p.out.size(), spec.tolerance);
    EXPECT_FALSE(c.pass) << spec.name;
    EXPECT_EQ(c.first_bad, at) << spec.name;
  }
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
