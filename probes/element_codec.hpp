// Exact host-side rounding, encoding and decoding of the element types GEMM and convolution
// operands are stored in (FP64, FP32, FP16, BF16, FP8 E4M3), and of the TF32 cut a tensor core
// applies to FP32 operands. CUDA-free and header-only, so unit tests check it against known bit
// patterns and each probe module carries its own copy.
//
// Every rounding is computed with exact double arithmetic (power-of-two scaling, floor and one
// comparison), so it does not depend on the host's rounding mode or on FMA contraction. The
// rounding to an element type is the one the device uses (kernels/element_rounding.cuh:
// __double2float_rn, __double2half, __double2bfloat16 and __nv_fp8_e4m3, each a single
// round-to-nearest-even from double, E4M3 saturating to +-448): the device generator's output
// equals host generation + round_to_element bit for bit (tests/gpu).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "kernels/gemm_element.hpp"

namespace gpuval::probes {

// A binary floating-point format: `precision` significand bits (the implicit bit included), the
// exponent of its smallest normal number, its largest finite value, and whether an overflow
// saturates to it (E4M3 with __NV_SATFINITE) instead of becoming infinite.
struct FloatFormat {
  int precision;
  int min_exponent;
  double max_finite;
  bool saturates;
};

inline constexpr FloatFormat kFp32Format{24, -126, 0x1.FFFFFEp127, false};
inline constexpr FloatFormat kFp16Format{11, -14, 65504.0, false};
inline constexpr FloatFormat kBf16Format{8, -126, 0x1.FEp127, false};
inline constexpr FloatFormat kE4M3Format{4, -6, 448.0, true};
inline constexpr FloatFormat kTf32Format{11, -126, 0x1.FFCp127, false};

// x rounded to nearest, ties to even, to the format; returned as the (exact) double it stands for.
// NaN stays NaN; an infinity saturates where the format does.
inline double round_to_format(double x, const FloatFormat& f) {
  if (std::isnan(x) || x == 0.0) return x;
  const double sign = std::signbit(x) ? -1.0 : 1.0;
  const double a = std::fabs(x);
  if (std::isinf(a)) return f.saturates ? sign * f.max_finite : x;
  int e = 0;
  (void)std::frexp(a, &e);  // a = m 2^e, m in [0.5, 1): the leading bit is 2^(e-1)
  const int exponent = e - 1 < f.min_exponent ? f.min_exponent : e - 1;
  const double quantum = std::ldexp(1.0, exponent - (f.precision - 1));
  const double scaled = a / quantum;  // exact: a power-of-two scaling
  double n = std::floor(scaled);
  const double rest = scaled - n;  // exact, in [0, 1)
  if (rest > 0.5 || (rest == 0.5 && std::fmod(n, 2.0) != 0.0)) n += 1.0;
  double v = n * quantum;  // exact: n has at most `precision` + 1 bits
  if (v > f.max_finite) v = f.saturates ? f.max_finite : std::numeric_limits<double>::infinity();
  return sign * v;
}

// The value an operand element holds on the device after the generator (or launch_quantize)
// rounded x to `element`.
inline double round_to_element(kernels::GemmElement element, double x) {
  switch (element) {
    case kernels::GemmElement::F64:
      return x;
    case kernels::GemmElement::F32:
      return round_to_format(x, kFp32Format);
    case kernels::GemmElement::F16:
      return round_to_format(x, kFp16Format);
    case kernels::GemmElement::BF16:
      return round_to_format(x, kBf16Format);
    case kernels::GemmElement::E4M3:
      return round_to_format(x, kE4M3Format);
  }
  throw std::invalid_argument("unknown GEMM element type");
}

namespace detail {

// The bits of a value already representable in a format with `exponent_bits` and
// `mantissa_bits` (IEEE layout: sign, biased exponent, fraction; subnormals at exponent field 0).
inline std::uint32_t encode_bits(double v, int exponent_bits, int mantissa_bits, int bias) {
  const std::uint32_t sign = std::signbit(v) ? 1u : 0u;
  const double a = std::fabs(v);
  std::uint32_t field = 0;
  std::uint32_t fraction = 0;
  const std::uint32_t all_ones = (1u << exponent_bits) - 1u;
  if (std::isinf(a)) {
    field = all_ones;
  } else if (a != 0.0) {
    int e = 0;
    (void)std::frexp(a, &e);
    const int exponent = e - 1;
    const int min_exponent = 1 - bias;
    if (exponent < min_exponent) {
      fraction = static_cast<std::uint32_t>(std::ldexp(a, -(min_exponent - mantissa_bits)));
    } else {
      field = static_cast<std::uint32_t>(exponent + bias);
      fraction =
          static_cast<std::uint32_t>(std::ldexp(std::ldexp(a, -exponent) - 1.0, mantissa_bits));
    }
  }
  return (sign << (exponent_bits + mantissa_bits)) | (field << mantissa_bits) | fraction;
}

}  // namespace detail

// IEEE binary16 bits of x rounded to nearest even (0x7E00 for NaN).
inline std::uint16_t half_bits(double x) {
  if (std::isnan(x)) return 0x7E00;
  return static_cast<std::uint16_t>(
      detail::encode_bits(round_to_format(x, kFp16Format), 5, 10, 15));
}

// bfloat16 bits of x rounded to nearest even (0x7FC0 for NaN).
inline std::uint16_t bf16_bits(double x) {
  if (std::isnan(x)) return 0x7FC0;
  return static_cast<std::uint16_t>(
      detail::encode_bits(round_to_format(x, kBf16Format), 8, 7, 127));
}

// FP8 E4M3 bits of x rounded to nearest even, saturating to +-448 (0x7F for NaN: E4M3 has no
// infinity, and S.1111.111 is its only NaN).
inline std::uint8_t e4m3_bits(double x) {
  if (std::isnan(x)) return 0x7F;
  return static_cast<std::uint8_t>(detail::encode_bits(round_to_format(x, kE4M3Format), 4, 3, 7));
}

inline std::uint32_t float_bits(float f) {
  std::uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float float_from_bits(std::uint32_t u) {
  float f = 0;
  std::memcpy(&f, &u, sizeof f);
  return f;
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
    value = mantissa == 0 ? std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::quiet_NaN();
  } else {
    value = std::ldexp(1024.0 + mantissa, exponent - 25);  // (1 + m/1024) x 2^(e-15)
  }
  return sign != 0 ? -value : value;
}

// bfloat16 bits (the top half of an IEEE binary32) to their value.
inline double bf16_bits_to_double(std::uint16_t bits) {
  return static_cast<double>(float_from_bits(static_cast<std::uint32_t>(bits) << 16));
}

// FP8 E4M3 bits to their value: bias 7, subnormals m x 2^-9, 0x7F / 0xFF NaN, no infinity.
inline double e4m3_bits_to_double(std::uint8_t bits) {
  const int sign = (bits >> 7) & 1;
  const int exponent = (bits >> 3) & 0xF;
  const int mantissa = bits & 0x7;
  double value = 0;
  if (exponent == 0xF && mantissa == 0x7) {
    value = std::numeric_limits<double>::quiet_NaN();
  } else if (exponent == 0) {
    value = std::ldexp(static_cast<double>(mantissa), -9);
  } else {
    value = std::ldexp(8.0 + mantissa, exponent - 10);  // (1 + m/8) x 2^(e-7)
  }
  return sign != 0 ? -value : value;
}

// `count` elements of type `element`, as the device stores them (little-endian, as every CUDA
// host is), to their exact values.
inline std::vector<double> decode_elements(kernels::GemmElement element, const unsigned char* bytes,
                                           std::size_t count) {
  std::vector<double> out(count);
  for (std::size_t i = 0; i < count; ++i) {
    switch (element) {
      case kernels::GemmElement::F64:
        std::memcpy(&out[i], bytes + 8 * i, 8);
        break;
      case kernels::GemmElement::F32: {
        float f = 0;
        std::memcpy(&f, bytes + 4 * i, 4);
        out[i] = static_cast<double>(f);
        break;
      }
      case kernels::GemmElement::F16:
      case kernels::GemmElement::BF16: {
        std::uint16_t h = 0;
        std::memcpy(&h, bytes + 2 * i, 2);
        out[i] =
            element == kernels::GemmElement::F16 ? half_bits_to_double(h) : bf16_bits_to_double(h);
        break;
      }
      case kernels::GemmElement::E4M3:
        out[i] = e4m3_bits_to_double(bytes[i]);
        break;
    }
  }
  return out;
}

// The bytes the device stores for x rounded to `element` (what the generator kernel writes).
inline void encode_element(kernels::GemmElement element, double x, unsigned char* out) {
  switch (element) {
    case kernels::GemmElement::F64:
      std::memcpy(out, &x, 8);
      return;
    case kernels::GemmElement::F32: {
      const float f = static_cast<float>(round_to_format(x, kFp32Format));  // exact
      std::memcpy(out, &f, 4);
      return;
    }
    case kernels::GemmElement::F16: {
      const std::uint16_t h = half_bits(x);
      std::memcpy(out, &h, 2);
      return;
    }
    case kernels::GemmElement::BF16: {
      const std::uint16_t h = bf16_bits(x);
      std::memcpy(out, &h, 2);
      return;
    }
    case kernels::GemmElement::E4M3:
      *out = e4m3_bits(x);
      return;
  }
  throw std::invalid_argument("unknown GEMM element type");
}

// The TF32 cut of an FP32 operand (10 fraction bits kept of 23), in the three ways hardware and
// PTX do it: RZ (mma.sync with .tf32 operands ignores the low 13 bits of an unconverted FP32
// register), RNE (cvt.rn.tf32.f32) and RNA (cvt.rna.tf32.f32, ties away from zero). Finite
// inputs; the result is an FP32 value with its low 13 bits clear.
enum class Tf32Cut { TowardZero, NearestEven, NearestAway };

inline float tf32_cut(float x, Tf32Cut mode) {
  std::uint32_t u = float_bits(x);
  switch (mode) {
    case Tf32Cut::TowardZero:
      break;
    case Tf32Cut::NearestEven:
      return static_cast<float>(round_to_format(static_cast<double>(x), kTf32Format));
    case Tf32Cut::NearestAway:
      u += 0x1000u;  // half a TF32 ulp into the magnitude bits; a carry renormalises
      break;
  }
  return float_from_bits(u & ~0x1FFFu);
}

}  // namespace gpuval::probes
