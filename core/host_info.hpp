// Facts about the machine the run happened on (the real one: the sysroot is for checks only).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace gpuval {

struct ToolInfo {
  static std::string version();  // gpuval release, e.g. "0.1.0"
  static std::string git_sha();  // commit the binary was built from
};

// hostname, kernel release, OS pretty name, architecture, online CPUs. Inside a container the
// hostname is the container's (podman: its id; Kubernetes: the pod's name), which is useless for
// telling nodes apart in a history: a launcher that knows the node passes it as `node_name`
// (GPUVAL_NODE_NAME), which then becomes "hostname", the container's own name going to
// "container_hostname".
nlohmann::json host_info(const std::optional<std::string>& node_name = std::nullopt);

// UTC timestamp in RFC 3339, second precision ("2026-11-24T17:00:00Z").
std::string utc_now_rfc3339();

// A unique id for this run: time + host + random, safe in file names.
std::string new_run_id();

}  // namespace gpuval
