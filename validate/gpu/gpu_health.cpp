// gpu-health: the state NVML reports per GPU that makes results wrong or slow — a degraded PCIe
// link, clocks held down by hardware protection, pending page retirement or row remapping,
// uncorrectable ECC errors — plus persistence mode and MIG, which change how the GPU behaves.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/device_inventory.hpp"
#include "core/nvml_abi.hpp"
#include "core/plural.hpp"
#include "validate/checks.hpp"
#include "validate/findings.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;
namespace abi = nvml_abi;

constexpr std::string_view kPcieHint =
    "reseat the GPU and any riser, check the slot's wiring and the BIOS PCIe settings (link "
    "speed, bifurcation); `nvidia-smi -q -d PCI` on the host shows the link";
constexpr std::string_view kPersistenceOff = "persistence mode off";
constexpr std::string_view kResetHint =
    "drain the node and reset the GPU while idle (`nvidia-smi -r -i <n>` on the host) or reboot; "
    "RMA the board if it keeps happening";

// Per-device findings go to the check's Findings (prefixed "GPU n: ") and to the device's own
// lists in the metrics.
class DeviceFindings {
 public:
  DeviceFindings(const NvmlDevice& d, Findings& all) : d_(d), all_(all) {}
  void problem(Status s, const std::string& what, std::string_view hint) {
    all_.problem(s, fmt::format("GPU {}: {}", d_.index, what), std::string(hint));
    problems_.push_back(what);
  }
  void info(const std::string& what) { info_.push_back(what); }
  json metrics() const {
    return {{"index", d_.index},
            {"uuid", d_.uuid ? json(*d_.uuid) : json(nullptr)},
            {"problems", problems_},
            {"info", info_}};
  }
  bool clean() const { return problems_.empty(); }

 private:
  const NvmlDevice& d_;
  Findings& all_;
  std::vector<std::string> problems_, info_;
};

void pcie(const NvmlDevice& d, DeviceFindings& f) {
  const NvmlPcieLink& l = d.pcie;
  // 0 means NVML could not tell (some virtualised or SXM systems): no verdict from it.
  if (l.width_current && l.width_max && *l.width_current > 0 && *l.width_current < *l.width_max) {
    f.problem(Status::Warn, fmt::format("PCIe link x{} of x{}", *l.width_current, *l.width_max),
              kPcieHint);
  }
  if (l.gen_current && l.gen_max && *l.gen_current > 0 && *l.gen_current < *l.gen_max) {
    // An idle GPU drops the link generation to save power; only a busy one should be at max.
    const bool idle = d.clock_event_reasons && (*d.clock_event_reasons & abi::kReasonGpuIdle);
    const bool busy = d.clock_event_reasons && !idle;
    const std::string link = fmt::format("PCIe Gen{} of Gen{}", *l.gen_current, *l.gen_max);
    if (busy) {
      f.problem(Status::Warn, link + " while busy", kPcieHint);
    } else {
      f.info(link + (idle ? " at idle (power saving; rises under load)"
                          : " (idle state unknown; the link slows down at idle)"));
    }
  }
  if (l.gen_gpu_max && l.gen_max && *l.gen_max > 0 && *l.gen_gpu_max > *l.gen_max) {
    // An H100 PCIe in a Gen4 server or a VM's emulated root port: the slot, not the container,
    // sets the generation. Information; the host-link benchmarks (h2d/d2h) are judged against
    // the slot's own peak (gen_max), which is the verdict that matters.
    f.info(
        fmt::format("the GPU supports PCIe Gen{}, the slot/system allows Gen{}: host-device "
                    "copies are judged against the Gen{} link's peak",
                    *l.gen_gpu_max, *l.gen_max, *l.gen_max));
  }
}

void clocks(const NvmlDevice& d, DeviceFindings& f) {
  if (!d.clock_event_reasons) return;
  const std::uint64_t r = *d.clock_event_reasons;
  struct Reason {
    std::uint64_t bit;
    Status status;  // Pass: informational
    std::string_view what;
    std::string_view hint;
  };
  static constexpr Reason kReasons[] = {
      {abi::kReasonHwThermalSlowdown, Status::Fail, "clocks cut by HW thermal slowdown (too hot)",
       "the GPU protects itself from heat: check fans/airflow, inlet temperature and heatsink "
       "contact; `nvidia-smi -q -d PERFORMANCE,TEMPERATURE` on the host"},
      {abi::kReasonHwPowerBrakeSlowdown, Status::Fail,
       "clocks cut by HW power brake (external power brake asserted)",
       "the system asserted the power brake: check the power supplies, PSU redundancy and the "
       "chassis power policy (BMC event log)"},
      {abi::kReasonHwSlowdown, Status::Fail, "clocks cut by HW slowdown",
       "hardware slowdown (heat, power brake or power draw): check cooling and power delivery; "
       "`nvidia-smi -q -d PERFORMANCE` on the host"},
      {abi::kReasonSwThermalSlowdown, Status::Warn,
       "clocks reduced by SW thermal slowdown (near its temperature limit)",
       "improve cooling: the GPU is close to its slowdown temperature"},
      {abi::kReasonSwPowerCap, Status::Pass, "at its software power cap (normal under full load)",
       ""},
      {abi::kReasonGpuIdle, Status::Pass, "idle", ""},
      {abi::kReasonApplicationsClocksSetting, Status::Pass,
       "clocks limited by the applications clocks setting (`nvidia-smi -ac`)", ""},
      {abi::kReasonSyncBoost, Status::Pass, "in a sync boost group", ""},
      {abi::kReasonDisplayClockSetting, Status::Pass, "clocks limited by the display clock setting",
       ""},
  };
  for (const Reason& reason : kReasons) {
    if ((r & reason.bit) == 0) continue;
    if (reason.status == Status::Pass) {
      f.info(std::string(reason.what));
    } else {
      f.problem(reason.status, std::string(reason.what), reason.hint);
    }
  }
}

void memory_health(const NvmlDevice& d, DeviceFindings& f) {
  if (d.retired_pages.pending.value_or(false)) {
    f.problem(Status::Fail, "retired pages pending (they take effect at the next GPU reset)",
              kResetHint);
  }
  const unsigned retired =
      d.retired_pages.single_bit.value_or(0) + d.retired_pages.double_bit.value_or(0);
  if (retired > 0) f.info(fmt::format("{} retired pages", retired));
  if (d.row_remap) {
    if (d.row_remap->failure) {
      f.problem(Status::Fail, "row remapping failed (no spare rows left)",
                "the GPU needs an RMA: drain it and contact the vendor with `nvidia-smi -q -d "
                "ROW_REMAPPER` output");
    }
    if (d.row_remap->pending) {
      f.problem(Status::Fail, "row remapping pending (applied at the next GPU reset)", kResetHint);
    }
    if (d.row_remap->uncorrected > 0 || d.row_remap->corrected > 0) {
      f.info(fmt::format("{} rows remapped ({} uncorrectable, {} correctable)",
                         d.row_remap->uncorrected + d.row_remap->corrected,
                         d.row_remap->uncorrected, d.row_remap->corrected));
    }
  }
  if (d.ecc.volatile_uncorrected.value_or(0) > 0) {
    f.problem(Status::Fail,
              fmt::format("{} uncorrectable ECC errors since the driver loaded",
                          *d.ecc.volatile_uncorrected),
              "results on this GPU cannot be trusted: drain the node, reset the GPU or reboot; "
              "`nvidia-smi -q -d ECC,PAGE_RETIREMENT,ROW_REMAPPER` on the host; RMA if they recur");
  } else if (d.ecc.aggregate_uncorrected.value_or(0) > 0) {
    f.info(
        fmt::format("{} uncorrectable ECC errors over the board's lifetime, none since the "
                    "driver loaded",
                    *d.ecc.aggregate_uncorrected));
  }
  if (d.ecc.enabled && !*d.ecc.enabled) f.info("ECC off");
  if (d.ecc.enabled && d.ecc.pending_enabled && *d.ecc.enabled != *d.ecc.pending_enabled) {
    f.info(fmt::format("ECC turns {} at the next reboot", *d.ecc.pending_enabled ? "on" : "off"));
  }
}

void modes(const NvmlDevice& d, DeviceFindings& f) {
  // Off on most VMs and Kubernetes nodes, where nothing is wrong with it: information here. On
  // bare metal, a first benchmark repetition slower than the rest turns it into a WARN after the
  // benchmarks (validate/gpu/persistence_followup.hpp).
  if (d.persistence_mode && !*d.persistence_mode) f.info(std::string(kPersistenceOff));
  if (d.mig_enabled.value_or(false)) f.info("MIG enabled (CUDA sees MIG instances)");
  if (d.mig_enabled && d.mig_pending && *d.mig_enabled != *d.mig_pending) {
    f.problem(Status::Warn,
              fmt::format("MIG mode change pending ({} after a GPU reset)",
                          *d.mig_pending ? "on" : "off"),
              "reset the GPU (`nvidia-smi -r -i <n>`) or reboot to apply the MIG mode change");
  }
}

}  // namespace

CheckResult gpu_health(const Context& /*ctx*/, Facts& facts) {
  if (!facts.nvml) {
    return make_result({}, {}, Status::Skip, "NVML inventory not available (see nvml)");
  }
  const NvmlInventory& inv = *facts.nvml;
  // With CUDA devices, only the boards bound to them are this process's to judge; the others
  // (hidden by CUDA_VISIBLE_DEVICES) are listed as information. Without CUDA, every board.
  const bool cuda_enumerated = !facts.bindings.empty();
  const std::vector<unsigned> hidden =
      cuda_enumerated ? unbound_nvml_devices(facts.bindings, inv) : std::vector<unsigned>{};
  auto is_hidden = [&](unsigned index) {
    return std::find(hidden.begin(), hidden.end(), index) != hidden.end();
  };
  Findings all;
  json devices = json::array();
  json not_judged = json::array();
  std::size_t examined = 0;
  for (const NvmlDevice& d : inv.devices) {
    if (d.handle_error) continue;  // reported by the nvml check
    if (is_hidden(d.index)) {
      not_judged.push_back({{"index", d.index},
                            {"uuid", d.uuid ? json(*d.uuid) : json(nullptr)},
                            {"reason", "not visible to CUDA in this process"}});
      continue;
    }
    ++examined;
    DeviceFindings f(d, all);
    pcie(d, f);
    clocks(d, f);
    memory_health(d, f);
    modes(d, f);
    devices.push_back(f.metrics());
  }
  if (!not_judged.empty()) {
    all.note(fmt::format("{} not judged: not visible to CUDA here (CUDA_VISIBLE_DEVICES)",
                         plural(not_judged.size(), "GPU", "GPUs")));
  }
  if (examined == 0) {
    CheckResult r = make_result({}, {}, Status::Skip, "no GPU to examine");
    r.metrics = {{"devices", devices}, {"not_judged", not_judged}};
    return r;
  }
  std::string message =
      all.problems().empty()
          ? fmt::format(
                "{}: no degraded PCIe link, hardware slowdown, pending retirement "
                "or remap, or uncorrectable ECC error",
                plural(examined, "GPU", "GPUs"))
          : all.message();
  if (all.problems().empty() && !not_judged.empty()) {
    message += fmt::format(" ({} not visible here, not judged)", not_judged.size());
  }
  CheckResult r = make_result({}, {}, all.status(), message, all.hint());
  r.metrics = {{"devices", devices}, {"examined", examined}, {"not_judged", not_judged}};
  return r;
}

}  // namespace gpuval::checks
