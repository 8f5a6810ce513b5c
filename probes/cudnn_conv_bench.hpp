// The cuDNN module's benchmark functions (probes/probe_abi.h, "Benchmarks"): one convolution
// forward (NHWC, FP16 or BF16 with FP32 accumulation, tensor-op math), timed with CUDA events.
#pragma once

#include "probes/probe_abi.h"

namespace gpuval::probes {

char* cudnn_bench_open(const gpuval_probe_bench_request* request, gpuval_probe_bench** session);
int32_t cudnn_bench_start(gpuval_probe_bench* session, int32_t iterations, int32_t warmup);
char* cudnn_bench_finish(gpuval_probe_bench* session);
void cudnn_bench_close(gpuval_probe_bench* session);

}  // namespace gpuval::probes
