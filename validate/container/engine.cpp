// Which container engine (if any) this process runs under, seen from inside. Later checks
// tailor their hints to it (podman wants `--device nvidia.com/gpu=all`, docker `--gpus all`).
//
// Evidence, strongest first:
//   $KUBERNETES_SERVICE_HOST, the service-account mount, "kubepods" cgroups    -> kubernetes
//   /run/.containerenv (podman; holds engine="podman-X.Y.Z" only when --privileged),
//   $container=podman, "libpod" cgroups, containers/storage overlay root        -> podman
//   /.dockerenv, $container=docker, docker cgroups, /var/lib/docker overlay root -> docker
//   $container=lxc, lxc cgroups                                                 -> lxc
//   cri-containerd cgroups, /var/lib/containerd overlay root                    -> containerd
//   any other $container or /run/systemd/container value                        ->
//   unknown-container
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "validate/checks.hpp"
#include "validate/parsers/mountinfo.hpp"
#include "validate/parsers/proc_parse.hpp"

namespace gpuval::checks {
namespace {

struct Signals {
  bool kubernetes = false, podman = false, docker = false, lxc = false, containerd = false;
  bool other = false;
  std::string runtime;  // the runtime under kubernetes, when a cgroup name says
  std::string other_name;
  std::vector<std::string> evidence;
};

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// $container and /run/systemd/container use the same vocabulary (systemd's "container
// interface"): podman, docker, lxc, lxc-libvirt, systemd-nspawn, oci, ...
void classify_container_name(const std::string& name, const std::string& source, Signals& s) {
  if (name.empty()) return;
  s.evidence.push_back(fmt::format("{}={}", source, name));
  if (name == "podman") {
    s.podman = true;
  } else if (name == "docker") {
    s.docker = true;
  } else if (name.starts_with("lxc")) {
    s.lxc = true;
  } else {
    s.other = true;
    s.other_name = name;
  }
}

void classify_cgroup_path(const std::string& path, Signals& s) {
  auto note = [&](bool& flag, const char* what) {
    if (!flag) s.evidence.push_back(fmt::format("cgroup {} ({})", path, what));
    flag = true;
  };
  if (path.find("kubepods") != std::string::npos) note(s.kubernetes, "kubernetes pod");
  if (path.find("libpod") != std::string::npos) note(s.podman, "podman");
  if (path.find("/docker/") != std::string::npos ||
      (path.find("docker-") != std::string::npos && path.find(".scope") != std::string::npos)) {
    note(s.docker, "docker");
  }
  if (path.find("cri-containerd") != std::string::npos) {
    note(s.containerd, "containerd");
    s.runtime = "containerd";
  }
  if (path.find("crio-") != std::string::npos) {
    s.runtime = "cri-o";
    s.evidence.push_back(fmt::format("cgroup {} (cri-o)", path));
  }
  if (path.find("/lxc/") != std::string::npos || path.find("lxc.payload") != std::string::npos) {
    note(s.lxc, "lxc");
  }
}

void read_cgroup_hints(const Context& ctx, Signals& s) {
  std::optional<std::string> text = ctx.fs.read_file("/proc/1/cgroup");
  if (!text) text = ctx.fs.read_file("/proc/self/cgroup");
  if (!text) return;
  Parsed<std::vector<CgroupMembership>> lines = parse_proc_cgroup(*text);
  if (!lines) return;  // engine detection is best effort; cgroup checks report bad files
  for (const CgroupMembership& m : *lines.value) classify_cgroup_path(m.path, s);
}

// The root filesystem's overlay layers name the engine's storage directory.
void read_root_mount_hints(const Context& ctx, Signals& s) {
  std::optional<MountTable> mounts = read_mountinfo(ctx.fs);
  if (!mounts) return;
  const MountEntry* root = mounts->at("/");
  if (root == nullptr) return;
  const std::string where = root->source + " " + root->super_options;
  auto note = [&](bool& flag, const char* what) {
    s.evidence.push_back(fmt::format("root filesystem in {} storage", what));
    flag = true;
  };
  if (where.find("/var/lib/docker/") != std::string::npos) note(s.docker, "docker");
  if (where.find("containers/storage") != std::string::npos) note(s.podman, "podman");
  if (where.find("containerd") != std::string::npos) note(s.containerd, "containerd");
}

}  // namespace

CheckResult engine(const Context& ctx, Facts& facts) {
  Signals s;
  nlohmann::json containerenv_json = nullptr;
  std::string version;

  if (auto env = ctx.env.get("KUBERNETES_SERVICE_HOST")) {
    s.kubernetes = true;
    s.evidence.push_back("KUBERNETES_SERVICE_HOST=" + *env);
  }
  for (const char* dir : {"/run/secrets/kubernetes.io", "/var/run/secrets/kubernetes.io"}) {
    if (!s.kubernetes && ctx.fs.exists(dir)) {
      s.kubernetes = true;
      s.evidence.push_back(std::string(dir) + " exists");
    }
  }

  if (ctx.fs.exists("/run/.containerenv")) {
    s.podman = true;  // CRI-O writes it too; under kubernetes that case is reported as such
    s.evidence.push_back("/run/.containerenv exists");
    KeyValues kv = parse_key_values(ctx.fs.read_file("/run/.containerenv").value_or(""));
    containerenv_json = nlohmann::json::object();
    for (const auto& [k, v] : kv.values) containerenv_json[k] = v;
    if (!kv.malformed.empty()) containerenv_json["malformed_lines"] = kv.malformed;
    if (auto it = kv.values.find("engine"); it != kv.values.end()) {
      s.evidence.push_back("containerenv engine=" + it->second);
      if (it->second.starts_with("podman-")) version = it->second.substr(7);
      if (it->second.starts_with("cri-o")) s.runtime = "cri-o";
    }
    if (auto it = kv.values.find("rootless"); it != kv.values.end()) {
      if (it->second == "1") facts.rootless = true;
      if (it->second == "0") facts.rootless = false;
    }
  }
  classify_container_name(ctx.env.get("container").value_or(""), "$container", s);
  classify_container_name(trimmed(ctx.fs.read_file("/run/systemd/container").value_or("")),
                          "/run/systemd/container", s);
  if (ctx.fs.exists("/.dockerenv")) {
    s.docker = true;
    s.evidence.push_back("/.dockerenv exists");
  }
  read_cgroup_hints(ctx, s);
  read_root_mount_hints(ctx, s);

  std::string name = "none";
  if (s.kubernetes) {
    name = "kubernetes";
    if (s.runtime.empty() && s.containerd) s.runtime = "containerd";
    if (s.runtime.empty() && s.docker) s.runtime = "docker";
  } else if (s.podman) {
    name = "podman";
  } else if (s.docker) {
    name = "docker";
  } else if (s.lxc) {
    name = "lxc";
  } else if (s.containerd) {
    name = "containerd";
  } else if (s.other) {
    name = "unknown-container";
  }
  if (name != "podman") version.clear();

  facts.engine = name;
  facts.engine_version = version;
  facts.in_container = name != "none";

  CheckResult r;
  r.metrics["engine"] = name;
  r.metrics["engine_version"] = version.empty() ? nlohmann::json(nullptr) : nlohmann::json(version);
  r.metrics["evidence"] = s.evidence;
  if (!s.runtime.empty()) r.metrics["runtime"] = s.runtime;
  if (!s.other_name.empty()) r.metrics["container_name"] = s.other_name;
  if (!containerenv_json.is_null()) r.metrics["containerenv"] = containerenv_json;
  if (facts.rootless) r.metrics["rootless"] = *facts.rootless;

  if (!facts.in_container) {
    r.status = Status::Pass;
    r.message = "bare metal (no container detected)";
    return r;
  }
  std::string label = name;
  if (name == "unknown-container") label = fmt::format("container ({})", s.other_name);
  if (!version.empty()) label += " " + version;
  if (!s.runtime.empty()) label += fmt::format(" (runtime {})", s.runtime);
  if (facts.rootless.value_or(false)) label += " (rootless)";
  r.status = Status::Pass;
  r.message = fmt::format("{}; evidence: {}", label, fmt::join(s.evidence, ", "));
  return r;
}

}  // namespace gpuval::checks
