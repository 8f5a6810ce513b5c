// The one table of checks, in the order they run (later checks read facts earlier ones record).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/check_result.hpp"
#include "core/context.hpp"

namespace gpuval {

using CheckFn = CheckResult (*)(const Context&, Facts&);

struct CheckDef {
  std::string_view id;
  std::string_view title;
  std::string_view group;  // "container", "driver", "limits", "gpu", "cluster"
  CheckFn fn;
};

std::span<const CheckDef> all_checks();

// Run every check in order. A check that throws becomes a FAIL naming the exception: one broken
// probe never hides the others. The id and title of each result are forced to the table's;
// messages and hints longer than 1000 bytes, metric strings longer than 4096 and metric lists
// longer than 256 items are cut (saying how much was left out), whatever the input.
std::vector<CheckResult> run_checks(const Context& ctx, Facts& facts);

}  // namespace gpuval
