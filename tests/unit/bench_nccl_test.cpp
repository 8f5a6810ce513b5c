// The NCCL collectives' host side without a GPU: the catalogue, nccl-tests' counting, the
// transport read from NCCL's log, the module request, the entries made from every way a pass
// can end, and both passes end to end through the real gpuval-probe-worker running the fake
// probe module (tests/support/fake_probe_module.cpp built as libgpuval_probe_nccl.so).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "bench/budget.hpp"
#include "bench/catalogue.hpp"
#include "bench/nccl_bench.hpp"
#include "probes/host/probe_loader.hpp"
#include "probes/host/probe_worker.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;

const std::string kFakeDir = std::string(GPUVAL_FAKE_PROBE_DIR) + "/ok";
const std::string kWorker = GPUVAL_PROBE_WORKER;

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

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

std::vector<BenchSpec> nccl_specs(const std::string& profile, int gpus) {
  std::vector<BenchSpec> out;
  for (BenchSpec& s : catalogue(profile, 0, gpus)) {
    if (s.group == "nccl") out.push_back(std::move(s));
  }
  return out;
}

std::vector<const BenchSpec*> pass_of(const std::vector<BenchSpec>& specs,
                                      const std::string& pass) {
  std::vector<const BenchSpec*> out;
  for (const BenchSpec& s : specs) {
    if (s.nccl_pass == pass) out.push_back(&s);
  }
  return out;
}

// ---- counting and catalogue -----------------------------------------------------------------

TEST(NcclCounting, BusBandwidthFactorsAreNcclTests) {
  EXPECT_DOUBLE_EQ(nccl_bus_factor(BenchKind::NcclAllReduce, 8), 2.0 * 7 / 8);
  EXPECT_DOUBLE_EQ(nccl_bus_factor(BenchKind::NcclAllReduce, 2), 1.0);
  EXPECT_DOUBLE_EQ(nccl_bus_factor(BenchKind::NcclAllGather, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(nccl_bus_factor(BenchKind::NcclReduceScatter, 4), 3.0 / 4);
  EXPECT_DOUBLE_EQ(nccl_bus_factor(BenchKind::NcclAllReduce, 1), 0.0);
  EXPECT_DOUBLE_EQ(nccl_bus_factor(BenchKind::StreamCopy, 8), 0.0);
}

TEST(NcclCatalogue, DeviceZeroCarriesEveryCollectivePassAndSize) {
  const std::vector<BenchSpec> quick = nccl_specs("quick", 8);
  ASSERT_EQ(quick.size(), 2u * 3u * 3u);
  EXPECT_EQ(quick.front().id, "nccl-all-reduce");
  EXPECT_EQ(quick.front().params,
            json({{"pass", "default"}, {"ranks", 8}, {"bytes", 8}, {"dtype", "float32"}}));
  EXPECT_TRUE(quick.front().nccl_pass_setup);
  EXPECT_FALSE(quick[1].nccl_pass_setup);
  EXPECT_EQ(quick.back().id, "nccl-reduce-scatter");
  EXPECT_EQ(quick.back().nccl_pass, "no-p2p");
  EXPECT_EQ(quick.back().message_bytes, 256u << 20);
  for (const BenchSpec& s : catalogue("quick", 3, 8)) EXPECT_NE(s.group, "nccl") << "device 3";

  const std::vector<BenchSpec> full = nccl_specs("full", 8);
  ASSERT_EQ(full.size(), 2u * 3u * 10u);
  EXPECT_EQ(full[0].message_bytes, 8u);
  EXPECT_EQ(full[9].message_bytes, 1u << 30) << "8 B ... 1 GiB, x8 each";
  EXPECT_GE(full[0].repetitions, 9) << "full runs are compared: >= 9 repetitions";
}

TEST(NcclCatalogue, OneGpuListsEachCollectiveOncePerPassToSkip) {
  const std::vector<BenchSpec> one = nccl_specs("quick", 1);
  ASSERT_EQ(one.size(), 6u);
  EXPECT_FALSE(one[0].params.contains("bytes"));
  EXPECT_EQ(one[0].ranks, 1);
  const std::vector<json> entries = run_nccl(one, NcclRunOptions{});
  for (const json& e : entries) {
    EXPECT_EQ(e["status"], "SKIP");
    EXPECT_EQ(e["message"], "needs two or more GPUs (1 visible)");
    EXPECT_EQ(e["group"], "nccl");
  }
}

TEST(NcclBudget, CollectivesCostNothingOnOneGpuAndStaySmallOnEight) {
  const RateModel h100;
  EXPECT_EQ(estimated_seconds(nccl_specs("quick", 1), h100), 0.0);
  const double quick = estimated_seconds(nccl_specs("quick", 8), h100);
  const double full = estimated_seconds(nccl_specs("full", 8), h100);
  EXPECT_GT(quick, 16.0) << "two passes of communicator setup at least";
  EXPECT_LE(quick, 20.0) << quick;
  EXPECT_LE(full, 90.0) << full;
}

// ---- NCCL's log -----------------------------------------------------------------------------

constexpr const char* kNvlinkLog =
    "node1:2911:2911 [0] NCCL INFO NCCL version 2.28.9+cuda13.0\n"
    "node1:2911:2930 [0] NCCL INFO Pattern 4, crossNic 0, nChannels 16, bw 40.000000/40.000000, "
    "type NVL/PIX, sameChannels 1\n"
    "node1:2911:2930 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/CUMEM/read\n"
    "node1:2911:2931 [1] NCCL INFO Channel 00/0 : 1[1] -> 0[0] via P2P/CUMEM/read\n"
    "node1:2911:2931 [1] NCCL INFO Channel 01/0 : 1[1] -> 0[0] via P2P/CUMEM\n"
    "node1:2911:2930 [0] NCCL INFO NVLS multicast support is available on dev 0 (NVLS_NCHANNELS "
    "16)\n"
    "node1:2911:2930 [0] NCCL INFO NVLS comm 0x55d0 headRank 0 nHeads 8 nvlsRanks 8 buffSize "
    "1048576\n"
    "node1:2911:2930 [0] NCCL INFO comm 0x55d0 rank 0 nranks 8 cudaDev 0 nvmlDev 0 busId 18000 "
    "commId 0x1 - Init COMPLETE\n";

TEST(NcclLog, NvlinkP2pWithNvls) {
  const NcclTransport t = parse_nccl_log(kNvlinkLog);
  EXPECT_EQ(t.primary(), "P2P");
  EXPECT_EQ(t.label(), "P2P over NVLink + NVLS");
  EXPECT_EQ(t.connections.at("P2P/CUMEM/read"), 2);
  EXPECT_EQ(t.connections.at("P2P/CUMEM"), 1);
  EXPECT_EQ(t.transports.at("P2P"), 3);
  EXPECT_EQ(t.path_types, std::set<std::string>{"NVL"});
  EXPECT_EQ(t.nvls_available, true);
  EXPECT_TRUE(t.nvls_used);
  EXPECT_EQ(t.version, "2.28.9+cuda13.0");
  EXPECT_EQ(t.lines, 8);
  EXPECT_TRUE(t.warnings.empty());
  EXPECT_EQ(t.to_json()["label"], "P2P over NVLink + NVLS");
}

TEST(NcclLog, ShmNetAndWarnings) {
  const NcclTransport shm = parse_nccl_log(
      "h:1:1 [0] NCCL INFO Channel 00 : 0[0] -> 1[1] via SHM/direct/direct\n"
      "h:1:1 [0] NCCL INFO NVLS multicast support is not available on dev 0\n"
      "h:1:1 [0] shmutils.cc:94 NCCL WARN Error: failed to extend /dev/shm/nccl-x to 9637892 "
      "bytes\n");
  EXPECT_EQ(shm.label(), "SHM");
  EXPECT_EQ(shm.nvls_available, false);
  ASSERT_EQ(shm.warnings.size(), 1u);
  EXPECT_EQ(shm.warnings[0], "Error: failed to extend /dev/shm/nccl-x to 9637892 bytes");
  const NcclTransport net = parse_nccl_log(
      "h:1:1 [0] NCCL INFO Using network IB\n"
      "h:1:1 [0] NCCL INFO Channel 00/0 : 1[1] -> 0[0] [receive] via NET/IB/0/GDRDMA\n"
      "h:1:1 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] [send] via NET/IB/0/GDRDMA\n"
      "h:1:1 [0] NCCL INFO Channel 00/0 : 0[0] -> 2[2] via P2P/direct pointer\n");
  EXPECT_EQ(net.label(), "NET (IB)");
  EXPECT_EQ(net.connections.at("P2P/direct pointer"), 1);
  EXPECT_EQ(parse_nccl_log("").label(), "");
  EXPECT_EQ(parse_nccl_log("garbage\n\x01\xff NCCL INFO via\n").primary(), "");
}

// ---- the request ----------------------------------------------------------------------------

TEST(NcclRequest, NamesEveryCollectiveAndSizeOfThePass) {
  const std::vector<BenchSpec> specs = nccl_specs("quick", 4);
  const json r = nccl_request(pass_of(specs, "no-p2p"), nccl_profile("quick"), 3);
  EXPECT_EQ(r["schema"], "gpuval.collectives/1");
  EXPECT_EQ(r["devices"], json({0, 1, 2, 3}));
  EXPECT_EQ(r["bootstrap"]["kind"], "local");
  EXPECT_EQ(r["collectives"], json({"all-reduce", "all-gather", "reduce-scatter"}));
  EXPECT_EQ(r["sizes"], json({8, 1 << 20, 256 << 20}));
  EXPECT_EQ(r["progress_fd"], 3);
  EXPECT_EQ(r["timeout_ms"], 30000.0);
  EXPECT_EQ(r["repetitions"], 3);
}

TEST(NcclPasses, TheSecondPassTurnsP2pOffForShm) {
  EXPECT_TRUE(nccl_pass("default").env.empty());
  const NcclPass& p = nccl_pass("no-p2p");
  const auto has = [&](const std::string& k, const std::string& v) {
    return std::find(p.env.begin(), p.env.end(), std::make_pair(k, v)) != p.env.end();
  };
  EXPECT_TRUE(has("NCCL_P2P_DISABLE", "1"));
  EXPECT_TRUE(has("NCCL_NVLS_ENABLE", "0"));
  EXPECT_TRUE(has("NCCL_CUMEM_HOST_ENABLE", "0")) << "the /dev/shm-backed SHM buffers";
  const auto debug = nccl_debug_env("/tmp/x");
  EXPECT_EQ(debug[0], std::make_pair(std::string("NCCL_DEBUG"), std::string("INFO")));
  EXPECT_EQ(debug[2].second, "/tmp/x/nccl.%h.%p.log");
}

// ---- entries from a pass --------------------------------------------------------------------

json result(const std::string& collective, std::uint64_t bytes, std::vector<double> times) {
  return {{"collective", collective},
          {"bytes", bytes},
          {"requested_bytes", bytes},
          {"count", bytes / 4},
          {"status", "PASS"},
          {"verified", true},
          {"iterations", 50},
          {"times_s", times},
          {"check", {{"elements", 800}, {"bad_elements", 0}, {"first_bad", nullptr}}}};
}

WorkerResult answered(const json& answer) {
  WorkerResult w;
  w.end = WorkerEnd::Exited;
  w.exit_code = 0;
  w.out = answer.dump();
  return w;
}

TEST(NcclEntries, BusBandwidthAsNcclTestsCountsIt) {
  const std::vector<BenchSpec> all = nccl_specs("quick", 8);
  const std::vector<const BenchSpec*> specs = {&all[2]};  // all-reduce 256 MiB, default pass
  ASSERT_EQ(specs[0]->message_bytes, 256u << 20);
  const double t = 1e-3;
  json answer = {{"status", "PASS"},
                 {"ranks", 8},
                 {"init_s", 2.5},
                 {"library", {{"name", "NCCL"}, {"version", "2.28.9"}}},
                 {"results", {result("all-reduce", 256u << 20, {t, 2 * t, t})}}};
  const std::vector<json> e =
      nccl_pass_entries(specs, answered(answer), parse_nccl_log(kNvlinkLog), {});
  ASSERT_EQ(e.size(), 1u);
  const double algbw = (256.0 * (1 << 20)) / t / 1e9;
  EXPECT_EQ(e[0]["status"], "PASS") << e[0]["message"];
  EXPECT_EQ(e[0]["verified"], true);
  EXPECT_EQ(e[0]["group"], "nccl");
  EXPECT_DOUBLE_EQ(e[0]["median"].get<double>(), algbw * 1.75);
  EXPECT_DOUBLE_EQ(e[0]["min"].get<double>(), algbw / 2 * 1.75);
  EXPECT_DOUBLE_EQ(e[0]["details"]["algbw_median_gb_s"].get<double>(), algbw);
  EXPECT_DOUBLE_EQ(e[0]["details"]["bus_factor"].get<double>(), 1.75);
  EXPECT_EQ(e[0]["details"]["transport"]["label"], "P2P over NVLink + NVLS");
  EXPECT_EQ(e[0]["details"]["nccl"]["version"], "2.28.9");
  EXPECT_EQ(e[0]["message"], "8 ranks, P2P over NVLink + NVLS");
  EXPECT_EQ(e[0]["unit"], "GB/s");
  EXPECT_TRUE(e[0]["fraction_of_peak"].is_null());
}

TEST(NcclEntries, AWrongResultFailsWithTheFirstBadElement) {
  const std::vector<BenchSpec> all = nccl_specs("quick", 2);
  json r = result("all-reduce", 8, {1e-5, 1e-5, 1e-5});
  r["status"] = "FAIL";
  r["verified"] = false;
  r["check"] = {
      {"elements", 4},
      {"bad_elements", 1},
      {"first_bad",
       {{"rank", 1}, {"index", 1}, {"got", nullptr}, {"got_text", "NaN"}, {"expected", 9.0}}}};
  const std::vector<json> e = nccl_pass_entries(
      {&all[0]}, answered({{"ranks", 2}, {"status", "FAIL"}, {"results", {r}}}), {}, {});
  EXPECT_EQ(e[0]["status"], "FAIL");
  EXPECT_EQ(e[0]["message"],
            "wrong result: 1 of 4 elements wrong, first at rank 1 element 1: got NaN, expected 9");
  EXPECT_CONTAINS(e[0]["hint"].get<std::string>(), "nvidia-smi nvlink -e");
  EXPECT_EQ(e[0]["verified"], false);
}

TEST(NcclEntries, AnInitFailureOnAFullDevShmNamesTheShmSize) {
  const std::vector<BenchSpec> all = nccl_specs("quick", 2);
  const std::vector<const BenchSpec*> specs = pass_of(all, "no-p2p");
  json answer = {{"status", "FAIL"},
                 {"ranks", 2},
                 {"results", json::array()},
                 {"error",
                  {{"library", "NCCL"},
                   {"code", 2},
                   {"name", "ncclSystemError"},
                   {"description", "unhandled system error"},
                   {"call", "ncclCommInitRankConfig"}}}};
  const NcclTransport log = parse_nccl_log(
      "h:1:1 [0] shm.cc:1 NCCL WARN Error: failed to extend /dev/shm/nccl-q to 9637892 bytes\n");
  const std::vector<json> e =
      nccl_pass_entries(specs, answered(answer), log, {std::uint64_t{64} << 20});
  ASSERT_EQ(e.size(), specs.size());
  for (const json& x : e) {
    EXPECT_EQ(x["status"], "FAIL");
    EXPECT_CONTAINS(x["message"].get<std::string>(), "ncclSystemError");
    EXPECT_CONTAINS(x["hint"].get<std::string>(), "--shm-size=1g");
    EXPECT_CONTAINS(x["hint"].get<std::string>(), "/dev/shm is 0.06 GiB here");
    EXPECT_EQ(x["details"]["nccl_warnings"][0],
              "Error: failed to extend /dev/shm/nccl-q to 9637892 bytes");
  }
}

TEST(NcclEntries, AKilledWorkerKeepsWhatItsHeartbeatCarried) {
  const std::vector<BenchSpec> all = nccl_specs("quick", 2);
  const std::vector<const BenchSpec*> specs = pass_of(all, "default");
  WorkerResult w;
  w.end = WorkerEnd::TimedOut;
  w.timeout = "no heartbeat for 60 s (last: {\"step\": \"warm-up\"})";
  w.progress = {
      R"({"step": "loaded"})",
      json{{"step", "result"}, {"result", result("all-reduce", 8, {1e-5, 1e-5, 1e-5})}}.dump(),
      R"({"step": "warm-up", "collective": "all-reduce", "bytes": 1048576})"};
  const std::vector<json> e = nccl_pass_entries(specs, w, {}, {});
  EXPECT_EQ(e[0]["status"], "PASS") << "measured before the hang";
  EXPECT_EQ(e[1]["status"], "FAIL");
  EXPECT_CONTAINS(e[1]["message"].get<std::string>(),
                  "NCCL made no progress (pass default): worker killed: no heartbeat for 60 s");
  EXPECT_CONTAINS(e[1]["hint"].get<std::string>(), "made no progress");
}

TEST(NcclEntries, ABusErrorInTheShmPassPointsAtDevShm) {
  const std::vector<BenchSpec> all = nccl_specs("quick", 2);
  WorkerResult w;
  w.end = WorkerEnd::Signaled;
  w.signal = SIGBUS;
  const std::vector<json> e = nccl_pass_entries(pass_of(all, "no-p2p"), w, {}, {});
  EXPECT_EQ(e[0]["status"], "FAIL");
  EXPECT_CONTAINS(e[0]["message"].get<std::string>(), "killed by SIGBUS");
  EXPECT_CONTAINS(e[0]["hint"].get<std::string>(), "--shm-size");
}

TEST(NcclEntries, AModuleSkipAndAMissingResult) {
  const std::vector<BenchSpec> all = nccl_specs("quick", 2);
  const std::vector<json> skipped = nccl_pass_entries(
      {&all[0]}, answered({{"status", "SKIP"}, {"reason", "verification covers up to 64 ranks"}}),
      {}, {});
  EXPECT_EQ(skipped[0]["status"], "SKIP");
  EXPECT_EQ(skipped[0]["message"], "NCCL: verification covers up to 64 ranks");
  const std::vector<json> missing = nccl_pass_entries(
      {&all[0]}, answered({{"status", "PASS"}, {"results", json::array()}}), {}, {});
  EXPECT_EQ(missing[0]["status"], "FAIL");
  EXPECT_CONTAINS(missing[0]["message"].get<std::string>(),
                  "returned no result for all-reduce of 8 B");
  WorkerResult garbage;
  garbage.end = WorkerEnd::Exited;
  garbage.exit_code = 0;
  garbage.out = "{not json";
  const std::vector<json> malformed = nccl_pass_entries({&all[0]}, garbage, {}, {});
  EXPECT_EQ(malformed[0]["status"], "FAIL");
  EXPECT_CONTAINS(malformed[0]["message"].get<std::string>(), "malformed JSON");
}

// ---- both passes end to end -----------------------------------------------------------------

NcclRunOptions fake_options() {
  NcclRunOptions o;
  o.probe_dirs = {kFakeDir};
  o.worker = kWorker;
  o.cuda_runtime_version = 13000;
  return o;
}

TEST(NcclRun, BothPassesRunInTheirOwnWorkerWithTheirTransport) {
  const std::vector<BenchSpec> specs = nccl_specs("quick", 2);
  std::vector<std::string> lines;
  NcclRunOptions o = fake_options();
  o.progress = [&](const std::string& l) { lines.push_back(l); };
  const std::vector<json> e = run_nccl(specs, o);
  ASSERT_EQ(e.size(), specs.size());
  for (std::size_t i = 0; i < e.size(); ++i) {
    EXPECT_EQ(e[i]["status"], "PASS") << i << ": " << e[i]["message"];
    EXPECT_EQ(e[i]["params"], specs[i].params);
    const std::string label = e[i]["details"]["transport"]["label"];
    EXPECT_EQ(label, specs[i].nccl_pass == "no-p2p" ? "SHM" : "P2P over NVLink") << i;
  }
  // The fake's SHM rate is a tenth of its P2P rate.
  EXPECT_LT(e[11]["median"].get<double>(), e[2]["median"].get<double>() / 5);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_CONTAINS(lines[0], "nccl pass default: 9 of 9 PASS (P2P over NVLink");
  EXPECT_CONTAINS(lines[1], "nccl pass no-p2p: 9 of 9 PASS (SHM");
}

TEST(NcclRun, ASmallDevShmFailsTheShmPassWithTheShmSizeHint) {
  ScopedEnv shm("GPUVAL_FAKE_PROBE_COLLECTIVES_MODE", "shm-fail");
  const std::vector<BenchSpec> specs = nccl_specs("quick", 2);
  const std::vector<json> e = run_nccl(specs, fake_options());
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (specs[i].nccl_pass == "default") {
      EXPECT_EQ(e[i]["status"], "PASS") << i;
    } else {
      EXPECT_EQ(e[i]["status"], "FAIL") << i;
      EXPECT_CONTAINS(e[i]["hint"].get<std::string>(), "--shm-size=1g");
      EXPECT_CONTAINS(e[i]["details"]["nccl_warnings"][0].get<std::string>(),
                      "failed to extend /dev/shm/nccl-AbCdEf");
    }
  }
}

TEST(NcclRun, AHangMidSweepBecomesFailuresNotAHang) {
  ScopedEnv hang("GPUVAL_FAKE_PROBE_COLLECTIVES_MODE", "hang-after=1");
  NcclRunOptions o = fake_options();
  o.timeout_s = 0.5;
  o.idle_margin_s = 0.5;
  std::vector<BenchSpec> specs = nccl_specs("quick", 2);
  specs.resize(3);  // the default pass's all-reduce sizes
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<json> e = run_nccl(specs, o);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
  EXPECT_EQ(e[0]["status"], "PASS");
  EXPECT_EQ(e[1]["status"], "FAIL");
  EXPECT_EQ(e[2]["status"], "FAIL");
  EXPECT_CONTAINS(e[2]["message"].get<std::string>(), "NCCL made no progress");
}

TEST(NcclRun, AMissingModuleSkipsNamingThePackage) {
  NcclRunOptions o = fake_options();
  o.probe_dirs = {std::string(GPUVAL_FAKE_PROBE_DIR) + "/missing_dep"};
  const std::vector<json> e = run_nccl(nccl_specs("quick", 2), o);
  EXPECT_EQ(e[0]["status"], "SKIP");
  EXPECT_CONTAINS(e[0]["message"].get<std::string>(), "libgpuval_probe_nccl.so is not usable");
  EXPECT_CONTAINS(e[0]["hint"].get<std::string>(), "nvidia/cuda:13.0.x-runtime-*");
  EXPECT_CONTAINS(e[0]["hint"].get<std::string>(), "libnccl2");
}

TEST(NcclRun, AModuleWithoutCollectivesSkips) {
  ScopedEnv old("GPUVAL_FAKE_PROBE_COLLECTIVES_ENTRY", "0");
  const std::vector<json> e = run_nccl(nccl_specs("quick", 2), fake_options());
  EXPECT_EQ(e[0]["status"], "SKIP");
  EXPECT_CONTAINS(e[0]["message"].get<std::string>(), "no collectives() entry point");
}

TEST(NcclRun, AMissingWorkerSkips) {
  NcclRunOptions o = fake_options();
  o.worker.clear();  // looked for beside the (fake) modules, where there is none
  const std::vector<json> e = run_nccl(nccl_specs("quick", 2), o);
  EXPECT_EQ(e[0]["status"], "SKIP");
  EXPECT_CONTAINS(e[0]["message"].get<std::string>(), "gpuval-probe-worker not found");
}

TEST(NcclRun, AnInterruptedRunSkipsWhatIsLeft) {
  NcclRunOptions o = fake_options();
  o.cancelled = [] { return true; };
  const std::vector<json> e = run_nccl(nccl_specs("quick", 2), o);
  for (const json& x : e) {
    EXPECT_EQ(x["status"], "SKIP");
    EXPECT_EQ(x["message"], "not run: the run was interrupted");
  }
}

}  // namespace
}  // namespace gpuval::bench
