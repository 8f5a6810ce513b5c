// nvml: load NVML, initialise it, read the driver and every device into Facts (typed for the GPU
// checks after it, JSON for the run document). Every failure names the NVML call, its return
// code and what to do.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>

#include "core/device_inventory.hpp"
#include "core/nvml_device_json.hpp"
#include "core/plural.hpp"
#include "validate/checks.hpp"
#include "validate/findings.hpp"
#include "validate/gpu/nvml_advice.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

constexpr const char* kId = "nvml";

std::string joined(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

bool gpus_deliberately_absent(const Facts& facts) {
  return std::any_of(facts.blockers.begin(), facts.blockers.end(), [](const Blocker& b) {
    return b.priority == blocker_priority::kVisibleDevicesNone;
  });
}

// "8 x NVIDIA H100 80GB HBM3" or "NVIDIA A100-SXM4-40GB, NVIDIA A10".
std::string device_names(const NvmlInventory& inv) {
  std::map<std::string, int> counts;
  std::vector<std::string> order;
  for (const NvmlDevice& d : inv.devices) {
    std::string n = d.name.value_or(fmt::format("GPU {} (name unknown)", d.index));
    if (counts[n]++ == 0) order.push_back(n);
  }
  std::vector<std::string> parts;
  for (const auto& n : order) {
    parts.push_back(counts[n] > 1 ? fmt::format("{} x {}", counts[n], n) : n);
  }
  return joined(parts);
}

CheckResult not_nvml(const NvmlOpenFailure& f, json metrics) {
  const bool stub = f.resolved_path.find("/stubs/") != std::string::npos;
  metrics["missing_symbols"] = f.missing_symbols;
  CheckResult r = make_result(
      {}, {}, Status::Fail,
      fmt::format("{} ({}) loads but lacks {}: not a usable NVML library", f.library,
                  f.resolved_path.empty() ? "path unknown" : f.resolved_path,
                  joined(f.missing_symbols)),
      stub ? "a CUDA toolkit stub is on the library path: remove the `stubs` directory from "
             "LD_LIBRARY_PATH / ld.so.conf (stubs are for linking only)"
           : "the driver's libnvidia-ml.so.1 is missing or replaced: inject the host's (add "
             "`utility` to NVIDIA_DRIVER_CAPABILITIES or use CDI); never bake driver libraries "
             "into the image");
  r.metrics = std::move(metrics);
  return r;
}

CheckResult init_failed(const NvmlOpenFailure& f, json metrics, Facts& facts) {
  const NvmlError& e = *f.error;
  const NvmlAdvice advice = nvml_advice(e.code);
  const std::string cause = fmt::format("{}: {}", e.summary(), advice.meaning);
  if (advice.blocker_priority > 0) {
    facts.block(advice.blocker_priority, kId, cause, std::string(advice.hint));
  }
  metrics["error"] = nvml_error_json(e);
  CheckResult r = make_result({}, {}, advice.status, cause, std::string(advice.hint));
  r.metrics = std::move(metrics);
  return r;
}

// Findings for a device NVML could not open, or could only partly read.
void device_problems(const NvmlDevice& d, Findings& f) {
  if (d.handle_error) {
    const NvmlAdvice advice = nvml_advice(d.handle_error->code);
    f.problem(advice.status,
              fmt::format("GPU {}: {}: {}", d.index, d.handle_error->summary(), advice.meaning),
              std::string(advice.hint));
    return;
  }
  for (const NvmlError& e : d.errors) {
    const NvmlAdvice advice = nvml_advice(e.code);
    // A failed read leaves a gap in the inventory (WARN); a lost or hung GPU is a failure.
    const Status s =
        advice.blocker_priority == blocker_priority::kNoDevice ? Status::Fail : Status::Warn;
    f.problem(s, fmt::format("GPU {}: {}", d.index, e.summary()), std::string(advice.hint));
  }
}

CheckResult inventory_check(const Context& ctx, Facts& facts) {
  json metrics = {{"library", ctx.nvml_library}};
  if (!ctx.fs.is_real_root() && ctx.nvml_library == kNvmlSoname) {
    CheckResult r = make_result(
        {}, {}, Status::Skip,
        fmt::format("offline analysis of {}: this machine's NVML says nothing about the tree",
                    ctx.fs.root().string()));
    r.metrics = std::move(metrics);
    return r;
  }

  NvmlProbe probe = probe_nvml(ctx.nvml_library);
  const NvmlOpenFailure& f = probe.failure;
  metrics["stage"] = std::string(to_string(f.stage));
  metrics["resolved_path"] = f.resolved_path.empty() ? json(nullptr) : json(f.resolved_path);
  if (!probe.inventory) {
    switch (f.stage) {
      case NvmlStage::NotLoaded: {
        // driver-libraries already reports the missing library with its fix.
        metrics["load_error"] = f.load_error;
        CheckResult r = make_result({}, {}, Status::Skip,
                                    "NVML not loadable (see driver-libraries): " + f.load_error);
        r.metrics = std::move(metrics);
        return r;
      }
      case NvmlStage::NotNvml:
        return not_nvml(f, std::move(metrics));
      default:
        return init_failed(f, std::move(metrics), facts);
    }
  }

  NvmlInventory& inv = *probe.inventory;
  Findings findings;
  if (inv.device_count == 0) {
    if (gpus_deliberately_absent(facts)) {
      findings.note("no GPU enumerated (none was requested)");
    } else {
      findings.problem(Status::Warn, "NVML works but enumerates no GPU",
                       "request the GPUs: --device nvidia.com/gpu=all (podman/CDI) or --gpus all "
                       "(docker); on the host list them with `nvidia-smi -L`");
    }
  }
  for (const NvmlDevice& d : inv.devices) device_problems(d, findings);
  for (const NvmlError& e : inv.errors) {
    findings.problem(Status::Warn, "driver query failed: " + e.summary(),
                     std::string(nvml_advice(e.code).hint));
  }
  // libcuda and NVML each report the CUDA version they support; they differ when a forward
  // compatibility libcuda (cuda-compat) is in use.
  if (facts.cuda && facts.cuda->driver_version > 0 && inv.cuda_driver_version &&
      *inv.cuda_driver_version != facts.cuda->driver_version) {
    findings.note(
        fmt::format("libcuda reports CUDA {} but the driver's NVML CUDA {}: a "
                    "forward-compatibility libcuda (cuda-compat) is in use",
                    cuda_version_text(facts.cuda->driver_version),
                    cuda_version_text(*inv.cuda_driver_version)));
  }

  const std::string summary = fmt::format(
      "NVML {}, driver {}, CUDA {}: {}{}", inv.nvml_version.value_or("(version unknown)"),
      inv.driver_version.value_or("(unknown)"),
      inv.cuda_driver_version ? cuda_version_text(*inv.cuda_driver_version) : "(unknown)",
      plural(inv.device_count, "GPU", "GPUs"),
      inv.devices.empty() ? "" : " (" + device_names(inv) + ")");

  json devices = json::array();
  json errors = json::array();
  for (const NvmlDevice& d : inv.devices) {
    devices.push_back({{"index", d.index},
                       {"uuid", d.uuid ? json(*d.uuid) : json(nullptr)},
                       {"name", d.name ? json(*d.name) : json(nullptr)},
                       {"unsupported", d.unsupported.size()}});
    if (d.handle_error) errors.push_back(nvml_error_json(*d.handle_error));
    for (const NvmlError& e : d.errors) errors.push_back(nvml_error_json(e));
  }
  for (const NvmlError& e : inv.errors) errors.push_back(nvml_error_json(e));
  metrics["resolved_path"] = inv.library_path;
  metrics["nvml_version"] = inv.nvml_version ? json(*inv.nvml_version) : json(nullptr);
  metrics["driver_version"] = inv.driver_version ? json(*inv.driver_version) : json(nullptr);
  metrics["cuda_driver_version"] =
      inv.cuda_driver_version ? json(*inv.cuda_driver_version) : json(nullptr);
  metrics["kernel_module_version"] =
      facts.kernel_module_version.empty() ? json(nullptr) : json(facts.kernel_module_version);
  metrics["device_count"] = inv.device_count;
  metrics["devices"] = devices;
  metrics["errors"] = errors;

  facts.nvml = std::move(inv);
  std::string message = summary;
  if (!findings.problems().empty() || !findings.notes().empty()) {
    message += "; " + findings.message();
  }
  CheckResult r = make_result({}, {}, findings.status(), message, findings.hint());
  r.metrics = std::move(metrics);
  return r;
}

}  // namespace

CheckResult nvml(const Context& ctx, Facts& facts) {
  CheckResult r = inventory_check(ctx, facts);
  // The run's devices, as CUDA numbers them and tied to NVML by PCI bus id, whatever NVML's
  // state: without NVML they come from the CUDA driver alone.
  static const std::vector<CudaDeviceInfo> kNone;
  const NvmlInventory* inv = facts.nvml ? &*facts.nvml : nullptr;
  if (facts.cuda) mark_mig_devices(facts.cuda->devices, inv);  // "MIG-" UUIDs, parent GPUs
  const std::vector<CudaDeviceInfo>& cuda = facts.cuda ? facts.cuda->devices : kNone;
  facts.bindings = bind_devices(cuda, inv);
  facts.mig_bindings = bind_mig_devices(cuda, inv);
  facts.devices = device_entries(cuda, inv);
  return r;
}

}  // namespace gpuval::checks
