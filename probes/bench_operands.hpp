// What the benchmark sessions of the probe modules compute on the host, kept free of CUDA so it
// is unit-tested on machines without a GPU: the random operand values (one definition with the
// device generator, kernels/operand_rng.hpp), which output elements are checked, and the exact
// decoding of the typed elements (probes/element_codec.hpp). Header-only: each module is its own
// shared library.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/operand_rng.hpp"
#include "probes/element_codec.hpp"

namespace gpuval::probes {

// The counter-based generator of every benchmark operand (element i of an operand is a pure
// function of (key, i)); the same functions run in the device generator.
using kernels::operand_key;
using kernels::operand_value;
using kernels::splitmix64;

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

}  // namespace gpuval::probes
