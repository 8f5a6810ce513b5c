#include "core/xid_table.hpp"

#include <fmt/format.h>

#include <array>

#include "core/nvml_abi_events.hpp"

namespace gpuval {
namespace {

namespace abi = nvml_abi;

constexpr std::string_view kDrainReset =
    "drain the GPU and reset it while idle (`nvidia-smi -r -i <n>` on the host) or reboot; "
    "RMA the board if it recurs";
constexpr std::string_view kAppFault =
    "another process on this GPU faulted while gpuval ran (gpuval's own faults fail their "
    "check): rerun with the GPU to itself; the faulting process is in the host's `dmesg` Xid "
    "line (pid=)";

struct Row {
  unsigned xid;
  std::string_view category;
  Status severity;
  std::string_view meaning;
  std::string_view hint;
};

// The Xids operators meet on Ampere and later (catalogue: resolution buckets RESTART_APP,
// RESET_GPU, DRAIN_AND_RESET, ...), most frequent first within each category.
constexpr std::array kXids = {
    Row{13, "application", Status::Warn,
        "graphics engine exception (illegal instruction or "
        "out-of-range access by a kernel)",
        kAppFault},
    Row{31, "application", Status::Warn,
        "GPU memory page fault (a kernel used an invalid "
        "address)",
        kAppFault},
    Row{43, "application", Status::Warn,
        "GPU stopped processing (a faulting context was "
        "killed)",
        kAppFault},
    Row{45, "application", Status::Pass,
        "preemptive cleanup after an earlier error or a "
        "killed process (normal teardown)",
        ""},
    Row{8, "application", Status::Warn, "GPU stopped processing (channel idle timeout)", kAppFault},
    Row{48, "memory", Status::Fail, "double-bit ECC error (uncorrectable DRAM error)",
        "results on this GPU cannot be trusted: drain it, reset it (the page is retired or the "
        "row remapped at reset), `nvidia-smi -q -d ECC,ROW_REMAPPER`; RMA if it recurs"},
    Row{63, "memory", Status::Warn,
        "row remapping or page retirement recorded (applied at "
        "the next GPU reset)",
        "reset the GPU when idle to apply the remap (`nvidia-smi -r`); watch the rate with "
        "`nvidia-smi -q -d ROW_REMAPPER`"},
    Row{64, "memory", Status::Fail, "row remapping or page retirement failed",
        "the board is out of spare rows or the remap failed: drain it and RMA"},
    Row{92, "memory", Status::Warn, "high single-bit ECC error rate",
        "trend `nvidia-smi -q -d ECC`; drain and RMA the board if the rate keeps rising"},
    Row{94, "memory", Status::Warn,
        "contained uncorrectable ECC error (the affected process "
        "was stopped, others continue)",
        "reset the GPU when idle so the row is remapped; other processes on the GPU were not "
        "affected; RMA if it recurs"},
    Row{95, "memory", Status::Fail,
        "uncontained uncorrectable ECC error (every process on "
        "the GPU is affected)",
        kDrainReset},
    Row{74, "nvlink", Status::Fail, "NVLink error",
        "check the NVLink state (`nvidia-smi nvlink -s`, `nvidia-smi -q -d NVLINK`) and the "
        "fabric manager; reset the GPU, reseat or RMA if links stay down"},
    Row{79, "bus", Status::Fail, "GPU has fallen off the bus (no longer reachable over PCIe)",
        "the GPU is gone until a reset or reboot: drain the node, check power, the slot and "
        "riser, and thermals (BMC event log); RMA if it recurs"},
    Row{61, "firmware", Status::Fail, "internal micro-controller breakpoint or warning",
        kDrainReset},
    Row{62, "firmware", Status::Fail, "internal micro-controller halt", kDrainReset},
    Row{119, "gsp", Status::Fail, "GSP RPC timeout (the GPU system processor did not answer)",
        "reset the GPU (drain first); if it recurs across GPUs, update the driver (GSP "
        "firmware) branch"},
    Row{120, "gsp", Status::Fail, "GSP error (the GPU system processor reported a fault)",
        "reset the GPU (drain first); if it recurs, update the driver branch or contact "
        "NVIDIA support with `nvidia-bug-report.sh`"},
    Row{154, "recovery", Status::Fail, "GPU recovery action required (reset or reboot)",
        "do what the Xid 154 line in the host's `dmesg` asks (GPU reset required / node reboot "
        "required) before trusting this GPU again"},
};

}  // namespace

EventMeaning xid_meaning(std::uint64_t xid) {
  for (const Row& r : kXids) {
    if (r.xid == xid) {
      return {"xid", std::string(r.category), r.severity, fmt::format("Xid {}: {}", xid, r.meaning),
              std::string(r.hint)};
    }
  }
  if (xid == 999) {
    return {"xid", "unknown", Status::Warn, "Xid of unknown number (NVML reports 999)",
            "read the Xid line in the host's `dmesg` (NVRM: Xid ...) and look it up in NVIDIA's "
            "Xid catalogue"};
  }
  return {"xid", "other", Status::Warn, fmt::format("Xid {}: not in gpuval's table", xid),
          fmt::format("look up Xid {} in NVIDIA's Xid catalogue "
                      "(docs.nvidia.com/deploy/xid-errors) and the host's `dmesg`",
                      xid)};
}

EventMeaning event_meaning(std::uint64_t type, std::uint64_t data) {
  switch (type) {
    case abi::kEventXidCriticalError:
      return xid_meaning(data);
    case abi::kEventDoubleBitEccError:
      return {"dbe", "memory", Status::Fail, "double-bit (uncorrectable) ECC error",
              "results on this GPU cannot be trusted: drain it, reset it, "
              "`nvidia-smi -q -d ECC,ROW_REMAPPER`; RMA if it recurs"};
    case abi::kEventSingleBitEccError:
      return {"sbe", "memory", Status::Pass, "single-bit ECC error (corrected by the hardware)",
              ""};
    case abi::kEventClock:
      return {"clock", "clocks", Status::Pass, "clock change", ""};
    case abi::kEventPowerSourceChange:
      return {"power-source", "power", Status::Pass, "power source change (AC / battery)", ""};
    case abi::kEventPState:
      return {"pstate", "clocks", Status::Pass, "performance state change", ""};
    case abi::kEventMigConfigChange:
      return {"mig-config", "mig", Status::Warn,
              "MIG configuration changed during the run (instances created or destroyed)",
              "rerun once the MIG layout is settled: a slice measured may have been re-created "
              "or destroyed under the run"};
    default:
      return {event_type_name(type), "other", Status::Pass, fmt::format("event type {:#x}", type),
              ""};
  }
}

std::string event_type_name(std::uint64_t type) {
  switch (type) {
    case abi::kEventXidCriticalError:
      return "xid";
    case abi::kEventDoubleBitEccError:
      return "dbe";
    case abi::kEventSingleBitEccError:
      return "sbe";
    case abi::kEventClock:
      return "clock";
    case abi::kEventPowerSourceChange:
      return "power-source";
    case abi::kEventPState:
      return "pstate";
    case abi::kEventMigConfigChange:
      return "mig-config";
    default:
      return fmt::format("{:#x}", type);
  }
}

}  // namespace gpuval
