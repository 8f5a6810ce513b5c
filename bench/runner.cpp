#include "bench/runner.hpp"

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <memory>
#include <regex>
#include <stdexcept>

#include "bench/catalogue.hpp"
#include "bench/cold_start.hpp"
#include "bench/entry.hpp"
#include "bench/gpu_benchmarks.hpp"
#include "bench/nccl_bench.hpp"
#include "bench/reporter.hpp"
#include "core/device_inventory.hpp"
#include "core/environment.hpp"
#include "core/interrupt.hpp"
#include "probes/host/probe_loader.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;

std::vector<BenchSpec> selected(const BenchOptions& opt, int device, int device_count) {
  std::regex re;
  try {
    re = std::regex(opt.filter.empty() ? std::string(".*") : opt.filter);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument(
        fmt::format("--filter {}: not a valid regular expression ({})", opt.filter, e.what()));
  }
  std::vector<BenchSpec> out;
  for (BenchSpec& s : catalogue(opt.profile, device, device_count)) {
    if (std::regex_search(s.id, re)) out.push_back(std::move(s));
  }
  return out;
}

// "stream-triad/dev:0/bytes:805306368": unique per (id, device, params) and filterable with
// --benchmark_filter.
std::string gb_name(const BenchSpec& s) {
  std::string name = fmt::format("{}/dev:{}", s.id, s.device);
  for (const auto& [key, value] : s.params.items()) {
    name += "/" + key + ":" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return name;
}

bool has_flag(const std::vector<std::string>& args, const std::string& flag) {
  for (const std::string& a : args) {
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

// Hands the pass-through flags to Google Benchmark's parser (which also keeps --benchmark_out
// and --benchmark_out_format working); anything it does not recognise is a usage error.
void initialize_google_benchmark(const std::vector<std::string>& extra) {
  std::vector<std::string> storage{"gpuval"};
  storage.insert(storage.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(storage.size());
  benchmark::Initialize(&argc, argv.data());
  if (argc > 1) {
    throw std::invalid_argument(fmt::format("unrecognised Google Benchmark argument: {}", argv[1]));
  }
}

}  // namespace

json skipped_catalogue(const BenchOptions& opt, const std::string& message) {
  json out = json::array();
  for (const BenchSpec& s : selected(opt, 0, 1)) out.push_back(skip_entry(s, message));
  return out;
}

namespace {

// A MIG slice shares its board's host link and copy engines: the link floor does not apply.
bool is_mig(const json* device) {
  return device != nullptr && device->contains("mig") && (*device)["mig"].is_object() &&
         (*device)["mig"].value("enabled", false);
}

}  // namespace

std::vector<BenchSpec> planned_specs(const BenchOptions& opt, const Facts& facts) {
  // Every device CUDA enumerates (its ordinal is what "device" means in every entry), each with
  // the NVML board bound to it by PCI bus id for clocks, throttle reasons and peaks.
  const int devices = facts.cuda && facts.cuda->device_count > 0 ? facts.cuda->device_count : 1;
  std::vector<BenchSpec> out;
  for (int d = 0; d < devices; ++d) {
    const json* entry = device_entry(facts.devices, d);
    for (BenchSpec& s : selected(opt, d, devices)) {
      s.nvml_index = nvml_index_for(facts.bindings, d);
      if (is_mig(entry)) s.min_fraction_of_peak = 0;
      out.push_back(std::move(s));
    }
  }
  return out;
}

json run_benchmarks(const BenchOptions& opt, const Facts& facts,
                    std::function<void(const std::string&)> progress) {
  if (!facts.gpu_usable) return skipped_catalogue(opt, "no usable GPU (see verdict)");
  initialize_google_benchmark(opt.benchmark_args);
  const bool user_repetitions = has_flag(opt.benchmark_args, "--benchmark_repetitions");

  NvmlSession::Opened nvml = NvmlSession::open();
  const std::vector<std::string> probe_dirs =
      opt.probe_dirs.empty() ? probe_search_dirs(Env::from_process()) : opt.probe_dirs;

  struct Planned {
    BenchSpec spec;
    std::string name;
    std::shared_ptr<Outcome> outcome;
    bool registered = false;
    bool nccl = false;  // run by run_nccl after the single-device benchmarks
  };
  std::vector<Planned> plan;
  json out = json::array();
  std::vector<BenchSpec> cold;  // run after Google Benchmark, in fresh processes
  CollectingReporter reporter(progress);
  {
    // The single-device benchmarks; their buffers are released before the collectives run.
    GpuBenchmarks gpu(nvml.session.get(), facts, probe_dirs);
    benchmark::ClearRegisteredBenchmarks();
    for (BenchSpec& s : planned_specs(opt, facts)) {
      Planned p{std::move(s), {}, std::make_shared<Outcome>(), false, false};
      p.name = gb_name(p.spec);
      if (is_nccl_kind(p.spec.kind)) {
        p.nccl = true;
      } else if (p.spec.kind == BenchKind::ColdStart) {
        cold.push_back(p.spec);
      } else if (std::optional<Outcome> why =
                     gpu.add(p.spec, p.name, p.outcome, !user_repetitions)) {
        *p.outcome = *why;
      } else {
        p.registered = true;
      }
      plan.push_back(std::move(p));
    }
    reporter.start();
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::ClearRegisteredBenchmarks();
  }

  // The collectives over every GPU, one worker process per pass (bench/nccl_bench.hpp).
  std::vector<BenchSpec> nccl_specs;
  for (const Planned& p : plan) {
    if (p.nccl) nccl_specs.push_back(p.spec);
  }
  NcclRunOptions nccl_options;
  nccl_options.probe_dirs = probe_dirs;
  nccl_options.profile = opt.profile;
  if (cudaRuntimeGetVersion(&nccl_options.cuda_runtime_version) != cudaSuccess) {
    nccl_options.cuda_runtime_version = CUDART_VERSION;
  }
  nccl_options.progress = progress;
  nccl_options.cancelled = [] { return interrupted(); };
  const std::vector<json> nccl_entries =
      nccl_specs.empty() ? std::vector<json>{} : run_nccl(nccl_specs, nccl_options);
  std::size_t next_nccl = 0;

  // Time to first kernel: fresh child processes, one chain of steps each.
  json cold_entries = json::array();
  if (!cold.empty()) {
    ColdStartOptions co;
    co.exe = opt.cold_start_exe;
    co.device = cold.front().device;
    co.samples = cold.front().repetitions;
    co.budget_s = opt.profile == "full" ? 60 : 15;
    co.in_container = facts.in_container;
    co.cuda_module_loading = Env::from_process().get("CUDA_MODULE_LOADING").value_or("");
    if (interrupted()) {
      for (const BenchSpec& s : cold) {
        cold_entries.push_back(skip_entry(s, "interrupted before the cold-start processes ran"));
      }
    } else {
      cold_entries = run_cold_start(cold, co);
      if (progress) progress(fmt::format("cold start: {} fresh processes", co.samples));
    }
  }
  std::size_t next_cold = 0;

  for (const Planned& p : plan) {
    const json* entry = device_entry(facts.devices, p.spec.device);
    const json device = entry != nullptr ? *entry : json::object();
    if (p.spec.kind == BenchKind::ColdStart) {
      if (next_cold < cold_entries.size()) out.push_back(cold_entries[next_cold++]);
      continue;
    }
    if (p.nccl) {
      if (next_nccl < nccl_entries.size()) out.push_back(nccl_entries[next_nccl++]);
      continue;
    }
    if (!p.registered) {
      out.push_back(skip_entry(p.spec, p.outcome->message, p.outcome->hint,
                               p.outcome->status.empty() ? "SKIP" : p.outcome->status));
      continue;
    }
    const auto it = reporter.runs().find(p.name);
    if (it == reporter.runs().end()) continue;  // filtered out by --benchmark_filter
    std::vector<RepetitionSample> samples;
    for (const auto& run : it->second) {
      if (auto s = sample_from_run(p.spec, run)) samples.push_back(*s);
    }
    json e = make_entry(p.spec, samples, peak_for(p.spec, device), *p.outcome,
                        peak_note(p.spec, device));
    if (auto w = reporter.wall_seconds().find(p.name); w != reporter.wall_seconds().end()) {
      e["wall_s"] = w->second;
      if (auto f = reporter.finished_s().find(p.name); f != reporter.finished_s().end()) {
        e["run_window_s"] = {f->second - w->second, f->second};
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace gpuval::bench
