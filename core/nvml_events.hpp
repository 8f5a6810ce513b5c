// NVML events for the whole run: an event set registered on every GPU NVML enumerates (Xid
// critical errors, single- and double-bit ECC errors, MIG configuration, power source and clock
// changes; each type on its own, so a type the GPU does not support costs only that type), and a
// background thread waiting on it with nvmlEventSetWait_v2 and a short timeout, so stop() (and
// SIGINT/SIGTERM, core/interrupt.hpp) end it within one timeout. Every event seen is kept with
// its time on the run clock (core/run_clock.hpp); what it means is core/xid_table.hpp's, what it
// does to the run validate/gpu/gpu_events.hpp's.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/nvml.hpp"

namespace gpuval {

struct NvmlEventRecord {
  double t_s = 0;                   // run clock seconds when the watch received it
  std::string time;                 // UTC, RFC 3339 with milliseconds
  unsigned nvml_index = 0;          // the GPU NVML reported it on
  std::optional<std::string> uuid;  // that GPU's NVML UUID
  std::uint64_t type = 0;           // nvmlEventType bit
  std::uint64_t data = 0;           // the Xid for Xid events
  std::optional<unsigned> gpu_instance_id, compute_instance_id;  // MIG, when attributable
};

// What one GPU could be registered for.
struct NvmlEventRegistration {
  unsigned nvml_index = 0;
  std::optional<std::string> uuid;
  std::vector<std::string> registered;   // "xid", "dbe", ...
  std::vector<std::string> unsupported;  // types the GPU or driver does not offer
  std::vector<NvmlError> errors;         // other refusals (no permission, GPU lost)
};

// A failed wait that was not a timeout (the GPU lost, NVML torn down), with its time.
struct NvmlWaitError {
  double t_s = 0;
  NvmlError error;
};

// Everything the watch saw, at one moment.
struct NvmlEventLog {
  bool watched = false;  // an event set was waited on (at least one type registered)
  std::string why_not;   // when !watched: NVML missing, no type registrable, ...
  unsigned wait_timeout_ms = 0;
  double started_s = 0, stopped_s = 0;  // run clock; stopped_s 0 while running
  std::vector<NvmlEventRegistration> registrations;
  std::vector<NvmlEventRecord> events;
  std::size_t dropped = 0;  // events beyond max_events, counted, not kept
  std::vector<NvmlWaitError> wait_errors;
};

// The event types registered, in this order: {bit, name}.
std::vector<std::pair<std::uint64_t, std::string>> watched_event_types();

// Non-copyable, non-movable (its thread refers to it): held by unique_ptr.
class NvmlEventWatch {
 public:
  struct Options {
    unsigned wait_timeout_ms = 200;  // how long one nvmlEventSetWait_v2 blocks
    std::size_t max_events = 1000;   // kept; more are counted in `dropped`
  };

  // Registers every GPU of `session` (which the watch keeps open) and starts the thread when at
  // least one type could be registered. Never throws for an NVML failure: the log says why.
  static std::unique_ptr<NvmlEventWatch> start(std::unique_ptr<NvmlSession> session,
                                               Options options);
  static std::unique_ptr<NvmlEventWatch> start(std::unique_ptr<NvmlSession> session) {
    return start(std::move(session), Options{});
  }

  ~NvmlEventWatch();
  NvmlEventWatch(const NvmlEventWatch&) = delete;
  NvmlEventWatch& operator=(const NvmlEventWatch&) = delete;

  // Ends the thread (within one wait timeout) and frees the event set. Idempotent.
  void stop();
  bool running() const { return thread_.joinable() && !stopping_.load(); }
  // A copy of what was seen so far (thread-safe).
  NvmlEventLog snapshot() const;

 private:
  struct Api;
  NvmlEventWatch(std::unique_ptr<NvmlSession> session, Options options);
  void loop();

  std::unique_ptr<NvmlSession> session_;
  std::unique_ptr<Api> api_;
  Options options_;
  void* set_ = nullptr;                           // nvmlEventSet_t
  std::vector<std::pair<void*, unsigned>> gpus_;  // handle -> NVML index
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  NvmlEventLog log_;
  std::thread thread_;
};

// UTC now as RFC 3339 with milliseconds: "2026-01-02T03:04:05.678Z".
std::string utc_now_millis();

}  // namespace gpuval
