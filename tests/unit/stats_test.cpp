// Reference p-values below were computed with scipy 1.17 (scipy.stats.mannwhitneyu,
// alternative="two-sided", method="exact" or "asymptotic" as the test says).
#include "core/stats.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace gpuval::stats {
namespace {

using V = std::vector<double>;

TEST(Stats, MedianOfOddEvenUnsortedAndEmpty) {
  EXPECT_DOUBLE_EQ(median(V{3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median(V{4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median(V{7}), 7);
  EXPECT_DOUBLE_EQ(median(V{}), 0);
}

TEST(Stats, DescriptiveStatistics) {
  const V xs{2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(min(xs), 2);
  EXPECT_DOUBLE_EQ(max(xs), 9);
  EXPECT_DOUBLE_EQ(mean(xs), 5);
  EXPECT_NEAR(stddev(xs), 2.138089935299395, 1e-12);  // sample stddev, n - 1
  EXPECT_NEAR(coefficient_of_variation(xs), 2.138089935299395 / 5, 1e-12);
  const Summary s = summarize(xs);
  EXPECT_EQ(s.n, 8u);
  EXPECT_DOUBLE_EQ(s.median, 4.5);
  EXPECT_DOUBLE_EQ(s.mean, 5);
}

TEST(Stats, DegenerateSamplesGiveZeroNotNan) {
  EXPECT_DOUBLE_EQ(stddev(V{3}), 0);
  EXPECT_DOUBLE_EQ(stddev(V{}), 0);
  EXPECT_DOUBLE_EQ(coefficient_of_variation(V{0, 0}), 0);
  EXPECT_DOUBLE_EQ(mean(V{}), 0);
  EXPECT_DOUBLE_EQ(min(V{}), 0);
  EXPECT_DOUBLE_EQ(max(V{}), 0);
}

TEST(Stats, MannWhitneyExactSmallSeparatedSamples) {
  const MannWhitney r = mann_whitney_u(V{1, 2, 3}, V{4, 5, 6});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 0);
  EXPECT_NEAR(r.p_value, 0.1, 1e-12);
}

TEST(Stats, MannWhitneyExactOverlappingUnequalSizes) {
  const MannWhitney r = mann_whitney_u(V{1.1, 2.3, 3.5, 4.2, 5.9}, V{2.0, 3.1, 4.8, 6.3, 7.7, 8.4});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 8);
  EXPECT_NEAR(r.p_value, 0.24675324675324672, 1e-12);
}

TEST(Stats, MannWhitneyExactTwelveVsTwelve) {
  V a, b;
  for (int i = 0; i < 12; ++i) {
    a.push_back(i);
    b.push_back(i + 0.5);
  }
  const MannWhitney r = mann_whitney_u(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 66);
  EXPECT_NEAR(r.p_value, 0.7552848282421576, 1e-12);
}

TEST(Stats, MannWhitneyTenVsTenFullySeparatedIsTwoOverBinomial) {
  V a, b;
  for (int i = 0; i < 10; ++i) {
    a.push_back(3000 + i);
    b.push_back(2850 + i);
  }
  const MannWhitney r = mann_whitney_u(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 100);
  EXPECT_NEAR(r.p_value, 2.0 / 184756.0, 1e-18);  // 1.0825e-05
}

TEST(Stats, MannWhitneyTiesUseNormalApproximationWithTieCorrection) {
  const MannWhitney r = mann_whitney_u(V{1, 2, 2, 3, 3, 3, 4}, V{2, 3, 3, 4, 4, 5, 5, 6});
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 11);
  EXPECT_NEAR(r.p_value, 0.04988443697992588, 1e-12);
}

TEST(Stats, MannWhitneyLargeSamplesUseNormalApproximation) {
  V a, b;
  for (int i = 0; i < 21; ++i) {
    a.push_back(i);
    b.push_back(i + 3.5);
  }
  MannWhitney r = mann_whitney_u(a, b);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 153);
  EXPECT_NEAR(r.p_value, 0.09190475432879934, 1e-12);

  a.clear();
  b.clear();
  for (int i = 0; i < 25; ++i) {
    a.push_back(i);
    b.push_back(i + 7.5);
  }
  r = mann_whitney_u(a, b);
  EXPECT_FALSE(r.exact);
  EXPECT_NEAR(r.p_value, 0.002035157807278379, 1e-12);
}

TEST(Stats, MannWhitneyIsSymmetricInItsSamples) {
  const V a{1.1, 2.3, 3.5, 4.2, 5.9}, b{2.0, 3.1, 4.8, 6.3, 7.7, 8.4};
  const MannWhitney ab = mann_whitney_u(a, b), ba = mann_whitney_u(b, a);
  EXPECT_DOUBLE_EQ(ab.p_value, ba.p_value);
  EXPECT_DOUBLE_EQ(ab.u + ba.u, 30);
}

TEST(Stats, MannWhitneyAllTiedOrEmptyGivesPOne) {
  EXPECT_DOUBLE_EQ(mann_whitney_u(V{5, 5, 5}, V{5, 5, 5, 5}).p_value, 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u(V{}, V{1, 2}).p_value, 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u(V{1, 2}, V{}).p_value, 1.0);
  // Identical samples without ties inside each: p = 1 (clipped), not above.
  EXPECT_DOUBLE_EQ(mann_whitney_u(V{1, 2, 3, 4}, V{1, 2, 3, 4}).p_value, 1.0);
}

TEST(Stats, MinAttainablePTellsWhenTheTestCannotDecide) {
  EXPECT_NEAR(min_attainable_p(3, 3), 0.1, 1e-12);       // never significant at 0.05
  EXPECT_NEAR(min_attainable_p(4, 4), 2.0 / 70, 1e-12);  // can be
  EXPECT_NEAR(min_attainable_p(1, 1), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(min_attainable_p(0, 5), 1.0);
  EXPECT_LT(min_attainable_p(30, 30), 1e-9);  // normal approximation
}

}  // namespace
}  // namespace gpuval::stats
