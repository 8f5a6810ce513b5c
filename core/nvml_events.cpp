#include "core/nvml_events.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>

#include "core/interrupt.hpp"
#include "core/nvml_abi_events.hpp"
#include "core/run_clock.hpp"
#include "core/xid_table.hpp"

namespace gpuval {

namespace abi = nvml_abi;

struct NvmlEventWatch::Api {
  abi::EventSetCreateFn create = nullptr;
  abi::EventSetFreeFn free = nullptr;
  abi::DeviceRegisterEventsFn register_events = nullptr;
  abi::DeviceGetSupportedEventTypesFn supported = nullptr;
  abi::EventSetWaitFn wait = nullptr;
  abi::DeviceGetHandleByIndexFn handle = nullptr;
  abi::DeviceGetStringFn uuid = nullptr;
  const char* wait_name = "nvmlEventSetWait_v2";

  explicit Api(void* h) {
    auto sym = [h](const char* name) { return dlsym(h, name); };
    create = reinterpret_cast<abi::EventSetCreateFn>(sym("nvmlEventSetCreate"));
    free = reinterpret_cast<abi::EventSetFreeFn>(sym("nvmlEventSetFree"));
    register_events =
        reinterpret_cast<abi::DeviceRegisterEventsFn>(sym("nvmlDeviceRegisterEvents"));
    supported = reinterpret_cast<abi::DeviceGetSupportedEventTypesFn>(
        sym("nvmlDeviceGetSupportedEventTypes"));
    wait = reinterpret_cast<abi::EventSetWaitFn>(sym("nvmlEventSetWait_v2"));
    handle = reinterpret_cast<abi::DeviceGetHandleByIndexFn>(sym("nvmlDeviceGetHandleByIndex_v2"));
    uuid = reinterpret_cast<abi::DeviceGetStringFn>(sym("nvmlDeviceGetUUID"));
  }
  // nvmlEventSetWait_v2 (R450+) is the one whose nvmlEventData_t has the instance ids.
  bool usable() const {
    return create != nullptr && free != nullptr && register_events != nullptr && wait != nullptr &&
           handle != nullptr;
  }
};

std::vector<std::pair<std::uint64_t, std::string>> watched_event_types() {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  for (std::uint64_t t :
       {abi::kEventXidCriticalError, abi::kEventDoubleBitEccError, abi::kEventSingleBitEccError,
        abi::kEventMigConfigChange, abi::kEventPowerSourceChange, abi::kEventClock}) {
    out.emplace_back(t, event_type_name(t));
  }
  return out;
}

std::string utc_now_millis() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch() %
                                                                        std::chrono::seconds(1))
                      .count();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf.data(), ms);
}

NvmlEventWatch::NvmlEventWatch(std::unique_ptr<NvmlSession> session, Options options)
    : session_(std::move(session)),
      api_(std::make_unique<Api>(session_->library_handle())),
      options_(options) {}

std::unique_ptr<NvmlEventWatch> NvmlEventWatch::start(std::unique_ptr<NvmlSession> session,
                                                      Options options) {
  if (!session) return nullptr;
  std::unique_ptr<NvmlEventWatch> w(new NvmlEventWatch(std::move(session), options));
  NvmlEventLog& log = w->log_;
  log.wait_timeout_ms = options.wait_timeout_ms;
  log.started_s = run_clock_s();
  const Api& a = *w->api_;
  const NvmlSession& s = *w->session_;
  if (!a.usable()) {
    log.why_not =
        "this NVML has no event API (nvmlEventSetCreate / nvmlDeviceRegisterEvents / "
        "nvmlEventSetWait_v2): drivers older than R450";
    return w;
  }
  abi::EventSet set = nullptr;
  if (int rc = a.create(&set); rc != abi::kSuccess) {
    log.why_not = s.error("nvmlEventSetCreate", rc).summary();
    return w;
  }
  w->set_ = set;
  std::size_t registered = 0;
  for (unsigned i = 0; i < s.device_count(); ++i) {
    NvmlEventRegistration reg;
    reg.nvml_index = i;
    abi::Device h = nullptr;
    if (int rc = a.handle(i, &h); rc != abi::kSuccess) {
      reg.errors.push_back(s.error("nvmlDeviceGetHandleByIndex_v2", rc));
      log.registrations.push_back(std::move(reg));
      continue;
    }
    std::array<char, abi::kDeviceUuidBufferSize> text{};
    if (a.uuid != nullptr &&
        a.uuid(h, text.data(), static_cast<unsigned>(text.size())) == abi::kSuccess) {
      reg.uuid = std::string(text.data());
    }
    // What the GPU says it supports, when it says: types outside it are not even tried.
    std::optional<unsigned long long> mask;
    unsigned long long m = 0;
    if (a.supported != nullptr && a.supported(h, &m) == abi::kSuccess) mask = m;
    for (const auto& [type, name] : watched_event_types()) {
      if (mask && (*mask & type) == 0) {
        reg.unsupported.push_back(name);
        continue;
      }
      const int rc = a.register_events(h, type, set);
      if (rc == abi::kSuccess) {
        reg.registered.push_back(name);
        ++registered;
      } else if (rc == abi::kErrorNotSupported) {
        reg.unsupported.push_back(name);
      } else {
        reg.errors.push_back(s.error("nvmlDeviceRegisterEvents(" + name + ")", rc));
      }
    }
    if (!reg.registered.empty()) w->gpus_.emplace_back(static_cast<void*>(h), i);
    log.registrations.push_back(std::move(reg));
  }
  if (registered == 0) {
    log.why_not = s.device_count() == 0 ? "NVML enumerates no GPU"
                                        : "no event type could be registered on any GPU";
    a.free(set);
    w->set_ = nullptr;
    return w;
  }
  log.watched = true;
  w->thread_ = std::thread([raw = w.get()] { raw->loop(); });
  return w;
}

void NvmlEventWatch::loop() {
  const Api& a = *api_;
  auto* set = static_cast<abi::EventSet>(set_);
  int last_error = abi::kSuccess;
  while (!stopping_.load() && !interrupted()) {
    abi::EventData data{};
    const int rc = a.wait(set, &data, options_.wait_timeout_ms);
    if (rc == abi::kErrorTimeout) continue;
    if (rc != abi::kSuccess) {
      // Record each kind of failure once; keep waiting (a lost GPU does not stop the others),
      // but never spin.
      std::lock_guard lock(mutex_);
      if (rc != last_error) {
        log_.wait_errors.push_back({run_clock_s(), session_->error(a.wait_name, rc)});
        last_error = rc;
      }
      if (rc == abi::kErrorUninitialized || rc == abi::kErrorInvalidArgument) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.wait_timeout_ms));
      continue;
    }
    NvmlEventRecord e;
    e.t_s = run_clock_s();
    e.time = utc_now_millis();
    e.type = data.eventType;
    e.data = data.eventData;
    if (data.gpuInstanceId != abi::kNoInstance) e.gpu_instance_id = data.gpuInstanceId;
    if (data.computeInstanceId != abi::kNoInstance) e.compute_instance_id = data.computeInstanceId;
    const auto gpu = std::find_if(gpus_.begin(), gpus_.end(), [&](const auto& g) {
      return g.first == static_cast<void*>(data.device);
    });
    std::lock_guard lock(mutex_);
    if (gpu != gpus_.end()) {
      e.nvml_index = gpu->second;
      for (const NvmlEventRegistration& r : log_.registrations) {
        if (r.nvml_index == gpu->second) e.uuid = r.uuid;
      }
    }
    if (log_.events.size() < options_.max_events) {
      log_.events.push_back(std::move(e));
    } else {
      ++log_.dropped;
    }
  }
}

void NvmlEventWatch::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  if (set_ != nullptr) {
    api_->free(static_cast<abi::EventSet>(set_));
    set_ = nullptr;
  }
  std::lock_guard lock(mutex_);
  if (log_.stopped_s == 0) log_.stopped_s = run_clock_s();
}

NvmlEventWatch::~NvmlEventWatch() { stop(); }

NvmlEventLog NvmlEventWatch::snapshot() const {
  std::lock_guard lock(mutex_);
  return log_;
}

}  // namespace gpuval
