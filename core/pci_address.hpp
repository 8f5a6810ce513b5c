// PCI addresses as CUDA ("0000:3b:00.0") and NVML ("00000000:3B:00.0") spell them: compared as
// numbers (domain, bus, device, function).
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace gpuval {

std::optional<std::array<unsigned long, 4>> parse_pci(std::string_view s);

}  // namespace gpuval
