#include "core/nvml_mig.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>

#include "core/json_optional.hpp"
#include "core/nvml_abi_mig.hpp"
#include "core/nvml_symbols.hpp"

namespace gpuval {
namespace {

namespace abi = nvml_abi;
using nlohmann::json;

using nvml_detail::terminated;

template <typename Fn>
Fn resolve(const NvmlSession& s, const char* name) {
  return reinterpret_cast<Fn>(dlsym(s.library_handle(), name));
}

// Files a failed query: NOT_SUPPORTED and missing entry points as unsupported (an older driver,
// a GPU without the feature), anything else as an error of the device it was asked of.
class Reader {
 public:
  Reader(const NvmlSession& s, std::vector<std::string>& unsupported,
         std::vector<NvmlError>& errors)
      : s_(s), unsupported_(unsupported), errors_(errors) {}

  template <typename Fn>
  bool ok(const char* name, Fn fn, int rc,
          std::source_location loc = std::source_location::current()) {
    if (fn != nullptr && rc == abi::kSuccess) return true;
    if (fn == nullptr || rc == abi::kErrorNotSupported) {
      note(fn == nullptr ? std::string(name) + " (not in this library)" : std::string(name));
    } else {
      errors_.push_back(s_.error(name, rc, loc));
    }
    return false;
  }
  // Informational: the query failed in a way that costs only a name or a share (profiles are
  // refused to unprivileged processes on some drivers).
  void note(std::string what) {
    if (std::find(unsupported_.begin(), unsupported_.end(), what) == unsupported_.end()) {
      unsupported_.push_back(std::move(what));
    }
  }

 private:
  const NvmlSession& s_;
  std::vector<std::string>& unsupported_;
  std::vector<NvmlError>& errors_;
};

void read_profiles(const NvmlSession& s, abi::Device h, NvmlDevice& d, Reader& r) {
  const auto v2 =
      resolve<abi::DeviceGetGpuInstanceProfileInfoVFn>(s, "nvmlDeviceGetGpuInstanceProfileInfoV");
  const auto v1 =
      resolve<abi::DeviceGetGpuInstanceProfileInfoFn>(s, "nvmlDeviceGetGpuInstanceProfileInfo");
  if (v2 == nullptr && v1 == nullptr) {
    r.note("nvmlDeviceGetGpuInstanceProfileInfo (not in this library)");
    return;
  }
  int refused = abi::kSuccess;
  for (unsigned index = 0; index < abi::kGpuInstanceProfileIndexLimit; ++index) {
    NvmlGpuInstanceProfile p;
    p.index = index;
    int rc = abi::kErrorFunctionNotFound;
    if (v2 != nullptr) {
      abi::GpuInstanceProfileInfoV2 info{};
      info.version = abi::kGpuInstanceProfileInfoV2Version;
      rc = v2(h, index, &info);
      if (rc == abi::kSuccess) {
        p.id = info.id;
        p.name = terminated(info.name, sizeof info.name);
        p.slices = info.sliceCount;
        p.instances = info.instanceCount;
        p.sm_count = info.multiprocessorCount;
        p.copy_engines = info.copyEngineCount;
        p.memory_mib = info.memorySizeMB;
      }
    }
    if (rc != abi::kSuccess && v1 != nullptr) {
      abi::GpuInstanceProfileInfo info{};
      rc = v1(h, index, &info);
      if (rc == abi::kSuccess) {
        p.id = info.id;
        p.slices = info.sliceCount;
        p.instances = info.instanceCount;
        p.sm_count = info.multiprocessorCount;
        p.copy_engines = info.copyEngineCount;
        p.memory_mib = info.memorySizeMB;
      }
    }
    if (rc == abi::kSuccess) {
      if (p.memory_mib > 0) d.mig.profiles.push_back(std::move(p));
    } else if (rc == abi::kErrorNoPermission || rc == abi::kErrorUninitialized ||
               rc == abi::kErrorGpuIsLost) {
      refused = rc;
      break;  // asking further indexes will not help
    }
    // INVALID_ARGUMENT / NOT_SUPPORTED: an index this GPU or driver has no profile for.
  }
  if (refused != abi::kSuccess) {
    r.note(fmt::format("nvmlDeviceGetGpuInstanceProfileInfo ({})", nvml_return_name(refused)));
  }
}

// "1g.10gb" from the profile's "MIG 1g.10gb", or built from the slice count and memory where
// the driver gives no names (the memory rounded up to whole GiB, as NVIDIA names most profiles).
std::string profile_name(const NvmlGpuInstanceProfile* p, const NvmlMigDevice& m) {
  std::string name;
  if (p != nullptr && !p->name.empty()) {
    name = p->name;
    if (name.starts_with("MIG ")) name = name.substr(4);
  } else if (m.gpu_instance_slices && m.memory_mib) {
    name = fmt::format(
        "{}g.{}gb", *m.gpu_instance_slices,
        static_cast<unsigned long long>(std::ceil(static_cast<double>(*m.memory_mib) / 1024.0)));
  }
  if (!name.empty() && m.compute_instance_slices && m.gpu_instance_slices &&
      *m.compute_instance_slices < *m.gpu_instance_slices) {
    name = fmt::format("{}c.{}", *m.compute_instance_slices, name);
  }
  return name;
}

// The GPU instance profile with the slice's compute slices and (within 5 %, the closest) memory;
// a plain profile before a "+me" (media extensions) one of the same size, which differ only in
// engines.
const NvmlGpuInstanceProfile* matching_profile(const NvmlDevice& d, const NvmlMigDevice& m) {
  if (!m.gpu_instance_slices || !m.memory_mib || *m.memory_mib == 0) return nullptr;
  const NvmlGpuInstanceProfile* found = nullptr;
  double found_gap = 0;
  for (const NvmlGpuInstanceProfile& p : d.mig.profiles) {
    if (p.slices != *m.gpu_instance_slices) continue;
    const double gap =
        std::fabs(static_cast<double>(p.memory_mib) - static_cast<double>(*m.memory_mib)) /
        static_cast<double>(*m.memory_mib);
    if (gap > 0.05) continue;
    const bool plain = p.name.find('+') == std::string::npos;
    const bool found_plain = found != nullptr && found->name.find('+') == std::string::npos;
    if (found == nullptr || gap < found_gap || (gap == found_gap && plain && !found_plain)) {
      found = &p;
      found_gap = gap;
    }
  }
  return found;
}

NvmlMigDevice read_mig_device(const NvmlSession& s, abi::Device mig, unsigned index) {
  NvmlMigDevice m;
  m.index = index;
  Reader r(s, m.unsupported, m.errors);
  const auto uuid = resolve<abi::DeviceGetStringFn>(s, "nvmlDeviceGetUUID");
  std::array<char, abi::kDeviceUuidBufferSize> text{};
  if (r.ok("nvmlDeviceGetUUID", uuid,
           uuid != nullptr ? uuid(mig, text.data(), static_cast<unsigned>(text.size()))
                           : abi::kErrorFunctionNotFound)) {
    m.uuid = terminated(text.data(), text.size());
  }
  unsigned u = 0;
  const auto gi = resolve<abi::DeviceGetUintFn>(s, "nvmlDeviceGetGpuInstanceId");
  if (r.ok("nvmlDeviceGetGpuInstanceId", gi,
           gi != nullptr ? gi(mig, &u) : abi::kErrorFunctionNotFound)) {
    m.gpu_instance_id = u;
  }
  const auto ci = resolve<abi::DeviceGetUintFn>(s, "nvmlDeviceGetComputeInstanceId");
  if (r.ok("nvmlDeviceGetComputeInstanceId", ci,
           ci != nullptr ? ci(mig, &u) : abi::kErrorFunctionNotFound)) {
    m.compute_instance_id = u;
  }
  auto attributes = resolve<abi::DeviceGetAttributesFn>(s, "nvmlDeviceGetAttributes_v2");
  const char* attributes_name = "nvmlDeviceGetAttributes_v2";
  if (attributes == nullptr) {
    attributes = resolve<abi::DeviceGetAttributesFn>(s, "nvmlDeviceGetAttributes");
    attributes_name = "nvmlDeviceGetAttributes";
  }
  abi::DeviceAttributes a{};
  if (r.ok(attributes_name, attributes,
           attributes != nullptr ? attributes(mig, &a) : abi::kErrorFunctionNotFound)) {
    m.sm_count = a.multiprocessorCount;
    m.gpu_instance_slices = a.gpuInstanceSliceCount;
    m.compute_instance_slices = a.computeInstanceSliceCount;
    m.memory_mib = a.memorySizeMB;
    m.copy_engines = a.sharedCopyEngineCount;
  }
  return m;
}

}  // namespace

void read_mig_inventory(const NvmlSession& s, abi::Device h, NvmlDevice& d) {
  Reader r(s, d.unsupported, d.errors);
  unsigned u = 0;
  const auto minor = resolve<abi::DeviceGetUintFn>(s, "nvmlDeviceGetMinorNumber");
  if (r.ok("nvmlDeviceGetMinorNumber", minor,
           minor != nullptr ? minor(h, &u) : abi::kErrorFunctionNotFound)) {
    d.mig.minor_number = u;
  }
  const auto max_count = resolve<abi::DeviceGetUintFn>(s, "nvmlDeviceGetMaxMigDeviceCount");
  const auto by_index =
      resolve<abi::DeviceGetMigDeviceHandleByIndexFn>(s, "nvmlDeviceGetMigDeviceHandleByIndex");
  if (!r.ok("nvmlDeviceGetMaxMigDeviceCount", max_count,
            max_count != nullptr ? max_count(h, &u) : abi::kErrorFunctionNotFound)) {
    return;
  }
  d.mig.max_devices = u;
  read_profiles(s, h, d, r);
  if (by_index == nullptr) {
    r.note("nvmlDeviceGetMigDeviceHandleByIndex (not in this library)");
    return;
  }
  for (unsigned i = 0; i < *d.mig.max_devices; ++i) {
    abi::Device mig = nullptr;
    const int rc = by_index(h, i, &mig);
    if (rc == abi::kErrorNotFound || rc == abi::kErrorInvalidArgument) continue;  // empty slot
    if (rc != abi::kSuccess) {
      // Not this process's (no access to its capability) or the GPU is gone: say so, once.
      r.note(fmt::format("nvmlDeviceGetMigDeviceHandleByIndex ({})", nvml_return_name(rc)));
      continue;
    }
    NvmlMigDevice m = read_mig_device(s, mig, i);
    const NvmlGpuInstanceProfile* p = matching_profile(d, m);
    if (p != nullptr) m.profile_id = p->id;
    if (std::string name = profile_name(p, m); !name.empty()) m.profile = std::move(name);
    d.mig.devices.push_back(std::move(m));
  }
}

std::string uuid_body(std::string_view uuid) {
  for (std::string_view prefix : {"GPU-", "MIG-"}) {
    if (uuid.size() >= prefix.size()) {
      std::string head(uuid.substr(0, prefix.size()));
      std::transform(head.begin(), head.end(), head.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (head == prefix) {
        uuid.remove_prefix(prefix.size());
        break;
      }
    }
  }
  std::string out(uuid);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

const NvmlMigDevice* find_mig_device(const NvmlDevice& board, std::string_view uuid) {
  const std::string want = uuid_body(uuid);
  if (want.empty()) return nullptr;
  for (const NvmlMigDevice& m : board.mig.devices) {
    if (m.uuid && uuid_body(*m.uuid) == want) return &m;
  }
  return nullptr;
}

std::optional<MigMemoryShare> mig_memory_share(const NvmlDevice& board, const NvmlMigDevice& m) {
  if (!m.memory_mib || *m.memory_mib == 0) return std::nullopt;
  std::uint64_t smallest = std::numeric_limits<std::uint64_t>::max(), largest = 0;
  for (const NvmlGpuInstanceProfile& p : board.mig.profiles) {
    if (p.memory_mib == 0) continue;
    smallest = std::min(smallest, p.memory_mib);
    largest = std::max(largest, p.memory_mib);
  }
  if (largest > 0 && largest >= smallest) {
    const auto slices_of = [&](std::uint64_t mib) {
      return static_cast<unsigned>(
          std::lround(static_cast<double>(mib) / static_cast<double>(smallest)));
    };
    const unsigned total = slices_of(largest);
    const unsigned slices = slices_of(*m.memory_mib);
    if (total >= 1 && slices >= 1 && slices <= total) {
      MigMemoryShare s;
      s.slices = slices;
      s.total = total;
      s.fraction = static_cast<double>(slices) / total;
      s.basis = fmt::format(
          "{} of {} memory slices (GPU instance profiles: {} MiB per slice, {} MiB the whole "
          "GPU; this slice {} MiB)",
          slices, total, smallest, largest, *m.memory_mib);
      return s;
    }
  }
  if (board.memory_total && *board.memory_total > 0) {
    MigMemoryShare s;
    s.fraction = std::min(1.0, static_cast<double>(*m.memory_mib) * 1048576.0 /
                                   static_cast<double>(*board.memory_total));
    s.basis = fmt::format(
        "memory ratio {} MiB of {:.0f} MiB (no GPU instance profiles to count memory slices)",
        *m.memory_mib, static_cast<double>(*board.memory_total) / 1048576.0);
    return s;
  }
  return std::nullopt;
}

json nvml_mig_device_json(const NvmlDevice& board, const NvmlMigDevice& m) {
  json j = {{"index", m.index},
            {"uuid", json_or_null(m.uuid)},
            {"profile", json_or_null(m.profile)},
            {"profile_id", json_or_null(m.profile_id)},
            {"gpu_instance_id", json_or_null(m.gpu_instance_id)},
            {"compute_instance_id", json_or_null(m.compute_instance_id)},
            {"sm_count", json_or_null(m.sm_count)},
            {"gpu_instance_slices", json_or_null(m.gpu_instance_slices)},
            {"compute_instance_slices", json_or_null(m.compute_instance_slices)},
            {"memory_mib", json_or_null(m.memory_mib)},
            {"copy_engines", json_or_null(m.copy_engines)}};
  if (auto share = mig_memory_share(board, m)) {
    j["memory_slices"] = json_or_null(share->slices);
    j["memory_slices_total"] = json_or_null(share->total);
    j["dram_fraction"] = share->fraction;
    j["dram_fraction_basis"] = share->basis;
  } else {
    j["memory_slices"] = nullptr;
    j["memory_slices_total"] = nullptr;
    j["dram_fraction"] = nullptr;
    j["dram_fraction_basis"] = "unknown: the slice's memory size is not known";
  }
  j["unsupported"] = m.unsupported;
  json errors = json::array();
  for (const NvmlError& e : m.errors) {
    errors.push_back({{"call", e.call}, {"code", e.code}, {"name", e.name}});
  }
  j["nvml_errors"] = errors;
  return j;
}

json nvml_mig_json(const NvmlDevice& d) {
  json j = {{"enabled", json_or_null(d.mig_enabled)}, {"pending", json_or_null(d.mig_pending)}};
  if (!d.mig_enabled.value_or(false)) return j;
  j["minor_number"] = json_or_null(d.mig.minor_number);
  j["max_devices"] = json_or_null(d.mig.max_devices);
  json devices = json::array();
  for (const NvmlMigDevice& m : d.mig.devices) devices.push_back(nvml_mig_device_json(d, m));
  j["devices"] = devices;
  json profiles = json::array();
  for (const NvmlGpuInstanceProfile& p : d.mig.profiles) {
    profiles.push_back({{"index", p.index},
                        {"id", p.id},
                        {"name", p.name},
                        {"slices", p.slices},
                        {"instances", p.instances},
                        {"sm_count", p.sm_count},
                        {"memory_mib", p.memory_mib}});
  }
  j["profiles"] = profiles;
  return j;
}

}  // namespace gpuval
