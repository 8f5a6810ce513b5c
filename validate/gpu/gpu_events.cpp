#include "validate/gpu/gpu_events.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "core/device_inventory.hpp"
#include "core/nvml_abi.hpp"
#include "core/nvml_abi_events.hpp"
#include "core/plural.hpp"
#include "core/xid_table.hpp"
#include "validate/checks.hpp"
#include "validate/findings.hpp"
#include "validate/registry.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

constexpr std::size_t kListedInMessage = 5;

constexpr std::string_view kLostHint =
    "NVML lost the GPU during the run: check the host's `dmesg` for Xid 79 / 154, drain the node "
    "and reset the GPU or reboot";

// How the event judges this run: its table class, at most WARN on a GPU the run did not use.
struct Judged {
  EventMeaning meaning;
  std::vector<int> ordinals;
  Status severity = Status::Pass;
  bool unused_gpu = false;
};

Judged judge(const NvmlEventRecord& e, const Facts& facts) {
  Judged j{event_meaning(e.type, e.data), cuda_ordinals_of(e, facts), Status::Pass, false};
  j.severity = j.meaning.severity;
  j.unused_gpu = j.ordinals.empty() && !facts.bindings.empty();
  if (j.unused_gpu && j.severity == Status::Fail) j.severity = Status::Warn;
  return j;
}

std::string where(const NvmlEventRecord& e, const Judged& j) {
  std::string cuda;
  for (int o : j.ordinals) cuda += (cuda.empty() ? "" : ",") + std::to_string(o);
  std::string mig;
  if (e.gpu_instance_id) {
    mig = e.compute_instance_id
              ? fmt::format(", MIG GI {} CI {}", *e.gpu_instance_id, *e.compute_instance_id)
              : fmt::format(", MIG GI {}", *e.gpu_instance_id);
  }
  return fmt::format(
      "GPU {}{}{}", e.nvml_index,
      cuda.empty() ? (j.unused_gpu ? " (not used by this run)" : "") : " (CUDA " + cuda + ")", mig);
}

const NvmlDevice* board(const Facts& facts, unsigned nvml_index) {
  if (!facts.nvml) return nullptr;
  for (const NvmlDevice& d : facts.nvml->devices) {
    if (d.index == nvml_index) return &d;
  }
  return nullptr;
}

std::string group_of(const std::string& id) {
  for (const CheckDef& def : all_checks()) {
    if (def.id == id) return std::string(def.group);
  }
  return {};
}

// Takes the event's class into a result: PASS -> its class, WARN -> FAIL for a FAIL event.
bool downgrade(Status& status, std::string& message, std::string& hint, const Judged& j,
               const std::string& what) {
  const Status now = worst(status, j.severity);
  if (now == status && message.find(j.meaning.meaning) != std::string::npos) return false;
  if (now != status) hint = j.meaning.hint;
  status = now;
  message += fmt::format("{}{} during this {} (see gpu-events)", message.empty() ? "" : "; ",
                         j.meaning.meaning, what);
  return true;
}

}  // namespace

std::vector<int> cuda_ordinals_of(const NvmlEventRecord& e, const Facts& facts) {
  std::vector<int> out;
  const NvmlDevice* d = board(facts, e.nvml_index);
  for (const DeviceBinding& b : facts.bindings) {
    if (!b.nvml_index || *b.nvml_index != e.nvml_index) continue;
    if (e.gpu_instance_id && d != nullptr && d->mig_enabled.value_or(false)) {
      const NvmlMigDevice* m =
          mig_device_for(facts.mig_bindings, facts.nvml ? &*facts.nvml : nullptr, b.cuda_ordinal);
      // A slice of another instance did not see it; one NVML cannot name is kept (unknown).
      if (m != nullptr && m->gpu_instance_id && *m->gpu_instance_id != *e.gpu_instance_id) {
        continue;
      }
      if (m != nullptr && e.compute_instance_id && m->compute_instance_id &&
          *m->compute_instance_id != *e.compute_instance_id) {
        continue;
      }
    }
    out.push_back(b.cuda_ordinal);
  }
  return out;
}

CheckResult evaluate_gpu_events(const NvmlEventLog& log, const Facts& facts) {
  json gpus = json::array();
  std::set<std::string> registered_types;
  std::size_t watched_gpus = 0;
  for (const NvmlEventRegistration& r : log.registrations) {
    json errors = json::array();
    for (const NvmlError& e : r.errors) errors.push_back(e.summary());
    gpus.push_back({{"nvml_index", r.nvml_index},
                    {"registered", r.registered},
                    {"unsupported", r.unsupported},
                    {"errors", errors}});
    if (!r.registered.empty()) ++watched_gpus;
    registered_types.insert(r.registered.begin(), r.registered.end());
  }
  json metrics = {{"watched", log.watched}, {"gpus", gpus}, {"dropped", log.dropped}};
  if (!log.watched) {
    CheckResult r =
        make_result({}, {}, Status::Skip,
                    "NVML events not watched: " +
                        (log.why_not.empty() ? std::string("no event watch") : log.why_not));
    r.metrics = std::move(metrics);
    return r;
  }

  Findings f;
  std::map<std::string, std::size_t> by_severity;
  std::size_t listed = 0, unlisted = 0;
  for (const NvmlEventRecord& e : log.events) {
    const Judged j = judge(e, facts);
    ++by_severity[std::string(to_string(j.severity))];
    if (j.severity == Status::Pass) continue;
    if (listed == kListedInMessage) {
      ++unlisted;
      continue;
    }
    ++listed;
    f.problem(j.severity, fmt::format("{} on {} at {}", j.meaning.meaning, where(e, j), e.time),
              j.meaning.hint);
  }
  if (unlisted > 0) f.note(fmt::format("{} more in the run document's events", unlisted));
  for (const NvmlWaitError& w : log.wait_errors) {
    if (w.error.code == nvml_abi::kErrorGpuIsLost) {
      f.problem(Status::Fail, "waiting for events: " + w.error.summary(), std::string(kLostHint));
    } else {
      f.note("waiting for events: " + w.error.summary() + " (events after it may be missed)");
    }
  }
  const std::size_t info = by_severity["PASS"];
  if (info > 0) {
    f.note(fmt::format("{} (single-bit ECC corrections, clock or power-source changes)",
                       plural(info, "informational event", "informational events")));
  }
  if (log.dropped > 0) f.note(fmt::format("{} more events not kept", log.dropped));
  for (const NvmlEventRegistration& r : log.registrations) {
    for (const NvmlError& e : r.errors) {
      f.note(fmt::format("GPU {}: {}: those events go unseen there", r.nvml_index, e.summary()));
    }
  }
  if (registered_types.count("xid") == 0) {
    f.note("no GPU accepts Xid events here: a GPU fault during the run would go unseen");
  }
  const double seconds = log.stopped_s - log.started_s;
  std::string types;
  for (const auto& [bit, name] : watched_event_types()) {
    if (registered_types.count(name) > 0) types += (types.empty() ? "" : ", ") + name;
  }
  const std::string watched =
      fmt::format("{} watched for {}{}", plural(watched_gpus, "GPU", "GPUs"), types,
                  log.stopped_s > 0 ? fmt::format(" over {:.1f} s", std::max(0.0, seconds)) : "");
  metrics["events"] = log.events.size();
  metrics["fail"] = by_severity["FAIL"];
  metrics["warn"] = by_severity["WARN"];
  metrics["info"] = info;
  std::string message = watched + ": ";
  if (log.events.empty() && f.problems().empty()) {
    message += "no event" + (f.notes().empty() ? std::string() : "; " + f.message());
  } else {
    message += f.message();
  }
  CheckResult r = make_result({}, {}, f.status(), message, f.hint());
  r.metrics = std::move(metrics);
  return r;
}

CheckResult gpu_events(const Context& ctx, Facts& facts) {
  if (ctx.events == nullptr) {
    NvmlEventLog none;
    none.why_not = ctx.fs.is_real_root() ? "this run started no event watch"
                                         : "offline analysis of " + ctx.fs.root().string();
    return evaluate_gpu_events(none, facts);
  }
  return evaluate_gpu_events(ctx.events->snapshot(), facts);
}

json events_json(const NvmlEventLog& log, const Facts& facts) {
  json gpus = json::array();
  for (const NvmlEventRegistration& r : log.registrations) {
    json errors = json::array();
    for (const NvmlError& e : r.errors) {
      errors.push_back({{"call", e.call}, {"code", e.code}, {"name", e.name}});
    }
    json cuda = json::array();
    for (const DeviceBinding& b : facts.bindings) {
      if (b.nvml_index && *b.nvml_index == r.nvml_index) cuda.push_back(b.cuda_ordinal);
    }
    gpus.push_back({{"nvml_index", r.nvml_index},
                    {"uuid", r.uuid ? json(*r.uuid) : json(nullptr)},
                    {"cuda_ordinals", cuda},
                    {"registered", r.registered},
                    {"unsupported", r.unsupported},
                    {"errors", errors}});
  }
  json list = json::array();
  for (const NvmlEventRecord& e : log.events) {
    const Judged j = judge(e, facts);
    json item = {{"t_s", e.t_s},
                 {"time", e.time},
                 {"nvml_index", e.nvml_index},
                 {"uuid", e.uuid ? json(*e.uuid) : json(nullptr)},
                 {"cuda_ordinals", j.ordinals},
                 {"type", j.meaning.kind},
                 {"category", j.meaning.category},
                 {"severity", std::string(to_string(j.severity))},
                 {"meaning", j.meaning.meaning},
                 {"hint", j.meaning.hint}};
    if (e.type == nvml_abi::kEventXidCriticalError) item["xid"] = e.data;
    item["gpu_instance_id"] = e.gpu_instance_id ? json(*e.gpu_instance_id) : json(nullptr);
    item["compute_instance_id"] =
        e.compute_instance_id ? json(*e.compute_instance_id) : json(nullptr);
    list.push_back(std::move(item));
  }
  json waits = json::array();
  for (const NvmlWaitError& w : log.wait_errors) {
    waits.push_back(
        {{"t_s", w.t_s}, {"call", w.error.call}, {"code", w.error.code}, {"name", w.error.name}});
  }
  json types = json::array();
  for (const auto& [bit, name] : watched_event_types()) types.push_back(name);
  return {{"watched", log.watched},
          {"why_not", log.why_not},
          {"wait_timeout_ms", log.wait_timeout_ms},
          {"started_s", log.started_s},
          {"stopped_s", log.stopped_s},
          {"types", types},
          {"gpus", gpus},
          {"list", list},
          {"dropped", log.dropped},
          {"wait_errors", waits}};
}

bool apply_gpu_events(std::vector<CheckResult>& checks, const std::vector<RunWindow>& windows,
                      json& benchmarks, const NvmlEventLog& log, const Facts& facts) {
  bool changed = false;
  for (CheckResult& c : checks) {
    if (c.id != "gpu-events") continue;
    CheckResult fresh = evaluate_gpu_events(log, facts);
    fresh.id = c.id;
    fresh.title = c.title;
    fresh.wall_s = c.wall_s;
    changed = changed || fresh.status != c.status || fresh.message != c.message;
    c = std::move(fresh);
  }
  for (std::size_t i = 0; i < log.events.size(); ++i) {
    const NvmlEventRecord& e = log.events[i];
    const Judged j = judge(e, facts);
    if (j.severity == Status::Pass || j.ordinals.empty()) continue;
    auto in = [&](double start, double end) {
      return e.t_s >= start && e.t_s <= end + kEventSlackS;
    };
    for (std::size_t k = 0; k < checks.size() && k < windows.size(); ++k) {
      CheckResult& c = checks[k];
      if (c.id == "gpu-events" || group_of(c.id) != "gpu") continue;
      if (c.status == Status::Skip || !in(windows[k].start_s, windows[k].end_s)) continue;
      changed = downgrade(c.status, c.message, c.hint, j, "check") || changed;
      if (!c.metrics.contains("events")) c.metrics["events"] = json::array();
      c.metrics["events"].push_back(i);
    }
    if (!benchmarks.is_array()) continue;
    for (json& b : benchmarks) {
      if (!b.is_object() || !b.contains("run_window_s") || !b["run_window_s"].is_array() ||
          b["run_window_s"].size() != 2 || !b.contains("device")) {
        continue;
      }
      const int device = b.value("device", -1);
      if (std::find(j.ordinals.begin(), j.ordinals.end(), device) == j.ordinals.end()) continue;
      if (!in(b["run_window_s"][0].get<double>(), b["run_window_s"][1].get<double>())) continue;
      if (!b.contains("events")) b["events"] = json::array();
      b["events"].push_back(i);
      const std::string status = b.value("status", "SKIP");
      if (status == "SKIP") continue;
      Status s = status_from_string(status).value_or(Status::Pass);
      std::string message = b.value("message", "");
      std::string hint = b.value("hint", "");
      if (downgrade(s, message, hint, j, "benchmark")) {
        b["status"] = std::string(to_string(s));
        b["message"] = message;
        b["hint"] = hint;
        changed = true;
      }
    }
  }
  return changed;
}

}  // namespace gpuval::checks
