// Device memory pattern test: write a pattern over a buffer of 64-bit words, read it back and
// count the words that differ, on the device. Host launchers only; each returns the cudaError_t of
// the launch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace gpuval::kernels {

// Run each pattern plain and inverted (every bit flipped), so every bit of every word is seen
// holding both 0 and 1.
enum class MemoryPattern : int {
  WalkingOnes,    // one bit set, walking one position per word: bit (index + seed) % 64
  AddressAsData,  // the word's own device address (catches address-line faults / aliasing)
  Random,         // splitmix64(seed + index)
};

// The value word `index` holds under the pattern; `base_address` is the buffer's device address.
// The same function the kernels use, for the host to explain a mismatch.
std::uint64_t memory_pattern_word(MemoryPattern pattern, bool inverted, std::size_t index,
                                  std::uint64_t base_address, std::uint64_t seed);

cudaError_t launch_memory_pattern_write(std::uint64_t* words, std::size_t count,
                                        MemoryPattern pattern, bool inverted, std::uint64_t seed,
                                        cudaStream_t stream);

// counters[0] += number of mismatching words; counters[1] = min(counters[1], index of each
// mismatch). Initialise counters to {0, ~0ull} before the launch.
cudaError_t launch_memory_pattern_verify(const std::uint64_t* words, std::size_t count,
                                         MemoryPattern pattern, bool inverted, std::uint64_t seed,
                                         unsigned long long* counters, cudaStream_t stream);

}  // namespace gpuval::kernels
