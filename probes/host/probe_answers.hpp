// Reading what a probe module answers (probes/probe_abi.h): the texts and hints for its error
// objects and failed cases. Shared by the cublas/cudnn checks (validate/gpu/probe_outcome.hpp)
// and the module benchmarks (bench/module_bench.cpp), which neither depend on each other.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "probes/host/probe_loader.hpp"

namespace gpuval {

// A string / number member of an answer object, or the fallback.
std::string probe_text(const nlohmann::json& j, const char* key);
double probe_number(const nlohmann::json& j, const char* key, double fallback);

// "1.23e-04": short scientific notation for messages.
std::string sci(double value);

// "call failed: NAME (code): description" of an error object.
std::string probe_error_text(const nlohmann::json& error);
// "name wrong: rel error ..., N of M elements off, first at [i]: got g, expected e" of a failed
// case object.
std::string probe_wrong_result_text(const nlohmann::json& case_object);
// What to do when a library returned wrong results.
std::string probe_wrong_result_hint(const ProbeModuleSpec& spec);

}  // namespace gpuval
