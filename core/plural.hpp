// "1 run", "3 runs": counts in messages and reports.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace gpuval {

// Regular plural: the word plus "s".
inline std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// Irregular plural: "1 device", "2 devices"; "1 entry", "2 entries".
inline std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace gpuval
