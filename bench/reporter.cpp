#include "bench/reporter.hpp"

#include <fmt/format.h>

#include "core/run_clock.hpp"

namespace gpuval::bench {

void CollectingReporter::ReportRuns(const std::vector<Run>& runs) {
  const auto now = std::chrono::steady_clock::now();
  if (!runs.empty()) {
    wall_[runs.front().run_name.function_name] +=
        std::chrono::duration<double>(now - last_).count();
    finished_[runs.front().run_name.function_name] = run_clock_s();
  }
  last_ = now;
  for (const Run& run : runs) {
    runs_[run.run_name.function_name].push_back(run);
    if (!progress_ || run.run_type != Run::RT_Iteration) continue;
    if (run.error_occurred) {
      progress_(fmt::format("{}: {}", run.run_name.function_name, run.error_message));
    } else {
      progress_(fmt::format("{} repetition {}/{}", run.run_name.function_name,
                            run.repetition_index + 1, run.repetitions));
    }
  }
}

}  // namespace gpuval::bench
