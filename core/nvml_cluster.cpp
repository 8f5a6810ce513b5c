#include "core/nvml_cluster.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <array>
#include <cstring>
#include <initializer_list>
#include <source_location>
#include <string_view>

#include "core/nvml_cluster_abi.hpp"
#include "core/nvml_symbols.hpp"

namespace gpuval {

namespace abi = nvml_abi;
using nvml_detail::resolve;
using nvml_detail::Sym;
using nvml_detail::terminated;

static_assert(sizeof(abi::FieldValue) == 40, "nvmlFieldValue_t is 40 bytes");
static_assert(sizeof(abi::GpuFabricInfoV1) == 28, "nvmlGpuFabricInfo_t is 28 bytes");
static_assert(sizeof(abi::GpuFabricInfoV2) == 36, "nvmlGpuFabricInfo_v2_t is 36 bytes");

namespace {

// The entry points these queries use, resolved in the session's library.
struct ClusterApi {
  Sym<abi::DeviceGetHandleByIndexFn> handle;
  Sym<abi::ErrorStringFn> error_string;
  Sym<abi::DeviceGetNvLinkIntFn> state, remote_type;
  Sym<abi::DeviceGetNvLinkUintFn> version;
  Sym<abi::DeviceGetNvLinkPciFn> remote_pci;
  Sym<abi::DeviceGetFieldValuesFn> fields;
  Sym<abi::DeviceGetFabricInfoV2Fn> fabric_v;
  Sym<abi::DeviceGetFabricInfoV1Fn> fabric;

  explicit ClusterApi(void* h)
      : handle(resolve<abi::DeviceGetHandleByIndexFn>(h, {"nvmlDeviceGetHandleByIndex_v2"})),
        error_string(resolve<abi::ErrorStringFn>(h, {"nvmlErrorString"})),
        state(resolve<abi::DeviceGetNvLinkIntFn>(h, {"nvmlDeviceGetNvLinkState"})),
        remote_type(resolve<abi::DeviceGetNvLinkIntFn>(h, {"nvmlDeviceGetNvLinkRemoteDeviceType"})),
        version(resolve<abi::DeviceGetNvLinkUintFn>(h, {"nvmlDeviceGetNvLinkVersion"})),
        remote_pci(resolve<abi::DeviceGetNvLinkPciFn>(h, {"nvmlDeviceGetNvLinkRemotePciInfo_v2"})),
        fields(resolve<abi::DeviceGetFieldValuesFn>(h, {"nvmlDeviceGetFieldValues"})),
        fabric_v(resolve<abi::DeviceGetFabricInfoV2Fn>(h, {"nvmlDeviceGetGpuFabricInfoV"})),
        fabric(resolve<abi::DeviceGetFabricInfoV1Fn>(h, {"nvmlDeviceGetGpuFabricInfo"})) {}

  NvmlError error(std::string_view call, int code,
                  std::source_location loc = std::source_location::current()) const {
    return nvml_detail::make_error(call, code, error_string.fn, loc);
  }
};

// One unsigned field value, or empty (the field's own return code is checked too).
std::optional<unsigned> field_value(const ClusterApi& api, abi::Device h, unsigned field,
                                    unsigned scope) {
  if (api.fields.fn == nullptr) return std::nullopt;
  abi::FieldValue v{};
  v.fieldId = field;
  v.scopeId = scope;
  if (api.fields.fn(h, 1, &v) != abi::kSuccess || v.nvmlReturn != abi::kSuccess) {
    return std::nullopt;
  }
  switch (v.valueType) {
    case abi::kValueUnsignedInt:
      return v.value.uiVal;
    case abi::kValueUnsignedLong:
      return static_cast<unsigned>(v.value.ulVal);
    case abi::kValueUnsignedLongLong:
      return static_cast<unsigned>(v.value.ullVal);
    case abi::kValueSignedLongLong:
      return v.value.sllVal >= 0 ? std::optional<unsigned>(static_cast<unsigned>(v.value.sllVal))
                                 : std::nullopt;
    case abi::kValueSignedInt:
      return static_cast<int>(v.value.uiVal) >= 0 ? std::optional<unsigned>(v.value.uiVal)
                                                  : std::nullopt;
    default:
      return std::nullopt;
  }
}

// A link query NVML answers with NOT_SUPPORTED or INVALID_ARGUMENT has no such link (or the
// board no NVLink); anything else that is not SUCCESS is an error worth naming.
bool is_no_link(int rc) {
  return rc == abi::kErrorNotSupported || rc == abi::kErrorInvalidArgument;
}

}  // namespace

std::string nvlink_version_name(unsigned version) {
  constexpr std::array<const char*, 8> kNames = {"",    "1.0", "2.0", "2.2",
                                                 "3.0", "3.1", "4.0", "5.0"};
  return version < kNames.size() ? kNames[version] : "";
}

std::string nvlink_remote_name(int remote_type) {
  switch (remote_type) {
    case abi::kNvLinkDeviceGpu:
      return "GPU";
    case abi::kNvLinkDeviceSwitch:
      return "NVSwitch";
    case abi::kNvLinkDeviceIbmNpu:
      return "IBM NPU";
    default:
      return "unknown";
  }
}

NvmlNvLinkReport read_nvlink(const NvmlSession& session, unsigned index) {
  const ClusterApi api(session.library_handle());
  NvmlNvLinkReport r;
  r.index = index;
  r.api_present = api.state.fn != nullptr;
  abi::Device h = nullptr;
  if (api.handle.fn == nullptr) return r;
  if (int rc = api.handle.fn(index, &h); rc != abi::kSuccess) {
    r.errors.push_back(api.error(api.handle.name, rc));
    return r;
  }
  if (!r.api_present) return r;
  for (unsigned link = 0; link < abi::kNvLinkMaxLinks; ++link) {
    int state = 0;
    const int rc = api.state.fn(h, link, &state);
    if (is_no_link(rc)) continue;
    if (rc != abi::kSuccess) {
      r.errors.push_back(api.error(api.state.name, rc));
      if (rc == abi::kErrorGpuIsLost) break;  // every further call fails the same way
      continue;
    }
    NvmlNvLink l;
    l.link = link;
    l.active = state == abi::kFeatureEnabled;
    unsigned v = 0;
    if (api.version.fn != nullptr && api.version.fn(h, link, &v) == abi::kSuccess) l.version = v;
    l.speed_mbps = field_value(api, h, abi::kFieldNvLinkGetSpeed, link);
    int remote = 0;
    if (api.remote_type.fn != nullptr && api.remote_type.fn(h, link, &remote) == abi::kSuccess) {
      l.remote_type = remote;
    }
    abi::PciInfo pci{};
    if (l.active && api.remote_pci.fn != nullptr &&
        api.remote_pci.fn(h, link, &pci) == abi::kSuccess) {
      const std::string bus = terminated(pci.busId, sizeof pci.busId);
      if (!bus.empty()) l.remote_pci_bus_id = bus;
    }
    r.links.push_back(std::move(l));
  }
  r.supported = !r.links.empty();
  if (r.supported) {
    r.link_count = field_value(api, h, abi::kFieldNvLinkLinkCount, 0);
    r.common_speed_mbps = field_value(api, h, abi::kFieldNvLinkSpeedCommon, 0);
  }
  return r;
}

std::string fabric_state_name(unsigned state) {
  switch (state) {
    case abi::kFabricStateNotSupported:
      return "not-supported";
    case abi::kFabricStateNotStarted:
      return "not-started";
    case abi::kFabricStateInProgress:
      return "in-progress";
    case abi::kFabricStateCompleted:
      return "completed";
    default:
      return fmt::format("state {}", state);
  }
}

std::vector<std::string> fabric_health_problems(unsigned health_mask) {
  std::vector<std::string> out;
  const struct {
    unsigned shift;
    const char* what;
  } kFields[] = {{abi::kHealthDegradedBwShift, "bandwidth degraded"},
                 {abi::kHealthRouteRecoveryShift, "route recovery in progress"},
                 {abi::kHealthRouteUnhealthyShift, "routes unhealthy"},
                 {abi::kHealthAccessTimeoutShift, "access timeout recovery in progress"}};
  for (const auto& f : kFields) {
    if (((health_mask >> f.shift) & 0x3u) == abi::kHealthFieldTrue) out.emplace_back(f.what);
  }
  return out;
}

NvmlFabricReport read_fabric(const NvmlSession& session, unsigned index) {
  const ClusterApi api(session.library_handle());
  NvmlFabricReport r;
  r.index = index;
  abi::Device h = nullptr;
  if (api.handle.fn == nullptr) return r;
  if (int rc = api.handle.fn(index, &h); rc != abi::kSuccess) {
    r.error = api.error(api.handle.name, rc);
    return r;
  }
  auto uuid_text = [](const unsigned char* uuid) {
    bool zero = true;
    std::string hex;
    for (std::size_t i = 0; i < abi::kFabricUuidLen; ++i) {
      zero = zero && uuid[i] == 0;
      hex += fmt::format("{:02x}", uuid[i]);
      if (i == 3 || i == 5 || i == 7 || i == 9) hex += '-';
    }
    return zero ? std::string() : hex;
  };
  // The versioned query first (it has the health mask); a library whose V entry point says
  // FUNCTION_NOT_FOUND (driver older than the library) falls back like one without it.
  if (api.fabric_v.fn != nullptr) {
    abi::GpuFabricInfoV2 info{};
    info.version = abi::kGpuFabricInfoV2Version;
    const int rc = api.fabric_v.fn(h, &info);
    r.api = api.fabric_v.name;
    if (rc == abi::kSuccess) {
      r.state = info.state;
      r.status = info.status;
      r.clique_id = info.cliqueId;
      r.cluster_uuid = uuid_text(info.clusterUuid);
      r.health_mask = info.healthMask;
      return r;
    }
    if (rc == abi::kErrorNotSupported) {
      r.state = abi::kFabricStateNotSupported;
      return r;
    }
    if (rc != abi::kErrorFunctionNotFound && rc != abi::kErrorArgumentVersionMismatch) {
      r.error = api.error(api.fabric_v.name, rc);
      return r;
    }
  }
  if (api.fabric.fn == nullptr) {  // neither usable: a driver older than R530
    r.api.clear();
    return r;
  }
  abi::GpuFabricInfoV1 info{};
  const int rc = api.fabric.fn(h, &info);
  r.api = api.fabric.name;
  if (rc == abi::kSuccess) {
    r.state = info.state;
    r.status = info.status;
    r.clique_id = info.cliqueId;
    r.cluster_uuid = uuid_text(info.clusterUuid);
  } else if (rc == abi::kErrorNotSupported) {
    r.state = abi::kFabricStateNotSupported;
  } else if (rc == abi::kErrorFunctionNotFound) {
    r.api.clear();
  } else {
    r.error = api.error(api.fabric.name, rc);
  }
  return r;
}

}  // namespace gpuval
