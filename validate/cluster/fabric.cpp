// fabric: on NVSwitch systems of Hopper and later, each GPU joins the NVLink fabric the host's
// fabric manager sets up; until it has (state COMPLETED with status SUCCESS) CUDA fails with
// error 802 (system not ready) or peers are unreachable. NVML's GPU fabric info tells the state
// per GPU (nvmlDeviceGetGpuFabricInfoV, R550+; nvmlDeviceGetGpuFabricInfo, R530+). GPUs outside
// such a fabric say NOT_SUPPORTED: not a finding.
#include <fmt/format.h>

#include <string>

#include "core/nvml_cluster.hpp"
#include "core/nvml_cluster_abi.hpp"
#include "core/nvml_device_json.hpp"
#include "core/plural.hpp"
#include "validate/checks.hpp"
#include "validate/cluster/cluster_boards.hpp"
#include "validate/findings.hpp"
#include "validate/gpu/nvml_advice.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;
namespace abi = nvml_abi;

// The fabric manager is a host service whose version must equal the driver's.
std::string fabric_manager_hint(const Facts& facts) {
  const std::string version =
      facts.nvml && facts.nvml->driver_version ? *facts.nvml->driver_version : std::string();
  const std::string branch = version.substr(0, version.find('.'));
  return fmt::format(
      "on the host: `systemctl enable --now nvidia-fabricmanager` with the fabric manager of the "
      "driver's exact version ({}; `nvidia-smi` shows it, a mismatch keeps it from starting); "
      "`journalctl -u nvidia-fabricmanager` says why it failed; then recreate the container",
      version.empty() ? "nvidia-fabricmanager-<branch> <driver version>"
                      : fmt::format("nvidia-fabricmanager-{} {}", branch, version));
}

}  // namespace

CheckResult fabric(const Context& ctx, Facts& facts) {
  ClusterBoards cb = cluster_boards(ctx, facts);
  if (cb.skip) return *cb.skip;

  const std::string fm_hint = fabric_manager_hint(facts);
  Findings f;
  json devices = json::array();
  std::size_t completed = 0, not_applicable = 0, no_api = 0;
  std::string api_used;
  for (const ClusterBoard& b : cb.boards) {
    const NvmlFabricReport rep = read_fabric(*cb.session, b.nvml->index);
    json d = board_json(b);
    d["api"] = rep.api.empty() ? json(nullptr) : json(rep.api);
    d["state"] = rep.state ? json(fabric_state_name(*rep.state)) : json(nullptr);
    d["status"] = rep.status ? json(nvml_return_name(*rep.status)) : json(nullptr);
    d["clique_id"] = rep.clique_id ? json(*rep.clique_id) : json(nullptr);
    d["cluster_uuid"] =
        rep.cluster_uuid && !rep.cluster_uuid->empty() ? json(*rep.cluster_uuid) : json(nullptr);
    d["health_mask"] = rep.health_mask ? json(*rep.health_mask) : json(nullptr);
    if (rep.error) d["error"] = nvml_error_json(*rep.error);
    if (!rep.api.empty()) api_used = rep.api;
    if (rep.api.empty() && !rep.error) {
      ++no_api;
    } else if (rep.error) {
      const NvmlAdvice advice = nvml_advice(rep.error->code);
      f.problem(rep.error->code == abi::kErrorGpuIsLost ? Status::Fail : Status::Warn,
                fmt::format("{}: {}", b.label, rep.error->summary()), std::string(advice.hint));
    } else if (!rep.state || *rep.state == abi::kFabricStateNotSupported) {
      ++not_applicable;
    } else if (*rep.state == abi::kFabricStateNotStarted) {
      f.problem(Status::Fail,
                fmt::format("{}: NVLink fabric not started: the fabric manager is not running or "
                            "has not reached this GPU",
                            b.label),
                fm_hint);
    } else if (*rep.state == abi::kFabricStateInProgress) {
      f.problem(Status::Fail,
                fmt::format("{}: NVLink fabric setup still in progress (the fabric manager is "
                            "training the links; CUDA waits or fails with error 802 until done)",
                            b.label),
                "wait a minute after boot and run again; if it stays in progress, " + fm_hint);
    } else if (*rep.state == abi::kFabricStateCompleted) {
      if (rep.status && *rep.status != abi::kSuccess) {
        f.problem(Status::Fail,
                  fmt::format("{}: NVLink fabric setup failed: {} ({})", b.label,
                              nvml_return_name(*rep.status), *rep.status),
                  fm_hint);
      } else {
        ++completed;
        for (const std::string& p : fabric_health_problems(rep.health_mask.value_or(0))) {
          f.problem(Status::Warn, fmt::format("{}: NVLink fabric health: {}", b.label, p),
                    "the fabric is up but degraded: `nvidia-smi -q` (Fabric section) and "
                    "`journalctl -u nvidia-fabricmanager` on the host; drain the node if it "
                    "persists");
        }
      }
    } else {
      f.problem(Status::Warn,
                fmt::format("{}: NVLink fabric in an unknown state ({})", b.label,
                            fabric_state_name(*rep.state)),
                "a driver newer than gpuval knows: see `nvidia-smi -q` (Fabric section)");
    }
    devices.push_back(std::move(d));
  }
  json metrics = {{"devices", devices},
                  {"api", api_used.empty() ? json(nullptr) : json(api_used)},
                  {"completed", completed},
                  {"not_applicable", not_applicable},
                  {"not_judged", cb.not_judged}};
  if (f.problems().empty() && completed == 0) {
    const std::string why =
        no_api == cb.boards.size()
            ? "this NVML has no GPU fabric query (nvmlDeviceGetGpuFabricInfo(V), R530+): fabric "
              "state unknown"
            : fmt::format(
                  "not on an NVLink fabric ({} {} NOT_SUPPORTED: no NVSwitch, or a GPU "
                  "older than Hopper)",
                  plural(not_applicable, "GPU", "GPUs"), not_applicable == 1 ? "says" : "say");
    CheckResult r = make_result({}, {}, Status::Skip, why);
    r.metrics = std::move(metrics);
    return r;
  }
  std::string message = f.message();
  if (f.problems().empty()) {
    message = fmt::format("{} joined the NVLink fabric (state completed, status success)",
                          plural(completed, "GPU", "GPUs"));
    if (not_applicable > 0) message += fmt::format("; {} not on a fabric", not_applicable);
  }
  CheckResult r = make_result({}, {}, f.status(), message, f.hint());
  r.metrics = std::move(metrics);
  return r;
}

}  // namespace gpuval::checks
