// Facts about the machine the run happened on (the real one: the sysroot is for checks only).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gpuval {

struct ToolInfo {
  static std::string version();  // gpuval release, e.g. "0.1.0"
  static std::string git_sha();  // commit the binary was built from
};

// hostname, kernel release, OS pretty name, architecture, online CPUs.
nlohmann::json host_info();

// UTC timestamp in RFC 3339, second precision ("2026-11-24T17:00:00Z").
std::string utc_now_rfc3339();

// A unique id for this run: time + host + random, safe in file names.
std::string new_run_id();

}  // namespace gpuval
