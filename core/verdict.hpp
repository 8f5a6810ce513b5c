// The one-line answer of a run: pass, fail, or no usable GPU — with the most likely cause first.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/check_result.hpp"
#include "core/context.hpp"

namespace gpuval {

struct Verdict {
  std::string status;  // "pass" | "fail" | "no-gpu" | "interrupted"
  int exit_code = 0;
  std::string summary;  // one line for humans
  std::string cause;    // no-gpu / fail: the most fundamental finding
  std::string hint;     // the fix for that cause
};

// no-gpu (exit 3) when no GPU is usable: the blocker with the lowest priority number is the
// cause. Otherwise fail (exit 1) if any check FAILed, else pass (exit 0).
// `require_gpu` false (e.g. `gpuval info`) never yields no-gpu.
Verdict decide_verdict(const Facts& facts, const std::vector<CheckResult>& results,
                       bool require_gpu = true);

nlohmann::json to_json(const Verdict& v);

}  // namespace gpuval
