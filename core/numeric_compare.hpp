// Comparing a GPU result with a reference, element by element, so that a wrong element, an
// unwritten (poisoned) element or a NaN can never pass. Two forms:
//
// compare_to_reference (one tolerance; the cuDNN convolution checks), both criteria required:
//   normwise:     ||out - ref||_2 / ||ref||_2 <= tolerance
//   elementwise:  |out_i - ref_i| <= kElementFactor * tolerance * (rms(ref) + |ref_i|)
// The normwise error alone hides one corrupted element among many (one element 100 % off in a
// 256x192 GEMM moves the norm by ~0.5 %); the elementwise bound, scaled by rms(ref) so elements
// near zero after cancellation are not held to a relative bound they cannot meet, catches it.
//
// compare_to_bounds (a bound per element from an error model; GEMM, probes/gemm_error_model.hpp):
//   elementwise:  |out_i - ref_i| <= bound_i
//   normwise:     ||out - ref||_2 <= ||budget||_2 (budget_i: the element's share of the norm)
// and records the margin, max |out_i - ref_i| / bound_i: the headroom a correct device leaves.
//
// Every test is written as !(error <= bound) so a NaN anywhere fails.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

namespace gpuval {

inline constexpr std::size_t kNoIndex = std::numeric_limits<std::size_t>::max();
inline constexpr double kElementFactor = 10.0;

struct Comparison {
  std::size_t count = 0;
  double rel_error = 0.0;      // normwise; +inf when out has a non-finite element
  double max_abs_error = 0.0;  // NaN-aware: +inf when any element is non-finite
  double ref_rms = 0.0;
  std::size_t non_finite = 0;      // NaN/Inf elements in out
  std::size_t ref_non_finite = 0;  // NaN/Inf elements in the reference (a reference bug)
  std::size_t bad_elements = 0;    // elements outside the elementwise bound (non-finite included)
  std::size_t first_bad = kNoIndex;
  double first_bad_value = 0.0;
  double first_bad_expected = 0.0;
  // compare_to_bounds only:
  bool bounded = false;
  double tolerance = 0.0;        // ||budget||_2 / ||ref||_2: the normwise bound as a relative error
  double margin = 0.0;           // max_i |out_i - ref_i| / bound_i (+inf when any is not finite)
  std::size_t worst = kNoIndex;  // where the margin is reached
  double worst_error = 0.0;
  double worst_bound = 0.0;
  double norm_margin = 0.0;    // ||out - ref||_2 / ||budget||_2
  std::size_t bad_bounds = 0;  // bounds or budgets not finite or not > 0 (a model bug)
  bool pass = false;
};

template <typename Out, typename Ref>
Comparison compare_to_reference(const Out* out, const Ref* ref, std::size_t n, double tolerance) {
  Comparison c;
  c.count = n;
  if (n == 0 || out == nullptr || ref == nullptr || !(tolerance > 0.0)) return c;  // never passes

  double ref_sq = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = static_cast<double>(ref[i]);
    if (!std::isfinite(r)) {
      ++c.ref_non_finite;
      continue;
    }
    ref_sq += r * r;
  }
  c.ref_rms = std::sqrt(ref_sq / static_cast<double>(n));

  double err_sq = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double o = static_cast<double>(out[i]);
    const double r = static_cast<double>(ref[i]);
    const double err = std::fabs(o - r);
    if (!std::isfinite(o)) ++c.non_finite;
    if (std::isfinite(err)) {
      err_sq += err * err;
      if (err > c.max_abs_error) c.max_abs_error = err;
    } else {
      c.max_abs_error = std::numeric_limits<double>::infinity();
    }
    const double bound = kElementFactor * tolerance * (c.ref_rms + std::fabs(r));
    if (!(err <= bound)) {
      if (c.first_bad == kNoIndex) {
        c.first_bad = i;
        c.first_bad_value = o;
        c.first_bad_expected = r;
      }
      ++c.bad_elements;
    }
  }
  const double ref_norm = std::sqrt(ref_sq);
  if (c.non_finite > 0) {
    c.rel_error = std::numeric_limits<double>::infinity();
  } else if (ref_norm > 0.0) {
    c.rel_error = std::sqrt(err_sq) / ref_norm;
  } else {
    c.rel_error = err_sq == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  }
  c.pass = c.non_finite == 0 && c.ref_non_finite == 0 && c.bad_elements == 0 &&
           c.rel_error <= tolerance && ref_norm > 0.0;
  return c;
}

// Element i must lie within bound[i] of ref[i], and ||out - ref||_2 <= ||budget||_2. `ref`,
// `bound` and `budget` hold n values; a bound that is not finite and positive never passes.
template <typename Out>
Comparison compare_to_bounds(const Out* out, const double* ref, const double* bound,
                             const double* budget, std::size_t n) {
  Comparison c;
  c.count = n;
  c.bounded = true;
  if (n == 0 || out == nullptr || ref == nullptr || bound == nullptr || budget == nullptr) {
    return c;  // never passes
  }
  double ref_sq = 0.0;
  double err_sq = 0.0;
  double budget_sq = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double o = static_cast<double>(out[i]);
    const double r = ref[i];
    if (!std::isfinite(r)) {
      ++c.ref_non_finite;
    } else {
      ref_sq += r * r;
    }
    if (!std::isfinite(o)) ++c.non_finite;
    if (!(std::isfinite(bound[i]) && bound[i] > 0.0 && std::isfinite(budget[i]) &&
          budget[i] > 0.0)) {
      ++c.bad_bounds;
    } else {
      budget_sq += budget[i] * budget[i];
    }
    const double err = std::fabs(o - r);
    if (std::isfinite(err)) {
      err_sq += err * err;
      if (err > c.max_abs_error) c.max_abs_error = err;
    } else {
      c.max_abs_error = std::numeric_limits<double>::infinity();
    }
    const double ratio = err / bound[i];
    if (!(ratio <= c.margin)) {  // NaN and +inf take the margin too
      c.margin = std::isnan(ratio) ? std::numeric_limits<double>::infinity() : ratio;
      c.worst = i;
      c.worst_error = err;
      c.worst_bound = bound[i];
    }
    if (!(err <= bound[i])) {
      if (c.first_bad == kNoIndex) {
        c.first_bad = i;
        c.first_bad_value = o;
        c.first_bad_expected = r;
      }
      ++c.bad_elements;
    }
  }
  c.ref_rms = std::sqrt(ref_sq / static_cast<double>(n));
  const double ref_norm = std::sqrt(ref_sq);
  const double budget_norm = std::sqrt(budget_sq);
  if (c.non_finite > 0) {
    c.rel_error = std::numeric_limits<double>::infinity();
    c.norm_margin = std::numeric_limits<double>::infinity();
  } else {
    c.rel_error = ref_norm > 0.0 ? std::sqrt(err_sq) / ref_norm
                                 : (err_sq == 0.0 ? 0.0 : std::numeric_limits<double>::infinity());
    c.norm_margin = budget_norm > 0.0 ? std::sqrt(err_sq) / budget_norm
                                      : std::numeric_limits<double>::infinity();
  }
  c.tolerance = ref_norm > 0.0 ? budget_norm / ref_norm : 0.0;
  c.pass = c.non_finite == 0 && c.ref_non_finite == 0 && c.bad_bounds == 0 && c.bad_elements == 0 &&
           c.norm_margin <= 1.0 && ref_norm > 0.0;
  return c;
}

struct ExactComparison {
  std::size_t count = 0;
  std::size_t mismatches = 0;
  std::size_t first_bad = kNoIndex;
  double first_bad_value = 0.0;
  double first_bad_expected = 0.0;
  bool pass = false;
};

// Bit-for-bit equality of two float arrays (for results the GPU must reproduce exactly, e.g. a
// fused multiply-add, which IEEE 754 rounds once on every conforming device and host). A NaN
// never equals anything, not even the same NaN bits, since a poisoned output is NaN.
inline ExactComparison compare_exact(const float* out, const float* expected, std::size_t n) {
  ExactComparison c;
  c.count = n;
  if (n == 0 || out == nullptr || expected == nullptr) return c;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::memcpy(&a, &out[i], sizeof a);
    std::memcpy(&b, &expected[i], sizeof b);
    if (a != b || std::isnan(out[i])) {
      if (c.first_bad == kNoIndex) {
        c.first_bad = i;
        c.first_bad_value = static_cast<double>(out[i]);
        c.first_bad_expected = static_cast<double>(expected[i]);
      }
      ++c.mismatches;
    }
  }
  c.pass = c.mismatches == 0;
  return c;
}

}  // namespace gpuval
