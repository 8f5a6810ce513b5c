// The fake NVML's event entry points (full build only). The configuration says which event
// types each GPU supports and what to deliver when:
//
//   per GPU:   "event_types": 11          // nvmlDeviceGetSupportedEventTypes mask; absent:
//                                         // NOT_SUPPORTED (registering anything fails so)
//   top level: "events": [{"wait": 3, "device": 0, "type": "xid", "data": 79,
//                          "gpu_instance_id": 1, "compute_instance_id": 0}, ...],
//              "event_wait_sleep_ms": 2   // how long an empty wait sleeps (default 2, at most
//                                         // the caller's timeout)
//
// Each event set counts its own waits; the events whose "wait" is that count, and whose device
// and type the set registered, are queued then, and every wait hands out the oldest queued one
// (SUCCESS) or, with none, sleeps and answers TIMEOUT. "type" is "xid", "sbe", "dbe", "pstate",
// "clock", "power", "mig" or a number. The set copies what it needs when created, so waits on
// another thread never read the configuration while a later nvmlInit reloads it. Forced errors
// ("errors": {"nvmlEventSetWait_v2": 15}) work as everywhere in the fake.
#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/nvml_abi_events.hpp"
#include "tests/fake_nvml/fake_nvml_internal.hpp"

namespace {

using nlohmann::json;
namespace abi = gpuval::nvml_abi;

unsigned long long type_bits(const json& t) {
  if (t.is_number_unsigned() || t.is_number_integer()) return t.get<unsigned long long>();
  const std::string s = t.is_string() ? t.get<std::string>() : std::string();
  if (s == "sbe") return abi::kEventSingleBitEccError;
  if (s == "dbe") return abi::kEventDoubleBitEccError;
  if (s == "pstate") return abi::kEventPState;
  if (s == "xid") return abi::kEventXidCriticalError;
  if (s == "clock") return abi::kEventClock;
  if (s == "power") return abi::kEventPowerSourceChange;
  if (s == "mig") return abi::kEventMigConfigChange;
  return 0;
}

struct Scheduled {
  unsigned long long wait = 0;
  std::size_t device = 0;
  abi::EventData data{};
};

}  // namespace

// An event set: what it registered, the events scheduled when it was created, its queue.
struct gpuval::nvml_abi::EventSetSt {
  std::mutex mutex;
  std::vector<std::pair<std::size_t, unsigned long long>> registered;  // device, mask
  std::vector<Scheduled> scheduled;
  std::deque<abi::EventData> queue;
  unsigned long long waits = 0;
  int forced_wait = -1;
  unsigned sleep_ms = 2;
};

extern "C" {

int nvmlEventSetCreate(abi::EventSet* set) {
  if (!fake_nvml::initialised()) return abi::kErrorUninitialized;
  if (int rc = fake_nvml::forced(__func__, nullptr); rc >= 0) return rc;
  if (set == nullptr) return abi::kErrorInvalidArgument;
  auto* s = new abi::EventSetSt;
  const json& config = fake_nvml::config();
  s->forced_wait = fake_nvml::forced("nvmlEventSetWait_v2", nullptr);
  s->sleep_ms = config.value("event_wait_sleep_ms", 2u);
  if (config.contains("events")) {
    for (const json& e : config["events"]) {
      Scheduled x;
      x.wait = e.value("wait", 1ull);
      x.device = e.value("device", std::size_t{0});
      x.data.device = fake_nvml::gpu_handle(x.device);
      x.data.eventType = type_bits(e.value("type", json("xid")));
      x.data.eventData = e.value("data", 0ull);
      x.data.gpuInstanceId = e.value("gpu_instance_id", abi::kNoInstance);
      x.data.computeInstanceId = e.value("compute_instance_id", abi::kNoInstance);
      s->scheduled.push_back(x);
    }
  }
  *set = s;
  return abi::kSuccess;
}

int nvmlEventSetFree(abi::EventSet set) {
  if (set == nullptr) return abi::kErrorInvalidArgument;
  delete set;
  return abi::kSuccess;
}

int nvmlDeviceGetSupportedEventTypes(abi::Device h, unsigned long long* types) {
  json v;
  if (int rc = fake_nvml::device_json(__func__, h, "event_types", nullptr, &v);
      rc != abi::kSuccess) {
    return rc;
  }
  if (types == nullptr) return abi::kErrorInvalidArgument;
  *types = v.get<unsigned long long>();
  return abi::kSuccess;
}

int nvmlDeviceRegisterEvents(abi::Device h, unsigned long long types, abi::EventSet set) {
  const json* dev = nullptr;
  if (int rc = fake_nvml::device_call(__func__, h, &dev); rc != abi::kSuccess) return rc;
  const auto gpu = fake_nvml::gpu_index(h);
  if (!gpu || set == nullptr) return abi::kErrorInvalidArgument;
  const unsigned long long supported = dev->value("event_types", 0ull);
  if (types == 0 || (types & ~supported) != 0) return abi::kErrorNotSupported;
  std::lock_guard lock(set->mutex);
  set->registered.emplace_back(*gpu, types);
  return abi::kSuccess;
}

int nvmlEventSetWait_v2(abi::EventSet set, abi::EventData* data, unsigned timeout_ms) {
  if (set == nullptr || data == nullptr) return abi::kErrorInvalidArgument;
  unsigned sleep_ms = 0;
  {
    std::lock_guard lock(set->mutex);
    if (set->forced_wait >= 0) return set->forced_wait;
    ++set->waits;
    for (const Scheduled& x : set->scheduled) {
      if (x.wait != set->waits) continue;
      for (const auto& [gpu, mask] : set->registered) {
        if (gpu == x.device && (mask & x.data.eventType) != 0) {
          set->queue.push_back(x.data);
          break;
        }
      }
    }
    if (!set->queue.empty()) {
      *data = set->queue.front();
      set->queue.pop_front();
      return abi::kSuccess;
    }
    sleep_ms = std::min(timeout_ms, set->sleep_ms);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  return abi::kErrorTimeout;
}

}  // extern "C"

static_assert(std::is_same_v<decltype(&nvmlEventSetCreate), abi::EventSetCreateFn>);
static_assert(std::is_same_v<decltype(&nvmlEventSetFree), abi::EventSetFreeFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceRegisterEvents), abi::DeviceRegisterEventsFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetSupportedEventTypes),
                             abi::DeviceGetSupportedEventTypesFn>);
static_assert(std::is_same_v<decltype(&nvmlEventSetWait_v2), abi::EventSetWaitFn>);
