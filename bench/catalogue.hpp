// The benchmark catalogue: names of the benchmarks this build provides. Filled by the benchmark
// issue; the run document's "benchmarks" array is empty until then.
#pragma once

#include <string>
#include <vector>

namespace gpuval::bench {

std::vector<std::string> catalogue();

}  // namespace gpuval::bench
