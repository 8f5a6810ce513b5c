// A byte pattern for copy benchmarks, written and checked on the device: byte i of a buffer is
// byte_pattern(i, salt). Salt 0 is the data a copy moves; salt 0xFF is its complement, differing
// from it in every bit of every byte, so a destination poisoned with it before a copy shows any
// byte the copy did not write. Host launchers only; each returns the cudaError_t of its launch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define GPUVAL_BYTE_PATTERN_HD __host__ __device__
#else
#define GPUVAL_BYTE_PATTERN_HD
#endif

namespace gpuval::kernels {

inline constexpr unsigned char kPatternSalt = 0x00;
inline constexpr unsigned char kPoisonSalt = 0xFF;

// Index-dependent and period 256 x 131-coprime: a shifted or misplaced block does not match.
GPUVAL_BYTE_PATTERN_HD constexpr unsigned char byte_pattern(std::size_t i, unsigned char salt) {
  return static_cast<unsigned char>((0x5Au ^ static_cast<unsigned>((i * 131u) & 0xFFu)) ^ salt);
}

// bytes[i] = byte_pattern(i, salt) for i < count.
cudaError_t launch_fill_byte_pattern(unsigned char* bytes, std::size_t count, unsigned char salt,
                                     cudaStream_t stream);

// counters[0] += the number of i < count with bytes[i] != byte_pattern(i, salt); counters[1] =
// min(counters[1], first such i). The caller sets counters to {0, ~0} first (on `stream`).
cudaError_t launch_count_byte_mismatches(const unsigned char* bytes, std::size_t count,
                                         unsigned char salt, unsigned long long* counters,
                                         cudaStream_t stream);

}  // namespace gpuval::kernels
