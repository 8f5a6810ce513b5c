// Time to first kernel (bench/cold_start.hpp) without a GPU: the child runner (crash, hang and
// its own children, garbage, no executable), the entries built from the children's lines in
// every state, the catalogue rows, the real `gpuval __cold-start` on a machine without a GPU, and
// compare and report treating the figures as lower-is-better.
#include "bench/cold_start.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "bench/catalogue.hpp"
#include "compare/compare.hpp"
#include "report/aggregate_internal.hpp"
#include "report/summary.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;

const std::string kFakeChild = std::string(GPUVAL_SOURCE_DIR) + "/tests/support/fake_cold_start.sh";

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

// Sets an environment variable for the object's lifetime.
struct EnvVar {
  EnvVar(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~EnvVar() { ::unsetenv(name_); }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;
  const char* name_;
};

std::vector<BenchSpec> cold_specs(const std::string& profile = "quick") {
  std::vector<BenchSpec> out;
  for (BenchSpec& s : catalogue(profile, 0, 1)) {
    if (s.kind == BenchKind::ColdStart) out.push_back(std::move(s));
  }
  return out;
}

ChildRun child_printing(const std::string& line) {
  ChildRun c;
  c.started = true;
  c.exit_code = 0;
  c.out = "a banner\n" + line + "\n";
  return c;
}

const char* kGood =
    R"({"schema":"gpuval.cold-start/1","step":"cudnn","device":0,"ok":true,)"
    R"("timings_ms":{"dlopen_libcuda":5,"cuinit":100,"context":50,"kernel":8,"cublas_load":30,)"
    R"("cublas":40,"cudnn_load":60,"cudnn":70}})";

TEST(ColdStartChild, ALineAndTheExitCodeComeBack) {
  const ChildRun c = run_child({"/bin/sh", "-c", "echo hello; echo oops >&2; exit 4"}, 10);
  EXPECT_TRUE(c.started);
  EXPECT_FALSE(c.timed_out);
  EXPECT_EQ(c.exit_code, 4);
  EXPECT_EQ(c.signal, 0);
  EXPECT_EQ(c.out, "hello\n");
  EXPECT_EQ(c.err_tail, "oops\n");
}

TEST(ColdStartChild, ACrashIsItsSignal) {
  const ChildRun c = run_child({"/bin/sh", "-c", "kill -SEGV $$"}, 10);
  EXPECT_EQ(c.signal, SIGSEGV);
  EXPECT_EQ(c.exit_code, -1);
}

TEST(ColdStartChild, AHangIsKilledWithItsOwnChildrenAtTheTimeout) {
  const auto t = std::chrono::steady_clock::now();
  // The grandchild keeps stdout open: killing only the shell would leave the read hanging.
  const ChildRun c = run_child({"/bin/sh", "-c", "sleep 300 & echo started; wait"}, 0.3);
  EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::seconds(5));
  EXPECT_TRUE(c.timed_out);
  EXPECT_EQ(c.signal, SIGKILL);
  EXPECT_EQ(c.out, "started\n");
}

TEST(ColdStartChild, AMissingExecutableIsASpawnError) {
  const ChildRun c = run_child({"/nonexistent/gpuval", "__cold-start", "cuinit"}, 5);
  EXPECT_FALSE(c.started);
  EXPECT_HAS(c.spawn_error, "/nonexistent/gpuval");
}

TEST(ColdStartCatalogue, FiveLowerIsBetterStepsOnDeviceZeroOnly) {
  const auto quick = cold_specs("quick");
  ASSERT_EQ(quick.size(), 5u);
  const char* ids[] = {"cold-start-cuinit", "cold-start-context", "cold-start-kernel",
                       "cold-start-cublas", "cold-start-cudnn"};
  for (std::size_t i = 0; i < quick.size(); ++i) {
    EXPECT_EQ(quick[i].id, ids[i]);
    EXPECT_EQ(quick[i].unit, "ms");
    EXPECT_FALSE(quick[i].higher_is_better);
    EXPECT_EQ(quick[i].params["step"], kColdStartSteps[i].name);
    EXPECT_EQ(quick[i].repetitions, 3);
    EXPECT_EQ(quick[i].device, 0);
  }
  for (const BenchSpec& s : cold_specs("full")) EXPECT_GE(s.repetitions, 9) << s.id;
  for (const BenchSpec& s : catalogue("quick", 1, 2)) EXPECT_NE(s.kind, BenchKind::ColdStart);
  EXPECT_EQ(cold_start_step("kernel"), 2u);
  EXPECT_FALSE(cold_start_step("warp"));
}

TEST(ColdStartEntries, EverySampleIsAFreshProcessAndTheMedianIsTheFigure) {
  std::vector<ChildRun> children;
  for (int i = 0; i < 3; ++i) children.push_back(child_printing(kGood));
  std::string third = kGood;
  third.replace(third.find("\"cuinit\":100"), 12, "\"cuinit\":130");
  children[2] = child_printing(third);
  ColdStartOptions o;
  o.samples = 3;
  o.in_container = true;
  o.cuda_module_loading = "EAGER";
  const json e = cold_start_entries(cold_specs(), children, o);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0]["id"], "cold-start-cuinit");
  EXPECT_EQ(e[0]["status"], "PASS") << e[0]["message"];
  EXPECT_EQ(e[0]["samples"], json::array({100.0, 100.0, 130.0}));
  EXPECT_EQ(e[0]["median"], 100.0);
  EXPECT_EQ(e[0]["unit"], "ms");
  EXPECT_EQ(e[0]["higher_is_better"], false);
  EXPECT_EQ(e[0]["verified"], true);
  EXPECT_EQ(e[0]["details"]["mode"], "container");
  EXPECT_EQ(e[0]["details"]["cuda_module_loading"], "EAGER");
  EXPECT_EQ(e[0]["details"]["per_sample"][0]["dlopen_libcuda"], 5);
  EXPECT_EQ(e[3]["median"], 40.0);
  EXPECT_EQ(e[3]["details"]["per_sample"][1]["cublas_load"], 30);
  EXPECT_EQ(e[4]["median"], 70.0);
  EXPECT_EQ(e[4]["fraction_of_peak"], nullptr);
}

TEST(ColdStartEntries, ACrashedChildFailsEveryStepButKeepsTheOthersSamples) {
  ChildRun crashed;
  crashed.started = true;
  crashed.signal = SIGSEGV;
  crashed.err_tail = "libcuda: something\nSegmentation fault\n";
  const std::vector<ChildRun> children = {child_printing(kGood), crashed, child_printing(kGood)};
  ColdStartOptions o;
  const json e = cold_start_entries(cold_specs(), children, o);
  for (const json& x : e) {
    EXPECT_EQ(x["status"], "FAIL") << x["id"];
    EXPECT_EQ(x["samples"].size(), 2u);
    EXPECT_FALSE(x["hint"].get<std::string>().empty());
  }
  EXPECT_HAS(e[0]["message"].get<std::string>(),
             "1 of 3 fresh processes failed before finishing cuinit: a child crashed (SIGSEGV); "
             "stderr: Segmentation fault");
  EXPECT_EQ(cold_start_entries(cold_specs(), children, o)[0]["samples"],
            json::array({100.0, 100.0}));
  ChildRun timed_out;
  timed_out.started = true;
  timed_out.timed_out = true;
  timed_out.signal = SIGKILL;
  timed_out.wall_s = 60;
  EXPECT_HAS(cold_start_entries(cold_specs(), {timed_out}, o)[2]["message"].get<std::string>(),
             "did not finish within its timeout (60 s): killed");
}

TEST(ColdStartEntries, AStepThatFailedFailsItAndTheStepsAfterIt) {
  std::vector<ChildRun> children;
  {
    EnvVar mode("FAKE_COLD_START", "fail-kernel");
    children.push_back(run_child({kFakeChild, "__cold-start", "cudnn", "--device", "0"}, 10));
  }
  const json e = cold_start_entries(cold_specs(), children, ColdStartOptions{});
  EXPECT_EQ(e[0]["status"], "PASS");
  EXPECT_EQ(e[1]["status"], "PASS");
  EXPECT_EQ(e[2]["status"], "FAIL");
  EXPECT_HAS(e[2]["message"].get<std::string>(), "cudaErrorNoKernelImageForDevice");
  EXPECT_EQ(e[2]["hint"], "rebuild for this GPU");
  EXPECT_EQ(e[3]["status"], "FAIL");
  EXPECT_EQ(e[4]["status"], "FAIL");
}

TEST(ColdStartEntries, AMissingCudnnModuleIsASkipOfThatStepOnly) {
  EnvVar mode("FAKE_COLD_START", "skip-cudnn");
  const std::vector<ChildRun> children = {
      run_child({kFakeChild, "__cold-start", "cudnn", "--device", "0"}, 10),
      run_child({kFakeChild, "__cold-start", "cudnn", "--device", "0"}, 10)};
  const json e = cold_start_entries(cold_specs(), children, ColdStartOptions{});
  EXPECT_EQ(e[3]["status"], "PASS");
  EXPECT_EQ(e[3]["median"], 40.0);
  EXPECT_EQ(e[4]["status"], "SKIP");
  EXPECT_HAS(e[4]["message"].get<std::string>(), "cuDNN module not loadable");
  EXPECT_EQ(e[4]["hint"], "install libcudnn9-cuda-13");
}

TEST(ColdStartEntries, GarbageOrNothingIsAFailureNeverAPass) {
  EnvVar mode("FAKE_COLD_START", "garbage");
  const std::vector<ChildRun> children = {
      run_child({kFakeChild, "__cold-start", "cudnn", "--device", "0"}, 10)};
  const json e = cold_start_entries(cold_specs(), children, ColdStartOptions{});
  EXPECT_EQ(e[0]["status"], "FAIL");
  EXPECT_HAS(e[0]["message"].get<std::string>(), "exited with code 0 without its JSON line");
  const json none = cold_start_entries(cold_specs(), {}, ColdStartOptions{});
  EXPECT_EQ(none[0]["status"], "SKIP");
}

TEST(ColdStartRun, RunsTheChainOncePerSampleUpToTheLastStepAsked) {
  const std::filesystem::path log =
      std::filesystem::temp_directory_path() /
      ("gpuval-cold-" + std::to_string(std::random_device{}()) + ".log");
  EnvVar logged("FAKE_COLD_START_LOG", log.string());
  std::vector<BenchSpec> specs = cold_specs();
  specs.resize(3);  // cuinit, context, kernel
  ColdStartOptions o;
  o.exe = kFakeChild;
  o.samples = 4;
  const json e = run_cold_start(specs, o);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[2]["samples"].size(), 4u);
  EXPECT_EQ(e[0]["run_window_s"].size(), 2u);
  EXPECT_LE(e[0]["run_window_s"][0].get<double>(), e[0]["run_window_s"][1].get<double>());
  EXPECT_GT(e[0]["wall_s"].get<double>(), 0);
  std::ifstream in(log);
  std::string line;
  int calls = 0;
  while (std::getline(in, line)) {
    EXPECT_EQ(line, "__cold-start kernel --device 0");
    ++calls;
  }
  EXPECT_EQ(calls, 4);
  std::filesystem::remove(log);
}

TEST(ColdStartRun, TheBudgetCutsTheSamplesButKeepsOne) {
  EnvVar mode("FAKE_COLD_START", "hang");
  ColdStartOptions o;
  o.exe = kFakeChild;
  o.samples = 9;
  o.child_timeout_s = 0.2;
  o.budget_s = 0.1;
  const json e = run_cold_start(cold_specs(), o);
  EXPECT_EQ(e[0]["status"], "FAIL");
  EXPECT_EQ(e[0]["details"]["children"], 1);
  EXPECT_HAS(e[0]["details"]["samples_cut"].get<std::string>(), "1 of 9 children");
}

TEST(ColdStartGpuval, WithoutAGpuTheChildSaysWhyInItsLine) {
  const ChildRun c = run_child({GPUVAL_BINARY, "__cold-start", "kernel", "--device", "0"}, 60);
  ASSERT_TRUE(c.started);
  if (c.exit_code == 0) GTEST_SKIP() << "a GPU is visible here: covered by the gpu tests";
  EXPECT_EQ(c.exit_code, 3) << c.out << c.err_tail;
  const json line = json::parse(c.out);
  EXPECT_EQ(line["schema"], "gpuval.cold-start/1");
  EXPECT_EQ(line["step"], "kernel");
  EXPECT_EQ(line["ok"], false);
  EXPECT_EQ(line["error"]["step"], "cuinit");
  EXPECT_FALSE(line["error"]["hint"].get<std::string>().empty());
  const json e = cold_start_entries(cold_specs(), {c}, ColdStartOptions{});
  EXPECT_EQ(e[0]["status"], "FAIL");
  const ChildRun bad = run_child({GPUVAL_BINARY, "__cold-start", "warp"}, 60);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_HAS(bad.err_tail, "unknown step 'warp'");
}

// Run documents with one cold-start figure, for compare and report.
json doc_with(double cuinit_ms, const std::string& date = "2026-11-24") {
  json samples = json::array();
  for (double f : {0.99, 1.0, 1.01, 1.0, 0.995, 1.005, 1.0, 0.998, 1.002}) {
    samples.push_back(cuinit_ms * f);
  }
  json b = {{"id", "cold-start-cuinit"},
            {"device", 0},
            {"params", {{"step", "cuinit"}}},
            {"unit", "ms"},
            {"higher_is_better", false},
            {"samples", samples},
            {"median", cuinit_ms},
            {"status", "PASS"},
            {"verified", true}};
  return {{"schema", "gpuval.run/1"},
          {"tool", {{"name", "gpuval"}, {"version", "0.1.0"}, {"git_sha", "abc"}, {"argv", {}}}},
          {"run", {{"id", "r-" + date}, {"started_at", date + "T02:00:00Z"}, {"profile", "full"}}},
          {"host", {{"hostname", "node"}, {"cpus", 64}}},
          {"environment", {{"mode", "container"}, {"engine", "podman"}, {"injection", "cdi"}}},
          {"driver", {{"version", "570.86.15"}}},
          {"devices", json::array({{{"index", 0}, {"name", "NVIDIA H100 80GB HBM3"}}})},
          {"checks", json::array()},
          {"benchmarks", json::array({b})},
          {"verdict", {{"status", "pass"}, {"exit_code", 0}, {"summary", "ok"}}}};
}

TEST(ColdStartCompare, ASlowerColdStartIsWorseAndAFasterOneBetter) {
  const compare::Comparison worse = compare::compare_runs(doc_with(100), doc_with(140));
  ASSERT_EQ(worse.benchmarks.size(), 1u);
  EXPECT_FALSE(worse.benchmarks[0].higher_is_better);
  EXPECT_EQ(worse.benchmarks[0].verdict, compare::BenchVerdict::kWorse);
  EXPECT_EQ(worse.exit_code(), 1);
  const compare::Comparison better = compare::compare_runs(doc_with(100), doc_with(60));
  EXPECT_EQ(better.benchmarks[0].verdict, compare::BenchVerdict::kBetter);
  EXPECT_EQ(better.exit_code(), 0);
  // A document that does not say: "ms" is a time, lower is better.
  json a = doc_with(100), b = doc_with(140);
  a["benchmarks"][0].erase("higher_is_better");
  b["benchmarks"][0].erase("higher_is_better");
  EXPECT_EQ(compare::compare_runs(a, b).benchmarks[0].verdict, compare::BenchVerdict::kWorse);
}

TEST(ColdStartReport, ARisingColdStartIsARegression) {
  std::vector<report::RunSummary> runs;
  const double nights[] = {100, 101, 99, 100, 100, 130};
  for (int i = 0; i < 6; ++i) {
    runs.push_back(report::summarize(doc_with(nights[i], "2026-10-0" + std::to_string(i + 1)),
                                     "n" + std::to_string(i) + ".json"));
  }
  ASSERT_EQ(runs[0].benchmarks.size(), 1u);
  EXPECT_FALSE(runs[0].benchmarks[0].higher_is_better);
  const auto found = report::find_regressions(runs, {});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NEAR(found[0].change, 0.30, 1e-9);
  EXPECT_TRUE(report::is_worse(0.30, false, 0.05));
}

}  // namespace
}  // namespace gpuval::bench
