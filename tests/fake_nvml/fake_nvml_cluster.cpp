// The fake NVML's NVLink and fabric entry points (core/nvml_cluster_abi.hpp), in the full build
// only. Self-contained: it reads the same GPUVAL_FAKE_NVML_CONFIG file as fake_nvml.cpp and finds
// a handle's device through the fake's own exported nvmlDeviceGetHandleByIndex_v2, so the two
// sources share nothing but the configuration format. Per device:
//
//   "nvlink": {"links": [{"state": 1, "version": 6, "speed_mbps": 26562, "remote_type": 2,
//                         "remote_pci_bus_id": "00000000:05:00.0"}, null, ...],
//              "link_count": 18, "common_speed_mbps": 26562},
//   "fabric": {"state": 3, "status": 0, "clique_id": 1, "health_mask": 0,
//              "cluster_uuid": "0123456789abcdef0123456789abcdef"},
//   "errors": {"nvmlDeviceGetNvLinkState": 15, "nvmlDeviceGetGpuFabricInfoV": 13}
//
// No "nvlink" makes every link NOT_SUPPORTED (a PCIe board); a null link or one past the list is
// NOT_SUPPORTED; links past NVML_NVLINK_MAX_LINKS are INVALID_ARGUMENT. No "fabric" makes both
// fabric queries NOT_SUPPORTED. A key missing inside a link makes that query NOT_SUPPORTED.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "core/nvml_cluster_abi.hpp"

namespace abi = gpuval::nvml_abi;
using nlohmann::json;

extern "C" int nvmlDeviceGetCount_v2(unsigned* count);
extern "C" int nvmlDeviceGetHandleByIndex_v2(unsigned index, abi::Device* device);

namespace {

// The configuration, parsed again only when the file (path, size, modification time) changed:
// every link query reads it, and an 8-GPU board has 18 links each.
const json& read_config() {
  static json cached = json::object();
  static std::string key;
  const char* path = std::getenv("GPUVAL_FAKE_NVML_CONFIG");
  struct stat st {};
  if (path == nullptr || ::stat(path, &st) != 0) {
    cached = json::object();
    key.clear();
    return cached;
  }
  const std::string now = std::string(path) + "|" + std::to_string(st.st_size) + "|" +
                          std::to_string(st.st_mtim.tv_sec) + "." +
                          std::to_string(st.st_mtim.tv_nsec);
  if (now != key) {
    std::ifstream in(path);
    json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    cached = j.is_object() ? std::move(j) : json::object();
    key = now;
  }
  return cached;
}

// The device's configuration for handle `h` (through the fake's own handle table), or the
// nvmlReturn_t why there is none.
int device_of(abi::Device h, const char* call, const json*& dev) {
  unsigned count = 0;
  if (int rc = nvmlDeviceGetCount_v2(&count); rc != abi::kSuccess) return rc;
  const json& config = read_config();
  if (!config.contains("devices")) return abi::kErrorInvalidArgument;
  const json& devices = config["devices"];
  for (unsigned i = 0; i < count && i < devices.size(); ++i) {
    abi::Device candidate = nullptr;
    if (nvmlDeviceGetHandleByIndex_v2(i, &candidate) == abi::kSuccess && candidate == h) {
      dev = &devices[i];
      for (const json* scope : {dev, &config}) {
        if (scope->contains("errors") && (*scope)["errors"].contains(call)) {
          return (*scope)["errors"][call].get<int>();
        }
      }
      return abi::kSuccess;
    }
  }
  return abi::kErrorInvalidArgument;
}

// The configured link object, or the return code for a link the board does not have.
int link_of(abi::Device h, const char* call, unsigned link, const json*& out) {
  const json* dev = nullptr;
  if (int rc = device_of(h, call, dev); rc != abi::kSuccess) return rc;
  if (link >= abi::kNvLinkMaxLinks) return abi::kErrorInvalidArgument;
  if (!dev->contains("nvlink") || !(*dev)["nvlink"].contains("links")) {
    return abi::kErrorNotSupported;
  }
  const json& links = (*dev)["nvlink"]["links"];
  if (link >= links.size() || links[link].is_null()) return abi::kErrorNotSupported;
  out = &links[link];
  return abi::kSuccess;
}

template <typename T>
int link_value(abi::Device h, const char* call, unsigned link, const char* key, T* value) {
  const json* l = nullptr;
  if (int rc = link_of(h, call, link, l); rc != abi::kSuccess) return rc;
  if (value == nullptr) return abi::kErrorInvalidArgument;
  if (!l->contains(key)) return abi::kErrorNotSupported;
  *value = (*l)[key].get<T>();
  return abi::kSuccess;
}

void fill_uuid(const json& fabric, unsigned char* uuid) {
  std::memset(uuid, 0, abi::kFabricUuidLen);
  const std::string hex = fabric.value("cluster_uuid", "");
  for (std::size_t i = 0; i < abi::kFabricUuidLen && 2 * i + 1 < hex.size(); ++i) {
    uuid[i] = static_cast<unsigned char>(std::strtoul(hex.substr(2 * i, 2).c_str(), nullptr, 16));
  }
}

}  // namespace

extern "C" {

int nvmlDeviceGetNvLinkState(abi::Device h, unsigned link, int* active) {
  return link_value(h, __func__, link, "state", active);
}

int nvmlDeviceGetNvLinkVersion(abi::Device h, unsigned link, unsigned* version) {
  return link_value(h, __func__, link, "version", version);
}

int nvmlDeviceGetNvLinkRemoteDeviceType(abi::Device h, unsigned link, int* type) {
  return link_value(h, __func__, link, "remote_type", type);
}

int nvmlDeviceGetNvLinkRemotePciInfo_v2(abi::Device h, unsigned link, abi::PciInfo* pci) {
  std::string bus;
  if (int rc = link_value(h, __func__, link, "remote_pci_bus_id", &bus); rc != abi::kSuccess) {
    return rc;
  }
  if (pci == nullptr) return abi::kErrorInvalidArgument;
  std::memset(pci, 0, sizeof *pci);
  std::snprintf(pci->busId, sizeof pci->busId, "%s", bus.c_str());
  std::snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%s", bus.c_str());
  return abi::kSuccess;
}

// Answers the NVLink fields (speed per link, common speed, link count); any other field gets
// NOT_SUPPORTED in its own nvmlReturn, as the real library does.
int nvmlDeviceGetFieldValues(abi::Device h, int count, abi::FieldValue* values) {
  const json* dev = nullptr;
  if (int rc = device_of(h, __func__, dev); rc != abi::kSuccess) return rc;
  if (values == nullptr || count < 0) return abi::kErrorInvalidArgument;
  const json nvlink = dev->value("nvlink", json::object());
  for (int i = 0; i < count; ++i) {
    abi::FieldValue& v = values[i];
    v.nvmlReturn = abi::kErrorNotSupported;
    const json* source = nullptr;
    if (v.fieldId == abi::kFieldNvLinkGetSpeed) {
      const json* l = nullptr;
      if (link_of(h, __func__, v.scopeId, l) == abi::kSuccess && l->contains("speed_mbps")) {
        v.valueType = abi::kValueUnsignedInt;
        v.value.uiVal = (*l)["speed_mbps"].get<unsigned>();
        v.nvmlReturn = abi::kSuccess;
      }
      continue;
    }
    if (v.fieldId == abi::kFieldNvLinkLinkCount && nvlink.contains("link_count")) {
      source = &nvlink["link_count"];
    } else if (v.fieldId == abi::kFieldNvLinkSpeedCommon && nvlink.contains("common_speed_mbps")) {
      source = &nvlink["common_speed_mbps"];
    }
    if (source != nullptr) {
      v.valueType = abi::kValueUnsignedInt;
      v.value.uiVal = source->get<unsigned>();
      v.nvmlReturn = abi::kSuccess;
    }
  }
  return abi::kSuccess;
}

int nvmlDeviceGetGpuFabricInfo(abi::Device h, abi::GpuFabricInfoV1* info) {
  const json* dev = nullptr;
  if (int rc = device_of(h, __func__, dev); rc != abi::kSuccess) return rc;
  if (info == nullptr) return abi::kErrorInvalidArgument;
  if (!dev->contains("fabric")) return abi::kErrorNotSupported;
  const json& f = (*dev)["fabric"];
  fill_uuid(f, info->clusterUuid);
  info->status = f.value("status", 0);
  info->cliqueId = f.value("clique_id", 0u);
  info->state = static_cast<unsigned char>(f.value("state", 0u));
  return abi::kSuccess;
}

int nvmlDeviceGetGpuFabricInfoV(abi::Device h, abi::GpuFabricInfoV2* info) {
  const json* dev = nullptr;
  if (int rc = device_of(h, __func__, dev); rc != abi::kSuccess) return rc;
  if (info == nullptr) return abi::kErrorInvalidArgument;
  if (info->version != abi::kGpuFabricInfoV2Version) return abi::kErrorArgumentVersionMismatch;
  if (!dev->contains("fabric")) return abi::kErrorNotSupported;
  const json& f = (*dev)["fabric"];
  fill_uuid(f, info->clusterUuid);
  info->status = f.value("status", 0);
  info->cliqueId = f.value("clique_id", 0u);
  info->state = static_cast<unsigned char>(f.value("state", 0u));
  info->healthMask = f.value("health_mask", 0u);
  return abi::kSuccess;
}

}  // extern "C"

// The fake implements exactly the signatures gpuval resolves.
static_assert(std::is_same_v<decltype(&nvmlDeviceGetNvLinkState), abi::DeviceGetNvLinkIntFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetNvLinkVersion), abi::DeviceGetNvLinkUintFn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetNvLinkRemoteDeviceType), abi::DeviceGetNvLinkIntFn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetNvLinkRemotePciInfo_v2), abi::DeviceGetNvLinkPciFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetFieldValues), abi::DeviceGetFieldValuesFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetGpuFabricInfo), abi::DeviceGetFabricInfoV1Fn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetGpuFabricInfoV), abi::DeviceGetFabricInfoV2Fn>);
