// STUB: replaced by the compare implementation.
#include "cli/command.hpp"

namespace gpuval::cli {
Subcommand add_compare(CLI::App& parent) {
  auto* sub = parent.add_subcommand("compare", "Compare two run documents (not implemented yet)");
  return {sub, [] { return 2; }};
}
}  // namespace gpuval::cli
