// One time axis for a run: seconds since the process's run clock started (the first call, which
// the pipeline makes before anything else). Events seen during the run (core/nvml_events.hpp)
// and the windows of checks and benchmarks are all on it, so an event can be placed in the work
// it interrupted.
#pragma once

namespace gpuval {

// Steady seconds since the first call in this process.
double run_clock_s();

}  // namespace gpuval
