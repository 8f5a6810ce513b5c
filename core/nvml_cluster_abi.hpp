// The slice of the NVML C ABI the cluster checks use (NVLink per link, GPU fabric state), kept
// apart from core/nvml_abi.hpp so the two grow independently. Values, struct layouts and
// signatures follow NVIDIA's nvml.h (NVLink: R450+, field values: R450+, fabric info: R530+,
// nvmlDeviceGetGpuFabricInfoV: R550+); keep every addition checked against it. The fake NVML of
// the tests (tests/fake_nvml/fake_nvml_cluster.cpp) implements the same declarations.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/nvml_abi.hpp"

namespace gpuval::nvml_abi {

// NVML_NVLINK_MAX_LINKS: links are numbered 0 .. 17 (NVLink 4 and 5 GPUs have 18).
inline constexpr unsigned kNvLinkMaxLinks = 18;

// nvmlIntNvLinkDeviceType_t: what the far end of a link is.
inline constexpr int kNvLinkDeviceGpu = 0x00;
inline constexpr int kNvLinkDeviceIbmNpu = 0x01;
inline constexpr int kNvLinkDeviceSwitch = 0x02;
inline constexpr int kNvLinkDeviceUnknown = 0xFF;

// Field ids of nvmlDeviceGetFieldValues.
inline constexpr unsigned kFieldNvLinkSpeedCommon = 90;  // NVML_FI_DEV_NVLINK_SPEED_MBPS_COMMON
inline constexpr unsigned kFieldNvLinkLinkCount = 91;    // NVML_FI_DEV_NVLINK_LINK_COUNT
inline constexpr unsigned kFieldNvLinkGetSpeed = 164;  // NVML_FI_DEV_NVLINK_GET_SPEED (scope=link)

// nvmlValueType_t
inline constexpr int kValueDouble = 0;
inline constexpr int kValueUnsignedInt = 1;
inline constexpr int kValueUnsignedLong = 2;
inline constexpr int kValueUnsignedLongLong = 3;
inline constexpr int kValueSignedLongLong = 4;
inline constexpr int kValueSignedInt = 5;

// nvmlValue_t
union Value {
  double dVal;
  unsigned int uiVal;
  unsigned long ulVal;
  unsigned long long ullVal;
  long long sllVal;
};

// nvmlFieldValue_t
struct FieldValue {
  unsigned int fieldId;
  unsigned int scopeId;  // the link, for per-link NVLink fields
  long long timestamp;
  long long latencyUsec;
  int valueType;   // nvmlValueType_t
  int nvmlReturn;  // per-field nvmlReturn_t
  Value value;
};

// NVML_GPU_FABRIC_UUID_LEN
inline constexpr std::size_t kFabricUuidLen = 16;

// nvmlGpuFabricState_t (an unsigned char)
inline constexpr unsigned char kFabricStateNotSupported = 0;
inline constexpr unsigned char kFabricStateNotStarted = 1;
inline constexpr unsigned char kFabricStateInProgress = 2;
inline constexpr unsigned char kFabricStateCompleted = 3;

// nvmlGpuFabricInfo_t: what nvmlDeviceGetGpuFabricInfo (R530+) fills.
struct GpuFabricInfoV1 {
  unsigned char clusterUuid[kFabricUuidLen];
  Return status;  // the result of the fabric probe, meaningful once state is COMPLETED
  unsigned int cliqueId;
  unsigned char state;
};

// nvmlGpuFabricInfo_v2_t: what nvmlDeviceGetGpuFabricInfoV fills for version 2.
struct GpuFabricInfoV2 {
  unsigned int version;  // kGpuFabricInfoV2Version, set by the caller
  unsigned char clusterUuid[kFabricUuidLen];
  Return status;
  unsigned int cliqueId;
  unsigned char state;
  unsigned int healthMask;  // NVML_GPU_FABRIC_HEALTH_MASK_*
};

// NVML_STRUCT_VERSION(GpuFabricInfo, 2): sizeof | version << 24.
inline constexpr unsigned kGpuFabricInfoV2Version =
    static_cast<unsigned>(sizeof(GpuFabricInfoV2)) | (2u << 24);

// NVML_GPU_FABRIC_HEALTH_MASK_*: two-bit fields, 0 not supported, 1 true, 2 false.
inline constexpr unsigned kHealthDegradedBwShift = 0;      // bandwidth degraded
inline constexpr unsigned kHealthRouteRecoveryShift = 2;   // route recovery in progress
inline constexpr unsigned kHealthRouteUnhealthyShift = 4;  // some routes unhealthy
inline constexpr unsigned kHealthAccessTimeoutShift = 6;   // access timeout recovery in progress
inline constexpr unsigned kHealthFieldTrue = 1;

// Entry points. Enum parameters and results are int (see Return in core/nvml_abi.hpp).
using DeviceGetNvLinkIntFn = Return (*)(Device, unsigned int, int*);  // state (enum*), remote type
using DeviceGetNvLinkUintFn = Return (*)(Device, unsigned int, unsigned int*);  // version
using DeviceGetNvLinkPciFn = Return (*)(Device, unsigned int, PciInfo*);  // remote PCI info (_v2)
using DeviceGetFieldValuesFn = Return (*)(Device, int, FieldValue*);
using DeviceGetFabricInfoV1Fn = Return (*)(Device, GpuFabricInfoV1*);
using DeviceGetFabricInfoV2Fn = Return (*)(Device, GpuFabricInfoV2*);

}  // namespace gpuval::nvml_abi
