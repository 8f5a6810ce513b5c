// How the NVIDIA driver got into the container, read from what each mechanism leaves behind:
//   legacy hook (nvidia-container-runtime-hook / nvidia-container-cli): a tmpfs over
//     /proc/driver/nvidia (it masks the host's list of GPUs) plus bind-mounted driver files;
//   CDI (nvidia-ctk generated spec): $NVIDIA_CTK_LIBCUDA_DIR (toolkit >= 1.18), tmpfs mounts at
//     /run/nvidia-ctk-hook*, driver files bind-mounted without the /proc tmpfs, and
//     NVIDIA_VISIBLE_DEVICES=void (the spec sets it so the legacy hook does not inject twice).
// In a container with none of these, the GPU was never requested or the engine ignored the
// request: podman < 5 accepts `--gpus all` and silently does nothing.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <string>
#include <vector>

#include "validate/checks.hpp"
#include "validate/container/gpu_request_hint.hpp"
#include "validate/parsers/mountinfo.hpp"

namespace gpuval::checks {
namespace {

constexpr std::string_view kProcDriver = "/proc/driver/nvidia";

std::string_view basename_of(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A bind mount of a user-space driver file: libraries, tools, firmware, the persistenced socket.
bool is_driver_file_mount(const MountEntry& m) {
  const std::string_view p = m.mount_point;
  if (p.starts_with("/run/nvidia-persistenced/") || p.starts_with("/lib/firmware/nvidia/") ||
      p.starts_with("/usr/lib/firmware/nvidia/")) {
    return true;
  }
  if (p.starts_with(kProcDriver) && p.size() > kProcDriver.size()) return true;
  const std::string_view name = basename_of(p);
  static constexpr std::array kLibPrefixes = {
      "libcuda.so",       "libcudadebugger.so",  "libnvidia-",
      "libnvcuvid.so",    "libnvoptix.so",       "libGLX_nvidia.so",
      "libEGL_nvidia.so", "libGLESv2_nvidia.so", "libGLESv1_CM_nvidia.so"};
  for (std::string_view prefix : kLibPrefixes) {
    if (name.starts_with(prefix)) return true;
  }
  static constexpr std::array kTools = {"nvidia-smi", "nvidia-debugdump", "nvidia-persistenced",
                                        "nvidia-cuda-mps-control", "nvidia-cuda-mps-server"};
  for (std::string_view tool : kTools) {
    if (name == tool) return true;
  }
  return false;
}

std::vector<std::string> gpu_device_nodes(const Context& ctx) {
  std::vector<std::string> nodes;
  for (const std::string& name : ctx.fs.list_dir("/dev")) {
    bool numbered = name.size() > 6 && name.starts_with("nvidia") &&
                    name.find_first_not_of("0123456789", 6) == std::string::npos;
    if (name == "nvidiactl" || numbered) nodes.push_back("/dev/" + name);
  }
  return nodes;
}

}  // namespace

CheckResult injection(const Context& ctx, Facts& facts) {
  std::vector<std::string> evidence;
  bool legacy = false, cdi = false;

  std::optional<std::string> libcuda_dir = ctx.env.get("NVIDIA_CTK_LIBCUDA_DIR");
  if (libcuda_dir) {
    cdi = true;
    evidence.push_back("NVIDIA_CTK_LIBCUDA_DIR=" + *libcuda_dir);
  }

  std::optional<MountTable> mounts = read_mountinfo(ctx.fs);
  std::vector<std::string> driver_files;
  if (mounts) {
    for (const MountEntry& m : mounts->entries) {
      if (m.mount_point == kProcDriver && m.fs_type == "tmpfs") {
        legacy = true;
        evidence.push_back(fmt::format("tmpfs on {} (legacy hook)", kProcDriver));
      } else if (m.mount_point.starts_with("/run/nvidia-ctk-hook")) {
        cdi = true;
        evidence.push_back(fmt::format("{} on {} (nvidia-ctk CDI hook)", m.fs_type, m.mount_point));
      } else if (is_driver_file_mount(m)) {
        driver_files.push_back(m.mount_point);
      }
    }
  }
  const std::vector<std::string> nodes = gpu_device_nodes(ctx);
  const std::string visible = ctx.env.get("NVIDIA_VISIBLE_DEVICES").value_or("");
  if (!legacy && !cdi && !driver_files.empty()) {
    cdi = true;
    evidence.push_back("driver files bind-mounted without the legacy hook's tmpfs (CDI-style)");
  }
  if (!legacy && !cdi && visible == "void" && !nodes.empty()) {
    cdi = true;
    evidence.push_back("NVIDIA_VISIBLE_DEVICES=void (set by CDI specs) with " + nodes.front());
  }
  if (!driver_files.empty()) {
    evidence.push_back(
        fmt::format("{} driver file mount(s), e.g. {}", driver_files.size(), driver_files.front()));
  }

  facts.injection = legacy ? "legacy-hook" : cdi ? "cdi" : "none";

  CheckResult r;
  r.metrics["mechanism"] = facts.injection;
  r.metrics["evidence"] = evidence;
  r.metrics["driver_file_mounts"] = driver_files.size();
  r.metrics["driver_file_mount_examples"] = std::vector<std::string>(
      driver_files.begin(), driver_files.begin() + std::min<size_t>(driver_files.size(), 8));
  r.metrics["device_nodes"] = nodes;
  if (libcuda_dir) r.metrics["NVIDIA_CTK_LIBCUDA_DIR"] = *libcuda_dir;
  if (mounts && !mounts->malformed.empty()) {
    r.metrics["mountinfo_malformed_lines"] = mounts->malformed.size();
  }

  if (legacy || cdi) {
    r.status = Status::Pass;
    std::string what = legacy ? "legacy nvidia-container-runtime hook" : "CDI";
    if (legacy && cdi) what += " (CDI evidence too: both may have injected)";
    r.message = fmt::format("{}: {}", what, fmt::join(evidence, "; "));
    return r;
  }
  if (!facts.in_container) {
    r.status = Status::Skip;
    r.message = "bare metal: nothing to inject";
    return r;
  }
  if (visible == "void" || visible == "none") {
    r.status = Status::Skip;
    r.message =
        fmt::format("NVIDIA_VISIBLE_DEVICES={}: no GPU requested, nothing injected", visible);
    return r;
  }
  const std::string hint = request_gpus_hint(facts);
  if (!mounts) {
    r.status = Status::Warn;
    r.message = "cannot read /proc/self/mountinfo: injection mechanism unknown";
    r.hint = "run gpuval with /proc mounted (the default in every engine); " + hint;
    return r;
  }
  if (!nodes.empty()) {
    r.status = Status::Warn;
    r.message = fmt::format(
        "{} present but no driver files injected (manual --device?): the driver libraries must "
        "come from the image",
        fmt::join(nodes, ", "));
    r.hint = hint;
    return r;
  }
  r.status = Status::Fail;
  const std::string engine = facts.engine == "unknown-container" ? "" : facts.engine + " ";
  r.message = fmt::format(
      "no NVIDIA driver injected into this {}container: no CDI variable, no driver mounts, no "
      "hook tmpfs",
      engine);
  r.hint = hint;
  facts.block(blocker_priority::kNoInjection, "injection", r.message, r.hint);
  return r;
}

}  // namespace gpuval::checks
