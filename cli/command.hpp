// How subcommands plug into the gpuval CLI: each one adds itself to the CLI11 app and returns the
// function that runs it after parsing. The function returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace gpuval::cli {

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// compare_cmd.cpp: `gpuval compare A.json B.json`
Subcommand add_compare(CLI::App& parent);

// app.cpp: `gpuval bench [--quick|--full] [--filter RE] [--benchmark_* ...]`
Subcommand add_bench(CLI::App& parent);

// report_cmd.cpp: `gpuval report DIR|FILE... [--html F] [--md F]`
Subcommand add_report(CLI::App& parent);

// history_cmd.cpp: `gpuval history add|check ...` (the nightly wrapper's building blocks)
Subcommand add_history(CLI::App& parent);

}  // namespace gpuval::cli
