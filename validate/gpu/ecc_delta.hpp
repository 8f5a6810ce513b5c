// ECC error counters read before and after the memory-pattern test: errors the test itself
// provoked are the strongest evidence of bad device memory, and they count even when ECC
// corrected them (the data read back right).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/nvml.hpp"
#include "core/status.hpp"

namespace gpuval::checks {

struct EccDelta {
  Status status = Status::Pass;  // PASS, WARN (new corrected), FAIL (new uncorrected)
  std::string message;           // "" when nothing to say; else one clause for the check message
  std::string hint;
  nlohmann::json metrics = nlohmann::json::object();  // before, after, new_* (null when unknown)
};

// `before` / `after` absent: NVML could not be read (no library, no matching device).
EccDelta ecc_delta(const std::optional<NvmlEcc>& before, const std::optional<NvmlEcc>& after);

}  // namespace gpuval::checks
