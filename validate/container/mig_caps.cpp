// mig-caps: the MIG capability nodes. A MIG device is usable only through the nodes guarding its
// GPU instance and compute instance, /dev/nvidia-caps/nvidia-cap<minor>, whose minors the driver
// publishes in /proc/driver/nvidia-caps/mig-minors ("gpu0/gi1/access 12"); "config" (cap1) and
// "monitor" (cap2) guard creating instances and seeing all of them. The driver opens them
// read-only, so this check does too, and tells apart the ways a container gets them wrong: not
// injected, a stale node (wrong major or minor, a minor the table does not name), and the classic
// EPERM of a device cgroup that lacks the nvidia-caps major. Every capability and node goes into
// facts.mig_caps for the mig-devices check, which knows (from NVML) which MIG devices this
// process is meant to use.
#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "core/errno_name.hpp"
#include "core/plural.hpp"
#include "validate/checks.hpp"
#include "validate/findings.hpp"
#include "validate/parsers/device_list.hpp"
#include "validate/parsers/mig_minors.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

constexpr const char* kId = "mig-caps";
constexpr const char* kMigMinors = "/proc/driver/nvidia-caps/mig-minors";
constexpr const char* kCapsDir = "/dev/nvidia-caps";

constexpr std::string_view kEpermHint =
    "the container's device cgroup does not allow the nvidia-caps major, so CUDA cannot open the "
    "MIG device: request the MIG device through CDI (`nvidia-ctk cdi generate` lists "
    "nvidia.com/gpu=<gpu>:<mig> and MIG-<uuid>; then --device nvidia.com/gpu=MIG-<uuid>), or "
    "recreate the container (the allow-list is lost after `systemctl daemon-reload`); with "
    "--device, pass the caps nodes too (--device /dev/nvidia-caps/nvidia-cap<minor>)";
constexpr std::string_view kEaccesHint =
    "the node's mode or SELinux denies it: nvidia-container-toolkit creates caps nodes 0444; "
    "with --user keep them readable for that user, or `--security-opt label=disable`";
constexpr std::string_view kStaleHint =
    "the caps nodes do not match this driver's mig-minors (MIG instances re-created, or nodes "
    "baked into the image or a stale CDI spec): recreate the container; with CDI regenerate the "
    "spec after changing MIG instances (`nvidia-ctk cdi generate`)";
constexpr std::string_view kNotInjectedHint =
    "MIG devices need their /dev/nvidia-caps nodes: request them by MIG UUID so the runtime "
    "injects the nodes (NVIDIA_VISIBLE_DEVICES=MIG-<uuid> with the legacy hook, --device "
    "nvidia.com/gpu=MIG-<uuid> with CDI; list them with `nvidia-smi -L` on the host)";

std::string mode_text(const NodeInfo& n) {
  return fmt::format("{:04o} {}:{}", static_cast<unsigned>(n.mode & 07777), n.uid, n.gid);
}

// The minor N of "nvidia-capN", or nullopt for another name.
std::optional<unsigned> cap_minor(std::string_view name) {
  constexpr std::string_view kPrefix = "nvidia-cap";
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size() || name.size() > 16) {
    return std::nullopt;
  }
  unsigned v = 0;
  for (char c : name.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

bool is_access(const MigCapNode& c) { return c.gpu >= 0; }

// A node that may guard a MIG device: named so, or of unknown name when the table is unreadable.
bool maybe_access(const MigCapNode& c, bool table_read) {
  return is_access(c) || (c.name.empty() && !table_read);
}

std::string label(const MigCapNode& c) {
  return c.name.empty() ? c.path : fmt::format("{} ({})", c.path, c.name);
}

// What the environment asks of MIG: MIG devices, and the config / monitor capabilities.
struct MigRequest {
  std::size_t devices = 0;  // MIG entries in NVIDIA_VISIBLE_DEVICES and CUDA_VISIBLE_DEVICES
  bool config = false, monitor = false;
};

MigRequest mig_request(const Env& env) {
  MigRequest r;
  r.devices = parse_nvidia_visible_devices(env.get("NVIDIA_VISIBLE_DEVICES")).mig_count();
  for (const DeviceId& e : parse_cuda_visible_devices(env.get("CUDA_VISIBLE_DEVICES")).effective) {
    if (e.kind == DeviceIdKind::MigUuid) ++r.devices;
  }
  auto set = [&](const char* name) {
    const auto v = env.get(name);
    return v && !v->empty() && *v != "none" && *v != "void";
  };
  r.config = set("NVIDIA_MIG_CONFIG_DEVICES");
  r.monitor = set("NVIDIA_MIG_MONITOR_DEVICES");
  return r;
}

}  // namespace

CheckResult mig_caps(const Context& ctx, Facts& facts) {
  const std::optional<std::string> table_text = ctx.fs.read_file(kMigMinors);
  const MigMinors table = table_text ? parse_mig_minors(*table_text) : MigMinors{};
  const std::optional<std::string> devices = ctx.fs.read_file("/proc/devices");
  const std::optional<unsigned> major =
      devices ? proc_devices_major(*devices, "nvidia-caps") : std::nullopt;
  const MigRequest request = mig_request(ctx.env);
  facts.mig_minors_read = table_text.has_value();
  facts.mig_caps.clear();
  for (const MigCap& c : table.caps) {
    MigCapNode n;
    n.name = c.name;
    n.minor = c.minor;
    n.gpu = c.gpu;
    n.gpu_instance = c.gpu_instance;
    n.compute_instance = c.compute_instance;
    facts.mig_caps.push_back(std::move(n));
  }

  // Every node under /dev/nvidia-caps: which capability it guards, whether it is the node it
  // should be, whether it opens.
  std::vector<std::string> strangers;
  for (const std::string& name : ctx.fs.list_dir(kCapsDir)) {
    const std::string path = std::string(kCapsDir) + "/" + name;
    const auto minor = cap_minor(name);
    if (!minor) {
      strangers.push_back(path);
      continue;
    }
    auto it = std::find_if(facts.mig_caps.begin(), facts.mig_caps.end(),
                           [&](const MigCapNode& c) { return c.minor == *minor; });
    if (it == facts.mig_caps.end()) {
      MigCapNode n;
      n.minor = *minor;
      facts.mig_caps.push_back(std::move(n));
      it = facts.mig_caps.end() - 1;
    }
    MigCapNode& n = *it;
    n.path = path;
    const NodeInfo info = ctx.fs.stat(path);
    if (!info.is_char_device) {
      n.problem = "not a character device";
    } else if (info.minor != *minor) {
      n.problem = fmt::format("char {}:{}, its name says minor {}", info.major, info.minor, *minor);
    } else if (major && info.major != *major) {
      n.problem = fmt::format("char {}:{}, but /proc/devices gives nvidia-caps major {}",
                              info.major, info.minor, *major);
    } else if (facts.mig_minors_read && n.name.empty()) {
      n.problem = fmt::format("minor {} is not in {}", *minor, kMigMinors);
    }
    // A node of the wrong kind or number is not opened: what it guards is unknown.
    const bool right_node = n.problem.empty() || n.name.empty();
    n.open_errno = right_node ? ctx.fs.open_errno(path, O_RDONLY) : -1;
  }

  json nodes = json::array();
  std::size_t present = 0, access_present = 0;
  for (const MigCapNode& n : facts.mig_caps) {
    if (!n.path.empty()) {
      ++present;
      if (maybe_access(n, facts.mig_minors_read)) ++access_present;
      nodes.push_back({{"path", n.path},
                       {"name", n.name.empty() ? json(nullptr) : json(n.name)},
                       {"minor", n.minor},
                       {"open", n.open_errno == 0    ? std::string("ok")
                                : n.open_errno == -1 ? std::string("not tried")
                                                     : errno_name(n.open_errno)},
                       {"mode", mode_text(ctx.fs.stat(n.path))},
                       {"problem", n.problem}});
    }
  }
  json metrics = {{"mig_minors", facts.mig_minors_read ? json(kMigMinors) : json(nullptr)},
                  {"capabilities", table.caps.size()},
                  {"bad_lines", table.bad_lines},
                  {"nvidia_caps_major", major ? json(*major) : json(nullptr)},
                  {"nodes", nodes},
                  {"other_entries", strangers},
                  {"mig_devices_requested", request.devices},
                  {"config_requested", request.config},
                  {"monitor_requested", request.monitor}};
  auto result = [&metrics](Status s, std::string message, std::string hint = {}) {
    CheckResult r = make_result({}, {}, s, std::move(message), std::move(hint));
    r.metrics = std::move(metrics);
    return r;
  };

  if (present == 0 && request.devices == 0 && !request.config && !request.monitor) {
    return result(Status::Skip,
                  facts.mig_minors_read
                      ? fmt::format("no MIG device requested and no MIG capability node in {} "
                                    "({} lists {})",
                                    kCapsDir, kMigMinors,
                                    plural(table.caps.size(), "capability", "capabilities"))
                      : "no MIG in use: no /dev/nvidia-caps nodes, no MIG device requested");
  }

  Findings f;
  std::vector<std::string> denied_access, denied_other, eacces, stale, ok;
  for (const MigCapNode& n : facts.mig_caps) {
    if (n.path.empty()) continue;
    if (n.open_errno == 0 && n.problem.empty()) {
      ok.push_back(n.name.empty() ? n.path : n.name);
      continue;
    }
    if (!n.problem.empty()) stale.push_back(label(n) + ": " + n.problem);
    if (n.open_errno == EPERM) {
      (maybe_access(n, facts.mig_minors_read) ? denied_access : denied_other).push_back(label(n));
    } else if (n.open_errno == EACCES) {
      eacces.push_back(fmt::format("{} ({})", label(n), mode_text(ctx.fs.stat(n.path))));
    } else if (n.open_errno > 0) {
      stale.push_back(fmt::format("{}: open(O_RDONLY) {} ({})", label(n), errno_name(n.open_errno),
                                  std::generic_category().message(n.open_errno)));
    }
  }
  if (!denied_access.empty()) {
    std::string paths;
    for (const std::string& p : denied_access) paths += (paths.empty() ? "" : ", ") + p;
    const std::string cause = fmt::format(
        "cgroup device rules deny the MIG device's capability node{} {} (EPERM){}",
        denied_access.size() == 1 ? "" : "s", paths,
        major ? fmt::format(": nvidia-caps is c {}:* and the allow-list lacks it", *major) : "");
    facts.block(blocker_priority::kNodeAccess, kId, cause, std::string(kEpermHint));
    f.problem(Status::Fail, cause, std::string(kEpermHint));
  }
  if (!eacces.empty()) {
    std::string paths;
    for (const std::string& p : eacces) paths += (paths.empty() ? "" : ", ") + p;
    f.problem(Status::Fail, "permission denied opening " + paths + " (EACCES)",
              std::string(kEaccesHint));
  }
  if (!denied_other.empty()) {
    std::string paths;
    for (const std::string& p : denied_other) paths += (paths.empty() ? "" : ", ") + p;
    f.problem(Status::Warn,
              "cgroup device rules deny " + paths +
                  " (EPERM): MIG management or monitoring (nvidia-smi mig, DCGM) will fail "
                  "here; CUDA does not need it",
              "drop NVIDIA_MIG_CONFIG_DEVICES / NVIDIA_MIG_MONITOR_DEVICES if not needed, else "
              "recreate the container so its device cgroup allows the nvidia-caps major");
  }
  if (!stale.empty()) {
    std::string list;
    for (const std::string& s : stale) list += (list.empty() ? "" : "; ") + s;
    f.problem(Status::Warn, "stale MIG capability node: " + list, std::string(kStaleHint));
  }
  if (request.devices > 0 && access_present == 0) {
    const std::string cause =
        fmt::format("{} requested, but no MIG access node is in {}",
                    plural(request.devices, "MIG device", "MIG devices"), kCapsDir);
    if (facts.in_container) {
      facts.block(blocker_priority::kNodeAccess, kId, cause, std::string(kNotInjectedHint));
      f.problem(Status::Fail, cause + ": CUDA cannot open a MIG device without them",
                std::string(kNotInjectedHint));
    } else {
      // Bare metal: the driver creates them on first use (nvidia-modprobe).
      f.note(cause + " (on bare metal the driver creates them on first use)");
    }
  }
  auto requested_missing = [&](MigCapKind kind, const char* what, const char* env) {
    const bool have = std::any_of(facts.mig_caps.begin(), facts.mig_caps.end(), [&](auto& n) {
      return !n.path.empty() && n.name == (kind == MigCapKind::Config ? "config" : "monitor");
    });
    if (!have) {
      f.problem(Status::Warn,
                fmt::format("{} set, but the {} node is not in {}", env, what, kCapsDir),
                fmt::format("the runtime injects the {} capability for {} only with the legacy "
                            "hook and a privileged container; with CDI pass the node with "
                            "--device",
                            what, env));
    }
  };
  if (request.config)
    requested_missing(MigCapKind::Config, "MIG config", "NVIDIA_MIG_CONFIG_DEVICES");
  if (request.monitor) {
    requested_missing(MigCapKind::Monitor, "MIG monitor", "NVIDIA_MIG_MONITOR_DEVICES");
  }
  if (!facts.mig_minors_read && present > 0) {
    f.note(fmt::format("{} unreadable: capability names unknown", kMigMinors));
  }
  if (!strangers.empty()) {
    f.note(fmt::format("{} other entries in {}", strangers.size(), kCapsDir));
  }
  std::string message = f.message();
  if (f.problems().empty() && !ok.empty()) {
    std::string names;
    for (const std::string& n : ok) names += (names.empty() ? "" : ", ") + n;
    message = fmt::format("{} open read-only{}{}",
                          plural(ok.size(), "MIG capability node", "MIG capability nodes"),
                          names.empty() ? "" : ": " + names, message.empty() ? "" : "; " + message);
  }
  return result(f.status(), message, f.hint());
}

}  // namespace gpuval::checks
