// GEMM and convolution benchmarks run inside their probe module; here with the fake module
// (tests/support/fake_probe_module.cpp) loaded through the real loader, so everything but the
// CUDA work is exercised without a GPU: which module can run benchmarks (an older module's
// struct size), what is asked of it, how its answers become outcomes, one open session at a
// time, and a repetition's sample computed from the time measured inside the module.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "bench/catalogue.hpp"
#include "bench/entry.hpp"
#include "bench/module_bench.hpp"
#include "bench/reporter.hpp"
#include "tests/support/fixture_tree.hpp"
#include "core/gpu_error_hints.hpp"
#include "probes/host/probe_loader.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;

const std::string kFakeDir = GPUVAL_FAKE_PROBE_DIR;

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

BenchSpec first(const std::string& id, const std::string& shape = "square") {
  for (BenchSpec& s : catalogue("quick", 0)) {
    if (s.id == id && (!s.params.contains("shape") || s.params["shape"] == shape)) return s;
  }
  ADD_FAILURE() << id << " missing";
  return {};
}

ProbeLoad load_fake(const ProbeModuleSpec& spec) {
  ProbeLoad load = load_probe_module(spec, {kFakeDir + "/ok"});
  EXPECT_EQ(load.status, ProbeLoadStatus::Loaded) << load.error;
  return load;
}

TEST(BenchModule, GemmRunsInTheCublasModuleAndTheConvolutionInTheCudnnModule) {
  EXPECT_EQ(module_for(first("gemm-bf16")), &kCublasProbe);
  EXPECT_EQ(module_for(first("cudnn-conv-fwd")), &kCudnnProbe);
  EXPECT_EQ(module_for(first("stream-triad")), nullptr);
}

TEST(BenchModule, ACurrentModuleCanRunBenchmarks) {
  const ProbeLoad load = load_fake(kCublasProbe);
  EXPECT_NE(gpuval_probe_module_has_bench(load.module), 0);
  EXPECT_FALSE(module_unavailable(kCublasProbe, load, 13000).has_value());
}

TEST(BenchModule, AnOlderModuleStillLoadsForTheChecksButItsBenchmarksSkip) {
  ScopedEnv old("GPUVAL_FAKE_PROBE_SIZE", "base");
  const ProbeLoad load = load_probe_module(kCublasProbe, {kFakeDir + "/ok"});
  ASSERT_EQ(load.status, ProbeLoadStatus::Loaded) << "the cublas check must keep working";
  EXPECT_EQ(load.module->struct_size, GPUVAL_PROBE_MODULE_BASE_SIZE);
  EXPECT_EQ(gpuval_probe_module_has_bench(load.module), 0);
  const auto why = module_unavailable(kCublasProbe, load, 13000);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->status, "SKIP");
  EXPECT_NE(why->message.find("no benchmark entry points"), std::string::npos) << why->message;
  EXPECT_NE(why->message.find("older gpuval"), std::string::npos) << why->message;
  EXPECT_NE(why->hint.find("reinstall"), std::string::npos) << why->hint;
}

TEST(BenchModule, AMissingModuleSkipsWithThePackageHint) {
  const ProbeLoad load = load_probe_module(kCudnnProbe, {"/nonexistent/gpuval/lib"});
  const auto why = module_unavailable(kCudnnProbe, load, 13000);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->status, "SKIP");
  EXPECT_NE(why->message.find("libgpuval_probe_cudnn.so"), std::string::npos) << why->message;
  EXPECT_EQ(why->hint, probe_package_hint(kCudnnProbe, 13000));
}

TEST(BenchModule, TheRequestCarriesTheSpec) {
  const BenchSpec gemm = first("gemm-fp8", "transformer-mlp");
  gpuval_probe_bench_request r = bench_request(gemm, 77, false);
  EXPECT_EQ(r.struct_size, sizeof(r));
  EXPECT_EQ(r.op, GPUVAL_BENCH_OP_GEMM);
  EXPECT_STREQ(r.precision, "fp8-e4m3");
  EXPECT_EQ(r.m, 4096);
  EXPECT_EQ(r.n, 11008);
  EXPECT_EQ(r.k, 4096);
  EXPECT_EQ(r.seed, 77u);
  EXPECT_EQ(r.flags, 0u);
  EXPECT_EQ(bench_request(gemm, 77, true).flags, GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT);

  const BenchSpec conv = first("cudnn-conv-fwd");
  r = bench_request(conv, 1, false);
  EXPECT_EQ(r.op, GPUVAL_BENCH_OP_CONV2D_FWD);
  EXPECT_STREQ(r.precision, "fp16");
  EXPECT_EQ(r.conv_n, conv.conv.n);
  EXPECT_EQ(r.conv_c, conv.conv.c);
  EXPECT_EQ(r.conv_k, conv.conv.k);
  EXPECT_EQ(r.conv_r, conv.conv.r);
  EXPECT_EQ(r.conv_pad, conv.conv.pad);
  EXPECT_EQ(r.conv_stride, conv.conv.stride);
}

TEST(BenchModule, OpenAnswersBecomeOutcomes) {
  EXPECT_FALSE(open_failure(kCublasProbe, R"({"status": "READY"})").has_value());

  auto memory = open_failure(
      kCublasProbe,
      R"({"status": "SKIP", "skip": "memory", "reason": "needs 1.52 GiB of device memory, 0.40 GiB free"})");
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->status, "SKIP");
  EXPECT_EQ(memory->message, "cuBLAS: needs 1.52 GiB of device memory, 0.40 GiB free");
  EXPECT_NE(memory->hint.find("free device memory"), std::string::npos);

  auto capability = open_failure(
      kCublasProbe,
      R"({"status": "SKIP", "skip": "capability", "reason": "needs compute capability >= 8.9"})");
  ASSERT_TRUE(capability);
  EXPECT_EQ(capability->status, "SKIP");
  EXPECT_TRUE(capability->hint.empty());

  auto failed = open_failure(kCublasProbe, R"({"status": "FAIL", "error": {
      "library": "cuBLAS", "code": 15, "name": "CUBLAS_STATUS_NOT_SUPPORTED",
      "description": "no cuBLASLt algorithm", "call": "cublasLtMatmulAlgoGetHeuristic"}})");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, "FAIL");
  EXPECT_NE(failed->message.find("CUBLAS_STATUS_NOT_SUPPORTED (15)"), std::string::npos)
      << failed->message;
  EXPECT_EQ(failed->hint, gpu_error_hint("CUBLAS_STATUS_NOT_SUPPORTED"));

  auto malformed = open_failure(kCudnnProbe, "{not json");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, "FAIL");
  EXPECT_NE(malformed->message.find("malformed"), std::string::npos);

  auto unknown = open_failure(kCudnnProbe, R"({"status": "MAYBE"})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, "FAIL");
}

TEST(BenchModule, BatchAnswersAreParsed) {
  BatchResult ok = parse_batch(
      kCublasProbe, R"({"status": "PASS", "time_ms": 12.5, "iterations": 5, "verified": true})");
  EXPECT_TRUE(ok.ok);
  EXPECT_DOUBLE_EQ(ok.seconds, 0.0125);
  EXPECT_EQ(ok.iterations, 5);
  EXPECT_TRUE(ok.verified);

  BatchResult wrong = parse_batch(kCublasProbe, R"({"status": "FAIL", "time_ms": 12.5,
      "iterations": 5, "verified": false, "check": {"name": "bf16", "status": "FAIL",
      "tolerance": 0.005, "rel_error": 0.2, "elements": 256, "bad_elements": 1, "non_finite": 0,
      "first_bad": {"index": 135, "got": 9.5, "got_text": "", "expected": 1.25}}})");
  EXPECT_TRUE(wrong.ok) << "it ran: the time is real, the result is not";
  EXPECT_FALSE(wrong.verified);
  EXPECT_NE(wrong.message.find("bf16 wrong"), std::string::npos) << wrong.message;
  EXPECT_NE(wrong.message.find("1 of 256"), std::string::npos) << wrong.message;

  BatchResult error = parse_batch(kCublasProbe, R"({"status": "FAIL", "verified": false,
      "error": {"name": "cudaErrorIllegalAddress", "code": 700, "call": "cudaEventSynchronize"}})");
  EXPECT_FALSE(error.ok);
  EXPECT_NE(error.message.find("cudaErrorIllegalAddress"), std::string::npos) << error.message;

  EXPECT_FALSE(parse_batch(kCublasProbe, R"({"status": "PASS", "verified": true})").ok);
  EXPECT_FALSE(parse_batch(kCublasProbe, R"({"time_ms": 0, "iterations": 5})").ok);
  EXPECT_FALSE(parse_batch(kCublasProbe, "[]").ok);
}

TEST(BenchModule, ASessionOfTheFakeModuleTimesABatch) {
  const ProbeLoad load = load_fake(kCublasProbe);
  ModuleBench bench(*load.module, kCublasProbe, bench_request(first("gemm-bf16"), 1, false));
  ASSERT_FALSE(bench.failure().has_value()) << bench.failure()->message;
  ASSERT_TRUE(bench.start(4, 2));
  const BatchResult r = bench.finish();
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.iterations, 4);
  EXPECT_DOUBLE_EQ(r.seconds, 0.010);  // the fake: 2.5 ms per call
  EXPECT_TRUE(r.verified);
}

TEST(BenchModule, ASkippedOpenHoldsNoSession) {
  ScopedEnv open(
      "GPUVAL_FAKE_PROBE_BENCH_OPEN",
      R"({"status": "SKIP", "skip": "memory", "reason": "needs 9.00 GiB of device memory, 1.00 GiB free"})");
  const ProbeLoad load = load_fake(kCublasProbe);
  ModuleBench bench(*load.module, kCublasProbe, bench_request(first("gemm-fp64"), 1, false));
  ASSERT_TRUE(bench.failure().has_value());
  EXPECT_EQ(bench.failure()->status, "SKIP");
  EXPECT_FALSE(bench.start(4, 2));
  EXPECT_FALSE(bench.finish().ok);
}

TEST(BenchModule, ANullAnswerIsAFail) {
  ScopedEnv null_bench("GPUVAL_FAKE_PROBE_NULL", "bench");
  const ProbeLoad load = load_fake(kCudnnProbe);
  ModuleBench bench(*load.module, kCudnnProbe, bench_request(first("cudnn-conv-fwd"), 1, false));
  ASSERT_TRUE(bench.failure().has_value());
  EXPECT_EQ(bench.failure()->status, "FAIL");
  EXPECT_NE(bench.failure()->message.find("no answer"), std::string::npos);
}

std::vector<std::string> lines_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(BenchModuleCache, OneSessionIsOpenAtATimeAndTheOldOneClosesFirst) {
  testing::FixtureTree tree;
  const std::filesystem::path log = tree.root() / "calls.log";
  ScopedEnv log_env("GPUVAL_FAKE_PROBE_BENCH_LOG", log.string());
  const ProbeLoad load = load_fake(kCublasProbe);
  {
    ModuleBenchCache cache;
    int opened = 0;
    auto opener = [&](const BenchSpec& spec) {
      return [&, spec] {
        ++opened;
        return std::make_unique<ModuleBench>(*load.module, kCublasProbe,
                                             bench_request(spec, 1, false));
      };
    };
    ModuleBench& a = cache.get("gemm-fp16/square", opener(first("gemm-fp16")));
    ModuleBench& again = cache.get("gemm-fp16/square", opener(first("gemm-fp16")));
    EXPECT_EQ(&a, &again);
    EXPECT_EQ(opened, 1) << "the same benchmark reuses its session across repetitions";
    cache.get("gemm-fp16/mlp", opener(first("gemm-fp16", "transformer-mlp")));
    EXPECT_EQ(opened, 2);
  }
  EXPECT_EQ(lines_of(log), (std::vector<std::string>{"open fp16 m=8192 n=8192 k=8192", "close",
                                                     "open fp16 m=4096 n=11008 k=4096", "close"}));
}

// Runs `spec` through Google Benchmark with the module session `bench`, as the GPU harness does,
// and returns its run-document entry.
json run_entry(BenchSpec spec, ModuleBench& bench) {
  spec.iterations = 4;
  spec.repetitions = 3;
  const std::string name = "module-test/" + spec.id;
  Outcome outcome;
  benchmark::ClearRegisteredBenchmarks();
  benchmark::RegisterBenchmark(
      name.c_str(),
      [&](benchmark::State& st) { run_module_repetition(st, bench, nullptr, 0, outcome); })
      ->UseManualTime()
      ->Iterations(spec.iterations)
      ->Repetitions(spec.repetitions);
  CollectingReporter reporter(nullptr);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
  std::vector<RepetitionSample> samples;
  if (auto it = reporter.runs().find(name); it != reporter.runs().end()) {
    for (const auto& run : it->second) {
      if (auto s = sample_from_run(spec, run)) samples.push_back(*s);
    }
  }
  return make_entry(spec, samples, 989.4, outcome);
}

TEST(BenchModuleRepetition, TheSampleIsTheWorkOverTheTimeMeasuredInsideTheModule) {
  testing::FixtureTree tree;
  const std::filesystem::path log = tree.root() / "calls.log";
  ScopedEnv log_env("GPUVAL_FAKE_PROBE_BENCH_LOG", log.string());
  const ProbeLoad load = load_fake(kCublasProbe);
  const BenchSpec spec = first("gemm-bf16");
  ModuleBench bench(*load.module, kCublasProbe, bench_request(spec, 1, false));
  const json e = run_entry(spec, bench);
  EXPECT_EQ(e["status"], "PASS") << e.dump();
  EXPECT_TRUE(e["verified"].get<bool>());
  ASSERT_EQ(e["samples"].size(), 3u);
  // 2.5 ms per call in the fake: 2 x 8192^3 FLOP / 2.5 ms = 439.8 TFLOP/s, every repetition.
  const double expected = spec.work_per_iteration / 2.5e-3 / 1e12;
  for (const json& s : e["samples"]) EXPECT_NEAR(s.get<double>(), expected, 1e-9 * expected);
  EXPECT_NEAR(e["fraction_of_peak"].get<double>(), expected / 989.4, 1e-9);
  // One batch per repetition, each asking for the repetition's iterations after the warm-up.
  const auto calls = lines_of(log);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "start 4 2"), 3)
      << ::testing::PrintToString(calls);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "finish"), 3);
}

TEST(BenchModuleRepetition, AWrongResultFailsTheEntry) {
  ScopedEnv result("GPUVAL_FAKE_PROBE_BENCH_RESULT",
                   R"({"status": "FAIL", "time_ms": 10, "iterations": $ITERATIONS,
                       "verified": false, "check": {"name": "$PRECISION", "status": "FAIL",
                       "tolerance": 0.005, "rel_error": 0.3, "elements": 256,
                       "bad_elements": 1, "non_finite": 0,
                       "first_bad": {"index": 135, "got": 9.5, "expected": 1.25},
                       "injected_fault_at": 135}})");
  const ProbeLoad load = load_fake(kCublasProbe);
  const BenchSpec spec = first("gemm-fp16");
  ModuleBench bench(*load.module, kCublasProbe, bench_request(spec, 1, true));
  const json e = run_entry(spec, bench);
  EXPECT_EQ(e["status"], "FAIL");
  EXPECT_FALSE(e["verified"].get<bool>());
  EXPECT_TRUE(e["samples"].empty()) << "a wrong result gives no sample";
  EXPECT_EQ(e["message"].get<std::string>().rfind("wrong result: fp16 wrong", 0), 0u)
      << e["message"];
  EXPECT_NE(e["hint"].get<std::string>().find("cuBLAS"), std::string::npos) << e["hint"];
}

TEST(BenchModuleRepetition, AFailedStartFailsTheEntryWithTheModulesError) {
  ScopedEnv start("GPUVAL_FAKE_PROBE_BENCH_START", "fail");
  ScopedEnv result("GPUVAL_FAKE_PROBE_BENCH_RESULT",
                   R"({"status": "FAIL", "verified": false, "error": {"library": "cuBLAS",
                       "code": 13, "name": "CUBLAS_STATUS_EXECUTION_FAILED",
                       "call": "cublasLtMatmul"}})");
  const ProbeLoad load = load_fake(kCublasProbe);
  const BenchSpec spec = first("gemm-tf32");
  ModuleBench bench(*load.module, kCublasProbe, bench_request(spec, 1, false));
  const json e = run_entry(spec, bench);
  EXPECT_EQ(e["status"], "FAIL");
  EXPECT_NE(e["message"].get<std::string>().find("CUBLAS_STATUS_EXECUTION_FAILED"),
            std::string::npos)
      << e["message"];
}

TEST(BenchModuleRepetition, ASkippedOpenSkipsTheEntryWithTheReason) {
  ScopedEnv open(
      "GPUVAL_FAKE_PROBE_BENCH_OPEN",
      R"({"status": "SKIP", "skip": "memory", "reason": "needs 1.52 GiB of device memory, 0.40 GiB free"})");
  const ProbeLoad load = load_fake(kCudnnProbe);
  const BenchSpec spec = first("cudnn-conv-fwd");
  ModuleBench bench(*load.module, kCudnnProbe, bench_request(spec, 1, false));
  const json e = run_entry(spec, bench);
  EXPECT_EQ(e["status"], "SKIP");
  EXPECT_EQ(e["message"], "cuDNN: needs 1.52 GiB of device memory, 0.40 GiB free");
  EXPECT_TRUE(e["samples"].empty());
}

TEST(BenchModuleRepetition, AModuleTimingOtherCallsThanAskedFails) {
  ScopedEnv result("GPUVAL_FAKE_PROBE_BENCH_RESULT",
                   R"({"status": "PASS", "time_ms": 10, "iterations": 1, "verified": true})");
  const ProbeLoad load = load_fake(kCublasProbe);
  const BenchSpec spec = first("gemm-fp32");
  ModuleBench bench(*load.module, kCublasProbe, bench_request(spec, 1, false));
  const json e = run_entry(spec, bench);
  EXPECT_EQ(e["status"], "FAIL");
  EXPECT_NE(e["message"].get<std::string>().find("timed 1 calls, 4 were asked for"),
            std::string::npos)
      << e["message"];
}

}  // namespace
}  // namespace gpuval::bench
