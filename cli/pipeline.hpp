// The one path every subcommand that probes the system takes: check outputs are writable, run the
// checks, optionally the benchmarks, decide the verdict, build the run document, write and print.
#pragma once

#include <string>
#include <vector>

namespace gpuval::cli {

struct PipelineOptions {
  std::string command;  // run | validate | info | bench
  std::string profile;  // quick | full | "" (no benchmarks)
  bool json = false;
  bool no_color = false;
  std::string out;
  std::string junit;
  std::string sysroot;
  bool benchmarks = false;                  // run the benchmark catalogue after the checks
  bool print_checks = true;                 // the checks table (bench prints benchmarks only)
  std::string filter;                       // benchmark id regex
  std::vector<std::string> benchmark_args;  // passed through to Google Benchmark
  std::vector<std::string> argv;
};

// Returns the process exit code (core/exit_codes.hpp).
int run_pipeline(const PipelineOptions& opt);

}  // namespace gpuval::cli
