#include "validate/parsers/device_list.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace gpuval {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto comma = s.find(',');
    parts.push_back(trim(s.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return parts;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == lower(prefix);
}

// A non-negative decimal index small enough for an int (nobody has a billion GPUs).
std::optional<int> parse_index(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

// 8-4-4-4-12 hex digits.
bool is_uuid_body(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_pos ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

// Hex digits and dashes, at least one hex digit: what a UUID prefix may hold.
bool is_uuid_prefix(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_hex(c) || c == '-'; }) &&
         std::any_of(s.begin(), s.end(), is_hex);
}

// "MIG-GPU-<uuid>/<gi>/<ci>" (CUDA 11.0-11.x, toolkit) or "MIG-<uuid>" (R470+).
bool is_mig_uuid(std::string_view s) {
  if (!starts_with_ci(s, "MIG-")) return false;
  std::string_view rest = s.substr(4);
  if (starts_with_ci(rest, "GPU-")) {
    rest.remove_prefix(4);
    if (rest.size() < 36 || !is_uuid_body(rest.substr(0, 36))) return false;
    rest.remove_prefix(36);
    for (int part = 0; part < 2; ++part) {
      if (rest.empty() || rest.front() != '/') return false;
      rest.remove_prefix(1);
      auto slash = rest.find('/');
      if (!parse_index(rest.substr(0, slash))) return false;
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    }
    return rest.empty();
  }
  return is_uuid_body(rest);
}

// "<domain>:<bus>:<device>.<function>" in hex, as nvidia-container-cli matches it.
bool is_pci_bus_id(std::string_view s) {
  auto hex_field = [](std::string_view f, std::size_t max_len) {
    return !f.empty() && f.size() <= max_len && std::all_of(f.begin(), f.end(), is_hex);
  };
  auto c1 = s.find(':');
  if (c1 == std::string_view::npos) return false;
  auto c2 = s.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return false;
  auto dot = s.find('.', c2 + 1);
  if (dot == std::string_view::npos) return false;
  return hex_field(s.substr(0, c1), 8) && hex_field(s.substr(c1 + 1, c2 - c1 - 1), 2) &&
         hex_field(s.substr(c2 + 1, dot - c2 - 1), 2) && s.substr(dot + 1).size() == 1 &&
         s[dot + 1] >= '0' && s[dot + 1] <= '7';
}

// Plain device ids (not CDI names), shared by the NVIDIA parser and the CDI device part.
std::optional<DeviceId> classify_plain(std::string_view token) {
  DeviceId id;
  id.token = std::string(token);
  if (auto n = parse_index(token)) {
    id.kind = DeviceIdKind::Index;
    id.index = *n;
    return id;
  }
  if (starts_with_ci(token, "GPU-") && is_uuid_prefix(token.substr(4))) {
    id.kind = DeviceIdKind::GpuUuid;
    return id;
  }
  if (is_mig_uuid(token)) {
    id.kind = DeviceIdKind::MigUuid;
    return id;
  }
  if (auto colon = token.find(':'); colon != std::string_view::npos) {
    auto gpu = parse_index(token.substr(0, colon));
    auto mig = parse_index(token.substr(colon + 1));
    if (gpu && mig) {
      id.kind = DeviceIdKind::MigIndex;
      id.index = *gpu;
      id.mig_index = *mig;
      return id;
    }
  }
  if (is_pci_bus_id(token)) {
    id.kind = DeviceIdKind::PciBusId;
    return id;
  }
  return std::nullopt;
}

// CDI qualified device name "vendor/class=name" (container-device-interface naming rules).
std::optional<DeviceId> classify_cdi(std::string_view token) {
  auto slash = token.find('/');
  auto eq = token.find('=');
  if (slash == std::string_view::npos || eq == std::string_view::npos || slash > eq) {
    return std::nullopt;
  }
  std::string_view vendor = token.substr(0, slash);
  std::string_view klass = token.substr(slash + 1, eq - slash - 1);
  std::string_view name = token.substr(eq + 1);
  auto valid = [](std::string_view s, bool letter_first, std::string_view extra) {
    if (s.empty() || !(letter_first ? is_alpha(s.front()) : is_alnum(s.front()))) return false;
    if (!is_alnum(s.back())) return false;
    return std::all_of(s.begin(), s.end(), [extra](char c) {
      return is_alnum(c) || extra.find(c) != std::string_view::npos;
    });
  };
  if (!valid(vendor, true, "_-.") || !valid(klass, true, "_-") || !valid(name, false, "_-.:")) {
    return std::nullopt;
  }
  DeviceId id;
  id.kind = DeviceIdKind::CdiName;
  id.token = std::string(token);
  id.cdi_kind = std::string(token.substr(0, eq));
  id.cdi_device = std::string(name);
  if (auto target = classify_plain(name)) id.cdi_target = target->kind;
  return id;
}

std::string why_invalid(std::string_view token) {
  if (lower(token) == "none" || lower(token) == "void") {
    return "'" + lower(token) + "' must be the whole value, in lowercase, not a list entry";
  }
  if (starts_with_ci(token, "GPU-")) {
    return "a GPU UUID is GPU- followed by hex digits and dashes, as `nvidia-smi -L` prints it";
  }
  if (starts_with_ci(token, "MIG-")) {
    return "a MIG UUID is MIG-<8-4-4-4-12 hex digits> or MIG-GPU-<uuid>/<gi>/<ci>, as "
           "`nvidia-smi -L` prints it";
  }
  if (!token.empty() && (token.front() == '-' || token.front() == '+')) {
    return "device indices are non-negative integers";
  }
  if (token.find('=') != std::string_view::npos || token.find('/') != std::string_view::npos) {
    return "a CDI device name is vendor/class=name, e.g. nvidia.com/gpu=0";
  }
  if (token.find(':') != std::string_view::npos) {
    return "a MIG device index is <gpu>:<mig>, both non-negative integers, e.g. 0:1";
  }
  if (!token.empty() && std::all_of(token.begin(), token.end(), is_digit)) {
    return "index out of range";
  }
  return "not an index, GPU-/MIG- UUID, <gpu>:<mig> pair, PCI bus id or CDI device name";
}

// Two spellings of one device compare equal: UUIDs are case-insensitive, indices numeric.
std::string identity_key(const DeviceId& id) {
  switch (id.kind) {
    case DeviceIdKind::Index:
      return "i" + std::to_string(id.index);
    case DeviceIdKind::MigIndex:
      return "m" + std::to_string(id.index) + ":" + std::to_string(id.mig_index);
    case DeviceIdKind::GpuUuid:
    case DeviceIdKind::MigUuid:
    case DeviceIdKind::PciBusId:
      return "u" + lower(id.token);
    case DeviceIdKind::CdiName:
      return "c" + id.token;
  }
  return id.token;
}

}  // namespace

std::string_view to_string(DeviceIdKind kind) {
  switch (kind) {
    case DeviceIdKind::Index:
      return "index";
    case DeviceIdKind::GpuUuid:
      return "gpu-uuid";
    case DeviceIdKind::MigUuid:
      return "mig-uuid";
    case DeviceIdKind::MigIndex:
      return "mig-index";
    case DeviceIdKind::PciBusId:
      return "pci-bus-id";
    case DeviceIdKind::CdiName:
      return "cdi-name";
  }
  return "unknown";
}

std::string_view to_string(NvidiaDevicesMode mode) {
  switch (mode) {
    case NvidiaDevicesMode::Unset:
      return "unset";
    case NvidiaDevicesMode::Empty:
      return "empty";
    case NvidiaDevicesMode::Void:
      return "void";
    case NvidiaDevicesMode::None:
      return "none";
    case NvidiaDevicesMode::All:
      return "all";
    case NvidiaDevicesMode::List:
      return "list";
  }
  return "unknown";
}

bool is_full_gpu_uuid(std::string_view s) {
  return starts_with_ci(s, "GPU-") && is_uuid_body(s.substr(4));
}

bool NvidiaVisibleDevices::requests_all() const {
  if (mode == NvidiaDevicesMode::All) return true;
  return std::any_of(entries.begin(), entries.end(), [](const DeviceId& e) {
    return e.kind == DeviceIdKind::CdiName && e.cdi_device == "all";
  });
}

namespace {
bool is_whole_gpu(DeviceIdKind k) {
  return k == DeviceIdKind::Index || k == DeviceIdKind::GpuUuid || k == DeviceIdKind::PciBusId;
}
bool is_mig(DeviceIdKind k) { return k == DeviceIdKind::MigUuid || k == DeviceIdKind::MigIndex; }
// The kind an entry stands for: a CDI name counts as the device it names.
std::optional<DeviceIdKind> effective_kind(const DeviceId& e) {
  return e.kind == DeviceIdKind::CdiName ? e.cdi_target : std::optional(e.kind);
}
}  // namespace

std::size_t NvidiaVisibleDevices::whole_gpu_count() const {
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), [](const auto& e) {
    auto k = effective_kind(e);
    return k && is_whole_gpu(*k);
  }));
}

std::size_t NvidiaVisibleDevices::mig_count() const {
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), [](const auto& e) {
    auto k = effective_kind(e);
    return k && is_mig(*k);
  }));
}

std::size_t NvidiaVisibleDevices::opaque_count() const {
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), [](const auto& e) {
    return e.kind == DeviceIdKind::CdiName && !e.cdi_target && e.cdi_device != "all";
  }));
}

NvidiaVisibleDevices parse_nvidia_visible_devices(const std::optional<std::string>& value) {
  NvidiaVisibleDevices r;
  r.raw = value;
  if (!value) return r;  // mode Unset
  std::string_view v = trim(*value);
  if (v.empty()) {
    r.mode = NvidiaDevicesMode::Empty;
    return r;
  }
  // The toolkit compares these two exactly; "all" goes on to nvidia-container-cli, which
  // ignores case.
  if (v == "void") {
    r.mode = NvidiaDevicesMode::Void;
    return r;
  }
  if (v == "none") {
    r.mode = NvidiaDevicesMode::None;
    return r;
  }
  r.mode = NvidiaDevicesMode::List;
  std::set<std::string> seen;
  bool all = false;
  for (std::string_view token : split_commas(v)) {
    if (token.empty()) continue;  // "0,,1": skipped by the runtime too
    if (lower(token) == "all") {
      all = true;
      continue;
    }
    std::optional<DeviceId> id = classify_plain(token);
    if (!id) id = classify_cdi(token);
    if (!id) {
      r.invalid.push_back({std::string(token), why_invalid(token)});
      continue;
    }
    if (!seen.insert(identity_key(*id)).second) {
      r.duplicates.push_back(id->token);
      continue;
    }
    r.entries.push_back(std::move(*id));
  }
  if (all) {
    r.mode = NvidiaDevicesMode::All;  // "all" wins over anything listed beside it
    r.entries.clear();
  }
  return r;
}

CudaVisibleDevices parse_cuda_visible_devices(const std::optional<std::string>& value) {
  CudaVisibleDevices r;
  r.raw = value;
  if (!value) return r;
  std::string_view v = trim(*value);
  if (v.empty()) return r;  // set and empty: no device
  std::vector<std::string_view> tokens = split_commas(v);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::string_view token = tokens[i];
    std::string reason;
    std::optional<DeviceId> id;
    if (auto n = parse_index(token)) {
      id = DeviceId{};
      id->kind = DeviceIdKind::Index;
      id->index = *n;
    } else if (starts_with_ci(token, "GPU-") && is_uuid_prefix(token.substr(4))) {
      id = DeviceId{};
      id->kind = DeviceIdKind::GpuUuid;
    } else if (is_mig_uuid(token)) {
      id = DeviceId{};
      id->kind = DeviceIdKind::MigUuid;
    }
    if (id) {
      id->token = std::string(token);
      if (!seen.insert(identity_key(*id)).second) {
        reason = "repeats an earlier entry";
        id.reset();
      }
    } else if (token.empty()) {
      reason = "empty entry";
    } else if (token.front() == '-') {
      reason = "negative index: CUDA hides every device from here on";
    } else {
      reason = "not a device index, GPU-<uuid> or MIG-<uuid>";
    }
    if (!id) {
      r.truncated_at = std::string(token);
      r.truncated_position = i;
      r.truncation_reason = std::move(reason);
      r.dropped = tokens.size() - i;
      break;
    }
    r.effective.push_back(std::move(*id));
  }
  return r;
}

}  // namespace gpuval
