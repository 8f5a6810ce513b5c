// Parsers for what the cluster checks read: RDMA port attributes in /sys/class/infiniband,
// character-device majors in /proc/devices, NVIDIA_IMEX_CHANNELS and the kernel release.
// None throws: a malformed input gives an empty value and an error naming the bad token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "validate/parsers/proc_parse.hpp"

namespace gpuval {

// /sys/class/infiniband/<dev>/ports/<n>/state and phys_state: "4: ACTIVE", "5: LinkUp".
struct IbPortAttribute {
  unsigned code = 0;
  std::string name;  // "ACTIVE", "DOWN", "LinkUp", "Polling", ...
};
Parsed<IbPortAttribute> parse_ib_port_attribute(std::string_view text);

// /sys/class/infiniband/<dev>/ports/<n>/rate: "400 Gb/sec (4X NDR)" -> 400.
Parsed<double> parse_ib_rate_gbps(std::string_view text);

// /proc/devices: the major of the character device `name` ("nvidia-caps-imex-channels").
std::optional<unsigned> char_device_major(std::string_view proc_devices, std::string_view name);

// NVIDIA_IMEX_CHANNELS (the NVIDIA Container Toolkit's): "0", "0,1,3", "all"; "none", "void" and
// "" request none.
struct ImexRequest {
  bool all = false;
  std::vector<unsigned> channels;  // sorted, unique; empty with `all` or nothing requested
  bool requested() const { return all || !channels.empty(); }
};
Parsed<ImexRequest> parse_imex_channels(std::string_view value);

// "channel12" -> 12: the channel of a node under /dev/nvidia-caps-imex-channels.
std::optional<unsigned> imex_channel_of(std::string_view node_name);

// The kernel release ("5.15.0-91-generic", /proc/sys/kernel/osrelease) as major.minor.
struct KernelVersion {
  unsigned major = 0, minor = 0;
  bool at_least(unsigned ma, unsigned mi) const {
    return major > ma || (major == ma && minor >= mi);
  }
};
Parsed<KernelVersion> parse_kernel_release(std::string_view text);

}  // namespace gpuval
