#include "validate/container/gpu_request_hint.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>

namespace gpuval {
namespace {

std::optional<int> major_version(const std::string& version) {
  int major = 0;
  auto [ptr, ec] = std::from_chars(version.data(), version.data() + version.size(), major);
  if (ec != std::errc() || ptr == version.data()) return std::nullopt;
  return major;
}

std::string podman_hint(const std::string& version) {
  std::optional<int> major = major_version(version);
  if (major && *major >= 5) {
    return fmt::format(
        "podman {} maps --gpus to CDI: generate the spec on the host ({}) and run with "
        "`--gpus all` or `--device nvidia.com/gpu=all`",
        version, kCdiGenerate);
  }
  std::string who = major ? fmt::format("podman {}", version) : std::string("podman < 5");
  return fmt::format(
      "{} ignores --gpus; generate a CDI spec on the host ({}) and run with "
      "`--device nvidia.com/gpu=all`",
      who, kCdiGenerate);
}

}  // namespace

std::string request_gpus_hint(const Facts& facts) {
  if (facts.engine == "podman") return podman_hint(facts.engine_version);
  if (facts.engine == "docker") {
    return "run with `--gpus all` and configure nvidia-container-toolkit on the host "
           "(`nvidia-ctk runtime configure --runtime=docker`, then restart docker)";
  }
  if (facts.engine == "kubernetes") {
    return "request `nvidia.com/gpu` in the container's resources.limits and check that the "
           "NVIDIA device plugin / GPU operator runs on this node";
  }
  if (facts.engine == "containerd") {
    return "run with `nerdctl run --gpus all`, or configure the runtime on the host "
           "(`nvidia-ctk runtime configure --runtime=containerd`)";
  }
  if (facts.engine == "lxc") {
    return "Incus/LXD: add a `gpu` device and set `nvidia.runtime=true` (Incus also takes the CDI "
           "id `nvidia.com/gpu=all`); plain LXC: `lxc.hook.mount = /usr/share/lxc/hooks/nvidia`";
  }
  return fmt::format(
      "inject the driver with CDI: run {} on the host, then `--device nvidia.com/gpu=all`",
      kCdiGenerate);
}

}  // namespace gpuval
