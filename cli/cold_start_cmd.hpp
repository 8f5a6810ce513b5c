// The hidden subcommand `gpuval __cold-start STEP [--device N]`: one sample of the cold-start
// benchmarks in this fresh process (bench/cold_start.hpp has the protocol). It prints exactly
// one JSON line on stdout and returns 0 when every step ran (or the last could not run here, a
// SKIP such as no cuDNN module), 1 when a step failed, 2 for a bad STEP, 3 when CUDA is not
// usable at all.
#pragma once

#include <string>

namespace gpuval::cli {

int run_cold_start_child(const std::string& step, int device);

}  // namespace gpuval::cli
