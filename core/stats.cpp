#include "core/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

namespace gpuval::stats {
namespace {

// Number of ways to choose k of n (exact in a double up to C(40, 20) ~ 1.4e11 < 2^53).
double binomial(std::size_t n, std::size_t k) {
  k = std::min(k, n - k);
  double r = 1;
  for (std::size_t i = 1; i <= k; ++i) {
    r = r * static_cast<double>(n - k + i) / static_cast<double>(i);
  }
  return std::round(r);
}

// counts[u] = number of orderings of n1 + n2 distinct values in which the first sample's U is u.
// Recurrence on the largest value: it belongs to sample 1 (beats all n2 of sample 2, adding n2)
// or to sample 2 (adds nothing): f(i, j, u) = f(i - 1, j, u - j) + f(i, j - 1, u).
std::vector<double> exact_u_counts(std::size_t n1, std::size_t n2) {
  std::vector<std::vector<std::vector<double>>> f(n1 + 1, std::vector<std::vector<double>>(n2 + 1));
  for (std::size_t i = 0; i <= n1; ++i) {
    for (std::size_t j = 0; j <= n2; ++j) {
      std::vector<double>& cur = f[i][j];
      cur.assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        cur[0] = 1;
        continue;
      }
      const std::vector<double>& without_a = f[i - 1][j];
      const std::vector<double>& without_b = f[i][j - 1];
      for (std::size_t u = 0; u < cur.size(); ++u) {
        if (u >= j && u - j < without_a.size()) cur[u] += without_a[u - j];
        if (u < without_b.size()) cur[u] += without_b[u];
      }
    }
  }
  return f[n1][n2];
}

// Upper tail of the standard normal distribution.
double normal_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// Mid-ranks (1-based) of the pooled sample and the tie term sum(t^3 - t) over groups of ties.
std::pair<std::vector<double>, double> pooled_ranks(const std::vector<double>& pooled) {
  std::vector<std::size_t> order(pooled.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t x, std::size_t y) { return pooled[x] < pooled[y]; });
  std::vector<double> ranks(pooled.size());
  double tie_term = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && pooled[order[j + 1]] == pooled[order[i]]) ++j;
    const double mid_rank = static_cast<double>(i + j) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = mid_rank;
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }
  return {ranks, tie_term};
}

double asymptotic_p(double u_max, std::size_t n1, std::size_t n2, double tie_term) {
  const double a = static_cast<double>(n1), b = static_cast<double>(n2), n = a + b;
  const double variance = a * b / 12.0 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) return 1.0;  // every value tied: no evidence of a difference
  const double z = (u_max - a * b / 2.0 - 0.5) / std::sqrt(variance);
  return std::clamp(2.0 * normal_sf(z), 0.0, 1.0);
}

}  // namespace

double median(std::span<const double> xs) {
  if (xs.empty()) return 0;
  std::vector<double> v(xs.begin(), xs.end());
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2.0;
}

double min(std::span<const double> xs) {
  return xs.empty() ? 0 : *std::min_element(xs.begin(), xs.end());
}

double max(std::span<const double> xs) {
  return xs.empty() ? 0 : *std::max_element(xs.begin(), xs.end());
}

double mean(std::span<const double> xs) {
  if (xs.empty()) return 0;
  return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

double stddev(std::span<const double> xs) {
  if (xs.size() < 2) return 0;
  const double m = mean(xs);
  double sum_sq = 0;
  for (double x : xs) sum_sq += (x - m) * (x - m);
  return std::sqrt(sum_sq / static_cast<double>(xs.size() - 1));
}

double coefficient_of_variation(std::span<const double> xs) {
  const double m = mean(xs);
  return m == 0 ? 0 : stddev(xs) / std::fabs(m);
}

Summary summarize(std::span<const double> xs) {
  return Summary{
      xs.size(), median(xs), min(xs), max(xs), mean(xs), stddev(xs), coefficient_of_variation(xs)};
}

MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  const std::size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0) return {};
  std::vector<double> pooled(a.begin(), a.end());
  pooled.insert(pooled.end(), b.begin(), b.end());
  const auto [ranks, tie_term] = pooled_ranks(pooled);
  const double rank_sum_a = std::accumulate(ranks.begin(), ranks.begin() + n1, 0.0);
  const double u1 = rank_sum_a - static_cast<double>(n1 * (n1 + 1)) / 2.0;
  const double u2 = static_cast<double>(n1 * n2) - u1;
  const double u_max = std::max(u1, u2);

  MannWhitney r;
  r.u = u1;
  if (n1 <= kExactMaxSize && n2 <= kExactMaxSize && tie_term == 0) {
    // Without ties U is an integer; p = 2 * P(U >= u_max), by symmetry of the null distribution.
    const std::vector<double> counts = exact_u_counts(n1, n2);
    const auto from = static_cast<std::size_t>(std::llround(u_max));
    double tail = 0;
    for (std::size_t u = from; u < counts.size(); ++u) tail += counts[u];
    r.p_value = std::clamp(2.0 * tail / binomial(n1 + n2, n1), 0.0, 1.0);
    r.exact = true;
  } else {
    r.p_value = asymptotic_p(u_max, n1, n2, tie_term);
  }
  return r;
}

double min_attainable_p(std::size_t n1, std::size_t n2) {
  if (n1 == 0 || n2 == 0) return 1.0;
  if (n1 <= kExactMaxSize && n2 <= kExactMaxSize) {
    return std::min(1.0, 2.0 / binomial(n1 + n2, n1));
  }
  return asymptotic_p(static_cast<double>(n1 * n2), n1, n2, 0.0);
}

}  // namespace gpuval::stats
