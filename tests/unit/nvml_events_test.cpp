// core/nvml_events against the fake NVML (tests/fake_nvml/fake_nvml_events.cpp): registration
// type by type, events delivered on the n-th wait with their time and GPU, refusals and failed
// waits, and a background thread that stops promptly.
#include "core/nvml_events.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "core/nvml_abi_events.hpp"
#include "core/run_clock.hpp"
#include "tests/unit/nvml_test_support.hpp"

namespace gpuval {
namespace {

using nlohmann::json;
using testing::FakeNvmlConfig;
namespace abi = nvml_abi;

constexpr unsigned long long kXidEccs =
    abi::kEventXidCriticalError | abi::kEventSingleBitEccError | abi::kEventDoubleBitEccError;

json system_with_events(int gpus, const json& events, unsigned long long types = kXidEccs) {
  json cfg = testing::fake_system(gpus);
  for (json& d : cfg["devices"]) d["event_types"] = types;
  cfg["events"] = events;
  return cfg;
}

std::unique_ptr<NvmlEventWatch> watch(unsigned timeout_ms = 50,
                                      const std::string& library = testing::kFakeNvml,
                                      std::size_t max_events = 1000) {
  NvmlSession::Opened s = NvmlSession::open(library);
  EXPECT_TRUE(s.session) << s.failure.load_error;
  return NvmlEventWatch::start(std::move(s.session), {timeout_ms, max_events});
}

// Waits (at most 5 s) until the watch holds `n` events.
NvmlEventLog until_events(const NvmlEventWatch& w, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  NvmlEventLog log = w.snapshot();
  while (log.events.size() + log.dropped < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    log = w.snapshot();
  }
  return log;
}

TEST(NvmlEvents, RegistersEachTypeOnItsOwnAndNamesTheUnsupported) {
  FakeNvmlConfig cfg(system_with_events(1, json::array()));
  auto w = watch();
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->running());
  w->stop();
  EXPECT_FALSE(w->running());
  const NvmlEventLog log = w->snapshot();
  EXPECT_TRUE(log.watched);
  EXPECT_EQ(log.wait_timeout_ms, 50u);
  ASSERT_EQ(log.registrations.size(), 1u);
  const NvmlEventRegistration& r = log.registrations[0];
  EXPECT_EQ(r.uuid, testing::fake_uuid(0));
  EXPECT_EQ(r.registered, (std::vector<std::string>{"xid", "dbe", "sbe"}));
  EXPECT_EQ(r.unsupported, (std::vector<std::string>{"mig-config", "power-source", "clock"}));
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(log.events.empty());
  EXPECT_GE(log.stopped_s, log.started_s);
}

TEST(NvmlEvents, DeliversEventsWithTheirTimeAndGpu) {
  FakeNvmlConfig cfg(system_with_events(
      2, json::array({{{"wait", 2}, {"device", 1}, {"type", "xid"}, {"data", 79}},
                      {{"wait", 3}, {"device", 0}, {"type", "dbe"}},
                      {{"wait", 3},
                       {"device", 1},
                       {"type", "xid"},
                       {"data", 13},
                       {"gpu_instance_id", 2},
                       {"compute_instance_id", 0}}})));
  const double before = run_clock_s();
  auto w = watch();
  const NvmlEventLog log = until_events(*w, 3);
  w->stop();
  ASSERT_EQ(log.events.size(), 3u);
  const NvmlEventRecord& first = log.events[0];
  EXPECT_EQ(first.nvml_index, 1u);
  EXPECT_EQ(first.uuid, testing::fake_uuid(1));
  EXPECT_EQ(first.type, abi::kEventXidCriticalError);
  EXPECT_EQ(first.data, 79u);
  EXPECT_FALSE(first.gpu_instance_id);
  EXPECT_GE(first.t_s, before);
  EXPECT_TRUE(std::regex_match(first.time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << first.time;
  EXPECT_EQ(log.events[1].nvml_index, 0u);
  EXPECT_EQ(log.events[1].type, abi::kEventDoubleBitEccError);
  EXPECT_LE(log.events[0].t_s, log.events[1].t_s);
  EXPECT_EQ(log.events[2].gpu_instance_id, 2u);
  EXPECT_EQ(log.events[2].compute_instance_id, 0u);
}

TEST(NvmlEvents, AnUnregisteredTypeIsNotDelivered) {
  FakeNvmlConfig cfg(system_with_events(
      1,
      json::array({{{"wait", 1}, {"type", "dbe"}}, {{"wait", 2}, {"type", "xid"}, {"data", 48}}}),
      abi::kEventXidCriticalError));
  auto w = watch();
  const NvmlEventLog log = until_events(*w, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  w->stop();
  const NvmlEventLog end = w->snapshot();
  ASSERT_EQ(end.events.size(), 1u) << "the DBE came though only Xid was registered";
  EXPECT_EQ(end.events[0].data, 48u);
  EXPECT_EQ(log.registrations[0].registered, (std::vector<std::string>{"xid"}));
}

TEST(NvmlEvents, NoRegistrableTypeMeansNotWatched) {
  json cfg = testing::fake_system(1);  // no "event_types": the GPU supports none
  FakeNvmlConfig c(cfg);
  auto w = watch();
  EXPECT_FALSE(w->running());
  const NvmlEventLog log = w->snapshot();
  EXPECT_FALSE(log.watched);
  EXPECT_EQ(log.why_not, "no event type could be registered on any GPU");
  EXPECT_EQ(log.registrations.at(0).unsupported.size(), 6u);
}

TEST(NvmlEvents, ARefusedRegistrationIsAnErrorOfThatGpu) {
  json cfg = system_with_events(2, json::array());
  cfg["devices"][1]["errors"] = {{"nvmlDeviceRegisterEvents", 4}};
  FakeNvmlConfig c(cfg);
  auto w = watch();
  w->stop();
  const NvmlEventLog log = w->snapshot();
  EXPECT_TRUE(log.watched);
  ASSERT_EQ(log.registrations.size(), 2u);
  EXPECT_EQ(log.registrations[0].registered.size(), 3u);
  EXPECT_TRUE(log.registrations[1].registered.empty());
  ASSERT_EQ(log.registrations[1].errors.size(), 3u);
  EXPECT_EQ(log.registrations[1].errors[0].call, "nvmlDeviceRegisterEvents(xid)");
  EXPECT_EQ(log.registrations[1].errors[0].name, "NVML_ERROR_NO_PERMISSION");
}

TEST(NvmlEvents, AFailedWaitIsRecordedOnceAndTheWatchStillStops) {
  json cfg = system_with_events(1, json::array());
  cfg["errors"] = {{"nvmlEventSetWait_v2", 15}};  // GPU_IS_LOST
  FakeNvmlConfig c(cfg);
  auto w = watch(10);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (w->snapshot().wait_errors.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto t = std::chrono::steady_clock::now();
  w->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::seconds(1));
  const NvmlEventLog log = w->snapshot();
  ASSERT_EQ(log.wait_errors.size(), 1u);
  EXPECT_EQ(log.wait_errors[0].error.name, "NVML_ERROR_GPU_IS_LOST");
  EXPECT_EQ(log.wait_errors[0].error.call, "nvmlEventSetWait_v2");
}

TEST(NvmlEvents, AnOldNvmlWithoutTheEventApiIsNotWatched) {
  FakeNvmlConfig cfg(testing::fake_system(1));
  auto w = watch(50, testing::kFakeNvmlMinimal);
  const NvmlEventLog log = w->snapshot();
  EXPECT_FALSE(log.watched);
  EXPECT_NE(log.why_not.find("no event API"), std::string::npos) << log.why_not;
}

TEST(NvmlEvents, StopIsPromptAndIdempotent) {
  FakeNvmlConfig cfg(system_with_events(1, json::array()));
  auto w = watch(200);
  const auto t = std::chrono::steady_clock::now();
  w->stop();
  w->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::seconds(1));
}

TEST(NvmlEvents, EventsBeyondTheLimitAreCountedNotKept) {
  json events = json::array();
  for (int i = 1; i <= 4; ++i) events.push_back({{"wait", i}, {"type", "sbe"}});
  FakeNvmlConfig cfg(system_with_events(1, events));
  auto w = watch(50, testing::kFakeNvml, 1);
  const NvmlEventLog log = until_events(*w, 4);
  w->stop();
  EXPECT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.dropped, 3u);
}

}  // namespace
}  // namespace gpuval
