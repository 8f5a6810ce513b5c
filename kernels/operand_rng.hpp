// The random operand values of the benchmarks, one definition for host and device: the GEMM and
// convolution operands are generated on the device (kernels/operand_fill.cuh) and the checked
// rows regenerated or decoded on the host, so both sides must compute the same bits. Every
// function here is integer arithmetic or exact floating point (no rounding anywhere), so the
// result does not depend on the compiler, FMA contraction or the rounding mode. C++17, no
// standard-library calls: nvcc compiles it for the device, g++ for the host.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define GPUVAL_HOST_DEVICE __host__ __device__
#else
#define GPUVAL_HOST_DEVICE
#endif

namespace gpuval::kernels {

// SplitMix64 (Steele, Lea, Flood 2014): a counter-based generator, so element i of an operand is
// a pure function of (key, i). Chunks can be generated in any order, by any thread.
GPUVAL_HOST_DEVICE constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The key of operand `which` (0 = A, 1 = B, ...) for a request's seed.
GPUVAL_HOST_DEVICE constexpr std::uint64_t operand_key(std::uint64_t seed, std::uint64_t which) {
  return splitmix64(seed ^ splitmix64(which + 1));
}

// Element i of an operand: magnitude uniform in [0.25, 1) on a grid of 3 x 2^-53, random sign
// (bit 0 of the hash; the magnitude uses bits 13..63). Never zero and never subnormal in any type
// the benchmarks use (FP8 E4M3 included: zeros would run faster and hide unwritten outputs).
//
// Exact by construction: m < 2^51 is exact in double, unit = m 2^-51 and 0.75 unit = 3m 2^-53 are
// exact (3m < 2^53), and 0.25 + 3m 2^-53 = (2^51 + 3m) 2^-53 < 1 is exact too, so a fused
// multiply-add (nvcc contracts by default) gives the same bits as two rounded operations.
GPUVAL_HOST_DEVICE constexpr double operand_value(std::uint64_t key, std::uint64_t i) {
  const std::uint64_t z = splitmix64(key + i * 0xD1B54A32D192ED03ull);
  const double unit = static_cast<double>(z >> 13) * 0x1.0p-51;  // [0, 1), 51 bits
  const double magnitude = 0.25 + 0.75 * unit;
  return (z & 1u) != 0 ? -magnitude : magnitude;
}

}  // namespace gpuval::kernels
