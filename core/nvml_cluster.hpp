// What NVML says about a GPU's place in a multi-GPU system: the state of each NVLink and the
// GPU's NVLink fabric (NVSwitch systems, Hopper and later). Read through an open NvmlSession
// with the same rules as core/nvml.hpp: a missing entry point, NOT_SUPPORTED and every failed
// call are values here, never a crash or an exception. Kept out of nvml.cpp so the inventory
// and these queries grow independently; the cluster checks (validate/cluster/) use them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/nvml.hpp"

namespace gpuval {

struct NvmlNvLink {
  unsigned link = 0;
  bool active = false;                           // nvmlDeviceGetNvLinkState: NVML_FEATURE_ENABLED
  std::optional<unsigned> version;               // nvmlDeviceGetNvLinkVersion (nvmlNvlinkVersion_t)
  std::optional<unsigned> speed_mbps;            // NVML_FI_DEV_NVLINK_GET_SPEED, MB/s per direction
  std::optional<int> remote_type;                // nvmlIntNvLinkDeviceType_t: GPU, NVSwitch, ...
  std::optional<std::string> remote_pci_bus_id;  // the far end, for a GPU or a switch
};

struct NvmlNvLinkReport {
  unsigned index = 0;        // NVML index of the board
  bool api_present = false;  // the library exports nvmlDeviceGetNvLinkState
  // At least one link answered: the board has NVLink. False when every link said
  // NOT_SUPPORTED (PCIe boards) or the API is absent.
  bool supported = false;
  std::optional<unsigned> link_count;         // NVML_FI_DEV_NVLINK_LINK_COUNT
  std::optional<unsigned> common_speed_mbps;  // NVML_FI_DEV_NVLINK_SPEED_MBPS_COMMON
  std::vector<NvmlNvLink> links;              // the links NVML answered for, in link order
  std::vector<NvmlError> errors;              // failures other than NOT_SUPPORTED / no such link
};

// "1.0", "2.0", "2.2", "3.0", "3.1", "4.0", "5.0" for an nvmlNvlinkVersion_t, else "".
std::string nvlink_version_name(unsigned version);
// "GPU", "NVSwitch", "IBM NPU", "unknown".
std::string nvlink_remote_name(int remote_type);

struct NvmlFabricReport {
  unsigned index = 0;
  // The entry point that answered or was tried: "nvmlDeviceGetGpuFabricInfoV" (R550+),
  // "nvmlDeviceGetGpuFabricInfo" (R530+), "" when the library has neither.
  std::string api;
  std::optional<unsigned> state;  // NVML_GPU_FABRIC_STATE_*: 0 not supported .. 3 completed
  std::optional<int> status;      // nvmlReturn_t of the fabric probe (state COMPLETED)
  std::optional<unsigned> clique_id;
  std::optional<std::string> cluster_uuid;  // "" when all zero
  std::optional<unsigned> health_mask;      // NVML_GPU_FABRIC_HEALTH_MASK_* (V only)
  std::optional<NvmlError> error;           // the query failed (other than NOT_SUPPORTED)
};

// "not-supported", "not-started", "in-progress", "completed", "state <n>".
std::string fabric_state_name(unsigned state);
// The health-mask findings that say the fabric is degraded: "bandwidth degraded", "route
// recovery in progress", "routes unhealthy", "access timeout recovery in progress".
std::vector<std::string> fabric_health_problems(unsigned health_mask);

// Every link of NVML board `index` (0 .. NVML_NVLINK_MAX_LINKS - 1): state, version, speed and
// the far end.
NvmlNvLinkReport read_nvlink(const NvmlSession& session, unsigned index);

// The GPU fabric state of NVML board `index`: nvmlDeviceGetGpuFabricInfoV (version 2) when the
// library has it and answers, else nvmlDeviceGetGpuFabricInfo.
NvmlFabricReport read_fabric(const NvmlSession& session, unsigned index);

}  // namespace gpuval
