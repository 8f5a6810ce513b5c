#include "bench/budget.hpp"

#include <algorithm>

namespace gpuval::bench {
namespace {

constexpr double kGB = 1e9;
constexpr int kWarmup = 2;  // untimed calls before each repetition's timed ones

double tflops_for(const BenchSpec& s, const RateModel& r) {
  switch (s.precision) {
    case GemmPrecision::FP64:
      return r.fp64_tflops;
    case GemmPrecision::FP32:
      return r.fp32_tflops;
    case GemmPrecision::TF32:
      return r.tf32_tflops;
    case GemmPrecision::FP16:
      return r.fp16_tflops;
    case GemmPrecision::BF16:
      return r.bf16_tflops;
    case GemmPrecision::FP8:
      return r.fp8_tflops;
  }
  return r.fp32_tflops;
}

}  // namespace

// Warm-up (at most 5), the checked call and the calibration call of every NCCL size.
constexpr int kNcclFixedCalls = 7;

double nccl_seconds(const BenchSpec& s, const RateModel& r) {
  if (s.ranks < 2 || s.message_bytes == 0) return 0;  // SKIPs
  const bool shm = s.nccl_pass == "no-p2p";
  const double n = s.ranks;
  const double factor = s.kind == BenchKind::NcclAllReduce ? 2 * (n - 1) / n : (n - 1) / n;
  const double busbw = (shm ? r.nccl_shm_busbw_gb_s : r.nccl_busbw_gb_s) * kGB;
  const double one = (shm ? r.nccl_shm_latency_us : r.nccl_latency_us) * 1e-6 +
                     static_cast<double>(s.message_bytes) * factor / busbw;
  // A repetition runs calibrated iterations for its budget, at least one call.
  const double repetitions =
      s.repetitions * (std::max(s.repetition_budget_s, one) + r.per_repetition_s);
  return (s.nccl_pass_setup ? r.nccl_pass_setup_s : 0.0) + kNcclFixedCalls * one + repetitions;
}

double estimated_seconds(const BenchSpec& s, const RateModel& r) {
  if (is_nccl_kind(s.kind)) return nccl_seconds(s, r);
  const double calls = static_cast<double>(s.repetitions) * (s.iterations + kWarmup);
  const double bytes = static_cast<double>(s.elements);
  double per_call = 0;
  double setup = 0;
  switch (s.kind) {
    case BenchKind::StreamCopy:
    case BenchKind::StreamScale:
    case BenchKind::StreamAdd:
    case BenchKind::StreamTriad:
    case BenchKind::StreamDot:
    case BenchKind::MemcpyD2D:
      per_call = s.work_per_iteration / (r.dram_gb_s * kGB);
      setup = 2 * per_call;  // init and device-side verification
      break;
    case BenchKind::H2DPinned:
    case BenchKind::D2HPinned:
    case BenchKind::BidirPinned:
      per_call = s.work_per_iteration / (r.pinned_link_gb_s * kGB) /
                 (s.kind == BenchKind::BidirPinned ? 1.6 : 1.0);
      // Pinning and filling the shared buffers (counted for each: the estimate errs long), the
      // poison and the check of a host destination.
      setup = 2 * bytes / (r.pin_gb_s * kGB) + 3 * bytes / (r.host_fill_gb_s * kGB);
      break;
    case BenchKind::H2DPageable:
    case BenchKind::D2HPageable:
      per_call = s.work_per_iteration / (r.pageable_link_gb_s * kGB);
      setup = 3 * bytes / (r.host_fill_gb_s * kGB);
      break;
    case BenchKind::P2PRead:
    case BenchKind::P2PWrite:
      if (s.peer < 0) return 0;  // SKIPs on one GPU
      per_call = s.work_per_iteration / (r.p2p_gb_s * kGB);
      break;
    case BenchKind::Gemm:
      per_call = s.work_per_iteration / (tflops_for(s, r) * 1e12);
      setup = r.module_setup_s;
      break;
    case BenchKind::ConvFwd:
      per_call = s.work_per_iteration / (r.conv_tflops * 1e12);
      setup = r.module_setup_s;
      break;
    case BenchKind::ColdStart: {
      // The children are shared: each step's spec carries its part of every child.
      const std::string step = s.params.value("step", "");
      const double per = step == "cuinit"    ? r.cold_cuinit_s
                         : step == "context" ? r.cold_context_s
                         : step == "kernel"  ? r.cold_kernel_s
                         : step == "cublas"  ? r.cold_cublas_s
                                             : r.cold_cudnn_s;
      return static_cast<double>(s.repetitions) * per;
    }
    case BenchKind::NcclAllReduce:
    case BenchKind::NcclAllGather:
    case BenchKind::NcclReduceScatter:
      return nccl_seconds(s, r);
    case BenchKind::LaunchLatency:
    case BenchKind::RoundTripLatency: {
      // The batch is calibrated to the budget; calibration and warm-up add a few batches.
      const double per = s.kind == BenchKind::LaunchLatency ? r.launch_us : r.roundtrip_us;
      return static_cast<double>(s.repetitions) * (s.repetition_budget_s + r.per_repetition_s) +
             2 * 100 * per * 1e-6;
    }
  }
  return setup + calls * per_call + static_cast<double>(s.repetitions) * r.per_repetition_s;
}

double estimated_seconds(const std::vector<BenchSpec>& specs, const RateModel& rates) {
  double total = 0;
  for (const BenchSpec& s : specs) total += estimated_seconds(s, rates);
  return total;
}

}  // namespace gpuval::bench
