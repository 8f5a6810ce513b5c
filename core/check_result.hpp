// The result of one validation check: status, a one-line message, a remediation hint on WARN/FAIL,
// and free-form metrics (numbers, parsed values) that go into the run document.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/status.hpp"

namespace gpuval {

struct CheckResult {
  std::string id;     // stable, kebab-case, e.g. "visible-devices"
  std::string title;  // short human label, e.g. "NVIDIA_VISIBLE_DEVICES"
  Status status = Status::Skip;
  std::string message;  // what was found, one line
  std::string hint;     // what to do about it; required for WARN and FAIL
  nlohmann::json metrics = nlohmann::json::object();
  double wall_s = 0;  // how long the check took (run_checks measures it)
};

inline CheckResult make_result(std::string id, std::string title, Status status,
                               std::string message, std::string hint = {}) {
  return CheckResult{std::move(id),   std::move(title),         status, std::move(message),
                     std::move(hint), nlohmann::json::object(), 0.0};
}

}  // namespace gpuval
