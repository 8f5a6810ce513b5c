// The benchmark catalogue: every benchmark gpuval knows, with its unit, direction, peak and the
// work one iteration does (bytes or FLOP, counted as bench/README.md states). Pure data: the same
// list backs the real runs and the SKIP entries written when no GPU is usable.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/counting.hpp"

namespace gpuval::bench {

// Which theoretical peak a figure is a fraction of.
// PcieLinkBothWays: the link's one-direction rate twice (PCIe is full duplex), for figures that
// count bytes of both directions.
enum class PeakKind { None, Dram, PcieLink, PcieLinkBothWays, Fp64, Fp32, Tf32, Fp16, Bf16, Fp8 };

enum class BenchKind {
  StreamCopy,
  StreamScale,
  StreamAdd,
  StreamTriad,
  StreamDot,
  MemcpyD2D,
  H2DPinned,
  D2HPinned,
  H2DPageable,
  D2HPageable,
  BidirPinned,
  P2PRead,   // a kernel on `device` reads the peer's memory into its own
  P2PWrite,  // a kernel on `device` writes its own memory into the peer's
  Gemm,      // through the cuBLAS probe module (cuBLASLt)
  ConvFwd,   // through the cuDNN probe module
  LaunchLatency,
  RoundTripLatency,
  ColdStart,  // time to first kernel, in fresh child processes (bench/cold_start.hpp)
  // Collectives over every visible GPU through the NCCL probe module (bench/nccl_bench.hpp).
  NcclAllReduce,
  NcclAllGather,
  NcclReduceScatter,
};

// Element precision of a module benchmark (GEMM, and FP16/BF16 for the convolution).
enum class GemmPrecision { FP64, FP32, TF32, FP16, BF16, FP8 };

// The name the probe modules use for it (probes/gemm_precisions.hpp): "fp64", ..., "fp8-e4m3".
const char* precision_name(GemmPrecision precision);

struct BenchSpec {
  std::string id;  // "stream-triad", "gemm-bf16"
  BenchKind kind = BenchKind::StreamCopy;
  int device = 0;  // CUDA ordinal
  // The NVML board of `device` (bound by PCI bus id, core/device_inventory.hpp): where its clock
  // samples come from. Empty: no clock samples.
  std::optional<unsigned> nvml_index;
  nlohmann::json params = nlohmann::json::object();  // identity with id and device
  std::string unit;                                  // "GB/s", "TFLOP/s", "us"
  bool higher_is_better = true;
  PeakKind peak = PeakKind::None;
  // Bytes (GB/s) or FLOP (TFLOP/s) one iteration does; 0 for latencies (time per iteration).
  double work_per_iteration = 0;
  std::string counting;  // how the work is counted, recorded with the entry
  // Sizes the benchmark allocates (elements of its buffers / GEMM shape).
  std::size_t elements = 0;
  long long m = 0, n = 0, k = 0;
  ConvDims conv;
  GemmPrecision precision = GemmPrecision::FP32;
  int peer = -1;   // P2P: the other device; -1 when fewer than two GPUs are visible
  int min_cc = 0;  // lowest compute capability (major*10+minor) it runs on
  int iterations = 1;
  int repetitions = 1;
  // Latencies: device or host time one repetition aims at; the launches per iteration are
  // calibrated to it once per benchmark (bench/gpu_benchmarks.cpp).
  double repetition_budget_s = 0;
  // A figure below this fraction of its peak turns a PASS into a WARN (0: no floor). Only where
  // the peak is what a healthy device reaches most of: the pinned host-link copies.
  double min_fraction_of_peak = 0;
  // Benchmarks of several devices: the group ("nccl"; the run document's "group") and the
  // collectives' parameters: ranks (GPUs in the communicator, CUDA ordinals 0 .. ranks - 1), the
  // pass ("default", "no-p2p": bench/nccl_bench.hpp) and the message size in bytes.
  std::string group;
  int ranks = 0;
  std::string nccl_pass;
  std::uint64_t message_bytes = 0;
  bool nccl_pass_setup = false;  // the first spec of its pass: carries the communicator setup
};

// NCCL collectives per profile: message sizes (nccl-tests' sense, bytes), warm-up calls,
// repetitions, the time one repetition aims at (iterations calibrated to it) and the bound of
// every wait inside the module.
struct NcclProfile {
  std::vector<std::uint64_t> sizes;
  int warmup = 0;
  int repetitions = 0;
  double repetition_budget_s = 0;
  long max_iterations = 0;
  double timeout_s = 0;
};
NcclProfile nccl_profile(const std::string& profile);
// Whether `kind` is one of the NCCL collectives.
bool is_nccl_kind(BenchKind kind);

struct ProfileSizes {
  std::size_t stream_elements;  // doubles per STREAM array
  std::size_t copy_bytes;       // D2D and host-link buffer size
  int repetitions;              // Google Benchmark repetitions
  int bandwidth_iterations;     // iterations per repetition: STREAM, D2D and P2P
  int link_iterations;          // iterations per repetition: host-link copies
  int gemm_iterations;          // GEMM and convolution calls per repetition
  int latency_iterations;       // timed batches per repetition (launches calibrated per batch)
  double latency_budget_s;      // time one latency repetition aims at
};

// "quick" (default) or "full" (>= 9 repetitions, larger buffers).
ProfileSizes profile_sizes(const std::string& profile);

// Every benchmark for one device of `device_count` visible ones, sized for the profile. P2P read
// and write come once per other device; with fewer than two devices once each with peer -1
// (they SKIP: "needs two or more GPUs"). Device 0's list ends with the cold-start benchmarks
// (cuInit is per process: once, with device 0) and the NCCL collectives over all `device_count`
// GPUs (group "nccl"): per pass, collective and size; with fewer than two GPUs once per pass and
// collective, without a size (they SKIP).
std::vector<BenchSpec> catalogue(const std::string& profile, int device, int device_count = 1);

std::string to_string(PeakKind peak);

// Fresh child processes per cold-start benchmark: quick 3, full 9 (>= 9 for comparisons).
int cold_start_samples(const std::string& profile);

}  // namespace gpuval::bench
