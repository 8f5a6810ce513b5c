// Running a probe module's collectives() in a worker process (gpuval-probe-worker, beside the
// modules) under a watchdog: the request on its stdin, the answer from its stdout, a heartbeat
// line per step on fd 3 (the request's progress_fd). The worker is killed — its whole process
// group, SIGKILL — when the heartbeat stops for idle_timeout_s, when it runs past
// total_timeout_s, or when `cancelled` says so (SIGINT/SIGTERM of gpuval); so nothing a library
// does in there can hang gpuval. CUDA-free; unit-tested with the fake probe module.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gpuval {

// The worker's file name, looked for in the probe-module directories.
inline constexpr const char* kProbeWorkerFile = "gpuval-probe-worker";

// The first `kProbeWorkerFile` in `dirs` that is an executable file.
std::optional<std::string> find_probe_worker(const std::vector<std::string>& dirs);

// The fd the worker's heartbeat arrives on (the request's "progress_fd").
inline constexpr int kWorkerProgressFd = 3;

struct WorkerRequest {
  std::string worker;       // path of gpuval-probe-worker
  std::string module_path;  // the module it loads
  std::string input;        // written to its stdin
  // Set (or replaced) and removed in the worker's environment; the rest is inherited.
  std::vector<std::pair<std::string, std::string>> env_set;
  std::vector<std::string> env_unset;
  double idle_timeout_s = 60;                           // no heartbeat line for this long: killed
  double total_timeout_s = 600;                         // running longer: killed
  std::function<bool()> cancelled;                      // polled; true: killed
  std::function<void(const std::string&)> on_progress;  // each heartbeat line
};

enum class WorkerEnd {
  Exited,       // exit_code is meaningful
  Signaled,     // died of `signal` (SIGBUS, SIGSEGV, ...)
  TimedOut,     // killed: `timeout` says which limit
  Cancelled,    // killed on request
  SpawnFailed,  // never started: `error`
};

struct WorkerResult {
  WorkerEnd end = WorkerEnd::SpawnFailed;
  int exit_code = -1;
  int signal = 0;
  std::string out;                    // stdout: the answer
  std::string err_tail;               // the last 8 KiB of stderr
  std::vector<std::string> progress;  // every heartbeat line, in order
  double wall_s = 0;
  std::string timeout;  // "no heartbeat for 90 s (last: ...)", "over the 600 s limit"
  std::string error;    // why it did not start
};

WorkerResult run_worker(const WorkerRequest& request);

// "exited with 3", "killed by SIGBUS", "killed: no heartbeat for 90 s", ... for messages.
std::string describe(const WorkerResult& r);

}  // namespace gpuval
