// The probe worker process and its watchdog (probes/host/probe_worker.hpp), with the real
// gpuval-probe-worker running the fake probe module (tests/support/fake_probe_module.cpp built as
// libgpuval_probe_nccl.so): the answer and heartbeat come back, the environment is the pass's, a
// hang is killed by the heartbeat and the total limits, a crash is reported with its signal.
#include "probes/host/probe_worker.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/fixture_tree.hpp"

namespace gpuval {
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

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

WorkerRequest fake_request(const std::string& input) {
  WorkerRequest r;
  r.worker = kWorker;
  r.module_path = kFakeDir + "/libgpuval_probe_nccl.so";
  r.input = input;
  r.idle_timeout_s = 20;
  r.total_timeout_s = 60;
  return r;
}

const std::string kTwoRanks =
    R"({"schema": "gpuval.collectives/1", "devices": [0, 1], "collectives": ["all-reduce"],)"
    R"( "sizes": [8, 1024], "repetitions": 3, "progress_fd": 3})";

TEST(ProbeWorker, RunsTheModulesCollectivesAndRelaysItsHeartbeat) {
  std::vector<std::string> seen;
  WorkerRequest req = fake_request(kTwoRanks);
  req.on_progress = [&](const std::string& line) { seen.push_back(line); };
  const WorkerResult r = run_worker(req);
  ASSERT_EQ(r.end, WorkerEnd::Exited) << describe(r) << r.err_tail;
  EXPECT_EQ(r.exit_code, 0);
  const json answer = json::parse(r.out);
  EXPECT_EQ(answer["status"], "PASS");
  EXPECT_EQ(answer["results"].size(), 2u);
  ASSERT_GE(r.progress.size(), 4u);
  EXPECT_CONTAINS(r.progress[0], "\"loaded\"");
  EXPECT_CONTAINS(r.progress[1], "\"ready\"");
  EXPECT_EQ(seen, r.progress);
}

TEST(ProbeWorker, SetsThePassEnvironment) {
  testing::FixtureTree tree;
  const std::string log = (tree.root() / "calls.log").string();
  ScopedEnv logging("GPUVAL_FAKE_PROBE_BENCH_LOG", log);
  ScopedEnv inherited("NCCL_P2P_DISABLE", "0");
  WorkerRequest req = fake_request(kTwoRanks);
  req.env_set = {{"NCCL_P2P_DISABLE", "1"}};
  ASSERT_EQ(run_worker(req).exit_code, 0);
  EXPECT_CONTAINS(read_file(log), "collectives p2p_disable=1 ");
  req.env_set.clear();
  req.env_unset = {"NCCL_P2P_DISABLE"};
  ASSERT_EQ(run_worker(req).exit_code, 0);
  EXPECT_CONTAINS(read_file(log), "collectives p2p_disable= ");
}

TEST(ProbeWorker, AHangIsKilledWhenTheHeartbeatStops) {
  ScopedEnv hang("GPUVAL_FAKE_PROBE_COLLECTIVES_MODE", "hang");
  WorkerRequest req = fake_request(kTwoRanks);
  req.idle_timeout_s = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const WorkerResult r = run_worker(req);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.end, WorkerEnd::TimedOut);
  EXPECT_CONTAINS(r.timeout,
                  "no heartbeat for 1 s (last: {\"init_s\":0.5,\"ranks\":2,\"step\":\"ready\"})");
  EXPECT_LT(s, 10.0);
  EXPECT_CONTAINS(describe(r), "killed: no heartbeat");
}

TEST(ProbeWorker, TheTotalLimitHolds) {
  ScopedEnv hang("GPUVAL_FAKE_PROBE_COLLECTIVES_MODE", "hang");
  WorkerRequest req = fake_request(kTwoRanks);
  req.total_timeout_s = 1;
  const WorkerResult r = run_worker(req);
  EXPECT_EQ(r.end, WorkerEnd::TimedOut);
  EXPECT_EQ(r.timeout, "over the 1 s limit");
}

TEST(ProbeWorker, ACrashIsReportedWithItsSignal) {
  ScopedEnv crash("GPUVAL_FAKE_PROBE_COLLECTIVES_MODE", "bus-error");
  const WorkerResult r = run_worker(fake_request(kTwoRanks));
  EXPECT_EQ(r.end, WorkerEnd::Signaled);
  EXPECT_EQ(r.signal, SIGBUS);
  EXPECT_EQ(describe(r), "killed by SIGBUS");
}

TEST(ProbeWorker, CancellationKillsIt) {
  ScopedEnv hang("GPUVAL_FAKE_PROBE_COLLECTIVES_MODE", "hang");
  WorkerRequest req = fake_request(kTwoRanks);
  int polls = 0;
  req.cancelled = [&] { return ++polls > 3; };
  EXPECT_EQ(run_worker(req).end, WorkerEnd::Cancelled);
}

TEST(ProbeWorker, StartFailuresAndModulesWithoutCollectives) {
  WorkerRequest missing = fake_request(kTwoRanks);
  missing.worker = "/nonexistent/gpuval-probe-worker";
  const WorkerResult none = run_worker(missing);
  EXPECT_EQ(none.end, WorkerEnd::SpawnFailed);
  EXPECT_CONTAINS(none.error, "cannot start /nonexistent/gpuval-probe-worker");
  WorkerRequest cublas = fake_request(kTwoRanks);
  cublas.module_path = kFakeDir + "/libgpuval_probe_cublas.so";
  const WorkerResult r = run_worker(cublas);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_CONTAINS(r.err_tail, "has no collectives() entry point");
  EXPECT_EQ(find_probe_worker({"/nonexistent", std::filesystem::path(kWorker).parent_path()}),
            kWorker);
  EXPECT_FALSE(find_probe_worker({kFakeDir}).has_value());
}

}  // namespace
}  // namespace gpuval
