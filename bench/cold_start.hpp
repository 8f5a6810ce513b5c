// Time to first kernel: what a fresh process pays before its first useful GPU work, measured as
// benchmarks (lower is better, ms). Each sample is a fresh child process, so it is really cold:
// gpuval runs itself again (/proc/self/exe __cold-start STEP, cli/cold_start_cmd.cpp), and the
// child prints one JSON line of timings:
//
//   {"schema": "gpuval.cold-start/1", "step": "cudnn", "device": 0, "ok": true,
//    "timings_ms": {"dlopen_libcuda": .., "cuinit": .., "context": .., "kernel": ..,
//                   "cublas_load": .., "cublas": .., "cudnn_load": .., "cudnn": ..},
//    "cuda_module_loading": "LAZY" | null, "error": {"step": "..", "kind": "fail|skip",
//                                                   "message": "..", "hint": ".."}}
//
// The child runs the steps in order up to STEP, each timed from the end of the one before:
// cuinit (cuInit(0), libcuda already loaded: dlopen_libcuda apart), context (primary context
// retained and made current), kernel (the runtime's first call and an empty kernel launched and
// synchronised: where CUDA_MODULE_LOADING=LAZY/EAGER shows), cublas (first handle + a 256^3
// SGEMM; loading the module and cuBLAS apart, cublas_load), cudnn (first handle; cudnn_load
// apart). cuDNN comes last, after cuBLAS. A child that crashes, exits without its line or
// outlives its timeout (killed with its process group) is an error of the steps it did not
// finish, never a hang of the run.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/catalogue.hpp"

namespace gpuval::bench {

struct ColdStartStep {
  const char* name;      // the STEP argument and the benchmark's params.step
  const char* counting;  // what the figure is
};
inline constexpr std::array<ColdStartStep, 5> kColdStartSteps = {{
    {"cuinit", "ms of cuInit(0) in a fresh process (libcuda already loaded)"},
    {"context", "ms to retain and set the primary context after cuInit"},
    {"kernel", "ms of the runtime's first call + first empty kernel launch + synchronize"},
    {"cublas", "ms of the first cuBLAS handle + first 256^3 SGEMM (library load apart)"},
    {"cudnn", "ms of the first cuDNN handle (library load apart)"},
}};

// The step's index in kColdStartSteps, or nullopt.
std::optional<std::size_t> cold_start_step(std::string_view name);

// What one child did.
struct ChildRun {
  bool started = false;    // the process was spawned
  bool timed_out = false;  // killed at the timeout
  int exit_code = -1;      // its exit status, -1 when killed by a signal or not started
  int signal = 0;          // the signal that ended it, 0 if none
  double wall_s = 0;
  std::string out;          // its stdout
  std::string err_tail;     // the last 2000 bytes of its stderr
  std::string spawn_error;  // why it could not be started
};

// Runs argv[0] with argv, no shell, environment inherited, stdout and stderr captured, in its
// own process group; killed (SIGKILL to the group) when it outlives timeout_s or when the run is
// interrupted. Never throws for the child's failures.
ChildRun run_child(const std::vector<std::string>& argv, double timeout_s);

struct ColdStartOptions {
  std::string exe = "/proc/self/exe";  // the gpuval to run again
  int device = 0;
  int samples = 3;
  double child_timeout_s = 60;  // a cold cuInit on 8 GPUs without persistence takes seconds
  double budget_s = 30;         // no new child once the phase took this long (1 sample at least)
  bool in_container = false;    // for the record
  std::string cuda_module_loading;  // CUDA_MODULE_LOADING as set, "" when unset
};

// The children `options` asks for, up to and including `last_step`.
std::vector<ChildRun> run_cold_start_children(const std::string& last_step,
                                              const ColdStartOptions& options);

// The benchmark entries of `specs` (cold-start specs, catalogue order) from the children's lines
// (pure: unit-tested with made-up children). Each step's samples are the children that finished
// it; a child that failed before finishing a step makes that step FAIL (SKIP when its error
// says the step cannot run here, e.g. no cuDNN module), with the child's error.
nlohmann::json cold_start_entries(const std::vector<BenchSpec>& specs,
                                  const std::vector<ChildRun>& children,
                                  const ColdStartOptions& options);

// run_cold_start_children for the last step `specs` hold, then cold_start_entries; each entry
// gets wall_s and run_window_s (the whole phase, shared).
nlohmann::json run_cold_start(const std::vector<BenchSpec>& specs, const ColdStartOptions& options);

}  // namespace gpuval::bench
