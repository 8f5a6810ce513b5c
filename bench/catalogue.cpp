#include "bench/catalogue.hpp"

namespace gpuval::bench {

std::vector<std::string> catalogue() { return {}; }

}  // namespace gpuval::bench
