// What a CUresult from cuInit means in a container and what to do about it. Codes are kept as
// numbers (gpuval does not depend on cuda.h), with the enum names the driver would print.
#pragma once

#include <string>
#include <string_view>

#include "core/context.hpp"

namespace gpuval {

// "CUDA_ERROR_NO_DEVICE" for 100; "" for a code not in gpuval's table.
std::string_view cuda_error_name(int code);

// The name to print: the one the driver reported (cuGetErrorName) if any, else the table's,
// else "CUresult <code>".
std::string cuda_error_display_name(int code, std::string_view reported_name);

// One-line remediation for a failed cuInit, tailored with what earlier checks found (device
// nodes, /dev/nvidia-uvm) and the environment (CUDA_VISIBLE_DEVICES).
std::string cuda_init_hint(int code, const Facts& facts, const Env& env);

}  // namespace gpuval
