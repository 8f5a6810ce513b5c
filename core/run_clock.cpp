#include "core/run_clock.hpp"

#include <chrono>

namespace gpuval {

double run_clock_s() {
  static const auto epoch = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch).count();
}

}  // namespace gpuval
