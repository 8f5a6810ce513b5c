#include "validate/cluster/cluster_boards.hpp"

#include <fmt/format.h>

#include "core/device_inventory.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

CheckResult skip(std::string message) {
  return make_result({}, {}, Status::Skip, std::move(message));
}

}  // namespace

ClusterBoards cluster_boards(const Context& ctx, const Facts& facts) {
  ClusterBoards out;
  if (!ctx.fs.is_real_root() && ctx.nvml_library == kNvmlSoname) {
    out.skip =
        skip(fmt::format("offline analysis of {}: this machine's NVML says nothing about "
                         "the tree",
                         ctx.fs.root().string()));
    return out;
  }
  if (!facts.nvml) {
    out.skip = skip("NVML inventory not available (see nvml)");
    return out;
  }
  const NvmlInventory& inv = *facts.nvml;
  out.cuda_bound = !facts.bindings.empty();
  if (out.cuda_bound) {
    for (const DeviceBinding& b : facts.bindings) {
      if (!b.nvml_index) continue;
      for (const NvmlDevice& d : inv.devices) {
        if (d.index == *b.nvml_index && !d.handle_error) {
          out.boards.push_back({&d, b.cuda_ordinal, fmt::format("GPU {}", b.cuda_ordinal)});
        }
      }
    }
    out.not_judged = unbound_nvml_devices(facts.bindings, inv).size();
  } else {
    for (const NvmlDevice& d : inv.devices) {
      if (!d.handle_error)
        out.boards.push_back({&d, std::nullopt, fmt::format("NVML GPU {}", d.index)});
    }
  }
  if (out.boards.empty()) {
    out.skip = skip(out.cuda_bound ? "no CUDA device is bound to an NVML board (see nvml)"
                                   : "no GPU to examine");
    return out;
  }
  NvmlSession::Opened opened = NvmlSession::open(ctx.nvml_library);
  if (!opened.session) {
    out.skip = skip("NVML could not be opened again (" +
                    std::string(to_string(opened.failure.stage)) + "; see nvml)");
    out.boards.clear();
    return out;
  }
  out.session = std::move(opened.session);
  return out;
}

json board_json(const ClusterBoard& b) {
  const NvmlDevice& d = *b.nvml;
  return {{"gpu", b.label},
          {"cuda_ordinal", b.cuda_ordinal ? json(*b.cuda_ordinal) : json(nullptr)},
          {"nvml_index", d.index},
          {"uuid", d.uuid ? json(*d.uuid) : json(nullptr)},
          {"name", d.name ? json(*d.name) : json(nullptr)},
          {"pci_bus_id", d.pci_bus_id ? json(*d.pci_bus_id) : json(nullptr)}};
}

}  // namespace gpuval::checks
