// What the fake NVML's source files share (tests/fake_nvml/fake_nvml.cpp owns the state): the
// configuration read at nvmlInit, the GPU handles, and the common prologue of a device query.
// The MIG (fake_nvml_mig.cpp) and event (fake_nvml_events.cpp) entry points live in files of
// their own; the minimal build has neither.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/nvml_abi.hpp"

namespace fake_nvml {

namespace abi = gpuval::nvml_abi;

bool initialised();
// The configuration of the last nvmlInit (an empty object before).
const nlohmann::json& config();
// The configuration's "devices" (an empty array without it).
const nlohmann::json& devices();
// The configured return code for `call` on `dev` (or globally); -1 when none.
int forced(const char* call, const nlohmann::json* dev);
// Initialised, valid handle (a GPU's or, in the full build, a MIG device's), no forced error:
// kSuccess with *dev set to the handle's configuration, else the return code.
int device_call(const char* call, abi::Device h, const nlohmann::json** dev);
// One value of the handle's configuration (key, optionally key.sub), NOT_SUPPORTED when absent.
int device_json(const char* call, abi::Device h, const char* key, const char* sub,
                nlohmann::json* out);
int copy_string(const std::string& s, char* buf, unsigned length);

// The handle of GPU `index` (what nvmlDeviceGetHandleByIndex_v2 gives), and back.
abi::Device gpu_handle(std::size_t index);
std::optional<std::size_t> gpu_index(abi::Device h);

#ifndef FAKE_NVML_MINIMAL
// fake_nvml_mig.cpp: the configuration of a MIG device handle, or null for other handles.
const nlohmann::json* mig_device(abi::Device h);
#endif

}  // namespace fake_nvml
