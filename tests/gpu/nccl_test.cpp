// The NCCL collectives on real devices: the real module through the real worker on every
// visible GPU (both passes measured and verified, a corrupted element caught), the SKIP on one
// GPU. The pattern kernels it checks with: collective_pattern_test.cpp.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/catalogue.hpp"
#include "bench/nccl_bench.hpp"
#include "core/environment.hpp"
#include "probes/host/probe_loader.hpp"
#include "probes/host/probe_worker.hpp"

namespace gpuval {
namespace {

using nlohmann::json;

std::vector<bench::BenchSpec> nccl_specs(int gpus) {
  std::vector<bench::BenchSpec> out;
  for (bench::BenchSpec& s : bench::catalogue("quick", 0, gpus)) {
    if (s.group == "nccl") out.push_back(std::move(s));
  }
  return out;
}

int device_count() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

TEST(NcclGpu, TheModuleLoadsAndNamesItsLibrary) {
#if GPUVAL_HAVE_NCCL_PROBE
  const ProbeLoad load = load_probe_module(kNcclProbe, probe_search_dirs(Env::from_process()));
  ASSERT_EQ(load.status, ProbeLoadStatus::Loaded) << load.error;
  ASSERT_NE(gpuval_probe_module_has_collectives(load.module), 0);
  char* text = load.module->run(nullptr);
  ASSERT_NE(text, nullptr);
  const json answer = json::parse(text);
  load.module->free_result(text);
  EXPECT_EQ(answer["library"]["name"], "NCCL") << answer.dump();
  EXPECT_TRUE(find_probe_worker(probe_search_dirs(Env::from_process())).has_value());
#else
  GTEST_SKIP() << "built without NCCL";
#endif
}

TEST(NcclGpu, BothPassesRunAndVerifyOnEveryGpu) {
#if GPUVAL_HAVE_NCCL_PROBE
  const int gpus = device_count();
  const std::vector<bench::BenchSpec> specs = nccl_specs(gpus);
  bench::NcclRunOptions o;
  o.probe_dirs = probe_search_dirs(Env::from_process());
  o.cuda_runtime_version = CUDART_VERSION;
  o.progress = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
  const std::vector<json> entries = bench::run_nccl(specs, o);
  ASSERT_EQ(entries.size(), specs.size());
  for (const json& e : entries) {
    std::printf("%s %s: %s %s (median %s)\n", e["id"].get<std::string>().c_str(),
                e["params"].dump().c_str(), e["status"].get<std::string>().c_str(),
                e["message"].get<std::string>().c_str(), e["median"].dump().c_str());
    if (gpus < 2) {
      EXPECT_EQ(e["status"], "SKIP");
      EXPECT_NE(e["message"].get<std::string>().find("needs two or more GPUs"), std::string::npos);
      continue;
    }
    const std::string pass = e["params"]["pass"];
    if (pass == "no-p2p" && e["status"] == "FAIL") {
      // Only a /dev/shm too small for the SHM transport may fail it, and then with the hint.
      EXPECT_NE(e["hint"].get<std::string>().find("--shm-size"), std::string::npos) << e.dump();
      EXPECT_LT(e["details"].value("dev_shm_bytes", 0ull), 1ull << 30) << e.dump();
      continue;
    }
    EXPECT_EQ(e["status"], "PASS") << e.dump();
    EXPECT_TRUE(e["verified"].get<bool>()) << e.dump();
    EXPECT_GT(e["median"].get<double>(), 0.0);
    EXPECT_EQ(e["details"]["ranks"], gpus);
    const std::string label = e["details"]["transport"]["label"];
    EXPECT_FALSE(label.empty()) << "NCCL's log named no transport";
    if (pass == "no-p2p") {
      EXPECT_EQ(e["details"]["transport"]["primary"], "SHM") << label;
    }
  }
#else
  GTEST_SKIP() << "built without NCCL";
#endif
}

TEST(NcclGpu, ACorruptedElementFailsTheCheck) {
#if GPUVAL_HAVE_NCCL_PROBE
  const int gpus = device_count();
  if (gpus < 2) GTEST_SKIP() << "needs two or more GPUs";
  const std::vector<std::string> dirs = probe_search_dirs(Env::from_process());
  const ProbeLoad load = load_probe_module(kNcclProbe, dirs);
  ASSERT_EQ(load.status, ProbeLoadStatus::Loaded) << load.error;
  json devices = json::array();
  for (int d = 0; d < gpus; ++d) devices.push_back(d);
  WorkerRequest req;
  req.worker = *find_probe_worker(dirs);
  req.module_path = load.path;
  req.input = json{{"schema", "gpuval.collectives/1"},
                   {"devices", devices},
                   {"collectives", {"all-reduce", "all-gather", "reduce-scatter"}},
                   {"sizes", {4096}},
                   {"warmup", 1},
                   {"repetitions", 1},
                   {"timeout_ms", 30000},
                   {"progress_fd", kWorkerProgressFd},
                   {"flags", GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT}}
                  .dump();
  const WorkerResult r = run_worker(req);
  ASSERT_EQ(r.end, WorkerEnd::Exited) << describe(r) << r.err_tail;
  const json answer = json::parse(r.out);
  ASSERT_EQ(answer["results"].size(), 3u) << answer.dump();
  for (const json& res : answer["results"]) {
    EXPECT_EQ(res["status"], "FAIL") << res.dump();
    EXPECT_FALSE(res["verified"].get<bool>());
    EXPECT_EQ(res["check"]["bad_elements"], 1) << res.dump();
  }
#else
  GTEST_SKIP() << "built without NCCL";
#endif
}

}  // namespace
}  // namespace gpuval
