// The event slice of the NVML C ABI (nvml.h: nvmlEventSetCreate, nvmlDeviceRegisterEvents,
// nvmlEventSetWait_v2, nvmlEventSetFree), kept apart from core/nvml_abi.hpp. The fake NVML
// (tests/fake_nvml/fake_nvml_events.cpp) implements the same declarations.
#pragma once

#include <cstdint>

#include "core/nvml_abi.hpp"

namespace gpuval::nvml_abi {

struct EventSetSt;
using EventSet = EventSetSt*;  // nvmlEventSet_t, an opaque handle

// nvmlEventType* bits.
inline constexpr std::uint64_t kEventSingleBitEccError = 0x1;
inline constexpr std::uint64_t kEventDoubleBitEccError = 0x2;
inline constexpr std::uint64_t kEventPState = 0x4;
inline constexpr std::uint64_t kEventXidCriticalError = 0x8;
inline constexpr std::uint64_t kEventClock = 0x10;  // Kepler only: NOT_SUPPORTED elsewhere
inline constexpr std::uint64_t kEventPowerSourceChange = 0x80;
inline constexpr std::uint64_t kEventMigConfigChange = 0x100;

// nvmlEventData_t (R450+: with the GPU and compute instance an Xid is attributable to).
struct EventData {
  Device device;
  unsigned long long eventType;
  unsigned long long eventData;  // the Xid for kEventXidCriticalError (999: unknown), else 0
  unsigned int gpuInstanceId;    // kNoInstance when not attributable to a MIG GPU instance
  unsigned int computeInstanceId;
};
inline constexpr unsigned kNoInstance = 0xFFFFFFFFu;

using EventSetCreateFn = Return (*)(EventSet*);
using EventSetFreeFn = Return (*)(EventSet);
using DeviceRegisterEventsFn = Return (*)(Device, unsigned long long, EventSet);
using DeviceGetSupportedEventTypesFn = Return (*)(Device, unsigned long long*);
using EventSetWaitFn = Return (*)(EventSet, EventData*, unsigned int);  // timeout in ms

static_assert(sizeof(EventData) == 32, "nvmlEventData_t is 32 bytes");

}  // namespace gpuval::nvml_abi
