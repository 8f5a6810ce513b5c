#include "cli/run_document_builder.hpp"

#include "core/host_info.hpp"
#include "core/run_document.hpp"
#include "validate/registry.hpp"

namespace gpuval::cli {
namespace {

using nlohmann::json;

std::string group_of(const std::string& id) {
  for (const CheckDef& def : all_checks()) {
    if (def.id == id) return std::string(def.group);
  }
  return "other";
}

// The variables that decide what a container gets: every NVIDIA_* and CUDA_* plus a few more.
json selected_env(const Env& env) {
  json out = json::object();
  for (const auto& [k, v] : env.all()) {
    if (k.rfind("NVIDIA_", 0) == 0 || k.rfind("CUDA_", 0) == 0 || k == "container" ||
        k == "KUBERNETES_SERVICE_HOST" || k == "LD_LIBRARY_PATH") {
      out[k] = v;
    }
  }
  return out;
}

std::string driver_version(const std::vector<CheckResult>& checks, const Facts& facts) {
  if (!facts.kernel_module_version.empty()) return facts.kernel_module_version;
  for (const CheckResult& c : checks) {
    if (c.id == "driver-libraries" && c.metrics.contains("libcuda_version") &&
        c.metrics["libcuda_version"].is_string()) {
      return c.metrics["libcuda_version"].get<std::string>();
    }
  }
  return {};
}

}  // namespace

json build_run_document(const RunRecord& run, const Context& ctx, const Facts& facts,
                        const std::vector<CheckResult>& checks, const json& devices,
                        const json& benchmarks, const Verdict& verdict) {
  json doc;
  doc["schema"] = std::string(kRunSchema);
  doc["tool"] = {{"name", "gpuval"},
                 {"version", ToolInfo::version()},
                 {"git_sha", ToolInfo::git_sha()},
                 {"argv", run.argv}};
  doc["run"] = {{"id", run.id},
                {"command", run.command},
                {"profile", run.profile},
                {"started_at", run.started_at},
                {"finished_at", run.finished_at},
                {"duration_s", run.duration_s},
                {"phases", run.phases}};
  if (!ctx.fs.is_real_root()) doc["run"]["sysroot"] = ctx.fs.root().string();
  doc["host"] = host_info(ctx.env.get("GPUVAL_NODE_NAME"));
  doc["environment"] = {{"mode", facts.in_container ? "container" : "baremetal"},
                        {"engine", facts.engine},
                        {"engine_version", facts.engine_version},
                        {"rootless", facts.rootless ? json(*facts.rootless) : json(nullptr)},
                        {"privileged", facts.privileged},
                        {"injection", facts.injection},
                        {"device_nodes", facts.gpu_nodes},
                        {"nvidia_env", selected_env(ctx.env)}};
  const std::string drv = driver_version(checks, facts);
  doc["driver"] = {{"version", drv.empty() ? json(nullptr) : json(drv)},
                   {"cuda_driver_version", facts.cuda && facts.cuda->driver_version > 0
                                               ? json(facts.cuda->driver_version)
                                               : json(nullptr)},
                   {"cuda_runtime_version", ctx.cuda_runtime_version}};
  doc["devices"] = devices.is_array() ? devices : json::array();
  json jchecks = json::array();
  for (const CheckResult& c : checks) {
    jchecks.push_back({{"id", c.id},
                       {"title", c.title},
                       {"group", group_of(c.id)},
                       {"status", std::string(to_string(c.status))},
                       {"message", c.message},
                       {"hint", c.hint},
                       {"metrics", c.metrics},
                       {"wall_s", c.wall_s}});
  }
  doc["checks"] = std::move(jchecks);
  doc["benchmarks"] = benchmarks.is_array() ? benchmarks : json::array();
  doc["verdict"] = to_json(verdict);
  return doc;
}

}  // namespace gpuval::cli
