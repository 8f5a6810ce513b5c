// gpu-events: what the events of a run do to it (validate/gpu/gpu_events.hpp) and what they mean
// (core/xid_table.hpp): the check's class from the worst event, events placed on CUDA devices
// (MIG slices by their GPU instance), and checks and benchmarks that passed while an event
// fired on their GPU taking the event's class.
#include "validate/gpu/gpu_events.hpp"

#include <gtest/gtest.h>

#include "core/nvml_abi_events.hpp"
#include "core/xid_table.hpp"
#include "tests/unit/mig_test_support.hpp"
#include "tests/unit/validate/container_scenario.hpp"

namespace gpuval {
namespace {

using nlohmann::json;
namespace abi = nvml_abi;

NvmlEventRegistration registered(unsigned gpu,
                                 std::vector<std::string> types = {"xid", "dbe", "sbe"}) {
  NvmlEventRegistration r;
  r.nvml_index = gpu;
  r.uuid = testing::fake_uuid(static_cast<int>(gpu));
  r.registered = std::move(types);
  return r;
}

NvmlEventRecord event(unsigned gpu, std::uint64_t type, std::uint64_t data, double t_s) {
  NvmlEventRecord e;
  e.nvml_index = gpu;
  e.uuid = testing::fake_uuid(static_cast<int>(gpu));
  e.type = type;
  e.data = data;
  e.t_s = t_s;
  e.time = "2026-01-02T03:04:05.678Z";
  return e;
}

struct GpuEvents : ::testing::Test {
  GpuEvents() {
    log.watched = true;
    log.wait_timeout_ms = 200;
    log.started_s = 1;
    log.stopped_s = 3;
    log.registrations = {registered(0), registered(1)};
    // CUDA uses NVML GPU 0 only (CUDA_VISIBLE_DEVICES hides GPU 1).
    facts.bindings.push_back(DeviceBinding{0, 0u, "pci-bus-id"});
  }
  CheckResult evaluate() {
    CheckResult r = checks::evaluate_gpu_events(log, facts);
    testing::expect_well_formed(r);
    return r;
  }
  NvmlEventLog log;
  Facts facts;
};

TEST_F(GpuEvents, NoEventIsAPass) {
  CheckResult r = evaluate();
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "2 GPUs watched for xid, dbe, sbe over 2.0 s: no event");
  EXPECT_EQ(r.metrics["events"], 0);
}

TEST_F(GpuEvents, AGpuOffTheBusFailsTheRun) {
  log.events = {event(0, abi::kEventXidCriticalError, 79, 2)};
  CheckResult r = evaluate();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message,
                  "Xid 79: GPU has fallen off the bus (no longer reachable over PCIe) "
                  "on GPU 0 (CUDA 0) at 2026-01-02T03:04:05.678Z");
  EXPECT_CONTAINS(r.hint, "drain the node");
  EXPECT_EQ(r.metrics["fail"], 1);
}

TEST_F(GpuEvents, AnotherProcesssApplicationFaultWarns) {
  log.events = {event(0, abi::kEventXidCriticalError, 13, 2)};
  CheckResult r = evaluate();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "Xid 13: graphics engine exception");
  EXPECT_CONTAINS(r.hint, "another process on this GPU faulted");
}

TEST_F(GpuEvents, ACorrectedSingleBitErrorIsInformation) {
  log.events = {event(0, abi::kEventSingleBitEccError, 0, 2)};
  CheckResult r = evaluate();
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "1 informational event");
  EXPECT_EQ(r.metrics["info"], 1);
}

TEST_F(GpuEvents, ADoubleBitErrorFails) {
  log.events = {event(0, abi::kEventDoubleBitEccError, 0, 2)};
  EXPECT_EQ(evaluate().status, Status::Fail);
}

TEST_F(GpuEvents, AnXidNotInTheTableWarnsNamingTheCatalogue) {
  log.events = {event(0, abi::kEventXidCriticalError, 140, 2)};
  CheckResult r = evaluate();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "Xid 140: not in gpuval's table");
  EXPECT_CONTAINS(r.hint, "Xid catalogue");
}

TEST_F(GpuEvents, AFailEventOnAGpuTheRunDidNotUseOnlyWarns) {
  log.events = {event(1, abi::kEventXidCriticalError, 79, 2)};
  CheckResult r = evaluate();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "on GPU 1 (not used by this run)");
}

TEST_F(GpuEvents, ManyEventsAreListedUpToFive) {
  for (int i = 0; i < 7; ++i) log.events.push_back(event(0, abi::kEventXidCriticalError, 31, 2));
  CheckResult r = evaluate();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "2 more in the run document's events");
  EXPECT_EQ(r.metrics["warn"], 7);
}

TEST_F(GpuEvents, NotWatchedIsASkipSayingWhy) {
  NvmlEventLog none;
  none.why_not = "NVML not usable (not-loaded, see nvml)";
  CheckResult r = checks::evaluate_gpu_events(none, facts);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_EQ(r.message, "NVML events not watched: NVML not usable (not-loaded, see nvml)");
}

TEST_F(GpuEvents, TheCheckWithoutAWatchSkips) {
  testing::Scenario s;
  CheckResult r = s.run(&checks::gpu_events);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_CONTAINS(r.message, "offline analysis");
}

TEST_F(GpuEvents, ALostGpuWhileWaitingFails) {
  log.wait_errors.push_back({2.5, NvmlError{"nvmlEventSetWait_v2", "core/nvml_events.cpp", 1, 15,
                                            "NVML_ERROR_GPU_IS_LOST", "GPU is lost"}});
  CheckResult r = evaluate();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "waiting for events: nvmlEventSetWait_v2: NVML_ERROR_GPU_IS_LOST");
  EXPECT_CONTAINS(r.hint, "Xid 79");
}

TEST_F(GpuEvents, WithoutXidEventsTheBlindSpotIsSaid) {
  log.registrations = {registered(0, {"sbe"})};
  CheckResult r = evaluate();
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "no GPU accepts Xid events here");
}

TEST_F(GpuEvents, ChecksAndBenchmarksThatPassedDuringAnEventTakeItsClass) {
  log.events = {event(0, abi::kEventXidCriticalError, 79, 10.5)};
  std::vector<CheckResult> results = {
      make_result("device-nodes", "Device nodes", Status::Pass, "1 GPU node"),
      make_result("memory-pattern", "Device memory patterns", Status::Pass, "6 patterns ok"),
      make_result("cublas", "cuBLAS GEMM", Status::Pass, "all precisions ok"),
      make_result("gpu-events", "Xid and health events", Status::Pass, "so far no event")};
  // device-nodes and memory-pattern both span the event; cublas ran long before.
  const std::vector<checks::RunWindow> windows = {{10, 11}, {10, 11}, {1, 2}, {11, 11.1}};
  json benchmarks = json::array({
      {{"id", "stream-triad"},
       {"device", 0},
       {"status", "PASS"},
       {"message", ""},
       {"run_window_s", {10.0, 10.4}}},  // ended 0.1 s before delivery: within the slack
      {{"id", "stream-copy"}, {"device", 0}, {"status", "PASS"}, {"run_window_s", {2.0, 3.0}}},
      {{"id", "gemm-bf16"}, {"device", 1}, {"status", "PASS"}, {"run_window_s", {10.0, 11.0}}},
      {{"id", "gemm-fp8"}, {"device", 0}, {"status", "SKIP"}, {"run_window_s", {10.0, 11.0}}},
  });
  EXPECT_TRUE(checks::apply_gpu_events(results, windows, benchmarks, log, facts));
  EXPECT_EQ(results[0].status, Status::Pass);  // container group: not work on the GPU
  EXPECT_EQ(results[1].status, Status::Fail);
  EXPECT_CONTAINS(results[1].message, "6 patterns ok; Xid 79: GPU has fallen off the bus");
  EXPECT_CONTAINS(results[1].message, "during this check (see gpu-events)");
  EXPECT_CONTAINS(results[1].hint, "drain the node");
  EXPECT_EQ(results[1].metrics["events"], json::array({0}));
  EXPECT_EQ(results[2].status, Status::Pass);
  EXPECT_EQ(results[3].id, "gpu-events");
  EXPECT_EQ(results[3].title, "Xid and health events");
  EXPECT_EQ(results[3].status, Status::Fail);
  EXPECT_EQ(benchmarks[0]["status"], "FAIL");
  EXPECT_CONTAINS(benchmarks[0]["message"].get<std::string>(),
                  "Xid 79: GPU has fallen off the bus");
  EXPECT_EQ(benchmarks[0]["events"], json::array({0}));
  EXPECT_EQ(benchmarks[1]["status"], "PASS");
  EXPECT_FALSE(benchmarks[1].contains("events"));
  EXPECT_EQ(benchmarks[2]["status"], "PASS");  // CUDA 1 is not on that GPU
  EXPECT_EQ(benchmarks[3]["status"], "SKIP");
  EXPECT_EQ(benchmarks[3]["events"], json::array({0}));
}

TEST_F(GpuEvents, AWarnEventDoesNotLiftAFail) {
  log.events = {event(0, abi::kEventXidCriticalError, 13, 10.5)};
  std::vector<CheckResult> results;
  json benchmarks = json::array({{{"id", "stream-triad"},
                                  {"device", 0},
                                  {"status", "FAIL"},
                                  {"message", "wrong result"},
                                  {"hint", "memory check"},
                                  {"run_window_s", {10.0, 11.0}}}});
  checks::apply_gpu_events(results, {}, benchmarks, log, facts);
  EXPECT_EQ(benchmarks[0]["status"], "FAIL");
  EXPECT_EQ(benchmarks[0]["hint"], "memory check");
  EXPECT_CONTAINS(benchmarks[0]["message"].get<std::string>(), "wrong result; Xid 13");
}

TEST_F(GpuEvents, AMigEventConcernsTheSlicesOfItsGpuInstance) {
  // Two slices of one H100: CUDA 0 in GPU instance 9, CUDA 1 in GPU instance 2.
  const json board = testing::mig_h100(0, {testing::k1g10gb, testing::k3g40gb});
  testing::FakeNvmlConfig cfg([&] {
    json c = testing::fake_system(0);
    c["devices"] = json::array({board});
    return c;
  }());
  NvmlProbe p = probe_nvml(testing::kFakeNvml);
  ASSERT_TRUE(p.inventory);
  facts.nvml = *p.inventory;
  std::vector<CudaDeviceInfo> cuda = {testing::cuda_view_of_slice(board, 0, 0),
                                      testing::cuda_view_of_slice(board, 1, 1)};
  mark_mig_devices(cuda, &*facts.nvml);
  facts.bindings = bind_devices(cuda, &*facts.nvml);
  facts.mig_bindings = bind_mig_devices(cuda, &*facts.nvml);

  NvmlEventRecord e = event(0, abi::kEventXidCriticalError, 31, 2);
  e.gpu_instance_id = 2;
  EXPECT_EQ(checks::cuda_ordinals_of(e, facts), std::vector<int>{1});
  e.gpu_instance_id.reset();  // not attributable: every slice of the GPU
  EXPECT_EQ(checks::cuda_ordinals_of(e, facts), (std::vector<int>{0, 1}));
}

TEST_F(GpuEvents, TheRunDocumentListsEveryEventWithItsMeaning) {
  NvmlEventRecord e = event(0, abi::kEventXidCriticalError, 48, 2.25);
  e.gpu_instance_id = 1;
  log.events = {e, event(1, abi::kEventSingleBitEccError, 0, 2.5)};
  log.registrations[1].unsupported = {"clock"};
  log.dropped = 2;
  const json j = checks::events_json(log, facts);
  EXPECT_EQ(j["watched"], true);
  EXPECT_EQ(j["wait_timeout_ms"], 200);
  EXPECT_EQ(j["gpus"][0]["cuda_ordinals"], json::array({0}));
  EXPECT_EQ(j["gpus"][1]["cuda_ordinals"], json::array());
  EXPECT_EQ(j["gpus"][1]["unsupported"], json::array({"clock"}));
  ASSERT_EQ(j["list"].size(), 2u);
  const json& x = j["list"][0];
  EXPECT_EQ(x["t_s"], 2.25);
  EXPECT_EQ(x["time"], "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(x["uuid"], testing::fake_uuid(0));
  EXPECT_EQ(x["type"], "xid");
  EXPECT_EQ(x["xid"], 48);
  EXPECT_EQ(x["category"], "memory");
  EXPECT_EQ(x["severity"], "FAIL");
  EXPECT_EQ(x["gpu_instance_id"], 1);
  EXPECT_EQ(x["compute_instance_id"], nullptr);
  EXPECT_FALSE(x["hint"].get<std::string>().empty());
  EXPECT_EQ(j["list"][1]["type"], "sbe");
  EXPECT_EQ(j["list"][1]["severity"], "PASS");
  EXPECT_FALSE(j["list"][1].contains("xid"));
  EXPECT_EQ(j["dropped"], 2);
}

TEST(XidTable, EveryJudgingEntryHasAHintAndTheCommonXidsTheirClass) {
  for (unsigned xid = 0; xid < 200; ++xid) {
    const EventMeaning m = xid_meaning(xid);
    EXPECT_EQ(m.kind, "xid");
    EXPECT_NE(m.meaning.find("Xid " + std::to_string(xid)), std::string::npos) << xid;
    if (m.severity != Status::Pass) {
      EXPECT_FALSE(m.hint.empty()) << xid;
    }
  }
  for (unsigned xid : {13u, 31u, 43u}) EXPECT_EQ(xid_meaning(xid).category, "application");
  for (unsigned xid : {48u, 63u, 64u, 94u, 95u}) EXPECT_EQ(xid_meaning(xid).category, "memory");
  EXPECT_EQ(xid_meaning(74).category, "nvlink");
  EXPECT_EQ(xid_meaning(79).category, "bus");
  EXPECT_EQ(xid_meaning(119).category, "gsp");
  EXPECT_EQ(xid_meaning(120).category, "gsp");
  for (unsigned xid : {48u, 64u, 74u, 79u, 95u, 119u, 120u}) {
    EXPECT_EQ(xid_meaning(xid).severity, Status::Fail) << xid;
  }
  for (unsigned xid : {13u, 31u, 43u, 63u, 94u}) {
    EXPECT_EQ(xid_meaning(xid).severity, Status::Warn) << xid;
  }
  EXPECT_EQ(xid_meaning(45).severity, Status::Pass);  // normal teardown
  EXPECT_EQ(xid_meaning(999).category, "unknown");
}

TEST(XidTable, OtherEventTypes) {
  EXPECT_EQ(event_meaning(abi::kEventDoubleBitEccError, 0).severity, Status::Fail);
  EXPECT_EQ(event_meaning(abi::kEventSingleBitEccError, 0).severity, Status::Pass);
  EXPECT_EQ(event_meaning(abi::kEventMigConfigChange, 0).severity, Status::Warn);
  EXPECT_FALSE(event_meaning(abi::kEventMigConfigChange, 0).hint.empty());
  EXPECT_EQ(event_meaning(abi::kEventPowerSourceChange, 0).kind, "power-source");
  EXPECT_EQ(event_type_name(0x4000), "0x4000");
}

}  // namespace
}  // namespace gpuval
