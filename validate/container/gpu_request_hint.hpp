// How to give a container the GPU on the engine gpuval runs under: the one hint the injection,
// device-nodes and visible-devices checks all give when no GPU was passed in.
#pragma once

#include <string>
#include <string_view>

#include "core/context.hpp"

namespace gpuval {

inline constexpr std::string_view kCdiGenerate =
    "`nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`";

// Tailored to facts.engine (and, for podman, facts.engine_version: podman >= 5 maps --gpus to CDI).
std::string request_gpus_hint(const Facts& facts);

}  // namespace gpuval
