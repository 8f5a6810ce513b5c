// On a real device: MIG slices bound to their NVML MIG devices by UUID and judged against their
// own peaks, NVML events registered on every GPU with none firing on a healthy one, and the
// cold-start benchmarks in fresh gpuval processes. On a GPU without MIG the MIG tests check the
// whole-GPU spelling ("GPU-...", equal to NVML's) and say so.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "bench/catalogue.hpp"
#include "bench/cold_start.hpp"
#include "core/device_inventory.hpp"
#include "core/driver_probe.hpp"
#include "core/nvml_events.hpp"
#include "core/nvml_mig.hpp"
#include "validate/gpu/gpu_events.hpp"

namespace gpuval {
namespace {

using nlohmann::json;

// The gpuval to run again: $GPUVAL_BIN, else the one beside this binary (the gpu-check bundle's
// bin/), else the build tree's.
std::string gpuval_binary() {
  if (const char* env = std::getenv("GPUVAL_BIN")) return env;
  std::error_code ec;
  const auto beside = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "gpuval";
  if (!ec && std::filesystem::exists(beside)) return beside.string();
  return GPUVAL_BINARY;
}

struct Devices {
  CudaDriverStatus cuda;
  NvmlProbe nvml;
};

Devices devices() {
  Devices d{DlopenCudaDriverProbe{}.probe(), probe_nvml()};
  EXPECT_EQ(d.cuda.init_code, 0) << d.cuda.init_error;
  EXPECT_TRUE(d.nvml.inventory) << d.nvml.failure.load_error;
  if (d.nvml.inventory) mark_mig_devices(d.cuda.devices, &*d.nvml.inventory);
  return d;
}

TEST(MigGpu, CudaUuidsAreSpelledByKindAndBoundToNvml) {
  Devices d = devices();
  ASSERT_TRUE(d.nvml.inventory);
  const NvmlInventory& inv = *d.nvml.inventory;
  const std::vector<DeviceBinding> boards = bind_devices(d.cuda.devices, &inv);
  const std::vector<MigBinding> slices = bind_mig_devices(d.cuda.devices, &inv);
  std::size_t mig = 0;
  for (std::size_t i = 0; i < d.cuda.devices.size(); ++i) {
    const CudaDeviceInfo& c = d.cuda.devices[i];
    ASSERT_TRUE(boards[i].nvml_index) << boards[i].how;
    const NvmlDevice& board = inv.devices.at(*boards[i].nvml_index);
    if (board.mig_enabled.value_or(false)) {
      ++mig;
      EXPECT_TRUE(c.mig);
      EXPECT_EQ(c.uuid.rfind("MIG-", 0), 0u) << c.uuid;
      EXPECT_EQ(c.parent_uuid, board.uuid.value_or(""));
      const NvmlMigDevice* m = mig_device_for(slices, &inv, c.ordinal);
      ASSERT_NE(m, nullptr) << "CUDA " << c.ordinal << " " << c.uuid
                            << " matches no NVML MIG device";
      EXPECT_EQ(m->sm_count, c.sm_count) << "the slice's SMs: NVML and CUDA disagree";
      std::printf("CUDA %d: %s %s, %u SMs\n", c.ordinal, m->profile.value_or("?").c_str(),
                  c.uuid.c_str(), c.sm_count.value_or(0));
    } else {
      EXPECT_FALSE(c.mig) << "cuDeviceGetUuid v1 and _v2 differ on a whole GPU";
      EXPECT_EQ(c.uuid, board.uuid.value_or("")) << "CUDA's UUID must be NVML's on a whole GPU";
    }
  }
  if (mig == 0) std::printf("no MIG-enabled GPU here: whole-GPU spelling checked only\n");
}

TEST(MigGpu, ASliceIsJudgedAgainstItsShareOfTheMemorySlices) {
  Devices d = devices();
  ASSERT_TRUE(d.nvml.inventory);
  const json entries = device_entries(d.cuda.devices, &*d.nvml.inventory);
  for (const json& e : entries) {
    const json& peaks = e["peaks"];
    if (!e["cuda"]["mig"].get<bool>()) {
      EXPECT_EQ(peaks["dram_fraction"], nullptr);
      continue;
    }
    ASSERT_TRUE(peaks["dram_fraction"].is_number()) << e.dump(2);
    const double f = peaks["dram_fraction"].get<double>();
    EXPECT_GT(f, 0);
    EXPECT_LE(f, 1);
    EXPECT_NEAR(peaks["dram_gb_s"].get<double>(), f * peaks["dram_gb_s_whole_gpu"].get<double>(),
                0.01);
    std::printf("%s: %s, DRAM peak %.1f of %.1f GB/s (%s)\n", e["uuid"].get<std::string>().c_str(),
                e["mig"]["device"]["profile"].dump().c_str(), peaks["dram_gb_s"].get<double>(),
                peaks["dram_gb_s_whole_gpu"].get<double>(),
                e["mig"]["device"]["dram_fraction_basis"].get<std::string>().c_str());
  }
}

TEST(EventsGpu, XidEventsRegisterAndAHealthyGpuStaysQuiet) {
  NvmlSession::Opened s = NvmlSession::open();
  ASSERT_TRUE(s.session);
  auto watch = NvmlEventWatch::start(std::move(s.session));
  ASSERT_NE(watch, nullptr);
  // Some GPU work while watching.
  void* p = nullptr;
  ASSERT_EQ(cudaMalloc(&p, 64 << 20), cudaSuccess);
  ASSERT_EQ(cudaMemset(p, 0x5a, 64 << 20), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  ASSERT_EQ(cudaFree(p), cudaSuccess);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto t = std::chrono::steady_clock::now();
  watch->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::seconds(2)) << "stop was slow";
  const NvmlEventLog log = watch->snapshot();
  ASSERT_TRUE(log.watched) << log.why_not;
  bool xid = false;
  for (const NvmlEventRegistration& r : log.registrations) {
    for (const std::string& type : r.registered) xid = xid || type == "xid";
    std::string reg, uns;
    for (const std::string& x : r.registered) reg += x + " ";
    for (const std::string& x : r.unsupported) uns += x + " ";
    std::printf("GPU %u: registered %s; unsupported %s\n", r.nvml_index, reg.c_str(), uns.c_str());
    for (const NvmlError& e : r.errors) std::printf("  %s\n", e.summary().c_str());
  }
  EXPECT_TRUE(xid) << "no GPU accepted Xid events";
  Facts facts;
  const CheckResult r = checks::evaluate_gpu_events(log, facts);
  EXPECT_EQ(r.status, Status::Pass) << r.message;  // never WARN on a healthy GPU
}

TEST(ColdStartGpu, AFreshGpuvalTimesEveryStep) {
  const bench::ChildRun c =
      bench::run_child({gpuval_binary(), "__cold-start", "cudnn", "--device", "0"}, 120);
  ASSERT_TRUE(c.started) << c.spawn_error;
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err_tail;
  const json line = json::parse(c.out);
  std::printf("%s\n", line.dump().c_str());
  EXPECT_EQ(line["ok"], true);
  for (const char* step : {"cuinit", "context", "kernel", "cublas"}) {
    ASSERT_TRUE(line["timings_ms"][step].is_number()) << step;
    EXPECT_GT(line["timings_ms"][step].get<double>(), 0) << step;
  }
  if (GPUVAL_HAVE_CUDNN_PROBE) {
    EXPECT_GT(line["timings_ms"]["cudnn"].get<double>(), 0);
  } else {
    EXPECT_EQ(line["error"]["kind"], "skip");
  }
}

TEST(ColdStartGpu, TheBenchmarksPassWithFreshProcesses) {
  std::vector<bench::BenchSpec> specs;
  for (bench::BenchSpec& s : bench::catalogue("quick", 0, 1)) {
    if (s.kind == bench::BenchKind::ColdStart) specs.push_back(std::move(s));
  }
  bench::ColdStartOptions o;
  o.exe = gpuval_binary();
  o.samples = 2;
  const json entries = bench::run_cold_start(specs, o);
  ASSERT_EQ(entries.size(), 5u);
  for (const json& e : entries) {
    std::printf("%s: %s median %s ms (%s)\n", e["id"].get<std::string>().c_str(),
                e["status"].get<std::string>().c_str(), e["median"].dump().c_str(),
                e["message"].get<std::string>().c_str());
    if (e["id"] == "cold-start-cudnn" && !GPUVAL_HAVE_CUDNN_PROBE) continue;
    EXPECT_EQ(e["status"], "PASS") << e.dump(2);
    EXPECT_EQ(e["samples"].size(), 2u);
  }
}

}  // namespace
}  // namespace gpuval
