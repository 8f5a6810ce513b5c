// gpu-visibility: do the GPUs NVML enumerates match what NVIDIA_VISIBLE_DEVICES asked the
// container runtime for (count, and UUIDs / PCI ids where named), and does the CUDA driver see
// what NVML sees, narrowed by CUDA_VISIBLE_DEVICES (which only CUDA reads)?
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "core/plural.hpp"
#include "validate/checks.hpp"
#include "validate/parsers/device_list.hpp"
#include "validate/findings.hpp"
#include "core/pci_address.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::vector<std::string> nvml_uuids(const NvmlInventory& inv) {
  std::vector<std::string> out;
  for (const NvmlDevice& d : inv.devices) {
    if (d.uuid) out.push_back(*d.uuid);
  }
  return out;
}

// Devices whose UUID starts with `token` (a full UUID or a unique prefix, any case).
std::size_t uuid_matches(const NvmlInventory& inv, std::string_view token) {
  const std::string t = lower(token);
  return static_cast<std::size_t>(
      std::count_if(inv.devices.begin(), inv.devices.end(),
                    [&](const NvmlDevice& d) { return d.uuid && lower(*d.uuid).starts_with(t); }));
}

bool pci_present(const NvmlInventory& inv, std::string_view token) {
  const auto want = parse_pci(token);
  return want && std::any_of(inv.devices.begin(), inv.devices.end(), [&](const NvmlDevice& d) {
           return d.pci_bus_id && parse_pci(*d.pci_bus_id) == want;
         });
}

bool any_mig(const NvmlInventory& inv) {
  return std::any_of(inv.devices.begin(), inv.devices.end(),
                     [](const NvmlDevice& d) { return d.mig_enabled.value_or(false); });
}

std::string request_gpus_hint(const Facts& facts) {
  if (facts.engine == "docker") return "docker: run with --gpus all (or --gpus '\"device=0,1\"')";
  if (facts.engine == "kubernetes") {
    return "request nvidia.com/gpu in the pod's resources.limits";
  }
  return "pass the GPUs: --device nvidia.com/gpu=all (CDI; podman < 5 ignores --gpus)";
}

constexpr std::string_view kOtherGpusHint =
    "the container got other GPUs than requested: compare the IDs with `nvidia-smi -L` on the "
    "host; with CDI regenerate the spec (`nvidia-ctk cdi generate`) after a GPU swap or reboot";

// NVIDIA_VISIBLE_DEVICES (the request to the container runtime) against NVML.
void check_nvidia_request(const Context& ctx, const Facts& facts, const NvmlInventory& inv,
                          Findings& f, json& m) {
  const NvidiaVisibleDevices p =
      parse_nvidia_visible_devices(ctx.env.get("NVIDIA_VISIBLE_DEVICES"));
  const std::size_t n = inv.device_count;
  m["nvidia_visible_devices"] = {{"raw", p.raw ? json(*p.raw) : json(nullptr)},
                                 {"mode", std::string(to_string(p.mode))}};
  if (!facts.in_container) {
    f.note("bare metal: NVIDIA_VISIBLE_DEVICES is not applied");
    return;
  }
  switch (p.mode) {
    case NvidiaDevicesMode::Unset:
    case NvidiaDevicesMode::Empty:
    case NvidiaDevicesMode::Void:
    case NvidiaDevicesMode::None:
      // Nothing to compare: no request (or, with CDI, a request this variable does not show).
      f.note(fmt::format("NVIDIA_VISIBLE_DEVICES {}: no device list to compare{}",
                         to_string(p.mode),
                         facts.injection == "cdi" ? " (CDI: the request is --device ...)" : ""));
      return;
    case NvidiaDevicesMode::All:
      if (n == 0) {
        f.problem(Status::Fail, "all GPUs requested, but NVML enumerates none",
                  request_gpus_hint(facts));
      } else {
        f.note("all GPUs requested: NVML enumerates " + plural(n, "GPU", "GPUs"));
      }
      return;
    case NvidiaDevicesMode::List:
      break;
  }
  if (p.entries.empty()) {
    f.note("NVIDIA_VISIBLE_DEVICES lists no valid device (see nvidia-visible-devices)");
    return;
  }
  if (p.requests_all()) {
    if (n == 0) {
      f.problem(Status::Fail, "all GPUs requested (CDI name), but NVML enumerates none",
                request_gpus_hint(facts));
    }
    return;
  }

  std::vector<std::string> missing;
  for (const DeviceId& e : p.entries) {
    const DeviceIdKind kind =
        e.kind == DeviceIdKind::CdiName && e.cdi_target ? *e.cdi_target : e.kind;
    const std::string& token = e.kind == DeviceIdKind::CdiName ? e.cdi_device : e.token;
    if (kind == DeviceIdKind::GpuUuid && uuid_matches(inv, token) == 0) missing.push_back(token);
    if (kind == DeviceIdKind::PciBusId && !pci_present(inv, token)) missing.push_back(token);
  }
  m["nvidia_visible_devices"]["missing"] = missing;
  if (!missing.empty()) {
    f.problem(Status::Fail,
              fmt::format("requested {} not among the GPUs NVML enumerates ({})", joined(missing),
                          n == 0 ? "none" : joined(nvml_uuids(inv))),
              std::string(kOtherGpusHint));
  }

  const std::size_t whole = p.whole_gpu_count();
  const std::size_t mig = p.mig_count();
  const std::size_t opaque = p.opaque_count();
  m["nvidia_visible_devices"]["whole_gpus_requested"] = whole;
  m["nvidia_visible_devices"]["mig_devices_requested"] = mig;
  if (mig > 0 && !any_mig(inv)) {
    f.problem(Status::Warn,
              fmt::format("{} requested, but no GPU NVML enumerates has MIG enabled",
                          plural(mig, "MIG device", "MIG devices")),
              "enable MIG on the host (`nvidia-smi -i <n> -mig 1`, then create GPU/compute "
              "instances) or request whole GPUs");
  }
  if (mig > 0 || opaque > 0) {
    if (n == 0) {
      f.problem(Status::Fail, "devices requested, but NVML enumerates no GPU",
                request_gpus_hint(facts));
    }
    return;  // MIG devices share their parent GPU: no exact count to expect
  }
  if (n < whole) {
    f.problem(Status::Fail,
              fmt::format("requested {}, NVML enumerates {}", plural(whole, "GPU", "GPUs"), n),
              "request each GPU (--device nvidia.com/gpu=<id> or --gpus '\"device=0,1\"') and "
              "check the IDs exist on the host with `nvidia-smi -L`");
  } else if (n > whole) {
    f.problem(Status::Warn,
              fmt::format("requested {}, but NVML enumerates {}: the container reaches GPUs it "
                          "did not ask for",
                          plural(whole, "GPU", "GPUs"), n),
              facts.privileged ? "--privileged exposes every host GPU: drop it, or set "
                                 "CUDA_VISIBLE_DEVICES to the GPUs wanted"
                               : "remove extra --device /dev/nvidiaN options, or set "
                                 "CUDA_VISIBLE_DEVICES to the GPUs wanted");
  } else if (missing.empty()) {
    f.note(
        fmt::format("requested {}: NVML enumerates exactly those", plural(whole, "GPU", "GPUs")));
  }
}

// What CUDA should enumerate given NVML's devices and CUDA_VISIBLE_DEVICES; nullopt when it
// cannot be predicted (MIG). Problems with UUIDs NVML does not know are recorded.
std::optional<std::size_t> expected_cuda_count(const Context& ctx, const NvmlInventory& inv,
                                               Findings& f, json& m) {
  const CudaVisibleDevices p = parse_cuda_visible_devices(ctx.env.get("CUDA_VISIBLE_DEVICES"));
  m["cuda_visible_devices"] = p.raw ? json(*p.raw) : json(nullptr);
  if (any_mig(inv)) return std::nullopt;  // CUDA enumerates MIG instances, NVML whole GPUs
  if (p.all_devices()) return inv.device_count;
  std::size_t expected = 0;
  for (const DeviceId& e : p.effective) {
    if (e.kind == DeviceIdKind::Index) {
      if (static_cast<unsigned>(e.index) >= inv.device_count) break;  // CUDA stops here
      ++expected;
    } else if (e.kind == DeviceIdKind::GpuUuid) {
      const std::size_t matches = uuid_matches(inv, e.token);
      if (matches != 1) {
        f.problem(Status::Fail,
                  fmt::format("CUDA_VISIBLE_DEVICES names {}, which {} NVML device: CUDA ignores "
                              "it and every entry after it",
                              e.token, matches == 0 ? "matches no" : "matches more than one"),
                  "use full GPU UUIDs of this container's GPUs (`nvidia-smi -L` inside it), or "
                  "unset CUDA_VISIBLE_DEVICES");
        break;
      }
      ++expected;
    } else {
      return std::nullopt;  // MIG UUID: resolved by CUDA only
    }
  }
  return expected;
}

void check_cuda_agrees(const Context& ctx, const Facts& facts, const NvmlInventory& inv,
                       Findings& f, json& m) {
  const std::optional<std::size_t> expected = expected_cuda_count(ctx, inv, f, m);
  m["cuda_expected"] = expected ? json(*expected) : json(nullptr);
  if (!facts.cuda || facts.cuda->init_code != 0) {
    m["cuda_count"] = nullptr;
    f.note("CUDA driver not initialised (see cuda-driver): NVML/CUDA comparison skipped");
    return;
  }
  const std::size_t c = static_cast<std::size_t>(std::max(facts.cuda->device_count, 0));
  m["cuda_count"] = c;
  if (!expected) {
    f.note(
        fmt::format("CUDA enumerates {} (MIG instances or MIG UUIDs: not compared with NVML's "
                    "{}; see mig-devices)",
                    plural(c, "device", "devices"), plural(inv.device_count, "GPU", "GPUs")));
    return;
  }
  const bool narrowed = ctx.env.get("CUDA_VISIBLE_DEVICES").has_value();
  const std::string why = narrowed ? " (after CUDA_VISIBLE_DEVICES)" : "";
  if (c < *expected) {
    f.problem(Status::Fail,
              fmt::format("CUDA enumerates {}, NVML {}{}", plural(c, "device", "devices"),
                          plural(*expected, "GPU", "GPUs"), why),
              "a GPU NVML sees is unusable for CUDA: check `nvidia-smi` for a GPU in error "
              "(XID in host dmesg), that /dev/nvidia-uvm is present, and CUDA_VISIBLE_DEVICES");
  } else if (c > *expected) {
    f.problem(Status::Warn,
              fmt::format("CUDA enumerates {}, more than the {} NVML expects{}",
                          plural(c, "device", "devices"), *expected, why),
              "the container's device nodes and driver state disagree: recreate the container "
              "(or regenerate the CDI spec) and compare `nvidia-smi -L` with deviceQuery");
  } else {
    f.note(fmt::format("CUDA and NVML agree on {}{}", plural(c, "device", "devices"), why));
  }
}

}  // namespace

CheckResult gpu_visibility(const Context& ctx, Facts& facts) {
  if (!facts.nvml) {
    return make_result({}, {}, Status::Skip, "NVML inventory not available (see nvml)");
  }
  const NvmlInventory& inv = *facts.nvml;
  json m = {{"nvml_count", inv.device_count},
            {"nvml_uuids", nvml_uuids(inv)},
            {"nodes_seen", facts.gpu_nodes},
            {"in_container", facts.in_container},
            {"injection", facts.injection}};
  Findings f;
  check_nvidia_request(ctx, facts, inv, f, m);
  check_cuda_agrees(ctx, facts, inv, f, m);
  CheckResult r = make_result({}, {}, f.status(), f.message(), f.hint());
  r.metrics = std::move(m);
  return r;
}

}  // namespace gpuval::checks
