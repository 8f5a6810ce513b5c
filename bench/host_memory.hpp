// What limits a pinned (page-locked) host allocation, measured when one fails: cudaMallocHost
// pins pages through the NVIDIA driver, so RLIMIT_MEMLOCK does not apply to it; the container's
// memory cgroup (pinned pages are charged to it) and the host's free RAM do. The message says
// what was measured, the hint what to change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/context.hpp"
#include "core/sysroot.hpp"

namespace gpuval::bench {

struct HostMemoryNow {
  std::optional<std::uint64_t> cgroup_limit_bytes;   // the tightest limit (cgroup-memory check)
  std::optional<std::uint64_t> cgroup_usage_bytes;   // memory.current / memory.usage_in_bytes now
  std::optional<std::uint64_t> mem_available_bytes;  // /proc/meminfo MemAvailable now
};

// Reads the usage of facts' memory cgroup and MemAvailable through `fs`; missing files leave
// fields empty.
HostMemoryNow read_host_memory(const Sysroot& fs, const Facts& facts);

struct PinnedFailure {
  std::string message;
  std::string hint;
};
// For a failed pinned allocation of `bytes` with the CUDA error text `error`.
PinnedFailure pinned_allocation_failure(std::size_t bytes, const std::string& error,
                                        const HostMemoryNow& now);

}  // namespace gpuval::bench
