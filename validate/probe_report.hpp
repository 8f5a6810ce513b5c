// Turning a probe module's result JSON (format: probes/probe_abi.h) for one device into that
// device's outcome: PASS when every case passed (SKIPs noted), FAIL naming the first failing case
// with its error or its numbers, and a hint. Malformed JSON is a FAIL naming what was wrong, never
// an exception.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "validate/gpu_outcome.hpp"
#include "validate/probe_loader.hpp"

namespace gpuval {

DeviceOutcome interpret_probe_result(const ProbeModuleSpec& spec, int device,
                                     std::string_view json_text);

// "1.23e-04": short scientific notation for messages.
std::string sci(double value);

// The texts interpret_probe_result uses, for the module benchmarks (bench/module_bench.cpp):
// "call failed: NAME (code): description" of an error object; "name wrong: rel error ..., N of M
// elements off, first at [i]: got g, expected e" of a failed case object; and what to do then.
std::string probe_error_text(const nlohmann::json& error);
std::string probe_wrong_result_text(const nlohmann::json& case_object);
std::string probe_wrong_result_hint(const ProbeModuleSpec& spec);

}  // namespace gpuval
