// device-nodes: are the NVIDIA character devices there and real? device-access: can this process
// open them read-write? Both scan the same set of nodes (scan_nodes below).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "core/errno_name.hpp"
#include "validate/checks.hpp"
#include "validate/container/gpu_request_hint.hpp"

namespace gpuval::checks {
namespace {

constexpr unsigned kNvidiaMajor = 195;  // /dev/nvidia[0-9]+ and /dev/nvidiactl
constexpr unsigned kCtlMinor = 255;

enum class Role { Gpu, Ctl, Uvm, UvmTools, Modeset, MigCap };

struct ScannedNode {
  std::string path;
  Role role = Role::Gpu;
  NodeInfo info;
  std::string problem;  // why an existing path is not the node it claims to be; "" if fine
};

bool is_gpu_node_name(std::string_view name) {
  constexpr std::string_view kPrefix = "nvidia";
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) return false;
  return std::all_of(name.begin() + kPrefix.size(), name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

std::string mode_string(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string kind_of(const NodeInfo& n) {
  if (n.is_char_device) return "char";
  if (n.is_directory) return "directory";
  if (n.is_regular) return "regular file";
  return "other";
}

// want_major: the fixed major the driver registers, or nullopt for dynamic majors (uvm, caps).
std::string node_problem(const NodeInfo& n, std::optional<unsigned> want_major,
                         std::optional<unsigned> want_minor) {
  std::string expected = "expected a char device";
  if (want_major) {
    expected += " " + std::to_string(*want_major) + ":" +
                (want_minor ? std::to_string(*want_minor) : std::string("N"));
  }
  if (!n.is_char_device) return kind_of(n) + ", " + expected;
  bool major_ok = !want_major || n.major == *want_major;
  bool minor_ok = !want_minor || n.minor == *want_minor;
  if (major_ok && minor_ok) return {};
  return "char " + std::to_string(n.major) + ":" + std::to_string(n.minor) + ", " + expected;
}

std::vector<ScannedNode> scan_nodes(const Sysroot& fs) {
  std::vector<ScannedNode> nodes;
  auto add = [&](std::string path, Role role, std::optional<unsigned> major,
                 std::optional<unsigned> minor) {
    NodeInfo info = fs.stat(path);
    if (!info.exists) return;
    std::string problem = node_problem(info, major, minor);
    nodes.push_back(ScannedNode{std::move(path), role, info, std::move(problem)});
  };

  std::vector<std::string> gpu_names;
  for (const std::string& name : fs.list_dir("/dev")) {
    if (is_gpu_node_name(name)) gpu_names.push_back(name);
  }
  // Numeric order: nvidia2 before nvidia10.
  std::sort(gpu_names.begin(), gpu_names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  for (const std::string& name : gpu_names) {
    add("/dev/" + name, Role::Gpu, kNvidiaMajor, std::nullopt);
  }
  add("/dev/nvidiactl", Role::Ctl, kNvidiaMajor, kCtlMinor);
  add("/dev/nvidia-uvm", Role::Uvm, std::nullopt, std::nullopt);
  add("/dev/nvidia-uvm-tools", Role::UvmTools, std::nullopt, std::nullopt);
  add("/dev/nvidia-modeset", Role::Modeset, kNvidiaMajor, std::nullopt);
  for (const std::string& name : fs.list_dir("/dev/nvidia-caps")) {
    add("/dev/nvidia-caps/" + name, Role::MigCap, std::nullopt, std::nullopt);
  }
  return nodes;
}

nlohmann::json node_json(const NodeInfo& n) {
  return {{"type", kind_of(n)},          {"major", n.major}, {"minor", n.minor},
          {"mode", mode_string(n.mode)}, {"uid", n.uid},     {"gid", n.gid}};
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

// ---- device-nodes -------------------------------------------------------------------------

// NVIDIA_VISIBLE_DEVICES=none|void|"" asks the legacy hook for no GPU. Under CDI the variable is
// irrelevant (the generated spec even sets it to "void"), so this only counts without CDI.
std::optional<std::string> deliberately_no_gpu(const Context& ctx, const Facts& facts) {
  if (facts.injection == "cdi") return std::nullopt;
  auto v = ctx.env.get("NVIDIA_VISIBLE_DEVICES");
  if (!v) return std::nullopt;
  std::string t;
  for (char c : *v) {
    if (c != ' ' && c != '\t') t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (t == "none" || t == "void" || t.empty()) return "NVIDIA_VISIBLE_DEVICES=\"" + *v + "\"";
  return std::nullopt;
}

struct Advice {
  std::string cause;
  std::string hint;
};

Advice no_nodes_advice(const Facts& facts) {
  const std::string cdi(kCdiGenerate);
  if (!facts.in_container || facts.engine == "none") {
    return {"no NVIDIA device nodes: the NVIDIA driver is not loaded on this host",
            "check `nvidia-smi`; load the driver with `sudo modprobe nvidia` (nodes come from "
            "udev or `sudo nvidia-modprobe -u -c=0`)"};
  }
  if (facts.injection == "cdi") {
    return {
        "no NVIDIA device nodes although a CDI spec was applied: the spec lists no device "
        "nodes for the requested device, or it is stale",
        "on the host regenerate it (" + cdi +
            "), check `nvidia-ctk cdi list`, and recreate the container with "
            "`--device nvidia.com/gpu=all`"};
  }
  if (facts.injection == "legacy-hook") {
    return {"no NVIDIA device nodes although the NVIDIA hook ran: it selected no GPU",
            "set NVIDIA_VISIBLE_DEVICES=all (or GPU indices/UUIDs) and check "
            "`nvidia-container-cli info` on the host; better, use CDI (`--device "
            "nvidia.com/gpu=all`)"};
  }
  if (facts.engine == "podman") {
    return {
        "no NVIDIA device nodes: the container was started without GPU injection — podman "
        "< 5 ignores `--gpus`",
        request_gpus_hint(facts)};
  }
  if (facts.engine == "docker") {
    return {
        "no NVIDIA device nodes: the container was started without GPU injection (no "
        "`--gpus`)",
        request_gpus_hint(facts)};
  }
  if (facts.engine == "kubernetes") {
    return {"no NVIDIA device nodes: the pod was scheduled without a GPU",
            request_gpus_hint(facts) + "; NVIDIA_VISIBLE_DEVICES in the image allocates nothing"};
  }
  return {"no NVIDIA device nodes: the container was started without GPU injection",
          request_gpus_hint(facts)};
}

const std::string kStaleHint =
    "the node is not the NVIDIA driver's: regenerate the CDI spec (" + std::string(kCdiGenerate) +
    ") and recreate the container; never create /dev/nvidia* in the image";
const std::string kCtlHint =
    "the injection is incomplete: regenerate the CDI spec (" + std::string(kCdiGenerate) +
    ") or also pass `--device /dev/nvidiactl`; every GPU needs the control node";
const std::string kUvmHint =
    "host: `nvidia-modprobe -u -c=0` (CUDA init fails with CUDA_ERROR_UNKNOWN without it), then "
    "regenerate the CDI spec";

// ---- device-access ------------------------------------------------------------------------

// The process's effective uid and groups, from /proc/self/status (nullopt uid when unreadable).
struct Identity {
  std::optional<unsigned> uid;
  std::vector<unsigned> gids;
};

std::vector<unsigned> numbers_after(std::string_view text, std::string_view key) {
  std::vector<unsigned> out;
  auto pos = text.find(key);
  if (pos == std::string_view::npos) return out;
  auto eol = text.find('\n', pos);
  std::string line(
      text.substr(pos + key.size(), eol == std::string_view::npos ? eol : eol - pos - key.size()));
  unsigned v = 0;
  int used = 0;
  for (const char* p = line.c_str(); std::sscanf(p, "%u%n", &v, &used) == 1; p += used) {
    out.push_back(v);
  }
  return out;
}

Identity read_identity(const Sysroot& fs) {
  Identity id;
  auto file = fs.read_file("/proc/self/status");
  if (!file) return id;
  const std::string status = "\n" + *file;  // every key, the first included, follows a newline
  auto uids = numbers_after(status, "\nUid:");
  if (uids.size() >= 2) id.uid = uids[1];  // real, effective, saved, fs
  auto gids = numbers_after(status, "\nGid:");
  if (gids.size() >= 2) id.gids.push_back(gids[1]);
  for (unsigned g : numbers_after(status, "\nGroups:")) id.gids.push_back(g);
  return id;
}

// Whether the permission bits let this identity read and write the node (root bypasses them).
std::optional<bool> mode_allows_rw(const NodeInfo& n, const Identity& id) {
  if (!id.uid) return std::nullopt;
  if (*id.uid == 0) return true;
  if (*id.uid == n.uid) return (n.mode & 0600) == 0600;
  if (std::find(id.gids.begin(), id.gids.end(), n.gid) != id.gids.end()) {
    return (n.mode & 0060) == 0060;
  }
  return (n.mode & 0006) == 0006;
}

// The SELinux type of this process ("container_t"), or "" when not under SELinux.
std::string selinux_type(const Sysroot& fs) {
  auto label = fs.read_file("/proc/self/attr/current");
  if (!label) return {};
  std::string l = *label;
  while (!l.empty() && (l.back() == '\0' || l.back() == '\n' || l.back() == ' ')) l.pop_back();
  // SELinux contexts are user:role:type:level; AppArmor labels ("docker-default (enforce)") are
  // not.
  auto c1 = l.find(':');
  auto c2 = c1 == std::string::npos ? c1 : l.find(':', c1 + 1);
  auto c3 = c2 == std::string::npos ? c2 : l.find(':', c2 + 1);
  if (c3 == std::string::npos) return {};
  return l.substr(c2 + 1, c3 - c2 - 1);
}

struct Denial {
  std::string message;
  std::string hint;
};

Denial eacces_denial(const Context& ctx, const std::vector<const ScannedNode*>& nodes) {
  const ScannedNode& first = *nodes.front();
  std::vector<std::string> paths;
  for (const ScannedNode* n : nodes) paths.push_back(n->path);
  Identity id = read_identity(ctx.fs);
  std::string se_type = selinux_type(ctx.fs);
  std::optional<bool> allowed = mode_allows_rw(first.info, id);
  std::string detail = "mode " + mode_string(first.info.mode) + " owner " +
                       std::to_string(first.info.uid) + ":" + std::to_string(first.info.gid);
  if (id.uid) detail += ", process uid " + std::to_string(*id.uid);
  if (!se_type.empty()) detail += ", SELinux type " + se_type;

  const std::string selinux_fix =
      "`--security-opt label=disable` or `setsebool -P container_use_devices on`";
  const std::string mode_fix =
      "with --user, the node's mode/group must allow the user (e.g. 0666 or --group-add)";
  Denial d;
  if (allowed == false) {
    d.message = "permission denied opening " + join(paths, ", ") + " (EACCES; " + detail +
                "): the file mode denies this user";
    d.hint = "file mode: " + mode_fix + "; if that is not it, SELinux: " + selinux_fix;
  } else if (allowed == true && !se_type.empty()) {
    d.message = "permission denied opening " + join(paths, ", ") + " (EACCES; " + detail +
                "): the mode allows it, so SELinux is the likelier cause";
    d.hint = "SELinux: " + selinux_fix + "; " + mode_fix;
  } else {
    d.message = "permission denied opening " + join(paths, ", ") + " (EACCES; " + detail + ")";
    d.hint = "SELinux or file mode: " + selinux_fix + "; " + mode_fix;
  }
  return d;
}

}  // namespace

CheckResult device_nodes(const Context& ctx, Facts& facts) {
  std::vector<ScannedNode> nodes = scan_nodes(ctx.fs);
  nlohmann::json metrics = {{"nodes", nlohmann::json::object()}};
  std::vector<std::string> stale;
  int gpus = 0;
  int mig_caps = 0;
  std::vector<std::string> extras;
  for (const ScannedNode& n : nodes) {
    nlohmann::json j = node_json(n.info);
    if (!n.problem.empty()) {
      j["problem"] = n.problem;
      stale.push_back(n.path + " (" + n.problem + ")");
    } else {
      switch (n.role) {
        case Role::Gpu:
          ++gpus;
          break;
        case Role::Ctl:
          facts.ctl_node = true;
          break;
        case Role::Uvm:
          facts.uvm_node = true;
          break;
        case Role::UvmTools:
          extras.emplace_back("nvidia-uvm-tools");
          break;
        case Role::Modeset:
          extras.emplace_back("nvidia-modeset");
          break;
        case Role::MigCap:
          ++mig_caps;
          break;
      }
    }
    metrics["nodes"][n.path] = std::move(j);
  }
  facts.gpu_nodes = gpus;
  metrics["gpu_nodes"] = gpus;
  metrics["ctl_node"] = facts.ctl_node;
  metrics["uvm_node"] = facts.uvm_node;
  metrics["mig_caps"] = mig_caps;

  auto fail = [&](std::string message, std::string hint) {
    facts.block(blocker_priority::kNoInjection, "device-nodes", message, hint);
    CheckResult r = make_result({}, {}, Status::Fail, std::move(message), std::move(hint));
    r.metrics = std::move(metrics);
    return r;
  };

  if (gpus == 0) {
    if (stale.empty()) {
      if (auto why = deliberately_no_gpu(ctx, facts)) {
        // Expected: the visible-devices check owns this blocker.
        CheckResult r = make_result(
            {}, {}, Status::Warn, "no GPU requested (" + *why + "): no NVIDIA device nodes",
            "to use a GPU set NVIDIA_VISIBLE_DEVICES=all or pass `--device nvidia.com/gpu=all`; "
            "ignore if this container should have none");
        r.metrics = std::move(metrics);
        return r;
      }
      Advice a = no_nodes_advice(facts);
      return fail(a.cause, a.hint);
    }
    return fail("no usable GPU node, only stale or fake ones: " + join(stale, "; "), kStaleHint);
  }

  // GPU nodes are there: everything that is wrong besides, most fundamental first.
  std::vector<std::string> problems;
  std::string hint;
  auto note = [&](std::string problem, const std::string& problem_hint) {
    problems.push_back(std::move(problem));
    if (hint.empty()) hint = problem_hint;
  };
  if (!stale.empty()) note("stale or fake node " + join(stale, "; "), kStaleHint);
  if (!facts.ctl_node && !ctx.fs.stat("/dev/nvidiactl").exists) {
    note("/dev/nvidiactl missing while GPU nodes are present", kCtlHint);
  }
  if (!facts.uvm_node && !ctx.fs.stat("/dev/nvidia-uvm").exists) {
    note("/dev/nvidia-uvm missing", kUvmHint);
  }
  if (!problems.empty()) return fail(join(problems, "; "), hint);

  std::string message =
      std::to_string(gpus) + " GPU node" + (gpus == 1 ? "" : "s") + ", nvidiactl, nvidia-uvm";
  if (!extras.empty()) message += ", " + join(extras, ", ");
  if (mig_caps > 0) message += ", " + std::to_string(mig_caps) + " MIG capability nodes";
  CheckResult r = make_result({}, {}, Status::Pass, std::move(message));
  r.metrics = std::move(metrics);
  return r;
}

CheckResult device_access(const Context& ctx, Facts& facts) {
  // MIG capability nodes are opened read-only by the driver (mode 0444/0400), so not tried here.
  std::vector<ScannedNode> targets;
  for (ScannedNode& n : scan_nodes(ctx.fs)) {
    if (n.problem.empty() && n.role != Role::MigCap) targets.push_back(std::move(n));
  }
  if (targets.empty()) {
    return make_result({}, {}, Status::Skip, "no NVIDIA device nodes to open");
  }

  nlohmann::json metrics = {{"nodes", nlohmann::json::object()}};
  std::vector<const ScannedNode*> eperm, eacces;
  std::vector<std::pair<const ScannedNode*, int>> no_driver, other;
  for (const ScannedNode& n : targets) {
    int err = ctx.fs.open_rw_errno(n.path);
    metrics["nodes"][n.path] = err == 0 ? std::string("ok") : errno_name(err);
    if (err == 0) continue;
    if (err == EPERM) {
      eperm.push_back(&n);
    } else if (err == EACCES) {
      eacces.push_back(&n);
    } else if (err == ENXIO || err == ENODEV) {
      no_driver.emplace_back(&n, err);
    } else {
      other.emplace_back(&n, err);
    }
  }

  std::vector<std::string> parts;
  std::string hint;
  if (!eperm.empty()) {
    std::vector<std::string> paths;
    for (const ScannedNode* n : eperm) paths.push_back(n->path);
    parts.push_back("cgroup device rules deny " + join(paths, ", ") + " (EPERM)");
    hint =
        "the cgroup device allow-list was lost (e.g. after `systemctl daemon-reload` on the "
        "host) or the node was not passed with --device: recreate the container; prefer CDI";
  }
  if (!eacces.empty()) {
    Denial d = eacces_denial(ctx, eacces);
    parts.push_back(d.message);
    if (hint.empty()) hint = d.hint;
  }
  if (!no_driver.empty()) {
    std::vector<std::string> nodes;
    for (const auto& [n, err] : no_driver) nodes.push_back(n->path + " (" + errno_name(err) + ")");
    parts.push_back("node present but no driver behind it: " + join(nodes, ", ") +
                    ": stale CDI spec or driver not loaded on the host");
    if (hint.empty()) {
      hint = "on the host check `nvidia-smi`, regenerate the CDI spec (" +
             std::string(kCdiGenerate) + ") and recreate the container";
    }
  }
  for (const auto& [n, err] : other) {
    parts.push_back("open(" + n->path + ", O_RDWR) failed: " + errno_name(err) + " (" +
                    std::generic_category().message(err) + ")");
  }
  if (hint.empty()) {
    hint = "check `dmesg` on the host for NVRM errors and recreate the container";
  }

  if (parts.empty()) {
    CheckResult r = make_result({}, {}, Status::Pass,
                                std::to_string(targets.size()) + " device nodes open read-write");
    r.metrics = std::move(metrics);
    return r;
  }
  std::string message = join(parts, "; ");
  facts.block(blocker_priority::kNodeAccess, "device-access", message, hint);
  CheckResult r = make_result({}, {}, Status::Fail, std::move(message), std::move(hint));
  r.metrics = std::move(metrics);
  return r;
}

}  // namespace gpuval::checks
