// Parser for NVIDIA_DRIVER_CAPABILITIES: which parts of the user-space driver the container
// runtime mounts (nvidia-container-toolkit semantics). Pure function over the value, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval {

enum class DriverCapability { Compute, Compat32, Graphics, Utility, Video, Display, Ngx };

std::string_view to_string(DriverCapability cap);
// Exact, lowercase names only, as the toolkit compares them.
std::optional<DriverCapability> driver_capability_from_string(std::string_view name);
// Every capability, in the order "all" expands to.
const std::vector<DriverCapability>& all_driver_capabilities();

struct UnknownCapability {
  std::string token;
  std::string reason;
};

struct DriverCapabilities {
  enum class Mode { Default, All, List };
  Mode mode = Mode::Default;  // Default: unset or "" means utility,compute
  std::optional<std::string> raw;
  std::vector<DriverCapability> requested;  // unique, in the order written
  std::vector<UnknownCapability> unknown;   // names the toolkit does not know

  bool has(DriverCapability cap) const;
};

std::string_view to_string(DriverCapabilities::Mode mode);

DriverCapabilities parse_driver_capabilities(const std::optional<std::string>& value);

}  // namespace gpuval
