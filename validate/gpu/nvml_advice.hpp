// What each nvmlReturn_t means in a container and what to do about it: the hint of every NVML
// failure gpuval reports comes from this one table.
#pragma once

#include <span>
#include <string_view>

#include "core/status.hpp"

namespace gpuval {

struct NvmlAdvice {
  int code = 0;
  Status status = Status::Fail;  // when nvmlInit_v2 or a device handle fails with this code
  std::string_view meaning;      // one line, e.g. "driver/library version mismatch"
  std::string_view hint;         // the fix
  int blocker_priority = 0;      // blocker_priority::* when this code explains "no GPU"; 0: none
};

// Every code gpuval maps, in nvml.h order.
std::span<const NvmlAdvice> nvml_advice_table();

// The entry for `code`; a code missing from the table gets a generic FAIL entry.
NvmlAdvice nvml_advice(int code);

}  // namespace gpuval
