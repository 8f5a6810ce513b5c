// The gpuval command line: subcommands run, validate, info (bench, compare, report to come).
#pragma once

namespace gpuval::cli {

// Parses argv, runs the subcommand and returns the process exit code (see exit_codes.hpp).
int main(int argc, char** argv);

}  // namespace gpuval::cli
