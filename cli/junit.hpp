// JUnit XML of a run document: one testsuite "gpuval.checks" with a testcase per check (FAIL ->
// <failure>, SKIP -> <skipped>, WARN -> passed with the message in <system-out>), and a
// "gpuval.benchmarks" suite with a testcase per benchmark. Readable by Jenkins, GitLab, GitHub.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/xml_escape.hpp"

namespace gpuval::cli {

std::string render_junit(const nlohmann::json& doc);
using gpuval::xml_escape;  // moved to core/ (the nightly JUnit uses it too)

}  // namespace gpuval::cli
