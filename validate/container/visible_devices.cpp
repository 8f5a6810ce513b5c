// NVIDIA_VISIBLE_DEVICES and CUDA_VISIBLE_DEVICES: is the GPU request well-formed, and does it
// agree with the /dev/nvidiaN nodes the device-nodes check counted?
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/plural.hpp"
#include "validate/checks.hpp"
#include "validate/parsers/device_list.hpp"
#include "validate/container/gpu_request_hint.hpp"

namespace gpuval::checks {
namespace {

constexpr const char* kNvidiaId = "nvidia-visible-devices";
constexpr const char* kCudaId = "cuda-visible-devices";

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "'" : ", '") + s + "'";
  return out;
}

// Problems found by one check: the worst status wins, its first hint is the one shown.
struct Findings {
  Status status = Status::Pass;
  std::vector<std::string> notes;
  std::string hint;
  void add(Status s, std::string note, std::string fix = {}) {
    if (s == Status::Fail || s == Status::Warn) {
      if (worst(s, status) != status || hint.empty()) hint = std::move(fix);
      status = worst(s, status);
    }
    notes.push_back(std::move(note));
  }
  std::string message() const {
    std::string out;
    for (const auto& n : notes) out += (out.empty() ? "" : "; ") + n;
    return out;
  }
};

nlohmann::json entry_json(const DeviceId& e) {
  nlohmann::json j = {{"token", e.token}, {"kind", std::string(to_string(e.kind))}};
  if (e.index >= 0) j["index"] = e.index;
  if (e.mig_index >= 0) j["mig_index"] = e.mig_index;
  if (e.kind == DeviceIdKind::CdiName) {
    j["cdi_kind"] = e.cdi_kind;
    j["cdi_device"] = e.cdi_device;
    j["cdi_target"] = e.cdi_target ? nlohmann::json(std::string(to_string(*e.cdi_target)))
                                   : nlohmann::json(nullptr);
  }
  return j;
}

std::string joined(const nlohmann::json& tokens) {
  std::string out;
  for (const auto& t : tokens) out += (out.empty() ? "" : ",") + t.get<std::string>();
  return out;
}

nlohmann::json raw_json(const std::optional<std::string>& raw) {
  return raw ? nlohmann::json(*raw) : nlohmann::json(nullptr);
}

nlohmann::json nvidia_metrics(const NvidiaVisibleDevices& p, const Facts& facts) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : p.entries) entries.push_back(entry_json(e));
  nlohmann::json invalid = nlohmann::json::array();
  for (const auto& t : p.invalid) invalid.push_back({{"token", t.token}, {"reason", t.reason}});
  return {{"raw", raw_json(p.raw)},
          {"mode", std::string(to_string(p.mode))},
          {"entries", entries},
          {"invalid", invalid},
          {"duplicates", p.duplicates},
          {"whole_gpus_requested", p.whole_gpu_count()},
          {"mig_devices_requested", p.mig_count()},
          {"nodes_seen", facts.gpu_nodes},
          {"injection", facts.injection}};
}

// none / void / "": the runtime was told not to hand over any GPU.
CheckResult nothing_requested(const NvidiaVisibleDevices& p, Facts& facts) {
  const std::string shown = p.mode == NvidiaDevicesMode::Empty
                                ? "NVIDIA_VISIBLE_DEVICES is empty"
                                : "NVIDIA_VISIBLE_DEVICES=" + std::string(to_string(p.mode));
  const int nodes = facts.gpu_nodes;
  if (facts.injection == "cdi") {
    // nvidia-ctk's CDI spec sets NVIDIA_VISIBLE_DEVICES=void on purpose, so the legacy hook
    // does not inject a second time; the devices come from the CDI request.
    if (nodes > 0) {
      return make_result({}, {}, Status::Pass,
                         fmt::format("{} (normal with CDI: the spec sets it so the legacy hook "
                                     "stays out); the container sees {} from --device "
                                     "nvidia.com/gpu=...",
                                     shown, plural(nodes, "GPU device node", "GPU device nodes")));
    }
    return make_result({}, {}, Status::Warn,
                       shown +
                           " and injection is CDI, but the container sees no GPU device "
                           "node: no CDI GPU device was requested",
                       "pass --device nvidia.com/gpu=all (or =0, =GPU-<uuid>) to podman/docker");
  }
  if (nodes > 0) {
    return make_result(
        {}, {}, Status::Warn,
        fmt::format("{}: no GPU was requested, yet the container sees {} (--privileged or "
                    "--device /dev/nvidiaN?)",
                    shown, plural(nodes, "GPU device node", "GPU device nodes")),
        "set NVIDIA_VISIBLE_DEVICES=all (or the GPUs wanted) so the runtime also injects the "
        "matching driver files");
  }
  std::string cause = p.mode == NvidiaDevicesMode::None
                          ? shown + ": driver libraries only, no GPU was requested"
                          : shown +
                                ": no GPU was requested (the runtime injects nothing, as "
                                "with plain runc)";
  const std::string hint = "set NVIDIA_VISIBLE_DEVICES=all or pass --device nvidia.com/gpu=all";
  facts.block(blocker_priority::kVisibleDevicesNone, kNvidiaId, cause, hint);
  return make_result({}, {}, Status::Warn, cause + " (fine if deliberate)", hint);
}

CheckResult devices_requested(const NvidiaVisibleDevices& p, const Facts& facts) {
  Findings f;
  const bool cdi = facts.injection == "cdi";
  // With CDI the variable only describes the request; a disagreement is worth a warning, the
  // real failure is reported by the device checks.
  const Status mismatch = cdi ? Status::Warn : Status::Fail;
  const int nodes = facts.gpu_nodes;
  const std::string seen = plural(nodes, "GPU device node", "GPU device nodes");

  if (!p.invalid.empty()) {
    std::string listed;
    for (const auto& t : p.invalid) {
      listed += fmt::format("{}'{}' ({})", listed.empty() ? "" : ", ", t.token, t.reason);
    }
    const bool nothing_valid = p.entries.empty() && !p.requests_all();
    f.add(nothing_valid ? mismatch : Status::Warn,
          (nothing_valid ? "no valid entry in NVIDIA_VISIBLE_DEVICES: " : "invalid entries: ") +
              listed,
          "use all, indices (0,1), GPU-/MIG- UUIDs from `nvidia-smi -L`, <gpu>:<mig> pairs or "
          "nvidia.com/gpu=<name>");
  }
  if (!p.duplicates.empty()) {
    f.add(Status::Warn, "listed more than once: " + quoted_list(p.duplicates),
          "remove the repeated entry (or correct it to the GPU you meant)");
  }

  if (p.requests_all()) {
    if (nodes >= 1) {
      f.add(Status::Pass, "all GPUs requested; the container sees " + seen);
    } else {
      f.add(mismatch, "all GPUs requested, but the container sees no GPU device node",
            request_gpus_hint(facts));
    }
  } else if (!p.entries.empty()) {
    const std::size_t whole = p.whole_gpu_count();
    const std::size_t mig = p.mig_count();
    const std::size_t opaque = p.opaque_count();
    // MIG devices share their parent's node, so they only tell us at least one node is due.
    const std::size_t min_nodes = std::max<std::size_t>(whole, mig + opaque > 0 ? 1 : 0);
    std::string requested;
    auto mention = [&requested](std::size_t n, std::string_view one, std::string_view many) {
      if (n > 0) requested += (requested.empty() ? "" : " and ") + plural(n, one, many);
    };
    mention(whole, "GPU", "GPUs");
    mention(mig, "MIG device", "MIG devices");
    mention(opaque, "CDI device", "CDI devices");
    if (static_cast<std::size_t>(nodes) < min_nodes) {
      f.add(mismatch,
            fmt::format("requested {}, container sees {}", requested,
                        whole > 0 ? std::to_string(nodes) : seen),
            "request each GPU: --device nvidia.com/gpu=<id> (CDI) or --gpus '\"device=0,1\"'; "
            "check the IDs exist on the host with `nvidia-smi -L`");
    } else if (mig == 0 && opaque == 0 && static_cast<std::size_t>(nodes) > whole) {
      f.add(Status::Warn,
            fmt::format("requested {}, but the container sees {}: it can reach GPUs it did not "
                        "ask for",
                        requested, seen),
            facts.privileged ? "--privileged exposes every host GPU: drop it, or set "
                               "CUDA_VISIBLE_DEVICES to the GPUs wanted"
                             : "remove extra --device /dev/nvidiaN or -v /dev:/dev options, or "
                               "set CUDA_VISIBLE_DEVICES to the GPUs wanted");
    } else {
      f.add(Status::Pass, fmt::format("requested {}; the container sees {}", requested, seen));
    }
  } else if (p.invalid.empty()) {
    // Only commas: nvidia-container-cli selects nothing, the driver is injected without a GPU.
    f.add(Status::Warn, "the list names no device",
          "set NVIDIA_VISIBLE_DEVICES=all or list the GPUs wanted");
  }

  std::string message = "NVIDIA_VISIBLE_DEVICES=" + p.raw.value_or("") + ": " + f.message();
  if (cdi) {
    message +=
        " (injection is CDI: the GPUs come from --device nvidia.com/gpu=..., this "
        "variable is informational)";
  }
  return make_result({}, {}, f.status, std::move(message), f.hint);
}

}  // namespace

CheckResult nvidia_visible_devices(const Context& ctx, Facts& facts) {
  const NvidiaVisibleDevices p =
      parse_nvidia_visible_devices(ctx.env.get("NVIDIA_VISIBLE_DEVICES"));
  CheckResult r;
  if (!facts.in_container) {
    r = make_result({}, {}, Status::Skip,
                    "not in a container: NVIDIA_VISIBLE_DEVICES is read only by the container "
                    "runtime");
  } else {
    switch (p.mode) {
      case NvidiaDevicesMode::Unset:
        if (facts.gpu_nodes > 0) {
          r = make_result(
              {}, {}, Status::Pass,
              fmt::format("unset; the container sees {} passed in another way{}",
                          plural(facts.gpu_nodes, "GPU device node", "GPU device nodes"),
                          facts.injection == "cdi" ? " (CDI --device request)" : ""));
        } else {
          r = make_result({}, {}, Status::Warn,
                          "NVIDIA_VISIBLE_DEVICES is unset and no GPU device node is present: "
                          "neither the image nor the engine requested a GPU",
                          request_gpus_hint(facts));
        }
        break;
      case NvidiaDevicesMode::Empty:
      case NvidiaDevicesMode::Void:
      case NvidiaDevicesMode::None:
        r = nothing_requested(p, facts);
        break;
      case NvidiaDevicesMode::All:
      case NvidiaDevicesMode::List:
        r = devices_requested(p, facts);
        break;
    }
  }
  r.metrics = nvidia_metrics(p, facts);
  return r;
}

CheckResult cuda_visible_devices(const Context& ctx, Facts& facts) {
  const CudaVisibleDevices p = parse_cuda_visible_devices(ctx.env.get("CUDA_VISIBLE_DEVICES"));
  const int nodes = facts.gpu_nodes;
  const std::string raw = p.raw.value_or("");

  // CUDA also drops an index that does not exist, and everything after it. Inside a container
  // the visible GPUs are renumbered from 0, so the node count bounds the indices -- unless MIG
  // is in use: CUDA then enumerates MIG devices, several of which may share one GPU node.
  const bool mig_in_use =
      parse_nvidia_visible_devices(ctx.env.get("NVIDIA_VISIBLE_DEVICES")).mig_count() > 0 ||
      ctx.fs.exists("/dev/nvidia-caps");
  std::size_t remaining = p.effective.size();
  std::vector<int> out_of_range;
  if (nodes > 0 && !mig_in_use) {
    for (std::size_t i = 0; i < p.effective.size(); ++i) {
      const DeviceId& e = p.effective[i];
      if (e.kind == DeviceIdKind::Index && e.index >= nodes) {
        if (out_of_range.empty()) remaining = i;
        out_of_range.push_back(e.index);
      }
    }
  }
  nlohmann::json effective = nlohmann::json::array();
  for (std::size_t i = 0; i < remaining; ++i) effective.push_back(p.effective[i].token);

  CheckResult r;
  const std::string fix_list =
      "unset CUDA_VISIBLE_DEVICES or list valid device indices (0,1) or GPU-/MIG- UUIDs";
  const std::string renumber_hint = fmt::format(
      "use indices 0..{}: inside the container the GPUs are renumbered from 0 "
      "(NVIDIA_VISIBLE_DEVICES picks host GPUs, CUDA_VISIBLE_DEVICES counts the ones the "
      "container sees)",
      nodes - 1);
  if (p.all_devices()) {
    r = make_result({}, {}, Status::Pass,
                    nodes > 0 ? fmt::format("unset: CUDA uses all visible devices ({})",
                                            plural(nodes, "GPU device node", "GPU device nodes"))
                              : "unset: CUDA uses all visible devices");
  } else if (p.effective.empty() && !p.truncated_at) {
    const std::string cause = "CUDA_VISIBLE_DEVICES is empty: CUDA sees no device";
    const std::string hint = "unset CUDA_VISIBLE_DEVICES";
    facts.block(blocker_priority::kVisibleDevicesNone, kCudaId, cause, hint);
    r = make_result({}, {}, Status::Warn, cause + " (fine if deliberate)", hint);
  } else if (remaining == 0) {
    const std::string why =
        p.truncated_at && p.truncated_position == 0
            ? fmt::format("the first entry '{}' is invalid ({})", *p.truncated_at,
                          p.truncation_reason)
            : fmt::format("index {} does not exist (the container sees {})", out_of_range.front(),
                          plural(nodes, "GPU device node", "GPU device nodes"));
    const std::string cause =
        fmt::format("CUDA_VISIBLE_DEVICES={}: {}, CUDA sees no device", raw, why);
    const std::string& hint = out_of_range.empty() ? fix_list : renumber_hint;
    facts.block(blocker_priority::kVisibleDevicesNone, kCudaId, cause, hint);
    r = make_result({}, {}, Status::Fail, cause, hint);
  } else if (!out_of_range.empty()) {
    std::string indices;
    for (int i : out_of_range) indices += (indices.empty() ? "" : ", ") + std::to_string(i);
    r = make_result(
        {}, {}, Status::Fail,
        fmt::format("CUDA_VISIBLE_DEVICES={}: index {} does not exist (the container sees {}); "
                    "CUDA stops there and sees only {}",
                    raw, indices, plural(nodes, "GPU device node", "GPU device nodes"),
                    plural(remaining, "device", "devices")),
        renumber_hint);
  } else if (p.truncated_at && p.truncated_at->empty() && p.dropped == 1) {
    r = make_result({}, {}, Status::Pass,
                    fmt::format("CUDA sees {}: {} (the trailing comma drops nothing)",
                                plural(remaining, "device", "devices"), joined(effective)));
  } else if (p.truncated_at) {
    const std::size_t ignored = p.dropped - 1;
    r = make_result(
        {}, {}, Status::Warn,
        fmt::format("CUDA_VISIBLE_DEVICES={}: CUDA stops at '{}' ({}) and sees only {}{}", raw,
                    *p.truncated_at, p.truncation_reason, plural(remaining, "device", "devices"),
                    ignored > 0 ? fmt::format(", {} ignored",
                                              plural(ignored, "later entry", "later entries"))
                                : std::string()),
        fmt::format("fix or remove '{}': CUDA ignores every entry from an invalid one on",
                    *p.truncated_at));
  } else {
    r = make_result(
        {}, {}, Status::Pass,
        fmt::format("CUDA sees {}: {}", plural(remaining, "device", "devices"), joined(effective)));
  }

  r.metrics = {
      {"raw", raw_json(p.raw)},
      {"effective", effective},
      {"effective_count", remaining},
      {"truncated_at", p.truncated_at ? nlohmann::json(*p.truncated_at) : nlohmann::json(nullptr)},
      {"truncation_reason",
       p.truncated_at ? nlohmann::json(p.truncation_reason) : nlohmann::json(nullptr)},
      {"out_of_range", out_of_range},
      {"nodes_seen", nodes},
      {"indices_bounded_by_nodes", nodes > 0 && !mig_in_use}};
  if (p.truncated_at) r.metrics["truncated_position"] = p.truncated_position;
  return r;
}

}  // namespace gpuval::checks
