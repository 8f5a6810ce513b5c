// Turning a probe module's result JSON (format: probes/probe_abi.h) for one device into that
// device's outcome: PASS when every case passed (SKIPs noted), FAIL naming the first failing case
// with its error or its numbers, and a hint. Malformed JSON is a FAIL naming what was wrong, never
// an exception.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "probes/host/probe_loader.hpp"
#include "validate/gpu/gpu_outcome.hpp"

namespace gpuval {

DeviceOutcome interpret_probe_result(const ProbeModuleSpec& spec, int device,
                                     std::string_view json_text);

}  // namespace gpuval
