// A Google Benchmark reporter that keeps every run (per repetition) for conversion into
// run-document entries. Google Benchmark's own file reporter (--benchmark_out) runs beside it.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace gpuval::bench {

class CollectingReporter : public benchmark::BenchmarkReporter {
 public:
  explicit CollectingReporter(std::function<void(const std::string&)> progress)
      : progress_(std::move(progress)) {}

  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override {}

  // Runs keyed by the registered benchmark name (Run::run_name.function_name).
  const std::map<std::string, std::vector<Run>>& runs() const { return runs_; }
  // Wall time of each benchmark (setup, warm-up, every repetition, verification): from the end
  // of the previous report (or start()) to the report of its runs. Google Benchmark reports a
  // benchmark once all its repetitions ran, one benchmark at a time.
  const std::map<std::string, double>& wall_seconds() const { return wall_; }
  // When each benchmark's runs were reported, on the run clock (core/run_clock.hpp): with its
  // wall time, the window events during the run are placed in.
  const std::map<std::string, double>& finished_s() const { return finished_; }
  // Call right before RunSpecifiedBenchmarks.
  void start() { last_ = std::chrono::steady_clock::now(); }

 private:
  std::function<void(const std::string&)> progress_;
  std::map<std::string, std::vector<Run>> runs_;
  std::map<std::string, double> wall_;
  std::map<std::string, double> finished_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace gpuval::bench
