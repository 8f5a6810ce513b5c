// Exact host rounding, encoding and decoding of the operand element types
// (probes/element_codec.hpp), against bit patterns worked out by hand from the formats: the
// device generator's output is checked against these bit for bit (tests/gpu), so a wrong tie or
// subnormal here would be a wrong reference there.
#include "probes/element_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace gpuval::probes {
namespace {

using kernels::GemmElement;

TEST(ElementCodec, HalfRoundsToNearestEven) {
  EXPECT_EQ(half_bits(1.0), 0x3C00);
  EXPECT_EQ(half_bits(-2.0), 0xC000);
  EXPECT_EQ(half_bits(1.0 / 3.0), 0x3555);
  EXPECT_EQ(half_bits(65504.0), 0x7BFF);
  EXPECT_EQ(half_bits(1.0 + 0x1.0p-11), 0x3C00) << "tie: to the even 1.0";
  EXPECT_EQ(half_bits(1.0 + 3 * 0x1.0p-11), 0x3C02) << "tie: to the even mantissa 2";
  EXPECT_EQ(half_bits(1.0 + 0x1.0p-11 + 0x1.0p-30), 0x3C01) << "just above the tie";
  EXPECT_EQ(half_bits(0x1.0p-24), 0x0001) << "smallest subnormal";
  EXPECT_EQ(half_bits(0x1.0p-25), 0x0000) << "half of it: tie to even zero";
  EXPECT_EQ(half_bits(0x1.8p-25), 0x0001);
  EXPECT_EQ(half_bits(0x1.0p-14), 0x0400) << "smallest normal";
  EXPECT_EQ(half_bits(65520.0), 0x7C00) << "past max + half ulp: infinity";
  EXPECT_EQ(half_bits(-0.0), 0x8000);
}

TEST(ElementCodec, Bf16RoundsToNearestEvenFromDouble) {
  EXPECT_EQ(bf16_bits(1.0), 0x3F80);
  EXPECT_EQ(bf16_bits(-3.0), 0xC040);
  EXPECT_EQ(bf16_bits(3.14159265358979), 0x4049);
  EXPECT_EQ(bf16_bits(1.0 + 0x1.0p-8), 0x3F80) << "tie: to even";
  EXPECT_EQ(bf16_bits(1.0 + 3 * 0x1.0p-8), 0x3F82) << "tie: to even";
  // A value whose float rounding would make a tie: rounding via float first would give 0x3F80.
  EXPECT_EQ(bf16_bits(1.0 + 0x1.0p-8 + 0x1.0p-40), 0x3F81) << "one rounding, not two";
  EXPECT_EQ(bf16_bits(0.25), 0x3E80);
}

TEST(ElementCodec, E4M3RoundsToNearestEvenAndSaturates) {
  EXPECT_EQ(e4m3_bits(1.0), 0x38);
  EXPECT_EQ(e4m3_bits(-0.25), 0xA8);
  EXPECT_EQ(e4m3_bits(0.3), 0x2A) << "0.3 = 1.2 x 2^-2 -> 1.25 x 2^-2";
  EXPECT_EQ(e4m3_bits(1.0625), 0x38) << "tie: to the even 1.0";
  EXPECT_EQ(e4m3_bits(1.1875), 0x3A) << "tie: to the even 1.25";
  EXPECT_EQ(e4m3_bits(448.0), 0x7E);
  EXPECT_EQ(e4m3_bits(1000.0), 0x7E) << "saturates, never NaN";
  EXPECT_EQ(e4m3_bits(-std::numeric_limits<double>::infinity()), 0xFE);
  EXPECT_EQ(e4m3_bits(0x1.0p-9), 0x01) << "smallest subnormal";
  EXPECT_EQ(e4m3_bits(0x1.0p-6), 0x08) << "smallest normal";
  EXPECT_EQ(e4m3_bits(std::nan("")), 0x7F);
}

TEST(ElementCodec, Tf32CutsInAllThreeWays) {
  const float tie = float_from_bits(0x3F801000u);  // exactly half a TF32 ulp above 1
  EXPECT_EQ(float_bits(tf32_cut(tie, Tf32Cut::TowardZero)), 0x3F800000u);
  EXPECT_EQ(float_bits(tf32_cut(tie, Tf32Cut::NearestEven)), 0x3F800000u);
  EXPECT_EQ(float_bits(tf32_cut(tie, Tf32Cut::NearestAway)), 0x3F802000u);
  const float odd_tie = float_from_bits(0x3F803000u);
  EXPECT_EQ(float_bits(tf32_cut(odd_tie, Tf32Cut::TowardZero)), 0x3F802000u);
  EXPECT_EQ(float_bits(tf32_cut(odd_tie, Tf32Cut::NearestEven)), 0x3F804000u);
  EXPECT_EQ(float_bits(tf32_cut(odd_tie, Tf32Cut::NearestAway)), 0x3F804000u);
  const float above = float_from_bits(0xBF801FFFu);  // negative, just under a TF32 ulp
  EXPECT_EQ(float_bits(tf32_cut(above, Tf32Cut::TowardZero)), 0xBF800000u);
  EXPECT_EQ(float_bits(tf32_cut(above, Tf32Cut::NearestEven)), 0xBF802000u);
  EXPECT_EQ(float_bits(tf32_cut(above, Tf32Cut::NearestAway)), 0xBF802000u);
}

TEST(ElementCodec, DecodersAreExact) {
  EXPECT_EQ(half_bits_to_double(0x3C00), 1.0);
  EXPECT_EQ(half_bits_to_double(0x0001), 0x1.0p-24);
  EXPECT_TRUE(std::isnan(half_bits_to_double(0xFFFF))) << "the poison pattern is NaN";
  EXPECT_EQ(bf16_bits_to_double(0x4049), 3.140625);
  EXPECT_EQ(e4m3_bits_to_double(0x7E), 448.0);
  EXPECT_EQ(e4m3_bits_to_double(0x01), 0x1.0p-9);
  EXPECT_EQ(e4m3_bits_to_double(0xA8), -0.25);
  EXPECT_TRUE(std::isnan(e4m3_bits_to_double(0xFF))) << "the poison pattern is NaN";
  EXPECT_TRUE(std::isnan(e4m3_bits_to_double(0x7F)));
}

// Encode then decode gives the rounded value back, for every element type, on values of every
// kind (the generator's range, ties, subnormals).
TEST(ElementCodec, EncodeDecodeRoundTripsTheRoundedValue) {
  const std::vector<double> values = {0.25,      0.999999,   -0.7,  1.0 / 3.0, 1.0 + 0x1.0p-11,
                                      0x1.8p-25, 0x1.0p-130, 300.0, -12.375,   0.1};
  for (GemmElement e : {GemmElement::F64, GemmElement::F32, GemmElement::F16, GemmElement::BF16,
                        GemmElement::E4M3}) {
    for (double v : values) {
      unsigned char bytes[8] = {};
      encode_element(e, v, bytes);
      const double decoded = decode_elements(e, bytes, 1)[0];
      EXPECT_EQ(decoded, round_to_element(e, v)) << static_cast<int>(e) << " " << v;
      EXPECT_EQ(round_to_element(e, decoded), decoded) << "idempotent";
    }
  }
  EXPECT_EQ(round_to_element(GemmElement::F32, 1.0 + 0x1.0p-24), 1.0) << "FP32 tie to even";
  EXPECT_EQ(round_to_element(GemmElement::F32, 1.0 + 0x1.8p-23), 1.0 + 0x1.0p-22);
}

TEST(ElementCodec, DecodeReadsLittleEndianArrays) {
  const unsigned char halves[] = {0x00, 0x3C, 0x00, 0xC0};  // 1.0, -2.0
  EXPECT_EQ(decode_elements(GemmElement::F16, halves, 2), (std::vector<double>{1.0, -2.0}));
  const unsigned char fp8[] = {0x38, 0xA8, 0x7E};
  EXPECT_EQ(decode_elements(GemmElement::E4M3, fp8, 3), (std::vector<double>{1.0, -0.25, 448.0}));
}

}  // namespace
}  // namespace gpuval::probes
