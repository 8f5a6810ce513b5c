// How the copy benchmarks verify: poison the destination before the timed copies, check every
// byte after. A D2H copy that never happened must fail; today's host buffers came pre-filled with
// the very pattern the copy brings, so such a copy passed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "bench/host_pattern.hpp"
#include "kernels/byte_pattern.cuh"

namespace gpuval::bench {
namespace {

using kernels::byte_pattern;
using kernels::kPatternSalt;
using kernels::kPoisonSalt;

TEST(CopyVerification, ThePoisonDiffersFromThePatternInEveryBitOfEveryByte) {
  for (std::size_t i = 0; i < 4096; ++i) {
    EXPECT_EQ(byte_pattern(i, kPatternSalt) ^ byte_pattern(i, kPoisonSalt), 0xFF) << i;
  }
}

TEST(CopyVerification, ACopyThatNeverHappenedFails) {
  std::vector<unsigned char> dst(1 << 20);
  fill_host_pattern(dst.data(), dst.size(), kPoisonSalt);  // poisoned before the copies
  // ... no copy ...
  EXPECT_EQ(first_pattern_mismatch(dst.data(), dst.size()), 0u);
}

TEST(CopyVerification, AnIntactCopyPassesAndOneWrongOrUnwrittenByteIsFound) {
  std::vector<unsigned char> src(3 * 1000 + 17);  // not a multiple of the 256-byte period
  fill_host_pattern(src.data(), src.size(), kPatternSalt);
  for (std::size_t i = 0; i < src.size(); ++i) ASSERT_EQ(src[i], byte_pattern(i, kPatternSalt));
  EXPECT_EQ(first_pattern_mismatch(src.data(), src.size()), src.size());
  std::vector<unsigned char> dst(src.size());
  fill_host_pattern(dst.data(), dst.size(), kPoisonSalt);
  std::copy(src.begin(), src.end() - 1, dst.begin());  // the last byte never arrives
  EXPECT_EQ(first_pattern_mismatch(dst.data(), dst.size()), src.size() - 1);
  dst = src;
  dst[1234] ^= 0x10;  // one flipped bit
  EXPECT_EQ(first_pattern_mismatch(dst.data(), dst.size()), 1234u);
  // A block shifted by one period-coprime offset does not match either.
  std::copy(src.begin() + 1, src.end(), dst.begin());
  EXPECT_EQ(first_pattern_mismatch(dst.data(), dst.size()), 0u);
}

// Timed work runs on non-blocking streams (cuda::Stream), which do not synchronise with the
// legacy default stream: a setup cudaMemset (asynchronous) or a pageable cudaMemcpy (returns
// before its DMA lands) on the legacy stream can race with the timed copies. Every benchmark
// source must put its setup on the timed stream (the *Async forms) and synchronise explicitly.
TEST(StreamOrder, BenchmarkSourcesUseNoLegacyStreamSetupCalls) {
  const std::filesystem::path bench = std::filesystem::path(GPUVAL_SOURCE_DIR) / "bench";
  const std::regex legacy(R"(\b(cudaMemcpy|cudaMemset|cudaMemcpy2D|cudaDeviceSynchronize)\s*\()");
  std::size_t scanned = 0;
  for (const auto& entry : std::filesystem::directory_iterator(bench)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".cpp" && ext != ".hpp" && ext != ".cu") continue;
    std::ifstream in(entry.path());
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      const std::string code = line.substr(0, line.find("//"));
      EXPECT_FALSE(std::regex_search(code, legacy))
          << entry.path().filename().string() << ":" << number << ": " << line;
    }
    ++scanned;
  }
  EXPECT_GE(scanned, 10u) << "bench/ sources not found under " << bench;
}

}  // namespace
}  // namespace gpuval::bench
