// Descriptive statistics of benchmark repetitions and the Mann–Whitney U test used by
// `gpuval compare` (the same test Google Benchmark's compare.py uses). Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <span>

namespace gpuval::stats {

// Each returns 0 for an empty sample (callers check the size first when that matters).
double median(std::span<const double> xs);
double min(std::span<const double> xs);
double max(std::span<const double> xs);
double mean(std::span<const double> xs);
// Sample standard deviation (n - 1 in the denominator); 0 with fewer than two values.
double stddev(std::span<const double> xs);
// Coefficient of variation stddev / |mean|; 0 when the mean is 0.
double coefficient_of_variation(std::span<const double> xs);

struct Summary {
  std::size_t n = 0;
  double median = 0, min = 0, max = 0, mean = 0, stddev = 0, cv = 0;
};
Summary summarize(std::span<const double> xs);

// Two-sided Mann–Whitney U test of "a and b come from the same distribution".
struct MannWhitney {
  double u = 0;        // U of the first sample: pairs (x in a, y in b) with x > y, ties count 1/2
  double p_value = 1;  // two-sided
  bool exact = false;  // exact null distribution (else normal approximation)
};

// Sample sizes up to this use the exact distribution when there are no ties.
inline constexpr std::size_t kExactMaxSize = 20;

// Exact distribution for n1, n2 <= kExactMaxSize without ties; otherwise the normal approximation
// with tie and continuity correction. Matches scipy.stats.mannwhitneyu(a, b,
// alternative="two-sided", method="exact" resp. "asymptotic"). Either sample empty: p = 1.
MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b);

// The smallest two-sided p-value the test can give for these sample sizes (no ties): when it
// exceeds alpha, no difference can be significant and the test cannot decide.
double min_attainable_p(std::size_t n1, std::size_t n2);

}  // namespace gpuval::stats
