#include "bench/catalogue.hpp"

#include "bench/cold_start.hpp"
#include "bench/counting.hpp"

namespace gpuval::bench {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// Pinned copies reach 80-90 % of the link on healthy hosts (nvbandwidth: 51-55 of 63 GB/s on
// Gen5 x16), 70-80 % across NUMA nodes or with a strict IOMMU; under half is a link problem.
constexpr double kPinnedLinkFloor = 0.5;

struct GemmRow {
  const char* id;
  GemmPrecision precision;
  PeakKind peak;
  int min_cc;
};
constexpr GemmRow kGemmRows[] = {
    {"gemm-fp64", GemmPrecision::FP64, PeakKind::Fp64, 0},
    {"gemm-fp32", GemmPrecision::FP32, PeakKind::Fp32, 0},
    {"gemm-tf32", GemmPrecision::TF32, PeakKind::Tf32, 80},
    {"gemm-fp16", GemmPrecision::FP16, PeakKind::Fp16, 70},
    {"gemm-bf16", GemmPrecision::BF16, PeakKind::Bf16, 80},
    {"gemm-fp8", GemmPrecision::FP8, PeakKind::Fp8, 89},
};

// 8192^3, and the MLP up-projection of a 7B-class transformer over 4096 tokens.
struct GemmShapeRow {
  const char* name;
  long long m, n, k;
};
constexpr GemmShapeRow kGemmShapes[] = {{"square", 8192, 8192, 8192},
                                        {"transformer-mlp", 4096, 11008, 4096}};

constexpr ConvDims kConvDims{64, 256, 56, 56, 256, 3, 3, 1, 1};

// The collectives and the passes they run in (bench/nccl_bench.cpp sets each pass's NCCL
// environment): NCCL's own choice, then with peer-to-peer off so the SHM transport carries it.
struct NcclRow {
  const char* id;
  BenchKind kind;
  const char* counting;
};
constexpr NcclRow kNcclRows[] = {
    {"nccl-all-reduce", BenchKind::NcclAllReduce,
     "busbw = algbw x 2(n-1)/n, algbw = bytes / time per call (nccl-tests); GB/s = 1e9 B/s"},
    {"nccl-all-gather", BenchKind::NcclAllGather,
     "busbw = algbw x (n-1)/n, algbw = gathered bytes / time per call (nccl-tests)"},
    {"nccl-reduce-scatter", BenchKind::NcclReduceScatter,
     "busbw = algbw x (n-1)/n, algbw = input bytes / time per call (nccl-tests)"},
};
constexpr const char* kNcclPasses[] = {"default", "no-p2p"};

BenchSpec bandwidth(std::string id, BenchKind kind, int device, double bytes, std::string counting,
                    PeakKind peak, const ProfileSizes& p) {
  BenchSpec s;
  s.id = std::move(id);
  s.kind = kind;
  s.device = device;
  s.params = {{"bytes", static_cast<long long>(bytes)}};
  s.unit = "GB/s";
  s.peak = peak;
  s.work_per_iteration = bytes;
  s.counting = std::move(counting);
  s.iterations = p.bandwidth_iterations;
  s.repetitions = p.repetitions;
  return s;
}

}  // namespace

// The time each profile spends per benchmark is in bench/README.md ("Time budget") and checked
// by tests/unit/bench_budget_test.cpp against an H100 rate model (bench/budget.hpp).
NcclProfile nccl_profile(const std::string& profile) {
  if (profile == "full") {
    NcclProfile p{{}, 5, 10, 0.05, 1000, 60};
    for (std::uint64_t bytes = 8; bytes <= (std::uint64_t{1} << 30); bytes *= 8) {
      p.sizes.push_back(bytes);
    }
    return p;
  }
  return {{8, std::uint64_t{1} << 20, std::uint64_t{256} << 20}, 2, 3, 0.01, 1000, 30};
}

bool is_nccl_kind(BenchKind kind) {
  return kind == BenchKind::NcclAllReduce || kind == BenchKind::NcclAllGather ||
         kind == BenchKind::NcclReduceScatter;
}

ProfileSizes profile_sizes(const std::string& profile) {
  if (profile == "full") return {128 * kMiB, 1024 * kMiB, 10, 50, 10, 20, 20, 0.1};
  return {32 * kMiB, 256 * kMiB, 5, 20, 4, 5, 10, 0.02};
}

std::vector<BenchSpec> catalogue(const std::string& profile, int device, int device_count) {
  const ProfileSizes p = profile_sizes(profile);
  std::vector<BenchSpec> out;
  const struct {
    const char* id;
    BenchKind kind;
    StreamOp op;
  } stream_rows[] = {{"stream-copy", BenchKind::StreamCopy, StreamOp::Copy},
                     {"stream-scale", BenchKind::StreamScale, StreamOp::Scale},
                     {"stream-add", BenchKind::StreamAdd, StreamOp::Add},
                     {"stream-triad", BenchKind::StreamTriad, StreamOp::Triad},
                     {"stream-dot", BenchKind::StreamDot, StreamOp::Dot}};
  for (const auto& row : stream_rows) {
    BenchSpec s = bandwidth(row.id, row.kind, device, stream_bytes(row.op, p.stream_elements),
                            "read + write: " + std::to_string(stream_arrays_touched(row.op)) +
                                " arrays x elements x 8 B",
                            PeakKind::Dram, p);
    s.elements = p.stream_elements;
    out.push_back(std::move(s));
  }
  BenchSpec d2d =
      bandwidth("memcpy-d2d", BenchKind::MemcpyD2D, device, d2d_copy_bytes(p.copy_bytes),
                "read + write: 2 x buffer bytes (copy engine)", PeakKind::Dram, p);
  d2d.elements = p.copy_bytes;
  out.push_back(std::move(d2d));

  const double link = static_cast<double>(p.copy_bytes);
  // Pinned first, bidirectional with them (they share the pinned buffers), pageable last.
  const struct {
    const char* id;
    BenchKind kind;
    double bytes;
    const char* counting;
    PeakKind peak;
    double floor;
  } link_rows[] = {
      {"h2d-pinned", BenchKind::H2DPinned, link, "buffer bytes, once (crosses the link once)",
       PeakKind::PcieLink, kPinnedLinkFloor},
      {"d2h-pinned", BenchKind::D2HPinned, link, "buffer bytes, once", PeakKind::PcieLink,
       kPinnedLinkFloor},
      {"bidir-pinned", BenchKind::BidirPinned, 2 * link,
       "H2D bytes + D2H bytes, concurrent on two streams (peak: both directions of the link)",
       PeakKind::PcieLinkBothWays, kPinnedLinkFloor},
      {"h2d-pageable", BenchKind::H2DPageable, link, "buffer bytes, once", PeakKind::PcieLink, 0},
      {"d2h-pageable", BenchKind::D2HPageable, link, "buffer bytes, once", PeakKind::PcieLink, 0},
  };
  for (const auto& row : link_rows) {
    BenchSpec s = bandwidth(row.id, row.kind, device, row.bytes, row.counting, row.peak, p);
    s.elements = p.copy_bytes;
    s.iterations = p.link_iterations;
    s.min_fraction_of_peak = row.floor;
    out.push_back(std::move(s));
  }
  // Peer to peer: the copy kernel runs on `device` and reads or writes the peer's memory.
  std::vector<int> peers;
  for (int d = 0; d < device_count; ++d) {
    if (d != device) peers.push_back(d);
  }
  if (peers.empty()) peers.push_back(-1);
  for (int peer : peers) {
    const struct {
      const char* id;
      BenchKind kind;
      const char* counting;
    } p2p_rows[] = {
        {"p2p-read", BenchKind::P2PRead,
         "buffer bytes, once (peer -> device, read by a kernel on the device)"},
        {"p2p-write", BenchKind::P2PWrite,
         "buffer bytes, once (device -> peer, written by a kernel on the device)"},
    };
    for (const auto& row : p2p_rows) {
      BenchSpec s = bandwidth(row.id, row.kind, device, link, row.counting, PeakKind::None, p);
      s.elements = p.copy_bytes;
      s.peer = peer;
      if (peer >= 0) s.params["peer"] = peer;
      out.push_back(std::move(s));
    }
  }

  for (const GemmRow& g : kGemmRows) {
    for (const GemmShapeRow& shape : kGemmShapes) {
      BenchSpec s;
      s.id = g.id;
      s.kind = BenchKind::Gemm;
      s.device = device;
      s.params = {{"m", shape.m}, {"n", shape.n}, {"k", shape.k}, {"shape", shape.name}};
      s.unit = "TFLOP/s";
      s.peak = g.peak;
      s.work_per_iteration = gemm_flops(shape.m, shape.n, shape.k);
      s.counting = "2 x M x N x K FLOP";
      s.m = shape.m;
      s.n = shape.n;
      s.k = shape.k;
      s.precision = g.precision;
      s.min_cc = g.min_cc;
      s.iterations = p.gemm_iterations;
      s.repetitions = p.repetitions;
      out.push_back(std::move(s));
    }
  }

  // A 3x3 convolution, 256 -> 256 channels at 56 x 56, batch 64: a CNN layer large enough to be
  // compute-bound on tensor cores (236.8 GFLOP per call).
  BenchSpec conv;
  conv.id = "cudnn-conv-fwd";
  conv.kind = BenchKind::ConvFwd;
  conv.device = device;
  conv.conv = kConvDims;
  conv.precision = GemmPrecision::FP16;
  conv.params = {{"precision", precision_name(conv.precision)},
                 {"n", kConvDims.n},
                 {"c", kConvDims.c},
                 {"h", kConvDims.h},
                 {"w", kConvDims.w},
                 {"k", kConvDims.k},
                 {"r", kConvDims.r},
                 {"s", kConvDims.s},
                 {"pad", kConvDims.pad},
                 {"stride", kConvDims.stride},
                 {"layout", "NHWC"}};
  conv.unit = "TFLOP/s";
  conv.peak = PeakKind::Fp16;
  conv.work_per_iteration = conv2d_flops(kConvDims);
  conv.counting = "2 x N x K x P x Q x C x R x S FLOP (direct convolution)";
  conv.min_cc = 70;
  conv.iterations = p.gemm_iterations;
  conv.repetitions = p.repetitions;
  out.push_back(std::move(conv));

  const struct {
    const char* id;
    BenchKind kind;
    const char* counting;
  } latency_rows[] = {
      {"launch-latency", BenchKind::LaunchLatency,
       "device time per empty-kernel launch, back to back on one stream (CUDA events)"},
      {"roundtrip-latency", BenchKind::RoundTripLatency,
       "host time of launch + cudaStreamSynchronize of an empty kernel"},
  };
  for (const auto& row : latency_rows) {
    BenchSpec s;
    s.id = row.id;
    s.kind = row.kind;
    s.device = device;
    s.params = {{"kernel", "empty"}};
    s.unit = "us";
    s.higher_is_better = false;
    s.counting = row.counting;
    s.iterations = p.latency_iterations;
    s.repetitions = p.repetitions;
    s.repetition_budget_s = p.latency_budget_s;
    out.push_back(std::move(s));
  }

  // Time to first kernel: each step's time in fresh processes, lower is better.
  if (device == 0) {
    for (const ColdStartStep& step : kColdStartSteps) {
      BenchSpec s;
      s.id = std::string("cold-start-") + step.name;
      s.kind = BenchKind::ColdStart;
      s.device = device;
      s.params = {{"step", step.name}};
      s.unit = "ms";
      s.higher_is_better = false;
      s.counting = std::string(step.counting) +
                   ", median over fresh child processes (gpuval __cold-start), one sample each";
      s.iterations = 1;
      s.repetitions = cold_start_samples(profile);
      out.push_back(std::move(s));
    }
  }

  // The collectives span every GPU: listed once, with device 0's benchmarks.
  if (device != 0) return out;
  const NcclProfile np = nccl_profile(profile);
  for (const char* pass : kNcclPasses) {
    bool first = true;
    for (const NcclRow& row : kNcclRows) {
      auto spec = [&](std::uint64_t bytes) {
        BenchSpec s;
        s.id = row.id;
        s.kind = row.kind;
        s.device = 0;
        s.group = "nccl";
        s.ranks = device_count;
        s.nccl_pass = pass;
        s.message_bytes = bytes;
        s.params = {{"pass", pass}, {"ranks", device_count}};
        if (bytes > 0) {
          s.params["bytes"] = bytes;
          s.params["dtype"] = "float32";
        }
        s.unit = "GB/s";
        s.work_per_iteration = static_cast<double>(bytes);
        s.counting = row.counting;
        s.iterations = 0;  // calibrated inside the module to repetition_budget_s
        s.repetitions = np.repetitions;
        s.repetition_budget_s = np.repetition_budget_s;
        s.nccl_pass_setup = first;
        first = false;
        return s;
      };
      if (device_count < 2) {
        out.push_back(spec(0));
        continue;
      }
      for (std::uint64_t bytes : np.sizes) out.push_back(spec(bytes));
    }
  }
  return out;
}

int cold_start_samples(const std::string& profile) { return profile == "full" ? 9 : 3; }

const char* precision_name(GemmPrecision precision) {
  switch (precision) {
    case GemmPrecision::FP64:
      return "fp64";
    case GemmPrecision::FP32:
      return "fp32";
    case GemmPrecision::TF32:
      return "tf32";
    case GemmPrecision::FP16:
      return "fp16";
    case GemmPrecision::BF16:
      return "bf16";
    case GemmPrecision::FP8:
      return "fp8-e4m3";
  }
  return "unknown";
}

std::string to_string(PeakKind peak) {
  switch (peak) {
    case PeakKind::None:
      return "none";
    case PeakKind::Dram:
      return "dram_gb_s";
    case PeakKind::PcieLink:
      return "pcie_link_gb_s";
    case PeakKind::PcieLinkBothWays:
      return "pcie_link_both_ways_gb_s";
    case PeakKind::Fp64:
      return "fp64_tflops";
    case PeakKind::Fp32:
      return "fp32_tflops";
    case PeakKind::Tf32:
      return "tf32_tflops";
    case PeakKind::Fp16:
      return "fp16_tflops";
    case PeakKind::Bf16:
      return "bf16_tflops";
    case PeakKind::Fp8:
      return "fp8_tflops";
  }
  return "none";
}

}  // namespace gpuval::bench
