// What the benchmark sessions of the probe modules compute on the host, kept free of CUDA so it
// is unit-tested on machines without a GPU: the random operand values, which output elements are
// checked, the tolerance at a given depth K, and decoding 16-bit outputs. Header-only: each module
// is its own shared library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace gpuval::probes {

// SplitMix64 (Steele, Lea, Flood 2014): a counter-based generator, so element i of an operand is
// a pure function of (key, i). Chunks can be generated in any order, and a checked row is
// regenerated without storing the matrix.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The key of operand `which` (0 = A, 1 = B, ...) for a request's seed.
constexpr std::uint64_t operand_key(std::uint64_t seed, std::uint64_t which) {
  return splitmix64(seed ^ splitmix64(which + 1));
}

// Element i of an operand: magnitude uniform in [0.25, 1), random sign. Never zero and never
// subnormal in any type the benchmarks use (FP8 E4M3 included; zeros would run faster and hide
// unwritten outputs), and sums of them cancel like real data.
inline double operand_value(std::uint64_t key, std::uint64_t i) {
  const std::uint64_t z = splitmix64(key + i * 0xD1B54A32D192ED03ull);
  const double unit = static_cast<double>(z >> 11) * 0x1.0p-53;  // [0, 1), top 53 bits
  const double magnitude = 0.25 + 0.75 * unit;
  return (z & 1u) != 0 ? -magnitude : magnitude;
}

// `want` distinct indices in [0, count), sorted: always 0 and count - 1 (edge tiles and padding
// are where kernels go wrong), the rest drawn from `key`. All of them when count <= want.
inline std::vector<std::int64_t> sample_indices(std::int64_t count, std::int64_t want,
                                                std::uint64_t key) {
  std::vector<std::int64_t> out;
  if (count <= 0 || want <= 0) return out;
  if (count <= want) {
    for (std::int64_t i = 0; i < count; ++i) out.push_back(i);
    return out;
  }
  out.push_back(0);
  if (want > 1) out.push_back(count - 1);
  std::uint64_t state = key;
  while (static_cast<std::int64_t>(out.size()) < want) {
    state = splitmix64(state);
    const auto candidate = static_cast<std::int64_t>(state % static_cast<std::uint64_t>(count));
    if (std::find(out.begin(), out.end(), candidate) == out.end()) out.push_back(candidate);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Rows and columns checked per benchmark: a 16 x 16 grid of output elements, 256 in all.
inline constexpr std::int64_t kSampledRows = 16;
inline constexpr std::int64_t kSampledCols = 16;

// The normwise tolerance for a dot-product depth of k when `base` holds at depth `base_k`: the
// rounding error of a sum of k random-sign terms grows like sqrt(k) relative to the sum, so the
// bound grows the same way (never below `base`). FP32 at k = 8192: 1e-5 -> 5.1e-5, still far
// under what TF32 operands give (~4e-4), so a wrong precision still fails.
inline double tolerance_at_depth(double base, std::int64_t k, std::int64_t base_k) {
  if (k <= base_k || base_k <= 0) return base;
  return base * std::sqrt(static_cast<double>(k) / static_cast<double>(base_k));
}

// IEEE binary16 bits to their value (exact in double).
inline double half_bits_to_double(std::uint16_t bits) {
  const int sign = (bits >> 15) & 1;
  const int exponent = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  double value = 0;
  if (exponent == 0) {
    value = std::ldexp(static_cast<double>(mantissa), -24);  // subnormal: m x 2^-24
  } else if (exponent == 0x1F) {
    value = mantissa == 0 ? INFINITY : NAN;
  } else {
    value = std::ldexp(1024.0 + mantissa, exponent - 25);  // (1 + m/1024) x 2^(e-15)
  }
  return sign != 0 ? -value : value;
}

// bfloat16 bits (the top half of an IEEE binary32) to their value.
inline double bf16_bits_to_double(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float f = 0;
  std::memcpy(&f, &wide, sizeof f);
  return static_cast<double>(f);
}

}  // namespace gpuval::probes
