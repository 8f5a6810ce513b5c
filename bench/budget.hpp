// How long each benchmark takes, estimated from its spec and a device's rates: the plan behind
// the time budget in bench/README.md ("Time budget"), checked by tests/unit/bench_budget_test.cpp
// so that a change to sizes, iterations or repetitions that breaks the budget fails on the CPU.
// The real wall time of every benchmark is recorded in the run document (wall_s) and verified
// on the first GPU run; this is an estimate, not a measurement.
#pragma once

#include <vector>

#include "bench/catalogue.hpp"

namespace gpuval::bench {

// Sustained rates and fixed costs of one device (defaults: an H100 SXM on a PCIe Gen5 host, on
// the slow side of what peers measure, so the estimate errs long).
struct RateModel {
  double dram_gb_s = 3000;         // STREAM and D2D, bytes read + written
  double pinned_link_gb_s = 50;    // pinned H2D/D2H, one direction
  double pageable_link_gb_s = 12;  // pageable copies (staged through the driver's buffers)
  double p2p_gb_s = 300;           // NVLink peer copies
  double fp64_tflops = 55, fp32_tflops = 45, tf32_tflops = 350, fp16_tflops = 650,
         bf16_tflops = 650, fp8_tflops = 1100;
  double conv_tflops = 250;
  double launch_us = 3, roundtrip_us = 12;
  double host_fill_gb_s = 5;        // host memcpy of the pattern / poison
  double pin_gb_s = 4;              // cudaMallocHost page pinning
  double module_setup_s = 0.3;      // per GEMM/convolution problem: allocation, fill, algorithm
  double per_repetition_s = 0.002;  // Google Benchmark and clock-sample overhead
  // One cold-start child (bench/cold_start.hpp) per sample, its time split by step: process
  // start + cuInit, primary context, first kernel, cuBLAS load + handle + GEMM, cuDNN load +
  // handle (one H100 with persistence on, as the budget assumes; slow side).
  double cold_cuinit_s = 0.25, cold_context_s = 0.2, cold_kernel_s = 0.05, cold_cublas_s = 0.35,
         cold_cudnn_s = 0.4;
  // NCCL collectives (8 x H100 SXM): bus bandwidth of the default pass (NVLink, NVLS: ~450
  // GB/s at 1 GiB) and of the SHM pass (through host memory), the time of a small call, and the
  // worker's start, NCCL's load and the communicators' init, once per pass.
  double nccl_busbw_gb_s = 300, nccl_shm_busbw_gb_s = 8;
  double nccl_latency_us = 40, nccl_shm_latency_us = 80;
  double nccl_pass_setup_s = 8;
};

// Seconds `spec` takes on a device with `rates`: warm-up and timed work of every repetition,
// plus its setup and verification.
double estimated_seconds(const BenchSpec& spec, const RateModel& rates);

// The sum over `specs`.
double estimated_seconds(const std::vector<BenchSpec>& specs, const RateModel& rates);

}  // namespace gpuval::bench
