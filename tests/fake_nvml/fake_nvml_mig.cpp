// The fake NVML's MIG entry points (full build only). Per GPU of the configuration:
//
//   "mig": {"current": 1, "pending": 1},            // MIG mode (fake_nvml.cpp)
//   "minor_number": 0,                              // N of /dev/nvidiaN
//   "mig_max_devices": 7,
//   "mig_devices": [{"slot": 0, "uuid": "MIG-...", "gpu_instance_id": 7, "compute_instance_id": 0,
//                    "attributes": {"sm": 16, "gi_slices": 1, "ci_slices": 1, "memory_mib": 9984,
//                                   "copy_engines": 1},
//                    "errors": {"nvmlDeviceGetMigDeviceHandleByIndex": 4}}],   // per MIG device
//   "gpu_instance_profiles": [{"index": 0, "id": 19, "name": "MIG 1g.10gb", "slices": 1,
//                              "instances": 7, "sm": 16, "memory_mib": 9984, "copy_engines": 1}]
//
// A MIG device handle answers the ordinary device queries (nvmlDeviceGetUUID, ...) from its
// own entry (fake_nvml.cpp device_call). "slot" defaults to the entry's position; a slot with no
// entry answers NOT_FOUND, as an empty slot does. A profile without "name" is one the v2 query
// cannot name (the v1 query still answers it).
#include <cstring>
#include <type_traits>

#include "core/nvml_abi_mig.hpp"
#include "tests/fake_nvml/fake_nvml_internal.hpp"

namespace {

using nlohmann::json;
namespace abi = gpuval::nvml_abi;

constexpr std::size_t kMaxGpus = 64;
constexpr std::size_t kMaxMig = 8;
char g_mig_slots[kMaxGpus * kMaxMig];  // a MIG device handle points at its slot

const json* mig_entry(std::size_t gpu, std::size_t slot) {
  const json& all = fake_nvml::devices();
  if (gpu >= all.size() || !all[gpu].contains("mig_devices")) return nullptr;
  const json& list = all[gpu]["mig_devices"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].value("slot", i) == slot) return &list[i];
  }
  return nullptr;
}

template <typename T>
T number(const json& j, const char* key) {
  return j.contains(key) ? j[key].get<T>() : T{};
}

// The profile entry with this query index, or null.
const json* profile_entry(abi::Device h, unsigned index, int* rc, const char* call) {
  json profiles;
  *rc = fake_nvml::device_json(call, h, "gpu_instance_profiles", nullptr, &profiles);
  if (*rc != abi::kSuccess) return nullptr;
  static thread_local json kept;
  for (const json& p : profiles) {
    if (p.value("index", -1) == static_cast<int>(index)) {
      kept = p;
      return &kept;
    }
  }
  *rc = abi::kErrorInvalidArgument;  // an index the GPU has no profile for
  return nullptr;
}

}  // namespace

namespace fake_nvml {

const json* mig_device(abi::Device h) {
  auto* slot = reinterpret_cast<char*>(h);
  if (slot < g_mig_slots || slot >= g_mig_slots + sizeof g_mig_slots) return nullptr;
  const auto offset = static_cast<std::size_t>(slot - g_mig_slots);
  return mig_entry(offset / kMaxMig, offset % kMaxMig);
}

}  // namespace fake_nvml

extern "C" {

int nvmlDeviceGetMinorNumber(abi::Device h, unsigned* minor) {
  json v;
  if (int rc = fake_nvml::device_json(__func__, h, "minor_number", nullptr, &v);
      rc != abi::kSuccess) {
    return rc;
  }
  *minor = v.get<unsigned>();
  return abi::kSuccess;
}

int nvmlDeviceGetMaxMigDeviceCount(abi::Device h, unsigned* count) {
  json v;
  if (int rc = fake_nvml::device_json(__func__, h, "mig_max_devices", nullptr, &v);
      rc != abi::kSuccess) {
    return rc;
  }
  *count = v.get<unsigned>();
  return abi::kSuccess;
}

int nvmlDeviceGetMigDeviceHandleByIndex(abi::Device h, unsigned index, abi::Device* mig) {
  const json* dev = nullptr;
  if (int rc = fake_nvml::device_call(__func__, h, &dev); rc != abi::kSuccess) return rc;
  const auto gpu = fake_nvml::gpu_index(h);
  if (!gpu || mig == nullptr) return abi::kErrorInvalidArgument;  // not a GPU handle
  if (index >= dev->value("mig_max_devices", 0u) || index >= kMaxMig) {
    return abi::kErrorInvalidArgument;
  }
  const json* entry = mig_entry(*gpu, index);
  if (entry == nullptr) return abi::kErrorNotFound;
  if (int rc = fake_nvml::forced(__func__, entry); rc >= 0) return rc;
  *mig = reinterpret_cast<abi::Device>(&g_mig_slots[*gpu * kMaxMig + index]);
  return abi::kSuccess;
}

int nvmlDeviceGetGpuInstanceId(abi::Device h, unsigned* id) {
  json v;
  if (!fake_nvml::mig_device(h)) return abi::kErrorInvalidArgument;  // only MIG handles have one
  if (int rc = fake_nvml::device_json(__func__, h, "gpu_instance_id", nullptr, &v);
      rc != abi::kSuccess) {
    return rc;
  }
  *id = v.get<unsigned>();
  return abi::kSuccess;
}

int nvmlDeviceGetComputeInstanceId(abi::Device h, unsigned* id) {
  json v;
  if (!fake_nvml::mig_device(h)) return abi::kErrorInvalidArgument;
  if (int rc = fake_nvml::device_json(__func__, h, "compute_instance_id", nullptr, &v);
      rc != abi::kSuccess) {
    return rc;
  }
  *id = v.get<unsigned>();
  return abi::kSuccess;
}

int nvmlDeviceGetAttributes_v2(abi::Device h, abi::DeviceAttributes* out) {
  json a;
  if (int rc = fake_nvml::device_json(__func__, h, "attributes", nullptr, &a);
      rc != abi::kSuccess) {
    return rc;
  }
  if (out == nullptr) return abi::kErrorInvalidArgument;
  *out = abi::DeviceAttributes{};
  out->multiprocessorCount = number<unsigned>(a, "sm");
  out->sharedCopyEngineCount = number<unsigned>(a, "copy_engines");
  out->gpuInstanceSliceCount = number<unsigned>(a, "gi_slices");
  out->computeInstanceSliceCount = number<unsigned>(a, "ci_slices");
  out->memorySizeMB = number<unsigned long long>(a, "memory_mib");
  return abi::kSuccess;
}

int nvmlDeviceGetGpuInstanceProfileInfo(abi::Device h, unsigned profile,
                                        abi::GpuInstanceProfileInfo* info) {
  int rc = abi::kSuccess;
  const json* p = profile_entry(h, profile, &rc, __func__);
  if (p == nullptr) return rc;
  if (info == nullptr) return abi::kErrorInvalidArgument;
  *info = abi::GpuInstanceProfileInfo{};
  info->id = number<unsigned>(*p, "id");
  info->sliceCount = number<unsigned>(*p, "slices");
  info->instanceCount = number<unsigned>(*p, "instances");
  info->multiprocessorCount = number<unsigned>(*p, "sm");
  info->copyEngineCount = number<unsigned>(*p, "copy_engines");
  info->memorySizeMB = number<unsigned long long>(*p, "memory_mib");
  return abi::kSuccess;
}

int nvmlDeviceGetGpuInstanceProfileInfoV(abi::Device h, unsigned profile,
                                         abi::GpuInstanceProfileInfoV2* info) {
  if (info == nullptr) return abi::kErrorInvalidArgument;
  if (info->version != abi::kGpuInstanceProfileInfoV2Version) {
    return abi::kErrorArgumentVersionMismatch;
  }
  int rc = abi::kSuccess;
  const json* p = profile_entry(h, profile, &rc, __func__);
  if (p == nullptr) return rc;
  if (!p->contains("name")) return abi::kErrorNotSupported;  // only the v1 query knows it
  const unsigned version = info->version;
  *info = abi::GpuInstanceProfileInfoV2{};
  info->version = version;
  info->id = number<unsigned>(*p, "id");
  info->sliceCount = number<unsigned>(*p, "slices");
  info->instanceCount = number<unsigned>(*p, "instances");
  info->multiprocessorCount = number<unsigned>(*p, "sm");
  info->copyEngineCount = number<unsigned>(*p, "copy_engines");
  info->memorySizeMB = number<unsigned long long>(*p, "memory_mib");
  const std::string name = (*p)["name"].get<std::string>();
  std::strncpy(info->name, name.c_str(), sizeof info->name - 1);
  return abi::kSuccess;
}

}  // extern "C"

// The fake implements exactly the signatures gpuval resolves.
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMaxMigDeviceCount), abi::DeviceGetUintFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMinorNumber), abi::DeviceGetUintFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetGpuInstanceId), abi::DeviceGetUintFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMigDeviceHandleByIndex),
                             abi::DeviceGetMigDeviceHandleByIndexFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetAttributes_v2), abi::DeviceGetAttributesFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetGpuInstanceProfileInfo),
                             abi::DeviceGetGpuInstanceProfileInfoFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetGpuInstanceProfileInfoV),
                             abi::DeviceGetGpuInstanceProfileInfoVFn>);
