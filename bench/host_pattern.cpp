#include "bench/host_pattern.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "kernels/byte_pattern.cuh"

namespace gpuval::bench {
namespace {

// byte_pattern(i) depends on i mod 256 only.
std::array<unsigned char, 256> pattern_period(unsigned char salt) {
  std::array<unsigned char, 256> p{};
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = kernels::byte_pattern(i, salt);
  return p;
}

}  // namespace

void fill_host_pattern(unsigned char* bytes, std::size_t count, unsigned char salt) {
  const auto period = pattern_period(salt);
  for (std::size_t at = 0; at < count; at += period.size()) {
    std::memcpy(bytes + at, period.data(), std::min(period.size(), count - at));
  }
}

std::size_t first_pattern_mismatch(const unsigned char* bytes, std::size_t count) {
  const auto period = pattern_period(kernels::kPatternSalt);
  for (std::size_t at = 0; at < count; at += period.size()) {
    const std::size_t n = std::min(period.size(), count - at);
    if (std::memcmp(bytes + at, period.data(), n) == 0) continue;
    for (std::size_t i = 0; i < n; ++i) {
      if (bytes[at + i] != period[i]) return at + i;
    }
  }
  return count;
}

}  // namespace gpuval::bench
