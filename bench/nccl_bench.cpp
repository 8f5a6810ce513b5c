#include "bench/nccl_bench.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/budget.hpp"
#include "bench/entry.hpp"
#include "probes/host/probe_answers.hpp"
#include "probes/host/probe_loader.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::uint64_t kMinShmBytes = std::uint64_t{1} << 30;
constexpr std::size_t kTailLines = 30;
constexpr std::size_t kMaxWarnings = 20;

const NcclPass kPasses[] = {
    {"default", "NCCL's own choice of transport (NVLink/P2P, NVLS, SHM, NET)", {}},
    {"no-p2p",
     "P2P and NVLS off, cuMem host memory off: the SHM transport through /dev/shm",
     {{"NCCL_P2P_DISABLE", "1"},
      {"NCCL_NVLS_ENABLE", "0"},
      {"NCCL_SHM_DISABLE", "0"},
      {"NCCL_CUMEM_HOST_ENABLE", "0"},
      {"NCCL_NET_DISABLE_INTRA", "1"}}},
};

constexpr const char* kShmHint =
    "NCCL's SHM transport keeps its buffers in /dev/shm: run with `--shm-size=1g` or larger "
    "(podman/docker; Kubernetes: an emptyDir with medium: Memory mounted at /dev/shm), or "
    "`--ipc=host`";
constexpr const char* kHangHint =
    "a collective made no progress: run `gpuval validate` (nvlink, fabric, gpudirect-rdma, shm) "
    "and look at the NCCL log lines in this entry's details (nccl_log_tail, nccl_warnings)";
constexpr const char* kNcclFailHint =
    "NCCL failed: its WARN lines are in this entry's details (nccl_warnings); `gpuval validate` "
    "checks the links, the fabric manager and /dev/shm";
constexpr const char* kWrongHint =
    "NCCL returned wrong data: a faulty link or GPU; run `gpuval validate`, look at link errors "
    "(`nvidia-smi nvlink -e`) and Xid events (dmesg) on the host";
constexpr const char* kReinstallHint =
    "the probe module and gpuval come from different builds: reinstall gpuval (bin/ and lib/ "
    "together)";
constexpr const char* kMemoryHint =
    "free device memory (other processes: nvidia-smi) or use --quick";

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return std::string(s);
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string text_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string gib(std::uint64_t bytes) {
  return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1u << 30));
}

std::string bytes_text(std::uint64_t bytes) {
  if (bytes >= (1u << 30) && bytes % (1u << 30) == 0) return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

// The results a worker left: its answer's, or those its heartbeat carried.
std::vector<json> results_of(const json* answer, const WorkerResult& worker) {
  std::vector<json> out;
  if (answer != nullptr && answer->contains("results") && (*answer)["results"].is_array()) {
    for (const json& r : (*answer)["results"]) out.push_back(r);
    return out;
  }
  for (const std::string& line : worker.progress) {
    const json step = json::parse(line, nullptr, false);
    if (step.is_object() && text_at(step, "step") == "result" && step.contains("result")) {
      out.push_back(step["result"]);
    }
  }
  return out;
}

const json* find_result(const std::vector<json>& results, const BenchSpec& spec) {
  const std::string name = nccl_collective(spec.kind);
  for (const json& r : results) {
    if (!r.is_object() || text_at(r, "collective") != name) continue;
    const auto requested = r.find("requested_bytes");
    if (requested != r.end() && requested->is_number() &&
        requested->get<std::uint64_t>() == spec.message_bytes) {
      return &r;
    }
  }
  return nullptr;
}

// The hint for a failure, from what it says and where it happened.
std::string failure_hint(const NcclPass& pass, const std::string& text,
                         const NcclTransport& transport, const NcclEnvironment& env, bool timed_out,
                         int signal) {
  std::string all = text;
  for (const std::string& w : transport.warnings) all += "\n" + w;
  const bool small_shm = env.dev_shm_bytes && *env.dev_shm_bytes < kMinShmBytes;
  const bool shm = contains(all, "/dev/shm") || contains(all, "No space left on device") ||
                   signal == SIGBUS || (pass.id == "no-p2p" && small_shm);
  std::string hint;
  if (shm) {
    hint = kShmHint;
    if (env.dev_shm_bytes) hint += " (/dev/shm is " + gib(*env.dev_shm_bytes) + " here)";
  }
  if (timed_out) hint += (hint.empty() ? "" : "; ") + std::string(kHangHint);
  if (hint.empty()) hint = kNcclFailHint;
  return hint;
}

// The failure of a whole pass (nothing, or not everything, measured), or empty.
struct PassFailure {
  std::string status;  // FAIL or SKIP
  std::string message;
  std::string hint;
};

std::optional<PassFailure> pass_failure(const NcclPass& pass, const WorkerResult& worker,
                                        const json* answer, const NcclTransport& transport,
                                        const NcclEnvironment& env) {
  auto fail = [&](std::string message, bool timed_out = false) {
    std::string hint = failure_hint(pass, message, transport, env, timed_out, worker.signal);
    return PassFailure{"FAIL", std::move(message), std::move(hint)};
  };
  switch (worker.end) {
    case WorkerEnd::SpawnFailed:
      return PassFailure{"FAIL", "the NCCL worker did not start: " + worker.error, kReinstallHint};
    case WorkerEnd::Cancelled:
      return PassFailure{"SKIP", "not run: the run was interrupted", ""};
    case WorkerEnd::TimedOut:
      return fail("NCCL made no progress (pass " + pass.id + "): worker " + describe(worker), true);
    case WorkerEnd::Signaled:
      return fail(
          "the NCCL worker (pass " + pass.id + ") was " + describe(worker) +
          (worker.signal == SIGBUS ? ": a write to a full /dev/shm (or a bad mapping)" : ""));
    case WorkerEnd::Exited:
      break;
  }
  if (answer == nullptr) {
    std::string last_err = trim(worker.err_tail);
    if (const auto nl = last_err.rfind('\n'); nl != std::string::npos) {
      last_err = last_err.substr(nl + 1);
    }
    if (worker.exit_code != 0) {
      return fail("the NCCL worker (pass " + pass.id + ") " + describe(worker) +
                  (last_err.empty() ? "" : ": " + last_err));
    }
    return PassFailure{"FAIL", "the NCCL module answered malformed JSON (pass " + pass.id + ")",
                       kReinstallHint};
  }
  const std::string status = text_at(*answer, "status");
  if (status == "SKIP") {
    return PassFailure{"SKIP", "NCCL: " + text_at(*answer, "reason"), ""};
  }
  if (auto e = answer->find("error"); e != answer->end() && e->is_object()) {
    const bool timed_out = answer->contains("timeout");
    std::string message = "NCCL (pass " + pass.id + "): " + probe_error_text(*e);
    if (timed_out) {
      message += fmt::format("; communicators aborted after no progress for {:.0f} s in {}",
                             (*answer)["timeout"].value("after_s", 0.0),
                             (*answer)["timeout"].value("stage", std::string("?")));
    }
    return fail(std::move(message), timed_out);
  }
  return std::nullopt;
}

// "3 of 800 elements wrong, first at rank 1 element 7: got NaN, expected 12".
std::string wrong_text(const json& check) {
  std::string out = fmt::format("{} of {} elements wrong", check.value("bad_elements", 0ull),
                                check.value("elements", 0ull));
  if (auto f = check.find("first_bad"); f != check.end() && f->is_object()) {
    const std::string got =
        text_at(*f, "got_text").empty()
            ? ((*f)["got"].is_number() ? fmt::format("{}", (*f)["got"].get<double>())
                                       : std::string("?"))
            : text_at(*f, "got_text");
    out += fmt::format(", first at rank {} element {}: got {}, expected {}", f->value("rank", -1),
                       f->value("index", 0ull), got, f->value("expected", 0.0));
  }
  return out;
}

}  // namespace

std::string nccl_collective(BenchKind kind) {
  switch (kind) {
    case BenchKind::NcclAllReduce:
      return "all-reduce";
    case BenchKind::NcclAllGather:
      return "all-gather";
    case BenchKind::NcclReduceScatter:
      return "reduce-scatter";
    default:
      return "";
  }
}

double nccl_bus_factor(BenchKind kind, int ranks) {
  if (ranks < 2) return 0;
  const double n = ranks;
  switch (kind) {
    case BenchKind::NcclAllReduce:
      return 2 * (n - 1) / n;
    case BenchKind::NcclAllGather:
    case BenchKind::NcclReduceScatter:
      return (n - 1) / n;
    default:
      return 0;
  }
}

const NcclPass& nccl_pass(const std::string& id) {
  for (const NcclPass& p : kPasses) {
    if (p.id == id) return p;
  }
  return kPasses[0];
}

std::vector<std::pair<std::string, std::string>> nccl_debug_env(const std::string& log_dir) {
  return {{"NCCL_DEBUG", "INFO"},
          {"NCCL_DEBUG_SUBSYS", "INIT,GRAPH,ENV,P2P,SHM,NET"},
          {"NCCL_DEBUG_FILE", (fs::path(log_dir) / "nccl.%h.%p.log").string()}};
}

std::string NcclTransport::primary() const {
  std::string best;
  int most = 0;
  for (const auto& [name, n] : transports) {
    if (n > most) {
      best = name;
      most = n;
    }
  }
  return best;
}

std::string NcclTransport::label() const {
  const std::string p = primary();
  if (p.empty()) return nvls_used ? "NVLS" : "";
  std::string out = p;
  if (p == "P2P") {
    if (path_types.count("NVL")) {
      out += " over NVLink";
    } else if (!path_types.empty()) {
      out += " over PCIe";
    }
  }
  if (p == "NET" && !network.empty()) out += " (" + network + ")";
  if (nvls_used) out += " + NVLS";
  return out;
}

json NcclTransport::to_json() const {
  return {{"primary", primary().empty() ? json(nullptr) : json(primary())},
          {"label", label()},
          {"transports", transports},
          {"connections", connections},
          {"path_types", path_types},
          {"nvls_available", nvls_available ? json(*nvls_available) : json(nullptr)},
          {"nvls_used", nvls_used},
          {"network", network.empty() ? json(nullptr) : json(network)},
          {"nccl_version", version.empty() ? json(nullptr) : json(version)},
          {"log_lines", lines}};
}

NcclTransport parse_nccl_log(std::string_view text) {
  NcclTransport t;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;
    ++t.lines;
    t.tail.emplace_back(line);
    if (t.tail.size() > kTailLines) t.tail.erase(t.tail.begin());
    if (auto w = line.find("NCCL WARN "); w != std::string_view::npos) {
      if (t.warnings.size() < kMaxWarnings) t.warnings.push_back(trim(line.substr(w + 10)));
      continue;
    }
    const auto info = line.find("NCCL INFO ");
    if (info == std::string_view::npos) continue;
    const std::string_view msg = line.substr(info + 10);
    if (msg.rfind("NCCL version ", 0) == 0) {
      t.version = trim(msg.substr(13));
    } else if (auto via = msg.find(" via "); via != std::string_view::npos) {
      const std::string detail = trim(msg.substr(via + 5));
      const std::string name = detail.substr(0, detail.find_first_of("/ "));
      if (name == "P2P" || name == "SHM" || name == "NET" || name == "COLLNET") {
        ++t.connections[detail];
        ++t.transports[name];
      }
    } else if (msg.rfind("Pattern ", 0) == 0) {
      if (auto type = msg.find(", type "); type != std::string_view::npos) {
        const std::string_view rest = msg.substr(type + 7);
        t.path_types.insert(std::string(rest.substr(0, rest.find('/'))));
      }
    } else if (contains(msg, "NVLS multicast support is available")) {
      t.nvls_available = true;
    } else if (contains(msg, "NVLS multicast support is not available")) {
      if (!t.nvls_available) t.nvls_available = false;
    } else if (msg.rfind("NVLS comm ", 0) == 0) {
      t.nvls_used = true;
    } else if (msg.rfind("Using network ", 0) == 0) {
      t.network = trim(msg.substr(14));
    }
  }
  return t;
}

json nccl_request(const std::vector<const BenchSpec*>& specs, const NcclProfile& profile,
                  int progress_fd) {
  std::vector<std::string> collectives;
  std::vector<std::uint64_t> sizes;
  int ranks = 0, repetitions = profile.repetitions;
  double budget = profile.repetition_budget_s;
  for (BenchKind kind :
       {BenchKind::NcclAllReduce, BenchKind::NcclAllGather, BenchKind::NcclReduceScatter}) {
    if (std::any_of(specs.begin(), specs.end(),
                    [&](const BenchSpec* s) { return s->kind == kind; })) {
      collectives.push_back(nccl_collective(kind));
    }
  }
  for (const BenchSpec* s : specs) {
    if (std::find(sizes.begin(), sizes.end(), s->message_bytes) == sizes.end()) {
      sizes.push_back(s->message_bytes);
    }
    ranks = std::max(ranks, s->ranks);
    repetitions = s->repetitions > 0 ? s->repetitions : repetitions;
    budget = s->repetition_budget_s > 0 ? s->repetition_budget_s : budget;
  }
  std::sort(sizes.begin(), sizes.end());
  json devices = json::array();
  for (int d = 0; d < ranks; ++d) devices.push_back(d);
  return {{"schema", "gpuval.collectives/1"},
          {"op", "sweep"},
          {"devices", devices},
          {"bootstrap", {{"kind", "local"}}},
          {"collectives", collectives},
          {"sizes", sizes},
          {"warmup", profile.warmup},
          {"repetitions", repetitions},
          {"min_iterations", 1},
          {"max_iterations", profile.max_iterations},
          {"repetition_budget_s", budget},
          {"timeout_ms", profile.timeout_s * 1e3},
          {"progress_fd", progress_fd},
          {"flags", 0},
          {"seed", 0x67707576616cull}};
}

std::vector<json> nccl_pass_entries(const std::vector<const BenchSpec*>& specs,
                                    const WorkerResult& worker, const NcclTransport& transport,
                                    const NcclEnvironment& environment) {
  std::vector<json> out;
  if (specs.empty()) return out;
  const NcclPass& pass = nccl_pass(specs.front()->nccl_pass);
  json parsed;
  const json* answer = nullptr;
  if (worker.end == WorkerEnd::Exited && worker.exit_code == 0) {
    parsed = json::parse(worker.out, nullptr, false);
    if (parsed.is_object()) answer = &parsed;
  }
  const std::vector<json> results = results_of(answer, worker);
  const std::optional<PassFailure> failure =
      pass_failure(pass, worker, answer, transport, environment);

  json pass_env = json::object();
  for (const auto& [k, v] : pass.env) pass_env[k] = v;
  json common = {{"pass", pass.id},
                 {"pass_what", pass.what},
                 {"pass_env", pass_env},
                 {"transport", transport.to_json()},
                 {"worker", {{"end", describe(worker)}, {"wall_s", worker.wall_s}}}};
  if (answer != nullptr) {
    if (answer->contains("library")) common["nccl"] = (*answer)["library"];
    if (answer->contains("init_s")) common["init_s"] = (*answer)["init_s"];
    if (answer->contains("devices")) common["devices"] = (*answer)["devices"];
  }
  if (environment.dev_shm_bytes) common["dev_shm_bytes"] = *environment.dev_shm_bytes;

  for (const BenchSpec* spec : specs) {
    Outcome o;
    o.details = common;
    const int ranks = answer != nullptr ? answer->value("ranks", spec->ranks) : spec->ranks;
    o.details["ranks"] = ranks;
    const json* r = find_result(results, *spec);
    std::vector<RepetitionSample> samples;
    auto add_failure_details = [&] {
      if (!transport.warnings.empty()) o.details["nccl_warnings"] = transport.warnings;
      if (!transport.tail.empty()) o.details["nccl_log_tail"] = transport.tail;
      if (!worker.err_tail.empty()) o.details["worker_stderr"] = worker.err_tail;
    };
    if (r == nullptr) {
      if (failure) {
        o.status = failure->status;
        o.message = failure->message;
        o.hint = failure->hint;
      } else {
        o.status = "FAIL";
        o.message = fmt::format("the NCCL module returned no result for {} of {}",
                                nccl_collective(spec->kind), bytes_text(spec->message_bytes));
        o.hint = kReinstallHint;
      }
      if (o.status == "FAIL") add_failure_details();
      out.push_back(make_entry(*spec, samples, std::nullopt, o));
      continue;
    }
    const std::string status = text_at(*r, "status");
    const auto bytes = r->value("bytes", spec->message_bytes);
    o.details["bytes"] = bytes;
    for (const char* key : {"count", "iterations", "warmup", "calibration_s", "check"}) {
      if (r->contains(key)) o.details[key] = (*r)[key];
    }
    if (status == "SKIP") {
      o.status = "SKIP";
      o.message = "NCCL: " + text_at(*r, "reason");
      o.hint = contains(o.message, "GiB free") ? kMemoryHint : "";
      out.push_back(make_entry(*spec, samples, std::nullopt, o));
      continue;
    }
    const double factor = nccl_bus_factor(spec->kind, ranks);
    json algbw = json::array(), time_us = json::array();
    for (const json& t : r->value("times_s", json::array())) {
      if (!t.is_number() || !(t.get<double>() > 0)) continue;
      const double alg = static_cast<double>(bytes) / t.get<double>() / 1e9;
      algbw.push_back(alg);
      time_us.push_back(t.get<double>() * 1e6);
      RepetitionSample s;
      s.value = alg * factor;
      samples.push_back(s);
    }
    o.details["algbw_gb_s"] = algbw;
    o.details["time_us"] = time_us;
    o.details["bus_factor"] = factor;
    if (!algbw.empty()) {
      std::vector<double> a = algbw.get<std::vector<double>>();
      std::sort(a.begin(), a.end());
      o.details["algbw_median_gb_s"] =
          a.size() % 2 == 1 ? a[a.size() / 2] : (a[a.size() / 2 - 1] + a[a.size() / 2]) / 2;
    }
    const bool verified = r->value("verified", false);
    if (status == "PASS" && verified && !samples.empty()) {
      o.verified = true;
      o.message = fmt::format(
          "{} ranks, {}", ranks,
          transport.label().empty() ? std::string("transport not logged") : transport.label());
    } else if (r->contains("check") && !verified && (*r)["check"].value("bad_elements", 0) > 0) {
      o.status = "FAIL";
      o.message = "wrong result: " + wrong_text((*r)["check"]);
      o.hint = kWrongHint;
    } else {
      const bool timed_out = r->value("timed_out", false);
      std::string why;
      if (auto e = r->find("error"); e != r->end() && e->is_object()) {
        why = probe_error_text(*e);
      } else if (!text_at(*r, "reason").empty()) {
        why = text_at(*r, "reason");
      } else if (failure) {
        why = failure->message;
      } else {
        why = "no timed repetition";
      }
      o.status = "FAIL";
      o.message = "NCCL (pass " + pass.id + "): " + why;
      o.hint = failure_hint(pass, why, transport, environment, timed_out, worker.signal);
      add_failure_details();
    }
    out.push_back(make_entry(*spec, samples, std::nullopt, o));
  }
  return out;
}

std::vector<json> run_nccl(const std::vector<BenchSpec>& specs, const NcclRunOptions& options) {
  std::vector<json> out(specs.size());
  std::vector<std::size_t> runnable;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].ranks < 2) {
      out[i] = skip_entry(specs[i], fmt::format("needs two or more GPUs ({} visible)",
                                                std::max(specs[i].ranks, 0)));
    } else {
      runnable.push_back(i);
    }
  }
  if (runnable.empty()) return out;
  auto skip_all = [&](const std::string& message, const std::string& hint) {
    for (std::size_t i : runnable) out[i] = skip_entry(specs[i], message, hint);
    return out;
  };
  const ProbeLoad load = load_probe_module(kNcclProbe, options.probe_dirs);
  if (load.status != ProbeLoadStatus::Loaded || load.module == nullptr) {
    return skip_all(fmt::format("{} is not usable ({}): {}", kNcclProbe.file,
                                to_string(load.status), load.error),
                    probe_package_hint(kNcclProbe, options.cuda_runtime_version));
  }
  if (gpuval_probe_module_has_collectives(load.module) == 0) {
    return skip_all(
        fmt::format("{} has no collectives() entry point (module struct of {} bytes, "
                    "{} needed): it was built for an older gpuval",
                    load.path, load.module->struct_size, GPUVAL_PROBE_MODULE_COLLECTIVES_SIZE),
        kReinstallHint);
  }
  std::string worker = options.worker;
  if (worker.empty()) {
    const std::optional<std::string> found = find_probe_worker(options.probe_dirs);
    if (!found) {
      std::string dirs;
      for (const std::string& d : options.probe_dirs) dirs += (dirs.empty() ? "" : ", ") + d;
      return skip_all(fmt::format("{} not found (looked in {})", kProbeWorkerFile, dirs),
                      kReinstallHint);
    }
    worker = *found;
  }
  NcclEnvironment environment;
  struct statvfs st {};
  if (::statvfs("/dev/shm", &st) == 0) {
    environment.dev_shm_bytes = static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize;
  }
  NcclProfile profile = nccl_profile(options.profile);
  if (options.timeout_s > 0) profile.timeout_s = options.timeout_s;

  std::vector<std::string> passes;
  for (std::size_t i : runnable) {
    if (std::find(passes.begin(), passes.end(), specs[i].nccl_pass) == passes.end()) {
      passes.push_back(specs[i].nccl_pass);
    }
  }
  for (const std::string& pass : passes) {
    std::vector<std::size_t> index;
    std::vector<const BenchSpec*> pass_specs;
    for (std::size_t i : runnable) {
      if (specs[i].nccl_pass == pass) {
        index.push_back(i);
        pass_specs.push_back(&specs[i]);
      }
    }
    if (options.cancelled && options.cancelled()) {
      for (std::size_t i : index) out[i] = skip_entry(specs[i], "not run: the run was interrupted");
      continue;
    }
    // NCCL's log of this worker, read after it ends.
    std::string dir_template = (fs::temp_directory_path() / "gpuval-nccl-XXXXXX").string();
    const char* dir = ::mkdtemp(dir_template.data());
    WorkerRequest req;
    req.worker = worker;
    req.module_path = load.path;
    req.input = nccl_request(pass_specs, profile, kWorkerProgressFd).dump();
    if (dir != nullptr) req.env_set = nccl_debug_env(dir);
    for (const auto& kv : nccl_pass(pass).env) req.env_set.push_back(kv);
    req.idle_timeout_s = profile.timeout_s + options.idle_margin_s;
    std::vector<BenchSpec> copies;
    for (const BenchSpec* s : pass_specs) copies.push_back(*s);
    req.total_timeout_s = 3 * estimated_seconds(copies, RateModel{}) + 2 * profile.timeout_s + 60;
    req.cancelled = options.cancelled;
    const WorkerResult result = run_worker(req);
    std::string log;
    if (dir != nullptr) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::ifstream in(e.path());
        std::ostringstream ss;
        ss << in.rdbuf();
        log += ss.str();
      }
      fs::remove_all(dir, ec);
    }
    const NcclTransport transport = parse_nccl_log(log);
    const std::vector<json> entries = nccl_pass_entries(pass_specs, result, transport, environment);
    for (std::size_t k = 0; k < index.size() && k < entries.size(); ++k) out[index[k]] = entries[k];
    if (options.progress) {
      std::size_t passed = 0;
      for (const json& e : entries) passed += e.value("status", "") == "PASS" ? 1 : 0;
      options.progress(fmt::format(
          "nccl pass {}: {} of {} PASS ({}; {:.1f} s)", pass, passed, entries.size(),
          transport.label().empty() ? "transport not logged" : transport.label(), result.wall_s));
    }
  }
  return out;
}

}  // namespace gpuval::bench
