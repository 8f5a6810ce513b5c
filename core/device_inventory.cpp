#include "core/device_inventory.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/json_optional.hpp"
#include "core/nvml_device_json.hpp"
#include "core/nvml_mig.hpp"
#include "core/pci_address.hpp"

namespace gpuval {
namespace {

using nlohmann::json;

const NvmlDevice* nvml_device(const NvmlInventory* nvml, std::optional<unsigned> index) {
  if (nvml == nullptr || !index) return nullptr;
  for (const NvmlDevice& d : nvml->devices) {
    if (d.index == *index) return &d;
  }
  return nullptr;
}

// The NVML board with CUDA's PCI bus id, or null.
const NvmlDevice* board_of(const CudaDeviceInfo& c, const NvmlInventory* nvml) {
  const auto want = parse_pci(c.pci_bus_id);
  if (nvml == nullptr || !want) return nullptr;
  for (const NvmlDevice& d : nvml->devices) {
    if (d.pci_bus_id && parse_pci(*d.pci_bus_id) == want) return &d;
  }
  return nullptr;
}

json cuda_json(const CudaDeviceInfo& c) {
  return {{"ordinal", c.ordinal},
          {"name", c.name.empty() ? json(nullptr) : json(c.name)},
          {"pci_bus_id", c.pci_bus_id.empty() ? json(nullptr) : json(c.pci_bus_id)},
          {"uuid", c.uuid.empty() ? json(nullptr) : json(c.uuid)},
          {"mig", c.mig},
          {"compute_capability", c.cc_major && c.cc_minor
                                     ? json(fmt::format("{}.{}", *c.cc_major, *c.cc_minor))
                                     : json(nullptr)},
          {"sm_count", json_or_null(c.sm_count)},
          {"clock_mhz", json_or_null(c.clock_mhz)},
          {"memory_clock_mhz", json_or_null(c.memory_clock_mhz)},
          {"memory_bus_width_bits", json_or_null(c.memory_bus_width_bits)},
          {"total_memory_bytes", json_or_null(c.total_memory_bytes)},
          {"errors", c.errors}};
}

}  // namespace

std::vector<DeviceBinding> bind_devices(const std::vector<CudaDeviceInfo>& cuda,
                                        const NvmlInventory* nvml) {
  std::vector<DeviceBinding> out;
  out.reserve(cuda.size());
  for (const CudaDeviceInfo& c : cuda) {
    DeviceBinding b{c.ordinal, std::nullopt, {}};
    const auto want = parse_pci(c.pci_bus_id);
    if (nvml == nullptr) {
      b.how = "NVML not available";
    } else if (!want) {
      b.how = c.pci_bus_id.empty() ? "CUDA gave no PCI bus id"
                                   : "CUDA's PCI bus id '" + c.pci_bus_id + "' is not one";
    } else {
      for (const NvmlDevice& d : nvml->devices) {
        if (d.pci_bus_id && parse_pci(*d.pci_bus_id) == want) {
          b.nvml_index = d.index;
          b.how = "pci-bus-id";
          break;
        }
      }
      if (!b.nvml_index) b.how = "no NVML device has PCI bus id " + c.pci_bus_id;
    }
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<MigBinding> bind_mig_devices(const std::vector<CudaDeviceInfo>& cuda,
                                         const NvmlInventory* nvml) {
  std::vector<MigBinding> out;
  for (const CudaDeviceInfo& c : cuda) {
    if (!c.mig) continue;
    MigBinding b;
    b.cuda_ordinal = c.ordinal;
    const NvmlDevice* board = board_of(c, nvml);
    if (board == nullptr) {
      b.how = nvml == nullptr ? "NVML not available" : "no NVML GPU has its PCI bus id";
    } else {
      b.nvml_index = board->index;
      if (const NvmlMigDevice* m = find_mig_device(*board, c.uuid)) {
        b.mig_index = m->index;
        b.how = "mig-uuid";
      } else if (board->mig.devices.empty()) {
        b.how = fmt::format("NVML lists no MIG device on GPU {} (no access, or none created)",
                            board->index);
      } else {
        b.how = fmt::format("no MIG device NVML lists on GPU {} has UUID {}", board->index,
                            c.uuid.empty() ? "(CUDA gave none)" : c.uuid);
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

const NvmlMigDevice* mig_device_for(const std::vector<MigBinding>& bindings,
                                    const NvmlInventory* nvml, int cuda_ordinal) {
  if (nvml == nullptr) return nullptr;
  for (const MigBinding& b : bindings) {
    if (b.cuda_ordinal != cuda_ordinal || !b.nvml_index || !b.mig_index) continue;
    for (const NvmlDevice& d : nvml->devices) {
      if (d.index != *b.nvml_index) continue;
      for (const NvmlMigDevice& m : d.mig.devices) {
        if (m.index == *b.mig_index) return &m;
      }
    }
  }
  return nullptr;
}

void mark_mig_devices(std::vector<CudaDeviceInfo>& cuda, const NvmlInventory* nvml) {
  for (CudaDeviceInfo& c : cuda) {
    const NvmlDevice* board = board_of(c, nvml);
    if (board != nullptr && board->mig_enabled.value_or(false)) c.mig = true;
    if (!c.mig) continue;
    if (!c.uuid.empty()) c.uuid = "MIG-" + uuid_body(c.uuid);
    if (board != nullptr && board->uuid) c.parent_uuid = *board->uuid;
  }
}

std::vector<unsigned> unbound_nvml_devices(const std::vector<DeviceBinding>& bindings,
                                           const NvmlInventory& nvml) {
  std::vector<unsigned> out;
  for (const NvmlDevice& d : nvml.devices) {
    const bool bound = std::any_of(bindings.begin(), bindings.end(), [&](const DeviceBinding& b) {
      return b.nvml_index && *b.nvml_index == d.index;
    });
    if (!bound) out.push_back(d.index);
  }
  return out;
}

std::optional<unsigned> nvml_index_for(const std::vector<DeviceBinding>& bindings,
                                       int cuda_ordinal) {
  for (const DeviceBinding& b : bindings) {
    if (b.cuda_ordinal == cuda_ordinal) return b.nvml_index;
  }
  return std::nullopt;
}

PeakInputs peak_inputs(const CudaDeviceInfo* cuda, const NvmlDevice* nvml) {
  PeakInputs in = nvml != nullptr ? nvml_peak_inputs(*nvml) : PeakInputs{};
  if (cuda == nullptr) return in;
  if (in.name.empty()) in.name = cuda->name;
  if (!in.cc_major || !in.cc_minor) {
    in.cc_major = cuda->cc_major;
    in.cc_minor = cuda->cc_minor;
  }
  if (cuda->sm_count) in.sm_count = cuda->sm_count;
  if (!in.max_sm_clock_mhz) in.max_sm_clock_mhz = cuda->clock_mhz;
  if (!in.max_memory_clock_mhz) in.max_memory_clock_mhz = cuda->memory_clock_mhz;
  if (!in.memory_bus_width_bits) in.memory_bus_width_bits = cuda->memory_bus_width_bits;
  return in;
}

json device_entries(const std::vector<CudaDeviceInfo>& cuda, const NvmlInventory* nvml) {
  json out = json::array();
  if (cuda.empty()) {
    if (nvml == nullptr) return out;
    for (const NvmlDevice& d : nvml->devices) {
      json e = nvml_device_json(d);
      e["nvml_index"] = d.index;
      e["cuda_ordinal"] = nullptr;
      out.push_back(std::move(e));
    }
    return out;
  }
  const std::vector<DeviceBinding> bindings = bind_devices(cuda, nvml);
  const std::vector<MigBinding> mig_bindings = bind_mig_devices(cuda, nvml);
  for (std::size_t i = 0; i < cuda.size(); ++i) {
    const CudaDeviceInfo& c = cuda[i];
    const NvmlDevice* d = nvml_device(nvml, bindings[i].nvml_index);
    json e = d != nullptr ? nvml_device_json(*d) : json{{"source", "cuda"}};
    if (d == nullptr) {
      e["uuid"] = c.uuid.empty() ? json(nullptr) : json(c.uuid);
      e["name"] = c.name.empty() ? json(nullptr) : json(c.name);
      e["pci_bus_id"] = c.pci_bus_id.empty() ? json(nullptr) : json(c.pci_bus_id);
      e["compute_capability"] = cuda_json(c)["compute_capability"];
    }
    e["index"] = c.ordinal;
    e["cuda_ordinal"] = c.ordinal;
    e["nvml_index"] = json_or_null(bindings[i].nvml_index);
    e["nvml_binding"] = bindings[i].how;
    e["cuda"] = cuda_json(c);
    PeakInputs in = peak_inputs(&c, d);
    if (c.mig) {
      // A MIG slice: its own UUID, its GPU's, and the slice NVML describes (profile, memory
      // share), whose share of the memory slices scales the DRAM peak.
      e["uuid"] = c.uuid.empty() ? json(nullptr) : json(c.uuid);
      e["parent_uuid"] = c.parent_uuid.empty() ? json(nullptr) : json(c.parent_uuid);
      if (!e.contains("mig") || !e["mig"].is_object()) e["mig"] = {{"enabled", true}};
      for (const MigBinding& b : mig_bindings) {
        if (b.cuda_ordinal == c.ordinal) e["mig"]["binding"] = b.how;
      }
      const NvmlMigDevice* m = mig_device_for(mig_bindings, nvml, c.ordinal);
      if (d == nullptr) m = nullptr;
      e["mig"]["device"] = m != nullptr ? nvml_mig_device_json(*d, *m) : json(nullptr);
      if (m != nullptr) {
        if (auto share = mig_memory_share(*d, *m)) {
          in.dram_fraction = share->fraction;
          in.dram_fraction_basis = share->basis;
        }
      }
      in.dram_share_unknown = !in.dram_fraction;
    }
    e["peaks"] = peaks_json(compute_peaks(in), in);
    out.push_back(std::move(e));
  }
  return out;
}

const json* device_entry(const json& devices, int device) {
  if (!devices.is_array()) return nullptr;
  for (const json& e : devices) {
    if (e.is_object() && e.contains("index") && e["index"].is_number_integer() &&
        e["index"].get<int>() == device) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace gpuval
