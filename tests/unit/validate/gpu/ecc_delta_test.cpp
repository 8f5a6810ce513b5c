#include "validate/gpu/ecc_delta.hpp"

#include <gtest/gtest.h>

#include "core/pci_address.hpp"

namespace gpuval::checks {
namespace {

NvmlEcc ecc(std::uint64_t corrected, std::uint64_t uncorrected, bool enabled = true) {
  NvmlEcc e;
  e.enabled = enabled;
  e.volatile_corrected = corrected;
  e.volatile_uncorrected = uncorrected;
  return e;
}

TEST(EccDelta, NoNewErrorsPassesQuietly) {
  const EccDelta d = ecc_delta(ecc(3, 0), ecc(3, 0));
  EXPECT_EQ(d.status, Status::Pass);
  EXPECT_EQ(d.message, "");
  EXPECT_EQ(d.metrics["new_corrected"], 0);
  EXPECT_EQ(d.metrics["new_uncorrected"], 0);
  EXPECT_EQ(d.metrics["before"]["volatile_corrected"], 3);
}

TEST(EccDelta, NewCorrectedErrorsWarnWithHint) {
  const EccDelta d = ecc_delta(ecc(3, 0), ecc(10, 0));
  EXPECT_EQ(d.status, Status::Warn);
  EXPECT_EQ(d.message, "7 corrected ECC error(s) during the test");
  EXPECT_NE(d.hint.find("ROW_REMAPPER"), std::string::npos);
}

TEST(EccDelta, NewUncorrectedErrorsFailEvenWithCorrectedOnes) {
  const EccDelta d = ecc_delta(ecc(0, 1), ecc(5, 3));
  EXPECT_EQ(d.status, Status::Fail);
  EXPECT_EQ(d.message, "2 uncorrectable ECC error(s) during the test");
  EXPECT_NE(d.hint.find("RMA"), std::string::npos);
}

TEST(EccDelta, CounterThatWentDownTellsNothing) {
  // A driver reload between the reads resets the volatile counters.
  const EccDelta d = ecc_delta(ecc(9, 4), ecc(1, 0));
  EXPECT_EQ(d.status, Status::Pass);
  EXPECT_TRUE(d.metrics["new_uncorrected"].is_null());
}

TEST(EccDelta, EccOffIsSaid) {
  NvmlEcc off;
  off.enabled = false;
  const EccDelta d = ecc_delta(off, off);
  EXPECT_EQ(d.status, Status::Pass);
  EXPECT_EQ(d.message, "ECC off: memory errors would go unnoticed");
  EXPECT_TRUE(d.metrics["new_corrected"].is_null());
}

TEST(EccDelta, UnsupportedEccSaysNothing) {
  const EccDelta d = ecc_delta(NvmlEcc{}, NvmlEcc{});
  EXPECT_EQ(d.status, Status::Pass);
  EXPECT_EQ(d.message, "");
}

TEST(EccDelta, NoNvmlIsRecordedNotJudged) {
  const EccDelta d = ecc_delta(std::nullopt, ecc(0, 0));
  EXPECT_EQ(d.status, Status::Pass);
  EXPECT_EQ(d.metrics["read"], false);
}

TEST(PciAddress, CudaAndNvmlSpellingsMatch) {
  EXPECT_EQ(parse_pci("0000:3b:00.0"), parse_pci("00000000:3B:00.0"));
  EXPECT_NE(parse_pci("0000:3b:00.0"), parse_pci("0000:3c:00.0"));
}

TEST(PciAddress, GarbageIsRejected) {
  EXPECT_FALSE(parse_pci(""));
  EXPECT_FALSE(parse_pci("0000:3b:00"));
  EXPECT_FALSE(parse_pci("zz:3b:00.0"));
  EXPECT_FALSE(parse_pci("0000::00.0"));
  EXPECT_FALSE(parse_pci("1ffffffff:00:00.0"));
}

}  // namespace
}  // namespace gpuval::checks
