// MIG through NVML: the MIG devices and GPU instance profiles of a MIG-enabled GPU, read into
// NvmlDevice::mig, and what they mean for a slice (its profile name, its share of the GPU's
// memory slices, hence of its DRAM bandwidth). Entry points resolved here, apart from
// core/nvml.cpp: an NVML without them (older than R470) leaves the MIG inventory empty and names
// the missing calls in NvmlDevice::unsupported.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/nvml.hpp"
#include "core/nvml_abi.hpp"

namespace gpuval {

// Reads d.mig for the GPU `handle` of `session` (called by NvmlSession::device when MIG is on).
// An empty MIG slot (NOT_FOUND) is skipped; a query the driver refuses is named in
// d.unsupported (or the MIG device's own lists), never a failure of the GPU.
void read_mig_inventory(const NvmlSession& session, nvml_abi::Device handle, NvmlDevice& d);

// "8f6c3f2d-5d1b-1c3e-9f2a-6b5a3d2c1e0f" from "GPU-8F6C..." or "MIG-8f6c...": the 16 bytes CUDA
// and NVML share, lower case, without the prefix that says what kind of device it is.
std::string uuid_body(std::string_view uuid);

// The MIG device of `board` whose UUID has the body of `uuid`, or null.
const NvmlMigDevice* find_mig_device(const NvmlDevice& board, std::string_view uuid);

// A slice's share of its GPU's memory slices, which is its share of the DRAM bandwidth: MIG
// partitions the memory controllers and L2 with the memory (a 1g.10gb slice of an H100 80GB has
// 1 of its 8 memory slices). From the GPU instance profiles: one memory slice is the smallest
// profile's memory, the whole GPU the largest's. Without profiles, the slice's memory over the
// GPU's (basis says which).
struct MigMemoryShare {
  std::optional<unsigned> slices, total;  // memory slices: the slice's, the GPU's
  double fraction = 0;                    // slices / total, or the memory ratio
  std::string basis;
};
std::optional<MigMemoryShare> mig_memory_share(const NvmlDevice& board, const NvmlMigDevice& m);

// The run document's "mig" of a GPU: {"enabled", "pending", "minor_number", "max_devices",
// "devices": [...], "profiles": [...]}.
nlohmann::json nvml_mig_json(const NvmlDevice& d);

// One MIG device as the run document shows it (also a CUDA device entry's "mig"."device"), with
// its memory share.
nlohmann::json nvml_mig_device_json(const NvmlDevice& board, const NvmlMigDevice& m);

}  // namespace gpuval
