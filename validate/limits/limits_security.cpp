// Security context of the process: privileged (every capability), the SELinux / AppArmor label,
// and the user namespace (rootless). Reported for the run document; warnings on the known traps:
// --privileged hands the container every host device, and SELinux's container_t denies the GPU
// device nodes unless the host allows it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <bit>
#include <string>
#include <vector>

#include "validate/checks.hpp"
#include "validate/parsers/proc_parse.hpp"

namespace gpuval::checks {
namespace {

constexpr int kCapSysAdmin = 21;
// A privileged container gets every capability the runtime knows and the outer sandbox grants;
// a runtime older than the kernel may not know the newest ones (CAP_PERFMON, CAP_BPF,
// CAP_CHECKPOINT_RESTORE), and a nested sandbox may withhold one. Up to this many missing
// capabilities still count as privileged when CAP_SYS_ADMIN is held.
constexpr int kPrivilegedMaxMissing = 3;

constexpr std::array<std::string_view, 41> kCapNames = {"CAP_CHOWN",
                                                        "CAP_DAC_OVERRIDE",
                                                        "CAP_DAC_READ_SEARCH",
                                                        "CAP_FOWNER",
                                                        "CAP_FSETID",
                                                        "CAP_KILL",
                                                        "CAP_SETGID",
                                                        "CAP_SETUID",
                                                        "CAP_SETPCAP",
                                                        "CAP_LINUX_IMMUTABLE",
                                                        "CAP_NET_BIND_SERVICE",
                                                        "CAP_NET_BROADCAST",
                                                        "CAP_NET_ADMIN",
                                                        "CAP_NET_RAW",
                                                        "CAP_IPC_LOCK",
                                                        "CAP_IPC_OWNER",
                                                        "CAP_SYS_MODULE",
                                                        "CAP_SYS_RAWIO",
                                                        "CAP_SYS_CHROOT",
                                                        "CAP_SYS_PTRACE",
                                                        "CAP_SYS_PACCT",
                                                        "CAP_SYS_ADMIN",
                                                        "CAP_SYS_BOOT",
                                                        "CAP_SYS_NICE",
                                                        "CAP_SYS_RESOURCE",
                                                        "CAP_SYS_TIME",
                                                        "CAP_SYS_TTY_CONFIG",
                                                        "CAP_MKNOD",
                                                        "CAP_LEASE",
                                                        "CAP_AUDIT_WRITE",
                                                        "CAP_AUDIT_CONTROL",
                                                        "CAP_SETFCAP",
                                                        "CAP_MAC_OVERRIDE",
                                                        "CAP_MAC_ADMIN",
                                                        "CAP_SYSLOG",
                                                        "CAP_WAKE_ALARM",
                                                        "CAP_BLOCK_SUSPEND",
                                                        "CAP_AUDIT_READ",
                                                        "CAP_PERFMON",
                                                        "CAP_BPF",
                                                        "CAP_CHECKPOINT_RESTORE"};

std::string cap_name(int bit) {
  return bit < static_cast<int>(kCapNames.size()) ? std::string(kCapNames[bit])
                                                  : fmt::format("cap{}", bit);
}

CheckResult unreadable(std::string message, std::string hint) {
  return make_result({}, {}, Status::Warn, std::move(message), std::move(hint));
}

constexpr std::string_view kProcHint =
    "check that /proc is mounted as the engine sets it up (gpuval reads it to report the "
    "security context)";

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\0' || s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool printable(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t end = s.find(sep, pos);
    out.emplace_back(s.substr(pos, end == std::string_view::npos ? end : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

}  // namespace

CheckResult privileged(const Context& ctx, Facts& facts) {
  std::optional<std::string> status = ctx.fs.read_file("/proc/self/status");
  if (!status) return unreadable("cannot read /proc/self/status", std::string(kProcHint));
  Parsed<uint64_t> eff = parse_capability_field(*status, "CapEff");
  if (!eff) return unreadable("/proc/self/status: " + eff.error, std::string(kProcHint));
  // --privileged shows in the bounding set: a non-root user (the image's default) has CapEff 0
  // even in a privileged container, but could regain every capability (setuid binaries).
  Parsed<uint64_t> bnd = parse_capability_field(*status, "CapBnd");
  const uint64_t caps = bnd ? *bnd.value : *eff.value;
  std::optional<std::string> last_text = ctx.fs.read_file("/proc/sys/kernel/cap_last_cap");
  if (!last_text)
    return unreadable("cannot read /proc/sys/kernel/cap_last_cap", std::string(kProcHint));
  std::optional<uint64_t> last = parse_u64(*last_text);
  if (!last || *last > 63) {
    return unreadable(fmt::format("/proc/sys/kernel/cap_last_cap is not a capability number: '{}'",
                                  strip(last_text->substr(0, 40))),
                      std::string(kProcHint));
  }

  const uint64_t full = *last == 63 ? ~uint64_t{0} : (uint64_t{1} << (*last + 1)) - 1;
  const uint64_t missing = full & ~caps;
  std::vector<std::string> missing_names;
  for (int bit = 0; bit <= static_cast<int>(*last); ++bit) {
    if (missing & (uint64_t{1} << bit)) missing_names.push_back(cap_name(bit));
  }
  const int held = std::popcount(caps & full);
  const bool sys_admin = (caps >> kCapSysAdmin) & 1;
  const bool all = missing == 0 ||
                   (sys_admin && static_cast<int>(missing_names.size()) <= kPrivilegedMaxMissing);
  facts.privileged = all && facts.in_container;

  CheckResult r;
  r.metrics["cap_eff"] = fmt::format("{:016x}", *eff.value);
  if (bnd) r.metrics["cap_bnd"] = fmt::format("{:016x}", *bnd.value);
  r.metrics["cap_last_cap"] = *last;
  r.metrics["capabilities"] = held;
  r.metrics["missing"] = missing_names;
  r.metrics["privileged"] = facts.privileged;
  const std::string counts = fmt::format("{} of {} capabilities{}", held, *last + 1,
                                         bnd ? " in the bounding set" : "");
  if (all && facts.in_container) {
    r.status = Status::Warn;
    r.message = fmt::format("privileged container: every host device and capability ({}{})", counts,
                            missing_names.empty()
                                ? std::string()
                                : fmt::format("; missing only {}", fmt::join(missing_names, ", ")));
    r.hint = facts.engine == "kubernetes"
                 ? "set securityContext.privileged: false; request only `nvidia.com/gpu` resources"
             : facts.engine == "docker"
                 ? "drop --privileged; pass only the GPUs: --gpus all"
                 : "drop --privileged; pass only the GPUs: --device nvidia.com/gpu=all";
    return r;
  }
  r.status = Status::Pass;
  r.message = all ? fmt::format("bare metal with the full capability set ({})", counts)
                  : fmt::format("not privileged ({})", counts);
  return r;
}

CheckResult security_label(const Context& ctx, Facts& facts) {
  std::string label = strip(ctx.fs.read_file("/proc/self/attr/current").value_or(""));
  std::string apparmor = strip(ctx.fs.read_file("/proc/self/attr/apparmor/current").value_or(""));
  std::optional<std::string> enforce_text = ctx.fs.read_file("/sys/fs/selinux/enforce");
  std::optional<bool> enforcing;
  if (enforce_text && strip(*enforce_text) == "1") enforcing = true;
  if (enforce_text && strip(*enforce_text) == "0") enforcing = false;

  CheckResult r;
  r.status = Status::Pass;
  for (const std::string* s : {&label, &apparmor}) {
    if (!printable(*s)) {
      r.status = Status::Warn;
      r.message =
          fmt::format("unrecognised security label '{}' (non-printable bytes)", s->substr(0, 60));
      r.hint = "report this label with the run document; gpuval could not classify it";
      for (char& c : r.message) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      }
      return r;
    }
  }

  std::vector<std::string> fields = split(label, ':');
  if (fields.size() >= 4 && !fields[2].empty()) {
    const std::string& type = fields[2];
    r.metrics["lsm"] = "selinux";
    r.metrics["label"] = label;
    r.metrics["type"] = type;
    r.metrics["enforcing"] = enforcing ? nlohmann::json(*enforcing) : nlohmann::json(nullptr);
    const std::string mode = !enforcing   ? "enforce mode not visible in the container"
                             : *enforcing ? "enforcing"
                                          : "permissive";
    if (type == "spc_t" || type == "unconfined_t") {
      r.message =
          fmt::format("SELinux {} ({}): not confined (label=disable or --privileged)", label, mode);
      return r;
    }
    const bool confined_container = type == "container_t" || type == "svirt_lxc_net_t";
    if (confined_container && enforcing != false && !facts.gpu_usable) {
      r.status = Status::Warn;
      r.message = fmt::format("SELinux {} ({}): container_t may not open the GPU device nodes",
                              label, mode);
      r.hint =
          "GPU device nodes need `--security-opt label=disable` or the `container_use_devices` "
          "boolean on the host: `setsebool -P container_use_devices on`";
      return r;
    }
    r.message = fmt::format("SELinux {} ({}){}", label, mode,
                            confined_container && facts.gpu_usable
                                ? "; the GPU is usable, so the policy allows its devices"
                                : "");
    return r;
  }

  // AppArmor: "profile (mode)" or "unconfined"; newer kernels also expose it under attr/apparmor.
  const std::string aa = !apparmor.empty() ? apparmor : label;
  const bool aa_shaped =
      aa == "unconfined" || (aa.ends_with(")") && aa.find(" (") != std::string::npos);
  if (!aa.empty() && aa_shaped) {
    r.metrics["lsm"] = "apparmor";
    r.metrics["label"] = aa;
    r.message = aa == "unconfined" ? "AppArmor: unconfined" : "AppArmor profile " + aa;
    return r;
  }
  if (!label.empty()) {
    r.metrics["lsm"] = "other";
    r.metrics["label"] = label;
    r.message = fmt::format("security label '{}'", label);
    return r;
  }
  r.metrics["lsm"] = "none";
  r.message = "no SELinux or AppArmor label (no confining security module)";
  return r;
}

CheckResult user_namespace(const Context& ctx, Facts& facts) {
  constexpr std::string_view kPath = "/proc/self/uid_map";
  if (!ctx.fs.exists(kPath)) {
    return make_result({}, {}, Status::Skip,
                       "no /proc/self/uid_map: kernel without user namespaces");
  }
  std::optional<std::string> text = ctx.fs.read_file(kPath);
  if (!text) return unreadable("cannot read /proc/self/uid_map", std::string(kProcHint));
  Parsed<std::vector<IdMapRange>> map = parse_id_map(*text);
  if (!map) return unreadable("/proc/self/uid_map: " + map.error, std::string(kProcHint));

  CheckResult r;
  nlohmann::json ranges = nlohmann::json::array();
  for (const IdMapRange& m : *map.value) ranges.push_back({m.inside, m.outside, m.count});
  r.metrics["uid_map"] = ranges;
  if (is_identity_id_map(*map.value)) {
    facts.rootless = false;
    r.metrics["user_namespace"] = false;
    r.metrics["rootless"] = false;
    r.status = Status::Pass;
    r.message = "no user namespace (uid map is the identity)";
    return r;
  }
  r.metrics["user_namespace"] = true;
  if (map.value->empty()) {
    r.status = Status::Warn;
    r.message = "user namespace with an empty uid map: every file shows as nobody";
    r.hint = "the engine did not write the uid map: check /etc/subuid for the user running it";
    return r;
  }
  const std::optional<uint64_t> root = map_id(*map.value, 0);
  const bool rootless = !root || *root != 0;
  facts.rootless = rootless;
  r.metrics["root_maps_to"] = root ? nlohmann::json(*root) : nlohmann::json(nullptr);
  r.metrics["rootless"] = rootless;
  uint64_t ids = 0;
  for (const IdMapRange& m : *map.value) ids += m.count;
  r.metrics["mapped_ids"] = ids;
  r.status = Status::Pass;
  const std::string root_text =
      root ? fmt::format("uid 0 is host uid {}", *root) : std::string("uid 0 is not mapped");
  if (rootless) {
    r.message = fmt::format(
        "user namespace, rootless ({}, {} ids mapped); rootless podman is supported; the legacy "
        "hook needs `no-cgroups = true` in /etc/nvidia-container-runtime/config.toml",
        root_text, ids);
  } else {
    r.message = fmt::format("user namespace ({}, {} ids mapped)", root_text, ids);
  }
  return r;
}

}  // namespace gpuval::checks
