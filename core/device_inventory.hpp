// The devices of a run as CUDA numbers them, each tied to NVML's view of the same board.
//
// CUDA and NVML number GPUs differently: CUDA_VISIBLE_DEVICES hides and reorders, and
// CUDA_DEVICE_ORDER=FASTEST_FIRST (or a MIG device) gives ordinals NVML knows nothing of, while
// NVML always enumerates every board in PCI order. Everything gpuval runs on a device (checks,
// benchmarks) uses the CUDA ordinal; everything NVML tells about it (clocks, throttle reasons,
// PCIe link, ECC, the peaks' inputs) must come from the NVML device with the same PCI bus id.
// A MIG device reports its parent's bus id, so it maps to the parent board; its own SM count
// comes from CUDA, so its compute peaks are the slice's.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/driver_probe.hpp"
#include "core/nvml.hpp"
#include "core/peaks.hpp"

namespace gpuval {

struct DeviceBinding {
  int cuda_ordinal = 0;
  std::optional<unsigned> nvml_index;  // empty: no NVML device has this PCI bus id (or no NVML)
  std::string how;                     // "pci-bus-id", or why there is no NVML device
};

// A CUDA device that is a MIG device, tied to its board's MIG device (NvmlMigDevice::index) by
// UUID, so the slice's own profile and memory share are known.
struct MigBinding {
  int cuda_ordinal = 0;
  std::optional<unsigned> nvml_index;  // the board (as DeviceBinding)
  std::optional<unsigned> mig_index;   // empty: no MIG device NVML lists has CUDA's UUID
  std::string how;                     // "mig-uuid", or why there is no MIG device
};

// One entry per CUDA MIG device (CudaDeviceInfo::mig, see mark_mig_devices), in ordinal order.
std::vector<MigBinding> bind_mig_devices(const std::vector<CudaDeviceInfo>& cuda,
                                         const NvmlInventory* nvml);

// The board's MIG device bound to `cuda_ordinal`, or null (a whole GPU, or none matched).
const NvmlMigDevice* mig_device_for(const std::vector<MigBinding>& bindings,
                                    const NvmlInventory* nvml, int cuda_ordinal);

// One binding per CUDA device, in ordinal order. `nvml` may be null (NVML not usable).
std::vector<DeviceBinding> bind_devices(const std::vector<CudaDeviceInfo>& cuda,
                                        const NvmlInventory* nvml);

// Settles which CUDA devices are MIG devices and spells their UUIDs "MIG-..." (the CUDA driver
// gives 16 bytes, not their kind): a device whose board (by PCI bus id) has MIG on is one, since
// CUDA never enumerates a MIG-enabled GPU whole; so is one cuDeviceGetUuid v1/_v2 already told
// apart (CudaDeviceInfo::mig). Sets parent_uuid to the board's UUID.
void mark_mig_devices(std::vector<CudaDeviceInfo>& cuda, const NvmlInventory* nvml);

// NVML indexes no CUDA device maps to: boards this process cannot use (hidden by
// CUDA_VISIBLE_DEVICES, or unusable for CUDA), in NVML order.
std::vector<unsigned> unbound_nvml_devices(const std::vector<DeviceBinding>& bindings,
                                           const NvmlInventory& nvml);

// The NVML index bound to `cuda_ordinal`, if any.
std::optional<unsigned> nvml_index_for(const std::vector<DeviceBinding>& bindings,
                                       int cuda_ordinal);

// Peak inputs from both views: identity, clocks and memory from NVML where it has them (CUDA's
// attributes otherwise), the SM count always from CUDA (a MIG slice or a cut-down board has its
// own).
PeakInputs peak_inputs(const CudaDeviceInfo* cuda, const NvmlDevice* nvml);

// The run document's "devices": with CUDA devices, one entry per CUDA device in ordinal order
// ("index" = CUDA ordinal = what benchmarks' "device" means; "cuda_ordinal", "nvml_index", the
// NVML fields of the bound board, "cuda" with what the driver said, "peaks"); without them
// (CUDA not initialised), NVML's devices with "index" = NVML index and "cuda_ordinal" null.
nlohmann::json device_entries(const std::vector<CudaDeviceInfo>& cuda, const NvmlInventory* nvml);

// The device entry (of device_entries' output) whose "index" is `device`, or null.
const nlohmann::json* device_entry(const nlohmann::json& devices, int device);

}  // namespace gpuval
