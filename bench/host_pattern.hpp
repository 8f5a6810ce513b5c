// The copy benchmarks' byte pattern on the host side (kernels/byte_pattern.cuh writes and checks
// it on the device): filling a host source once per benchmark, poisoning a host destination
// before a verified copy, and finding the first byte a copy got wrong. The poison differs from the
// pattern in every bit of every byte, so a copy that never happened cannot pass.
#pragma once

#include <cstddef>

namespace gpuval::bench {

// bytes[i] = kernels::byte_pattern(i, salt) for i < count (memcpy of one 256-byte period).
void fill_host_pattern(unsigned char* bytes, std::size_t count, unsigned char salt);

// The first i < count with bytes[i] != byte_pattern(i, kPatternSalt), or `count` when none.
std::size_t first_pattern_mismatch(const unsigned char* bytes, std::size_t count);

}  // namespace gpuval::bench
