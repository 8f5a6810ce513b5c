// The probe modules' cold-start entry points (probes/probe_abi.h, "Cold start"): the time of a
// library's first handle (and cuBLAS's first GEMM) in a fresh process, for the cold-start
// benchmarks (bench/cold_start.hpp). Each module defines its own.
#pragma once

#include "probes/probe_abi.h"

namespace gpuval::probes {

char* cublas_cold_start(const gpuval_probe_request* request);
char* cudnn_cold_start(const gpuval_probe_request* request);

}  // namespace gpuval::probes
