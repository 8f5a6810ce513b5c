// The MIG slice of the NVML C ABI (nvml.h, drivers R470 and later; the v2 profile query R510+),
// kept apart from core/nvml_abi.hpp so MIG additions stay in files of their own. Layouts and
// signatures follow NVIDIA's nvml.h; the fake NVML (tests/fake_nvml/fake_nvml_mig.cpp) implements
// the same declarations.
#pragma once

#include "core/nvml_abi.hpp"

namespace gpuval::nvml_abi {

// nvmlDeviceAttributes_t, filled by nvmlDeviceGetAttributes_v2 (on a MIG device handle: the
// slice's own SMs, shared engines, slice counts and memory).
struct DeviceAttributes {
  unsigned int multiprocessorCount;
  unsigned int sharedCopyEngineCount;
  unsigned int sharedDecoderCount;
  unsigned int sharedEncoderCount;
  unsigned int sharedJpegCount;
  unsigned int sharedOfaCount;
  unsigned int gpuInstanceSliceCount;
  unsigned int computeInstanceSliceCount;
  unsigned long long memorySizeMB;  // MiB
};

// nvmlGpuInstanceProfileInfo_t (v1: nvmlDeviceGetGpuInstanceProfileInfo).
struct GpuInstanceProfileInfo {
  unsigned int id;  // the profile id (`nvidia-smi mig -lgip`), not the query's profile index
  unsigned int isP2pSupported;
  unsigned int sliceCount;  // compute (GPC) slices
  unsigned int instanceCount;
  unsigned int multiprocessorCount;
  unsigned int copyEngineCount;
  unsigned int decoderCount;
  unsigned int encoderCount;
  unsigned int jpegCount;
  unsigned int ofaCount;
  unsigned long long memorySizeMB;  // MiB
};

// nvmlGpuInstanceProfileInfo_v2_t (nvmlDeviceGetGpuInstanceProfileInfoV): v1 plus a version
// word in front and the profile's name ("MIG 1g.10gb") behind.
struct GpuInstanceProfileInfoV2 {
  unsigned int version;  // kGpuInstanceProfileInfoV2Version
  unsigned int id;
  unsigned int isP2pSupported;
  unsigned int sliceCount;
  unsigned int instanceCount;
  unsigned int multiprocessorCount;
  unsigned int copyEngineCount;
  unsigned int decoderCount;
  unsigned int encoderCount;
  unsigned int jpegCount;
  unsigned int ofaCount;
  unsigned long long memorySizeMB;
  char name[kDeviceNameBufferSize];
};

// NVML_STRUCT_VERSION(GpuInstanceProfileInfo, 2): the size with the version in the top byte.
inline constexpr unsigned kGpuInstanceProfileInfoV2Version =
    static_cast<unsigned>(sizeof(GpuInstanceProfileInfoV2)) | (2u << 24);

// NVML_GPU_INSTANCE_PROFILE_1_SLICE (0) ... : the profile indexes the profile queries take. The
// count grows with drivers (0x0E in R525, 0x11 in CUDA 13.1); indexes a driver does not know
// answer INVALID_ARGUMENT or NOT_SUPPORTED, so gpuval asks up to this bound.
inline constexpr unsigned kGpuInstanceProfileIndexLimit = 0x20;

using DeviceGetMigDeviceHandleByIndexFn = Return (*)(Device, unsigned int, Device*);
using DeviceGetAttributesFn = Return (*)(Device, DeviceAttributes*);
using DeviceGetGpuInstanceProfileInfoFn = Return (*)(Device, unsigned int, GpuInstanceProfileInfo*);
using DeviceGetGpuInstanceProfileInfoVFn = Return (*)(Device, unsigned int,
                                                      GpuInstanceProfileInfoV2*);
// nvmlDeviceGetMaxMigDeviceCount, nvmlDeviceGetGpuInstanceId, nvmlDeviceGetComputeInstanceId and
// nvmlDeviceGetMinorNumber are DeviceGetUintFn (core/nvml_abi.hpp).

static_assert(sizeof(DeviceAttributes) == 40, "nvmlDeviceAttributes_t is 40 bytes");
static_assert(sizeof(GpuInstanceProfileInfo) == 48, "nvmlGpuInstanceProfileInfo_t is 48 bytes");
static_assert(sizeof(GpuInstanceProfileInfoV2) == 152,
              "nvmlGpuInstanceProfileInfo_v2_t is 152 bytes");

}  // namespace gpuval::nvml_abi
