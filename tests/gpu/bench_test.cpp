// The benchmarks that run inside the probe modules (GEMM through cuBLASLt, the cuDNN
// convolution) and P2P, on a real device: every precision the GPU supports runs and verifies at
// a reduced shape, a corrupted output element is caught, an impossible size SKIPs instead of
// failing, and the harness turns them into run-document entries.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/catalogue.hpp"
#include "bench/runner.hpp"
#include "core/context.hpp"
#include "validate/checks.hpp"
#include "probes/host/probe_loader.hpp"

namespace gpuval {
namespace {

using nlohmann::json;

const char* const kGemmPrecisions[] = {"fp64", "fp32", "tf32", "fp16", "bf16", "fp8-e4m3"};

struct Answer {
  json doc;
  gpuval_probe_bench* session = nullptr;
};

class ModuleBenchGpu : public ::testing::Test {
 protected:
  const gpuval_probe_module* load(const ProbeModuleSpec& spec) {
    const ProbeLoad l = load_probe_module(spec, probe_search_dirs(Env::from_process()));
    if (l.status != ProbeLoadStatus::Loaded) {
      ADD_FAILURE() << spec.file << ": " << l.error;
      return nullptr;
    }
    EXPECT_NE(gpuval_probe_module_has_bench(l.module), 0);
    return l.module;
  }

  static gpuval_probe_bench_request gemm(const char* precision, bool corrupt) {
    gpuval_probe_bench_request r{};
    r.struct_size = sizeof(r);
    r.device = 0;
    r.op = GPUVAL_BENCH_OP_GEMM;
    r.flags = corrupt ? GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT : 0u;
    r.precision = precision;
    r.m = 512;  // all different and multiples of 16 (FP8 needs them)
    r.n = 384;
    r.k = 640;
    r.seed = 11;
    return r;
  }

  static gpuval_probe_bench_request conv(const char* precision, bool corrupt) {
    gpuval_probe_bench_request r{};
    r.struct_size = sizeof(r);
    r.device = 0;
    r.op = GPUVAL_BENCH_OP_CONV2D_FWD;
    r.flags = corrupt ? GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT : 0u;
    r.precision = precision;
    r.conv_n = 2;
    r.conv_c = 64;
    r.conv_h = 20;
    r.conv_w = 18;
    r.conv_k = 32;
    r.conv_r = 3;
    r.conv_s = 3;
    r.conv_pad = 1;
    r.conv_stride = 1;
    r.seed = 5;
    return r;
  }

  static Answer open(const gpuval_probe_module& m, const gpuval_probe_bench_request& r) {
    Answer a;
    char* text = m.bench_open(&r, &a.session);
    EXPECT_NE(text, nullptr);
    if (text != nullptr) {
      a.doc = json::parse(text);
      m.free_result(text);
    }
    return a;
  }

  // One batch of `iterations` calls; the bench_finish answer.
  static json batch(const gpuval_probe_module& m, gpuval_probe_bench* s, int iterations) {
    EXPECT_EQ(m.bench_start(s, iterations, 1), 0);
    char* text = m.bench_finish(s);
    EXPECT_NE(text, nullptr);
    if (text == nullptr) return json::object();
    json j = json::parse(text);
    m.free_result(text);
    return j;
  }
};

TEST_F(ModuleBenchGpu, GemmRunsAndVerifiesAtEveryPrecisionTheGpuHas) {
  const gpuval_probe_module* m = load(kCublasProbe);
  ASSERT_NE(m, nullptr);
  for (const char* precision : kGemmPrecisions) {
    Answer a = open(*m, gemm(precision, false));
    if (a.doc["status"] == "SKIP") {
      EXPECT_EQ(a.doc["skip"], "capability") << precision << ": " << a.doc.dump();
      std::printf("gemm %s: SKIP %s\n", precision, a.doc.value("reason", "").c_str());
      continue;
    }
    ASSERT_EQ(a.doc["status"], "READY") << precision << ": " << a.doc.dump();
    ASSERT_NE(a.session, nullptr);
    for (int round = 0; round < 2; ++round) {  // a session serves repeated batches
      const json r = batch(*m, a.session, 5);
      EXPECT_EQ(r["status"], "PASS") << precision << ": " << r.dump();
      EXPECT_TRUE(r["verified"].get<bool>()) << precision;
      EXPECT_EQ(r["iterations"], 5);
      EXPECT_GT(r["time_ms"].get<double>(), 0.0) << precision;
      EXPECT_EQ(r["check"]["elements"], 256) << precision;
      EXPECT_EQ(r["check"]["bad_elements"], 0) << r["check"].dump();
      // The headroom the error model leaves on this GPU (worst |error| / bound): the first runs
      // on each architecture show whether the bounds can be tightened.
      std::printf("gemm %s: margin %s norm_margin %s (%s)\n", precision,
                  r["check"].value("margin", json()).dump().c_str(),
                  r["check"].value("norm_margin", json()).dump().c_str(),
                  r["check"].value("bound_model", std::string("?")).c_str());
    }
    std::printf("gemm %s: %s\n", precision, a.doc["algorithm"].dump().c_str());
    m->bench_close(a.session);
  }
}

TEST_F(ModuleBenchGpu, GemmCatchesACorruptedElement) {
  const gpuval_probe_module* m = load(kCublasProbe);
  ASSERT_NE(m, nullptr);
  for (const char* precision : {"fp32", "bf16"}) {
    Answer a = open(*m, gemm(precision, true));
    ASSERT_EQ(a.doc["status"], "READY") << a.doc.dump();
    const json r = batch(*m, a.session, 2);
    EXPECT_EQ(r["status"], "FAIL") << r.dump();
    EXPECT_FALSE(r["verified"].get<bool>());
    EXPECT_GE(r["check"]["bad_elements"].get<int>(), 1) << r.dump();
    EXPECT_EQ(r["check"]["first_bad"]["index"], r["check"]["injected_fault_at"]) << r.dump();
    m->bench_close(a.session);
  }
}

TEST_F(ModuleBenchGpu, AGemmTooLargeForTheDeviceSkipsForMemory) {
  const gpuval_probe_module* m = load(kCublasProbe);
  ASSERT_NE(m, nullptr);
  gpuval_probe_bench_request r = gemm("fp64", false);
  r.m = r.n = r.k = 1 << 20;  // 8 TiB per operand
  Answer a = open(*m, r);
  EXPECT_EQ(a.doc["status"], "SKIP") << a.doc.dump();
  EXPECT_EQ(a.doc["skip"], "memory");
  EXPECT_NE(a.doc["reason"].get<std::string>().find("GiB free"), std::string::npos);
  EXPECT_EQ(a.session, nullptr);
}

TEST_F(ModuleBenchGpu, ConvolutionRunsAndCatchesACorruptedElement) {
#if GPUVAL_HAVE_CUDNN_PROBE
  const gpuval_probe_module* m = load(kCudnnProbe);
  ASSERT_NE(m, nullptr);
  for (const char* precision : {"fp16", "bf16"}) {
    Answer a = open(*m, conv(precision, false));
    ASSERT_EQ(a.doc["status"], "READY") << precision << ": " << a.doc.dump();
    const json r = batch(*m, a.session, 3);
    EXPECT_EQ(r["status"], "PASS") << precision << ": " << r.dump();
    EXPECT_EQ(r["check"]["elements"], 256) << r.dump();
    std::printf("conv %s: %s\n", precision, a.doc["algorithm"].dump().c_str());
    m->bench_close(a.session);

    Answer bad = open(*m, conv(precision, true));
    ASSERT_EQ(bad.doc["status"], "READY");
    const json rb = batch(*m, bad.session, 1);
    EXPECT_EQ(rb["status"], "FAIL") << rb.dump();
    EXPECT_GE(rb["check"]["bad_elements"].get<int>(), 1) << rb.dump();
    m->bench_close(bad.session);
  }
#else
  GTEST_SKIP() << "built without cuDNN";
#endif
}

// The harness end to end on this machine's GPUs: NVML peaks, the catalogue, Google Benchmark.
class BenchHarnessGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.fs = Sysroot("/");
    ctx_.env = Env::from_process();
    ctx_.libraries = &libs_;
    ctx_.cuda = &cuda_;
    ctx_.cuda_runtime_version = 13000;
    const CheckResult driver = checks::cuda_driver(ctx_, facts_);
    ASSERT_TRUE(facts_.gpu_usable) << driver.message;
    (void)checks::nvml(ctx_, facts_);  // device inventory with peaks, when NVML is there
    int count = 0;
    ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
    if (!facts_.devices.is_array() || static_cast<int>(facts_.devices.size()) != count) {
      facts_.devices = json::array();
      for (int d = 0; d < count; ++d) facts_.devices.push_back({{"index", d}});
    }
  }

  json run(const std::string& filter) {
    bench::BenchOptions opt;
    opt.filter = filter;
    return bench::run_benchmarks(opt, facts_, nullptr);
  }

  DlopenLibraryLoader libs_;
  DlopenCudaDriverProbe cuda_;
  Context ctx_{Sysroot("/"), Env{}, nullptr, nullptr, 0};
  Facts facts_;
};

TEST_F(BenchHarnessGpu, P2PSkipsOnOneGpuAndVerifiesOnSeveral) {
  const json b = run("^p2p-");
  ASSERT_FALSE(b.empty());
  for (const json& e : b) {
    if (facts_.devices.size() < 2) {
      EXPECT_EQ(e["status"], "SKIP") << e.dump();
      EXPECT_NE(e["message"].get<std::string>().find("needs two or more GPUs"), std::string::npos)
          << e["message"];
    } else {
      // PASS (or WARN when throttled) with a peer path, SKIP naming the missing path otherwise.
      EXPECT_NE(e["status"], "FAIL") << e.dump();
      if (e["status"] != "SKIP") {
        EXPECT_TRUE(e["verified"].get<bool>()) << e.dump();
      }
    }
    std::printf("%s %s: %s %s\n", e["id"].get<std::string>().c_str(), e["params"].dump().c_str(),
                e["status"].get<std::string>().c_str(), e["message"].get<std::string>().c_str());
  }
}

// One GEMM precision and the convolution through the whole harness: entries with samples,
// statistics, a verified result and a sane fraction of the datasheet peak.
TEST_F(BenchHarnessGpu, GemmAndConvolutionEntriesAreMeasuredAndVerified) {
  const json b = run("^(gemm-bf16|cudnn-conv-fwd)$");
  ASSERT_FALSE(b.empty());
  for (const json& e : b) {
    if (e["id"] == "cudnn-conv-fwd" && e["status"] == "SKIP" && !GPUVAL_HAVE_CUDNN_PROBE) continue;
    EXPECT_TRUE(e["status"] == "PASS" || e["status"] == "WARN") << e.dump();
    EXPECT_TRUE(e["verified"].get<bool>()) << e.dump();
    EXPECT_EQ(e["samples"].size(),
              static_cast<std::size_t>(bench::profile_sizes("quick").repetitions))
        << e.dump();
    if (e["fraction_of_peak"].is_number()) {
      EXPECT_GT(e["fraction_of_peak"].get<double>(), 0.05) << e.dump();
      EXPECT_LT(e["fraction_of_peak"].get<double>(), 1.10) << e.dump();
    }
    std::printf("%s %s: median %.1f %s, %.1f %% of peak, cv %.2f %%\n",
                e["id"].get<std::string>().c_str(), e["params"].value("shape", "").c_str(),
                e["median"].is_number() ? e["median"].get<double>() : -1.0,
                e["unit"].get<std::string>().c_str(),
                e["fraction_of_peak"].is_number() ? 100 * e["fraction_of_peak"].get<double>() : -1,
                e["cv"].is_number() ? 100 * e["cv"].get<double>() : -1);
  }
}

// gpuval's own benchmarks through the whole harness: STREAM, copies and latencies measured,
// verified (outputs poisoned before the timed calls), bound to their NVML board, with a sane
// fraction of peak (bidir against both directions of the link) and their wall time.
TEST_F(BenchHarnessGpu, BandwidthAndLatencyEntriesAreMeasuredVerifiedAndTimed) {
  const json b = run("^(stream-|memcpy-d2d|h2d-|d2h-|bidir-|launch-latency|roundtrip-latency)");
  ASSERT_GE(b.size(), 13u);
  for (const json& e : b) {
    const std::string id = e["id"].get<std::string>();
    EXPECT_TRUE(e["status"] == "PASS" || e["status"] == "WARN") << e.dump();
    EXPECT_TRUE(e["verified"].get<bool>()) << e.dump();
    EXPECT_TRUE(e.contains("wall_s") && e["wall_s"].get<double>() > 0) << id;
    if (e["fraction_of_peak"].is_number()) {
      EXPECT_GT(e["fraction_of_peak"].get<double>(), 0.05) << e.dump();
      EXPECT_LT(e["fraction_of_peak"].get<double>(), 1.02) << e.dump();
    }
    if (id.find("latency") != std::string::npos) {
      EXPECT_TRUE(e["details"].is_object() && !e["details"].empty()) << e.dump();
      EXPECT_GT(e["median"].get<double>(), 0.0);
      EXPECT_LT(e["median"].get<double>(), 1000.0) << "microseconds per launch";
    }
    std::printf("%-18s median %10.2f %-7s %6.1f %% of peak  cv %5.2f %%  %5.2f s  %s\n", id.c_str(),
                e["median"].is_number() ? e["median"].get<double>() : -1.0,
                e["unit"].get<std::string>().c_str(),
                e["fraction_of_peak"].is_number() ? 100 * e["fraction_of_peak"].get<double>() : -1,
                e["cv"].is_number() ? 100 * e["cv"].get<double>() : -1, e.value("wall_s", 0.0),
                e["status"].get<std::string>().c_str());
  }
}

// The inventory ties every CUDA device to the NVML board with the same PCI bus id.
TEST_F(BenchHarnessGpu, EveryCudaDeviceIsBoundToItsNvmlBoard) {
  if (!facts_.nvml) GTEST_SKIP() << "NVML not available here";
  ASSERT_EQ(facts_.bindings.size(), static_cast<std::size_t>(facts_.cuda->device_count));
  for (const DeviceBinding& binding : facts_.bindings) {
    ASSERT_TRUE(binding.nvml_index.has_value()) << binding.how;
    char bus[32] = {};
    ASSERT_EQ(cudaDeviceGetPCIBusId(bus, sizeof bus, binding.cuda_ordinal), cudaSuccess);
    const json* entry = device_entry(facts_.devices, binding.cuda_ordinal);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ((*entry)["nvml_index"], *binding.nvml_index);
    std::printf("CUDA %d (%s) -> NVML %u (%s), %s SMs\n", binding.cuda_ordinal, bus,
                *binding.nvml_index, (*entry)["pci_bus_id"].dump().c_str(),
                (*entry)["peaks"]["sm_count"].dump().c_str());
  }
}

}  // namespace
}  // namespace gpuval
