#include "core/nvml_device_json.hpp"

#include <fmt/format.h>

#include "core/json_optional.hpp"
#include "core/nvml_mig.hpp"

namespace gpuval {
namespace {

using nlohmann::json;

}  // namespace

std::string cuda_version_text(int version) {
  return fmt::format("{}.{}", version / 1000, (version % 1000) / 10);
}

json nvml_error_json(const NvmlError& e) {
  return {{"call", e.call}, {"code", e.code}, {"name", e.name}, {"description", e.description},
          {"file", e.file}, {"line", e.line}};
}

PeakInputs nvml_peak_inputs(const NvmlDevice& d) {
  PeakInputs in;
  in.name = d.name.value_or("");
  in.cc_major = d.cc_major;
  in.cc_minor = d.cc_minor;
  in.gpu_cores = d.gpu_cores;
  in.max_sm_clock_mhz = d.max_sm_clock_mhz;
  in.max_memory_clock_mhz = d.max_memory_clock_mhz;
  in.memory_bus_width_bits = d.memory_bus_width_bits;
  // nvmlPciInfo_t.pciDeviceId is (device id << 16) | vendor id.
  if (d.pci_device_id) in.pci_device_id = *d.pci_device_id >> 16;
  return in;
}

json nvml_device_json(const NvmlDevice& d) {
  json j = {{"index", d.index}, {"source", "nvml"}};
  if (d.handle_error) {
    j["error"] = nvml_error_json(*d.handle_error);
    return j;
  }
  j["uuid"] = json_or_null(d.uuid);
  j["name"] = json_or_null(d.name);
  j["pci_bus_id"] = json_or_null(d.pci_bus_id);
  j["pci_device_id"] =
      d.pci_device_id ? json(fmt::format("{:#010x}", *d.pci_device_id)) : json(nullptr);
  j["compute_capability"] = d.cc_major && d.cc_minor
                                ? json(fmt::format("{}.{}", *d.cc_major, *d.cc_minor))
                                : json(nullptr);
  j["gpu_cores"] = json_or_null(d.gpu_cores);
  j["memory"] = {{"total_bytes", json_or_null(d.memory_total)},
                 {"free_bytes", json_or_null(d.memory_free)},
                 {"used_bytes", json_or_null(d.memory_used)},
                 {"bus_width_bits", json_or_null(d.memory_bus_width_bits)},
                 {"max_clock_mhz", json_or_null(d.max_memory_clock_mhz)}};
  j["clocks"] = {{"max_sm_mhz", json_or_null(d.max_sm_clock_mhz)},
                 {"sm_mhz", json_or_null(d.sm_clock_mhz)}};
  j["ecc"] = {{"enabled", json_or_null(d.ecc.enabled)},
              {"pending_enabled", json_or_null(d.ecc.pending_enabled)},
              {"volatile",
               {{"corrected", json_or_null(d.ecc.volatile_corrected)},
                {"uncorrected", json_or_null(d.ecc.volatile_uncorrected)}}},
              {"aggregate",
               {{"corrected", json_or_null(d.ecc.aggregate_corrected)},
                {"uncorrected", json_or_null(d.ecc.aggregate_uncorrected)}}}};
  j["retired_pages"] = {{"single_bit", json_or_null(d.retired_pages.single_bit)},
                        {"double_bit", json_or_null(d.retired_pages.double_bit)},
                        {"pending", json_or_null(d.retired_pages.pending)}};
  j["row_remap"] = d.row_remap ? json{{"corrected", d.row_remap->corrected},
                                      {"uncorrected", d.row_remap->uncorrected},
                                      {"pending", d.row_remap->pending},
                                      {"failure", d.row_remap->failure}}
                               : json(nullptr);
  j["persistence_mode"] = json_or_null(d.persistence_mode);
  j["pcie"] = {{"gen_current", json_or_null(d.pcie.gen_current)},
               {"gen_max", json_or_null(d.pcie.gen_max)},
               {"gen_gpu_max", json_or_null(d.pcie.gen_gpu_max)},
               {"width_current", json_or_null(d.pcie.width_current)},
               {"width_max", json_or_null(d.pcie.width_max)}};
  j["clock_event_reasons"] =
      d.clock_event_reasons ? json{{"mask", fmt::format("{:#x}", *d.clock_event_reasons)},
                                   {"active", clock_event_reason_names(*d.clock_event_reasons)}}
                            : json(nullptr);
  j["mig"] = nvml_mig_json(d);
  j["temperature_c"] = json_or_null(d.temperature_c);
  j["power"] = {{"usage_w", d.power_usage_mw ? json(*d.power_usage_mw / 1000.0) : json(nullptr)},
                {"limit_w", d.power_limit_mw ? json(*d.power_limit_mw / 1000.0) : json(nullptr)}};
  const PeakInputs in = nvml_peak_inputs(d);
  j["peaks"] = peaks_json(compute_peaks(in), in);
  j["unsupported"] = d.unsupported;
  json errors = json::array();
  for (const NvmlError& e : d.errors) errors.push_back(nvml_error_json(e));
  j["nvml_errors"] = errors;
  return j;
}

}  // namespace gpuval
