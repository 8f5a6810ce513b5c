// Which GPUs the NVML-based cluster checks (nvlink, fabric) judge, and the NVML session they
// read them through. With CUDA devices, the boards bound to them by PCI bus id
// (core/device_inventory.hpp); without (CUDA failed, e.g. error 802 on an NVSwitch system whose
// fabric manager is down), every board NVML enumerates, so the cause is still found.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/check_result.hpp"
#include "core/context.hpp"
#include "core/nvml.hpp"

namespace gpuval::checks {

struct ClusterBoard {
  const NvmlDevice* nvml = nullptr;
  std::optional<int> cuda_ordinal;  // empty when CUDA enumerated nothing
  // "GPU 0" (the CUDA ordinal) or "NVML GPU 3" (no CUDA device): how messages name it.
  std::string label;
};

struct ClusterBoards {
  std::optional<CheckResult> skip;  // why nothing is judged (offline tree, no NVML, no GPU)
  std::unique_ptr<NvmlSession> session;
  std::vector<ClusterBoard> boards;
  bool cuda_bound = false;     // boards are the CUDA devices' (else every NVML board)
  std::size_t not_judged = 0;  // NVML boards hidden from CUDA here (CUDA_VISIBLE_DEVICES)
};

// The boards to judge and an open session; `skip` set when there are none or NVML cannot be
// opened (the nvml check reports why).
ClusterBoards cluster_boards(const Context& ctx, const Facts& facts);

// The run-document identity of a board: {gpu, cuda_ordinal, nvml_index, uuid, name,
// pci_bus_id}.
nlohmann::json board_json(const ClusterBoard& b);

}  // namespace gpuval::checks
