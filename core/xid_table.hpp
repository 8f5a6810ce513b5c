// What an NVML event means for a run: a table of the common Xids (NVIDIA's Xid catalogue,
// docs.nvidia.com/deploy/xid-errors) and of the other event types gpuval watches, each with a
// category, how it judges a run (FAIL: results on that GPU cannot be trusted or the GPU needs a
// reset; WARN: something else disturbed the GPU or a reset is pending; PASS: information), and
// the hint an operator acts on.
//
// Application-class Xids (13, 31, 43) are WARN, not FAIL: gpuval's own kernels fault only
// with a CUDA error that fails their check, so a passing run that sees one shares its GPU with
// another process that faulted, which may have disturbed the measurement.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace gpuval {

struct EventMeaning {
  std::string kind;      // "xid", "dbe", "sbe", "clock", "power-source", "mig-config", "pstate"
  std::string category;  // "application", "memory", "nvlink", "bus", "gsp", "firmware", ...
  Status severity = Status::Warn;
  std::string meaning;  // "Xid 79: GPU has fallen off the bus"
  std::string hint;     // empty only for PASS
};

// One Xid; unknown Xids are WARN, naming the catalogue.
EventMeaning xid_meaning(std::uint64_t xid);

// Any event gpuval registers for: nvmlEventType bit and eventData (the Xid for Xid events).
EventMeaning event_meaning(std::uint64_t type, std::uint64_t data);

// "xid", "sbe", ... for an nvmlEventType bit ("0x<hex>" for another).
std::string event_type_name(std::uint64_t type);

}  // namespace gpuval
