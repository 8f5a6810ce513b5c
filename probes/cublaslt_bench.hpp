// The cuBLAS module's benchmark functions (probes/probe_abi.h, "Benchmarks"): GEMM through
// cuBLASLt for every precision of probes/gemm_precisions.hpp, timed with CUDA events.
#pragma once

#include "probes/probe_abi.h"

namespace gpuval::probes {

char* cublas_bench_open(const gpuval_probe_bench_request* request, gpuval_probe_bench** session);
int32_t cublas_bench_start(gpuval_probe_bench* session, int32_t iterations, int32_t warmup);
char* cublas_bench_finish(gpuval_probe_bench* session);
void cublas_bench_close(gpuval_probe_bench* session);

}  // namespace gpuval::probes
