// NVML's view of one device as the run document's "devices" entry: identity, memory, clocks,
// ECC / retirement / remapping, persistence, PCIe link, clocks event reasons, MIG, temperature,
// power, and the theoretical peaks (core/peaks) computed from those numbers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/nvml.hpp"
#include "core/peaks.hpp"

namespace gpuval {

PeakInputs nvml_peak_inputs(const NvmlDevice& d);

nlohmann::json nvml_device_json(const NvmlDevice& d);

// "12.4" for 12040.
std::string cuda_version_text(int version);

nlohmann::json nvml_error_json(const NvmlError& e);

}  // namespace gpuval
