// The catalogue rows this build adds (GEMM shapes, the cuDNN convolution, P2P read and write per
// ordered pair of GPUs), their FLOP/byte counting and peak basis, and the no-GPU document with
// them. No GPU needed.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "bench/catalogue.hpp"
#include "bench/counting.hpp"
#include "bench/runner.hpp"
#include "core/run_document.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;

std::vector<BenchSpec> with_id(const std::vector<BenchSpec>& specs, const std::string& id) {
  std::vector<BenchSpec> out;
  std::copy_if(specs.begin(), specs.end(), std::back_inserter(out),
               [&](const BenchSpec& s) { return s.id == id; });
  return out;
}

TEST(BenchConvCounting, OutputSizeAndFlopFollowTheDirectConvolution) {
  EXPECT_EQ(conv_output_size(56, 3, 1, 1), 56);
  EXPECT_EQ(conv_output_size(56, 3, 0, 1), 54);
  EXPECT_EQ(conv_output_size(224, 7, 3, 2), 112);  // ResNet stem
  EXPECT_EQ(conv_output_size(2, 5, 1, 1), 0) << "filter larger than the padded input";
  EXPECT_EQ(conv_output_size(56, 3, 1, 0), 0) << "no stride";
  const ConvDims d{64, 256, 56, 56, 256, 3, 3, 1, 1};
  // 2 x N x K x P x Q x C x R x S = 2 x 64 x 256 x 56 x 56 x 256 x 9 = 236.8 GFLOP.
  EXPECT_DOUBLE_EQ(conv2d_flops(d), 2.0 * 64 * 256 * 56 * 56 * 256 * 9);
  EXPECT_NEAR(conv2d_flops(d) / 1e9, 236.8, 0.1);
  const ConvDims strided{1, 3, 224, 224, 64, 7, 7, 3, 2};
  EXPECT_DOUBLE_EQ(conv2d_flops(strided), 2.0 * 1 * 64 * 112 * 112 * 3 * 49);
}

TEST(BenchGemmCatalogue, EveryPrecisionAtBothShapesWithItsPeakAndModuleName) {
  const auto specs = catalogue("quick", 0);
  const struct {
    const char* id;
    PeakKind peak;
    const char* module_precision;
    int min_cc;
  } rows[] = {
      {"gemm-fp64", PeakKind::Fp64, "fp64", 0},  {"gemm-fp32", PeakKind::Fp32, "fp32", 0},
      {"gemm-tf32", PeakKind::Tf32, "tf32", 80}, {"gemm-fp16", PeakKind::Fp16, "fp16", 70},
      {"gemm-bf16", PeakKind::Bf16, "bf16", 80}, {"gemm-fp8", PeakKind::Fp8, "fp8-e4m3", 89}};
  for (const auto& row : rows) {
    const auto gemm = with_id(specs, row.id);
    ASSERT_EQ(gemm.size(), 2u) << row.id;
    std::set<std::string> shapes;
    for (const BenchSpec& s : gemm) {
      EXPECT_EQ(s.kind, BenchKind::Gemm);
      EXPECT_EQ(s.peak, row.peak) << row.id;
      EXPECT_STREQ(precision_name(s.precision), row.module_precision);
      EXPECT_EQ(s.min_cc, row.min_cc) << row.id;
      EXPECT_EQ(s.unit, "TFLOP/s");
      EXPECT_DOUBLE_EQ(s.work_per_iteration, gemm_flops(s.m, s.n, s.k));
      shapes.insert(s.params["shape"].get<std::string>());
    }
    EXPECT_EQ(shapes, (std::set<std::string>{"square", "transformer-mlp"})) << row.id;
  }
  const auto square = with_id(specs, "gemm-bf16").front();
  EXPECT_EQ(square.m, 8192);
  EXPECT_EQ(square.n, 8192);
  EXPECT_EQ(square.k, 8192);
}

TEST(BenchConvCatalogue, OneFp16NhwcConvolutionAgainstTheFp16Peak) {
  const auto conv = with_id(catalogue("quick", 0), "cudnn-conv-fwd");
  ASSERT_EQ(conv.size(), 1u);
  const BenchSpec& s = conv.front();
  EXPECT_EQ(s.kind, BenchKind::ConvFwd);
  EXPECT_EQ(s.peak, PeakKind::Fp16);
  EXPECT_EQ(s.unit, "TFLOP/s");
  EXPECT_STREQ(precision_name(s.precision), "fp16");
  EXPECT_EQ(s.params["layout"], "NHWC");
  EXPECT_EQ(s.params["n"], s.conv.n);
  EXPECT_EQ(s.params["k"], s.conv.k);
  EXPECT_EQ(s.params["pad"], s.conv.pad);
  EXPECT_DOUBLE_EQ(s.work_per_iteration, conv2d_flops(s.conv));
  EXPECT_GT(s.work_per_iteration, 1e11) << "large enough to keep the GPU busy";
  for (const BenchSpec& f : with_id(catalogue("full", 0), "cudnn-conv-fwd")) {
    EXPECT_GE(f.repetitions, 9);
  }
}

TEST(BenchP2PCatalogue, OneGpuHasOneReadAndOneWriteEntryWithoutPeer) {
  const auto specs = catalogue("quick", 0, 1);
  for (const char* id : {"p2p-read", "p2p-write"}) {
    const auto p2p = with_id(specs, id);
    ASSERT_EQ(p2p.size(), 1u) << id;
    EXPECT_EQ(p2p.front().peer, -1);
    EXPECT_FALSE(p2p.front().params.contains("peer"));
    EXPECT_EQ(p2p.front().unit, "GB/s");
    EXPECT_DOUBLE_EQ(p2p.front().work_per_iteration,
                     static_cast<double>(profile_sizes("quick").copy_bytes))
        << "each byte crosses the link once";
  }
  EXPECT_EQ(with_id(specs, "p2p-read").front().kind, BenchKind::P2PRead);
  EXPECT_EQ(with_id(specs, "p2p-write").front().kind, BenchKind::P2PWrite);
}

TEST(BenchP2PCatalogue, EveryOrderedPairOfFourGpusHasReadAndWrite) {
  std::set<std::pair<int, int>> reads, writes;
  for (int d = 0; d < 4; ++d) {
    for (const BenchSpec& s : catalogue("quick", d, 4)) {
      if (s.kind != BenchKind::P2PRead && s.kind != BenchKind::P2PWrite) continue;
      EXPECT_NE(s.peer, s.device);
      EXPECT_EQ(s.params["peer"], s.peer);
      (s.kind == BenchKind::P2PRead ? reads : writes).insert({s.device, s.peer});
    }
  }
  EXPECT_EQ(reads.size(), 12u);  // 4 x 3 ordered pairs
  EXPECT_EQ(writes, reads);
}

TEST(BenchCatalogueIdentity, IdsAndParamsStayUniqueWithSeveralGpus) {
  const auto specs = catalogue("full", 1, 3);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    EXPECT_GE(specs[i].repetitions, 9) << specs[i].id;
    for (std::size_t j = i + 1; j < specs.size(); ++j) {
      EXPECT_FALSE(specs[i].id == specs[j].id && specs[i].params == specs[j].params)
          << specs[i].id << " " << specs[i].params.dump();
    }
  }
}

TEST(BenchRunnerNoGpu, NewEntriesAreValidSkipsInTheDocument) {
  Facts facts;  // no usable GPU
  BenchOptions opt;
  opt.filter = "^(gemm-|cudnn-|p2p-)";
  const json b = run_benchmarks(opt, facts, nullptr);
  ASSERT_EQ(b.size(), 12u + 1u + 2u);
  for (const json& e : b) {
    EXPECT_EQ(e["status"], "SKIP");
    EXPECT_TRUE(e["samples"].empty());
    EXPECT_TRUE(e["fraction_of_peak"].is_null());
  }
  const json doc = {
      {"schema", "gpuval.run/1"}, {"tool", json::object()},
      {"run", json::object()},    {"environment", json::object()},
      {"checks", json::array()},  {"benchmarks", b},
      {"devices", json::array()}, {"verdict", {{"status", "no-gpu"}, {"exit_code", 3}}}};
  EXPECT_NO_THROW(validate_run_document(doc));
}

}  // namespace
}  // namespace gpuval::bench
