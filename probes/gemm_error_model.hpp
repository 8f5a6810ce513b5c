// Per-element error bounds for a GEMM result, from an error model of the hardware (input
// quantisation + accumulation) and the operands the host already has: for each checked output
// element c = sum_k a_k b_k, the rounded row of A and column of B. CUDA-free and header-only, so
// unit tests hold simulated worst-case devices to it and each probe module carries its own copy.
// bench/README.md ("Verification tolerances") argues the model, names the sources and tabulates
// the bounds.
//
// The reference is the dot product of the ROUNDED operands (what the library multiplies),
// computed in double with Dot2 (Ogita, Rump, Oishi 2005: error-free products and sums, as if in
// twice the working precision), so the error left is the device's. Each element is held to
//
//   |out - c| <= bound = e_in + e_acc + e_out + e_ref
//
//   e_in   the error the unit adds to the products. Zero for FP64 (DFMA/DMMA), FP32 (FFMA), FP16,
//          BF16 and E4M3 (products exact in the accumulator). TF32: the unit cuts the FP32
//          operands to 10 fraction bits, by truncation (mma.sync ignores the low 13 bits of an
//          unconverted register), cvt.rn or cvt.rna; e_in is the largest |sum_k (a'_k b'_k -
//          a_k b_k)| over the 3 x 3 ways A and B can be cut, computed exactly.
//   e_acc  the accumulator's error (below), from the walk of the products' partial sums.
//   e_out  2 u_out (|c| + e_in + e_acc): the output conversion and the epilogue (alpha 1, beta 0).
//   e_ref  the reference's own error: 2^-53 |c| + 2 gamma_K^2 sum|p| (Dot2).
//
// Partial sums. Every order a GEMM kernel adds the K products in (a k loop, k-tiles, split-K
// slices reduced afterwards, forward or backward) is made of chains of contiguous runs; a chain
// may start at any position. With S_j the prefix sums (S_0 = 0), what a chain holds after product
// j is S_j - S_i for its start i, at most D_j = max_{i <= j} |S_j - S_i| (i >= j - L where the
// unit restarts every L products). The bounds use D_j of the forward and of the backward walk,
// whichever is larger.
//
// e_acc, by accumulator:
//   Nearest  IEEE round-to-nearest FMA chains, unit roundoff u (FP64 DFMA and DMMA, which
//            Khattak & Mikaitis 2025 find IEEE sequential FMA; FP32 FFMA, cuBLAS's SGEMM without
//            TF32). Each addition errs delta_j s_j, |delta_j| <= u. Hoeffding: |sum delta_j s_j|
//            <= lambda u sqrt(W), W = sum_j D_j^2 >= sum_j s_j^2, with probability >= 1 - 2
//            exp(-lambda^2 / 2) = 1 - 3e-8 for lambda = 6 (with errors uniform on [-u, u], the
//            usual model, the bound is 10 standard deviations). W is at least its expectation
//            for random-sign products, sum_p^2 (K + 1) / 2.
//   Truncating  tensor cores with FP32 accumulation (TF32, FP16, BF16): each block of n <= 32
//            products is added to the accumulator C with every addend aligned to the largest and
//            truncated, then the sum is normalised toward zero (Fasi, Higham, Mikaitis, Pranesh
//            2021, "Numerical behavior of NVIDIA tensor cores"; Khattak & Mikaitis 2025,
//            "Accurate models of NVIDIA tensor cores", for Hopper and Blackwell). A deterministic
//            worst case, every addend losing everything below the alignment quantum in the same
//            direction, charged per position (see walk()): no lambda, any block size dividing 32
//            and any alignment, any rounding no worse than truncation (nearest included).
//   Fp8Chunked  Hopper E4M3 with CUBLASLT_MATMUL_DESC_FAST_ACCUM = 0: the unit accumulates in
//            about 14 significant bits, e8m13 (DeepSeek-V3 technical report 2024: "around 14
//            bits"), and cuBLASLt promotes the partial sums to FP32 at intervals; modelled as the
//            truncating bound with u = 2^-13 over chains restarting every L <= 256 products
//            (CUTLASS promotes every 4 WGMMAs, 128 products), plus the truncating FP32 bound over
//            all K for the promoted sums.
//
// The normwise check ||out - ref||_2 <= ||budget||_2, budget_i = e_in + e_ref + 1/2 (e_acc +
// e_out) (lambda = 3 on the RMS for the accumulation), catches an error spread over every
// element that each element's bound would let pass; e_in is an exact figure the device may reach
// on every element at once, so it is not halved.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "probes/element_codec.hpp"

namespace gpuval::probes {

enum class Accumulation { Nearest, Truncating, Fp8Chunked };

struct GemmErrorModel {
  std::string_view id;           // recorded with the result ("bound_model")
  std::string_view accumulator;  // in words, recorded with the result
  double u_out;                  // unit roundoff of the output type
  bool tf32_cut;                 // the unit cuts FP32 operands to TF32
  bool fp64_operands;            // products are not exact in double (FP64)
  Accumulation accumulation;
  double u_acc;       // Nearest: unit roundoff; truncating: ulp bound of the FP32 accumulator
  double u_unit;      // Fp8Chunked: ulp bound of the in-unit accumulator
  std::size_t chunk;  // Fp8Chunked: the most products between promotions to FP32 (L)
};

// A correct element exceeds its bound with probability < 3e-8 (Hoeffding; far less in practice).
inline constexpr double kBoundLambda = 6.0;
// The accumulation and output terms count half in the normwise budget.
inline constexpr double kNormFraction = 0.5;
// The widest block of products one tensor-core step adds (FP8 WGMMA: k = 32).
inline constexpr std::size_t kTensorBlock = 32;

inline constexpr GemmErrorModel kFp64Model{
    .id = "fp64-nearest",
    .accumulator = "IEEE FP64 FMA chain, round to nearest (DFMA, DMMA)",
    .u_out = 0x1.0p-53,
    .tf32_cut = false,
    .fp64_operands = true,
    .accumulation = Accumulation::Nearest,
    .u_acc = 0x1.0p-53,
    .u_unit = 0.0,
    .chunk = 0};
inline constexpr GemmErrorModel kFp32Model{
    .id = "fp32-nearest",
    .accumulator = "IEEE FP32 FMA chain, round to nearest (FFMA)",
    .u_out = 0x1.0p-24,
    .tf32_cut = false,
    .fp64_operands = false,
    .accumulation = Accumulation::Nearest,
    .u_acc = 0x1.0p-24,
    .u_unit = 0.0,
    .chunk = 0};
inline constexpr GemmErrorModel kTf32Model{
    .id = "tf32-cut-truncating-fp32",
    .accumulator =
        "FP32 operands cut to TF32 (RZ, RN or RNA); FP32 tensor-core accumulation, "
        "blocks of <= 32 aligned and truncated",
    .u_out = 0x1.0p-24,
    .tf32_cut = true,
    .fp64_operands = false,
    .accumulation = Accumulation::Truncating,
    .u_acc = 0x1.0p-23,
    .u_unit = 0.0,
    .chunk = 0};
inline constexpr GemmErrorModel kHalfModel{
    .id = "exact-products-truncating-fp32",
    .accumulator =
        "exact products; FP32 tensor-core accumulation, blocks of <= 32 aligned and truncated",
    .u_out = 0x1.0p-24,
    .tf32_cut = false,
    .fp64_operands = false,
    .accumulation = Accumulation::Truncating,
    .u_acc = 0x1.0p-23,
    .u_unit = 0.0,
    .chunk = 0};
inline constexpr GemmErrorModel kFp8Model{
    .id = "fp8-e8m13-chunked-truncating",
    .accumulator =
        "exact products; in-unit e8m13 accumulation (2^-13, truncated) restarting "
        "every <= 256 products, promoted to FP32 (truncated)",
    .u_out = 0x1.0p-24,
    .tf32_cut = false,
    .fp64_operands = false,
    .accumulation = Accumulation::Fp8Chunked,
    .u_acc = 0x1.0p-23,
    .u_unit = 0x1.0p-13,
    .chunk = 256};

struct ElementBound {
  double reference = 0.0;     // sum_k a_k b_k (Dot2)
  double bound = 0.0;         // |device - reference| allowed
  double norm_budget = 0.0;   // this element's share of the normwise bound
  double input = 0.0;         // e_in
  double accumulation = 0.0;  // e_acc
  double output = 0.0;        // e_out
  double reference_error = 0.0;
  double product_rms = 0.0;  // sigma: rms of the K products
};

namespace detail {

inline std::uint64_t bits_of(double x) {
  std::uint64_t u = 0;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

inline double from_bits(std::uint64_t u) {
  double x = 0;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// The largest power of two <= x, for x positive and normal (0 for x <= 0).
inline double pow2_floor(double x) {
  if (!(x > 0.0)) return 0.0;
  return from_bits(bits_of(x) & 0xFFF0000000000000ull);
}

// The value of the lowest set bit of x (finite, normal, nonzero): x is an integer multiple of it.
inline double lowest_bit(double x) {
  const std::uint64_t u = bits_of(x);
  const std::uint64_t significand = (u & 0x000FFFFFFFFFFFFFull) | 0x0010000000000000ull;
  const auto exponent = static_cast<int>((u >> 52) & 0x7FF);
  int zeros = 0;
  while (((significand >> zeros) & 1u) == 0u) ++zeros;
  return std::ldexp(1.0, exponent - 1075 + zeros);
}

// out[j] = max(x[j - window + 1 .. j]) (from x[0] for j < window), in O(1) per value (van Herk
// 1992, Gil & Werman 1993: maxima within aligned blocks from the left and from the right).
inline void sliding_max(const std::vector<double>& x, std::size_t window, std::vector<double>& out,
                        std::vector<double>& left, std::vector<double>& right) {
  const std::size_t n = x.size();
  left.resize(n);
  right.resize(n);
  out.resize(n);
  for (std::size_t start = 0; start < n; start += window) {
    const std::size_t end = std::min(n, start + window);
    left[start] = x[start];
    for (std::size_t i = start + 1; i < end; ++i) left[i] = std::max(left[i - 1], x[i]);
    right[end - 1] = x[end - 1];
    for (std::size_t i = end - 1; i-- > start;) right[i] = std::max(right[i + 1], x[i]);
  }
  for (std::size_t j = 0; j < n; ++j) {
    out[j] = j + 1 >= window ? std::max(right[j + 1 - window], left[j]) : left[j];
  }
}

// Buffers reused from one walk to the next.
struct WalkBuffers {
  std::vector<double> prefix, negated, high, low, reach, window, left, right;
};

inline double second_order(double n, double u) {
  const double d = 1.0 - n * u;
  if (!(d >= 0.5)) throw std::invalid_argument("GEMM error model: K too deep for the accumulator");
  return 1.0 / d;
}

struct WalkStats {
  double sum_sq = 0.0;  // W = sum_j D_j^2
  double bound = 0.0;   // the truncating bound: the costs of every position
};

// One walk over the products p[0..k) (g[j]: the lowest bit of p[j], g_min the smallest of them),
// forward or backward, chains restarting at least every `chunk` products (0: never).
//
// Truncating costs (u > 0, the accumulator's ulp bound: t = 1 - log2 u significant bits, ulp(x)
// = u P(x), P the largest power of two <= x). A block of n <= 32 products spans [j0, j0 + n), so
// for each of its positions j (j0 >= j - 32) the accumulator C entering it is at most
//   m_j = max_{i in [j - 32, j]} D_i,
// and its result R at most m at its last position, each plus the error carried in (`drift`) and
// the error the chain made before. The block aligns C and its products to q = u P(M), M the
// largest of their magnitudes, truncating each, and truncates the sum R to t bits. Every addend
// and R are integer multiples of g_min (and so is any truncation of one to a power-of-two quantum
// >= g_min), so
//   a product p_j loses at most max(0, q - g_j): nothing while q <= g_j,
//   C, when a product is the largest, at most max(0, u P(p_max) - g_min),
//   the normalisation at most max(0, u P(|R|) - g_min) (R is a multiple of max(q, g_min)),
// and charging every position all three, with M <= max(m_j, p_max) + errors and R bounded at the
// last position, covers every block's loss whatever its size and alignment. Where the magnitudes
// stay below g 2^t nothing is charged: E4M3 products of [0.25, 1) operands (multiples of 2^-10)
// are exact in the e8m13 unit up to 16, BF16 products (2^-18) in FP32 up to 32. (A promotion of
// a chunk's sum to FP32 is one such addition with an addend <= m_j; the normalisation charges of
// the chunk's positions cover it.)
inline WalkStats walk(const double* p, const double* g, std::size_t k, bool backward,
                      std::size_t chunk, double p_max, double g_min, double u, double drift,
                      WalkBuffers& b) {
  WalkStats w;
  // S_0..S_k in visiting order.
  b.prefix.resize(k + 1);
  b.prefix[0] = 0.0;
  for (std::size_t j = 1; j <= k; ++j) b.prefix[j] = b.prefix[j - 1] + p[backward ? k - j : j - 1];
  // D_j = max over the starts i in [j - chunk, j] (all i <= j without chunks) of |S_j - S_i|.
  b.reach.resize(k + 1);
  if (chunk != 0 && chunk < k) {
    b.negated.resize(k + 1);
    for (std::size_t j = 0; j <= k; ++j) b.negated[j] = -b.prefix[j];
    sliding_max(b.prefix, chunk + 1, b.high, b.left, b.right);
    sliding_max(b.negated, chunk + 1, b.low, b.left, b.right);
    for (std::size_t j = 0; j <= k; ++j) {
      b.reach[j] = std::max(b.high[j] - b.prefix[j], b.prefix[j] + b.low[j]);
    }
  } else {
    double hi = 0.0;
    double lo = 0.0;
    for (std::size_t j = 0; j <= k; ++j) {
      hi = std::max(hi, b.prefix[j]);
      lo = std::min(lo, b.prefix[j]);
      b.reach[j] = std::max(hi - b.prefix[j], b.prefix[j] - lo);
    }
  }
  for (std::size_t j = 1; j <= k; ++j) w.sum_sq += b.reach[j] * b.reach[j];
  if (!(u > 0.0)) return w;
  // m_j = max(D_{j-32} .. D_j).
  sliding_max(b.reach, kTensorBlock + 1, b.window, b.left, b.right);
  const double c_align = std::max(0.0, u * pow2_floor(p_max) - g_min);
  const bool chunked = chunk != 0 && chunk < k;
  // The error a chain made before position j, bounded without the costs themselves (no serial
  // dependence): every position loses less than u (2 m_i + 2 p_max + 2 E) plus second-order
  // terms, so E <= u sum_{i < j} (2 m_i + 2 p_max) / (1 - 4 n u) over the chain's n positions.
  const double chain = static_cast<double>(chunked ? chunk : k);
  const double crude = u * second_order(4.0 * chain, u);
  b.high.resize(k + 1);  // reused: the crude sums of positions 1..j
  b.high[0] = 0.0;
  for (std::size_t j = 1; j <= k; ++j) {
    b.high[j] = b.high[j - 1] + crude * (2.0 * b.window[j] + 2.0 * p_max);
  }
  double total = 0.0;
  for (std::size_t j = 1; j <= k; ++j) {
    const double m = b.window[j];
    const double before = drift + b.high[j - 1] - (chunked && j > chunk ? b.high[j - chunk] : 0.0);
    const double largest = std::max(m, p_max) + before;
    // The block's own alignment losses (at most 33 ulps of its largest magnitude) reach R too.
    const double result = m + before + 33.0 * u * largest;
    total += std::max(0.0, u * pow2_floor(largest) - g[backward ? k - j : j - 1]) + c_align +
             std::max(0.0, u * pow2_floor(result) - g_min);
  }
  w.bound = total;
  return w;
}

// The truncating bound: the larger of the forward and backward walks.
inline double truncating_bound(const double* p, const double* g, std::size_t k, std::size_t chunk,
                               double u, double p_max, double g_min, double drift,
                               WalkBuffers& buffers) {
  const WalkStats f = walk(p, g, k, false, chunk, p_max, g_min, u, drift, buffers);
  const WalkStats b = walk(p, g, k, true, chunk, p_max, g_min, u, drift, buffers);
  return std::max(f.bound, b.bound);
}

// e_acc for the products p[0..k) (in k order; g: their lowest bits).
inline double accumulation_bound(const GemmErrorModel& m, const double* p, const double* g,
                                 std::size_t k, double sum_sq, double p_max, double g_min,
                                 WalkBuffers& buffers) {
  const double kd = static_cast<double>(k);
  switch (m.accumulation) {
    case Accumulation::Nearest: {
      const WalkStats f = walk(p, g, k, false, 0, p_max, g_min, 0.0, 0.0, buffers);
      const WalkStats b = walk(p, g, k, true, 0, p_max, g_min, 0.0, 0.0, buffers);
      const double w = std::max({f.sum_sq, b.sum_sq, sum_sq * (kd + 1.0) / 2.0});
      // Second order: the partial sums carry at most K u of relative error themselves.
      return kBoundLambda * m.u_acc * std::sqrt(w) * second_order(kd, m.u_acc);
    }
    case Accumulation::Truncating:
      return truncating_bound(p, g, k, 0, m.u_acc, p_max, g_min, 0.0, buffers);
    case Accumulation::Fp8Chunked: {
      // The promoted FP32 sums carry every chain's error.
      const double in_unit =
          truncating_bound(p, g, k, std::min(m.chunk, k), m.u_unit, p_max, g_min, 0.0, buffers);
      return in_unit + truncating_bound(p, g, k, 0, m.u_acc, p_max, g_min, in_unit, buffers);
    }
  }
  throw std::invalid_argument("unknown accumulation model");
}

}  // namespace detail

// One row of A or column of B, prepared once for every element it takes part in.
struct PreparedOperand {
  std::vector<double> value;
  std::vector<double> low_bit;             // exact-product models: the lowest bit of each value
  std::array<std::vector<double>, 3> cut;  // TF32 models: the RZ, RN and RNA cuts
};

inline PreparedOperand prepare_operand(const GemmErrorModel& m, const std::vector<double>& v) {
  PreparedOperand p;
  p.value = v;
  if (!m.fp64_operands) {
    p.low_bit.resize(v.size());
    for (std::size_t t = 0; t < v.size(); ++t) {
      p.low_bit[t] =
          v[t] != 0.0 ? detail::lowest_bit(v[t]) : std::numeric_limits<double>::infinity();
    }
  }
  if (m.tf32_cut) {
    constexpr std::array<Tf32Cut, 3> kCuts{Tf32Cut::TowardZero, Tf32Cut::NearestEven,
                                           Tf32Cut::NearestAway};
    for (std::size_t c = 0; c < 3; ++c) {
      p.cut[c].resize(v.size());
      for (std::size_t t = 0; t < v.size(); ++t) {
        // FP32 operands: the conversion is exact.
        p.cut[c][t] = static_cast<double>(tf32_cut(static_cast<float>(v[t]), kCuts[c]));
      }
    }
  }
  return p;
}

// Buffers reused from one element to the next.
struct BoundWorkspace {
  std::vector<double> products;
  std::vector<double> low_bits;
  detail::WalkBuffers walk;
};

// The reference and bound of the element sum_k a_k b_k (a, b prepared with the same model, the
// same K >= 1).
inline ElementBound gemm_element_bound(const GemmErrorModel& m, const PreparedOperand& a,
                                       const PreparedOperand& b, BoundWorkspace& ws) {
  const std::size_t k = a.value.size();
  if (k == 0 || b.value.size() != k) {
    throw std::invalid_argument("GEMM error model: empty or mismatched operands");
  }
  ws.products.resize(k);
  ws.low_bits.resize(k);
  double hi = 0.0;  // Dot2: hi + lo
  double lo = 0.0;
  double sum_sq = 0.0;
  double sum_abs = 0.0;
  double p_max = 0.0;
  double g_min = std::numeric_limits<double>::infinity();  // the products' common lowest bit
  std::array<double, 9> cut_error{};  // sum_k (a'_k b'_k - a_k b_k) per (cut of A, cut of B)
  for (std::size_t t = 0; t < k; ++t) {
    const double x = a.value[t];
    const double y = b.value[t];
    const double p = x * y;
    // FP64 operands: p + p_err = x y exactly (TwoProduct); narrower ones multiply exactly.
    const double p_err = m.fp64_operands ? std::fma(x, y, -p) : 0.0;
    const double s = hi + p;  // TwoSum(hi, p)
    const double z = s - hi;
    lo += ((hi - (s - z)) + (p - z)) + p_err;
    hi = s;
    ws.products[t] = p;
    ws.low_bits[t] = m.fp64_operands ? 0.0 : a.low_bit[t] * b.low_bit[t];
    g_min = std::min(g_min, ws.low_bits[t]);
    sum_sq += p * p;
    sum_abs += std::fabs(p);
    p_max = std::max(p_max, std::fabs(p));
    if (m.tf32_cut) {
      for (std::size_t i = 0; i < 3; ++i) {
        for (std::size_t j = 0; j < 3; ++j) {
          cut_error[3 * i + j] += a.cut[i][t] * b.cut[j][t] - p;  // exact terms (<= 48 bits)
        }
      }
    }
  }
  ElementBound e;
  e.reference = hi + lo;
  const double kd = static_cast<double>(k);
  e.product_rms = std::sqrt(sum_sq / kd);
  for (double c : cut_error) e.input = std::max(e.input, std::fabs(c));
  e.accumulation = detail::accumulation_bound(m, ws.products.data(), ws.low_bits.data(), k, sum_sq,
                                              p_max, g_min, ws.walk);
  // The unit accumulates the cut products, up to 2^-9 larger than the walk above.
  if (m.tf32_cut) e.accumulation *= 1.0 + 0x1.0p-8;
  const double u = 0x1.0p-53;
  const double gamma = kd * u / (1.0 - kd * u);
  e.reference_error = u * std::fabs(e.reference) + 2.0 * gamma * gamma * sum_abs;
  // The TF32 sums are rounded too (terms below 2^-9 |p|, K of them).
  if (m.tf32_cut) e.reference_error += 2.0 * gamma * 0x1.0p-9 * sum_abs;
  e.output = 2.0 * m.u_out * (std::fabs(e.reference) + e.input + e.accumulation);
  e.bound = e.input + e.accumulation + e.output + e.reference_error;
  e.norm_budget = e.input + e.reference_error + kNormFraction * (e.accumulation + e.output);
  return e;
}

// The references and bounds of a grid of elements: rows[i] (K values of A's row i) times
// cols[j] (K values of B's column j), row-major over (i, j), on up to `threads` threads (rows
// split between them; the work is O(rows x cols x K)).
inline std::vector<ElementBound> gemm_grid_bounds(const GemmErrorModel& m,
                                                  const std::vector<std::vector<double>>& rows,
                                                  const std::vector<std::vector<double>>& cols,
                                                  unsigned threads = 1) {
  std::vector<PreparedOperand> b;
  b.reserve(cols.size());
  for (const std::vector<double>& c : cols) b.push_back(prepare_operand(m, c));
  std::vector<ElementBound> out(rows.size() * cols.size());
  auto work = [&](std::size_t first, std::size_t step) {
    BoundWorkspace ws;
    for (std::size_t i = first; i < rows.size(); i += step) {
      const PreparedOperand a = prepare_operand(m, rows[i]);
      for (std::size_t j = 0; j < b.size(); ++j) {
        out[i * b.size() + j] = gemm_element_bound(m, a, b[j], ws);
      }
    }
  };
  const std::size_t n = std::max<std::size_t>(1, std::min<std::size_t>(threads, rows.size()));
  if (n == 1) {
    work(0, 1);
    return out;
  }
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> pool;
  pool.reserve(n);
  for (std::size_t t = 0; t < n; ++t) {
    pool.emplace_back([&, t] {
      try {
        work(t, n);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return out;
}

}  // namespace gpuval::probes
