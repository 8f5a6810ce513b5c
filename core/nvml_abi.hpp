// The slice of the NVML C ABI gpuval uses, declared here because gpuval never links
// libnvidia-ml and the toolkit may not ship nvml.h. Values, struct layouts and signatures follow
// NVIDIA's nvml.h (NVML API version 12, drivers R450 and later); keep every addition checked
// against it. The fake NVML of the tests (tests/fake_nvml/) implements the same declarations.
#pragma once

#include <cstdint>

namespace gpuval::nvml_abi {

// nvmlReturn_t and the other NVML enums are C enums: int-sized, passed and returned as int.
using Return = int;
struct DeviceSt;
using Device = DeviceSt*;  // nvmlDevice_t, an opaque handle

// nvmlReturn_t values.
inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorUninitialized = 1;
inline constexpr Return kErrorInvalidArgument = 2;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorNoPermission = 4;
inline constexpr Return kErrorAlreadyInitialized = 5;
inline constexpr Return kErrorNotFound = 6;
inline constexpr Return kErrorInsufficientSize = 7;
inline constexpr Return kErrorInsufficientPower = 8;
inline constexpr Return kErrorDriverNotLoaded = 9;
inline constexpr Return kErrorTimeout = 10;
inline constexpr Return kErrorIrqIssue = 11;
inline constexpr Return kErrorLibraryNotFound = 12;
inline constexpr Return kErrorFunctionNotFound = 13;
inline constexpr Return kErrorCorruptedInforom = 14;
inline constexpr Return kErrorGpuIsLost = 15;
inline constexpr Return kErrorResetRequired = 16;
inline constexpr Return kErrorOperatingSystem = 17;
inline constexpr Return kErrorLibRmVersionMismatch = 18;
inline constexpr Return kErrorInUse = 19;
inline constexpr Return kErrorMemory = 20;
inline constexpr Return kErrorNoData = 21;
inline constexpr Return kErrorVgpuEccNotSupported = 22;
inline constexpr Return kErrorInsufficientResources = 23;
inline constexpr Return kErrorFreqNotSupported = 24;
inline constexpr Return kErrorArgumentVersionMismatch = 25;
inline constexpr Return kErrorDeprecated = 26;
inline constexpr Return kErrorNotReady = 27;
inline constexpr Return kErrorGpuNotFound = 28;
inline constexpr Return kErrorInvalidState = 29;
inline constexpr Return kErrorUnknown = 999;

// Buffer sizes nvml.h guarantees to be large enough.
inline constexpr unsigned kSystemDriverVersionBufferSize =
    80;  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE
inline constexpr unsigned kSystemNvmlVersionBufferSize =
    80;                                                // NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE
inline constexpr unsigned kDeviceUuidBufferSize = 96;  // NVML_DEVICE_UUID_V2_BUFFER_SIZE
inline constexpr unsigned kDeviceNameBufferSize = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE

// nvmlPciInfo_t as filled by nvmlDeviceGetPciInfo_v3.
struct PciInfo {
  char busIdLegacy[16];  // "0000:3B:00.0" (domain truncated to 16 bits)
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;  // device id << 16 | vendor id (0x10DE)
  unsigned int pciSubSystemId;
  char busId[32];  // "00000000:3B:00.0"
};

// nvmlMemory_t (v1: what nvmlDeviceGetMemoryInfo fills).
struct Memory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

// nvmlClockType_t
inline constexpr int kClockGraphics = 0;
inline constexpr int kClockSm = 1;
inline constexpr int kClockMem = 2;
// nvmlMemoryErrorType_t
inline constexpr int kMemoryErrorCorrected = 0;
inline constexpr int kMemoryErrorUncorrected = 1;
// nvmlEccCounterType_t
inline constexpr int kVolatileEcc = 0;   // since the driver loaded
inline constexpr int kAggregateEcc = 1;  // lifetime of the board
// nvmlTemperatureSensors_t
inline constexpr int kTemperatureGpu = 0;
// nvmlEnableState_t
inline constexpr int kFeatureDisabled = 0;
inline constexpr int kFeatureEnabled = 1;
// nvmlPageRetirementCause_t
inline constexpr int kRetirementMultipleSingleBit = 0;
inline constexpr int kRetirementDoubleBit = 1;
// NVML_DEVICE_MIG_ENABLE
inline constexpr unsigned kMigEnable = 1;

// nvmlClocksEventReasons (called ...ThrottleReasons before R535; same bits).
inline constexpr std::uint64_t kReasonGpuIdle = 0x1;
inline constexpr std::uint64_t kReasonApplicationsClocksSetting = 0x2;
inline constexpr std::uint64_t kReasonSwPowerCap = 0x4;
inline constexpr std::uint64_t kReasonHwSlowdown = 0x8;
inline constexpr std::uint64_t kReasonSyncBoost = 0x10;
inline constexpr std::uint64_t kReasonSwThermalSlowdown = 0x20;
inline constexpr std::uint64_t kReasonHwThermalSlowdown = 0x40;
inline constexpr std::uint64_t kReasonHwPowerBrakeSlowdown = 0x80;
inline constexpr std::uint64_t kReasonDisplayClockSetting = 0x100;

// Entry points, grouped by signature. Enum parameters are int (see Return).
using InitFn = Return (*)();                    // nvmlInit_v2, nvmlShutdown
using ErrorStringFn = const char* (*)(Return);  // nvmlErrorString
using SystemGetStringFn = Return (*)(char*,
                                     unsigned int);  // nvmlSystemGetDriverVersion, ...NVMLVersion
using SystemGetIntFn = Return (*)(int*);             // nvmlSystemGetCudaDriverVersion(_v2)
using DeviceGetCountFn = Return (*)(unsigned int*);  // nvmlDeviceGetCount_v2
using DeviceGetHandleByIndexFn = Return (*)(unsigned int, Device*);
using DeviceGetStringFn = Return (*)(Device, char*, unsigned int);  // UUID, name
using DeviceGetPciInfoFn = Return (*)(Device, PciInfo*);
using DeviceGetIntPairFn = Return (*)(Device, int*, int*);  // compute capability; ECC mode (enum*)
using DeviceGetMemoryInfoFn = Return (*)(Device, Memory*);
using DeviceGetUintFn = Return (*)(Device, unsigned int*);  // bus width, cores, PCIe, power, ...
using DeviceGetIntFn = Return (*)(Device, int*);  // persistence mode, retired pages pending (enum*)
using DeviceGetClockFn = Return (*)(Device, int, unsigned int*);  // (max) clock, temperature
using DeviceGetUintPairFn = Return (*)(Device, unsigned int*, unsigned int*);  // MIG mode
using DeviceGetTotalEccErrorsFn = Return (*)(Device, int, int, unsigned long long*);
using DeviceGetRetiredPagesFn = Return (*)(Device, int, unsigned int*, unsigned long long*);
using DeviceGetRemappedRowsFn = Return (*)(Device, unsigned int*, unsigned int*, unsigned int*,
                                           unsigned int*);
using DeviceGetUllFn = Return (*)(Device, unsigned long long*);  // clocks event reasons

}  // namespace gpuval::nvml_abi
