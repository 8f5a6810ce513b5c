#include "cli/pipeline.hpp"

#include <cuda_runtime_api.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "bench/runner.hpp"
#include "cli/junit.hpp"
#include "cli/output_location.hpp"
#include "cli/output_check.hpp"
#include "cli/render_text.hpp"
#include "cli/run_document_builder.hpp"
#include "core/atomic_file.hpp"
#include "core/exit_codes.hpp"
#include "core/host_info.hpp"
#include "core/interrupt.hpp"
#include "core/nvml_events.hpp"
#include "core/run_clock.hpp"
#include "core/run_document.hpp"
#include "core/sysroot_library_loader.hpp"
#include "validate/gpu/gpu_events.hpp"
#include "validate/gpu/persistence_followup.hpp"
#include "validate/registry.hpp"
#include "core/verdict.hpp"

namespace gpuval::cli {
namespace {

namespace fs = std::filesystem;

int cuda_runtime_version() {
  int v = 0;
  if (cudaRuntimeGetVersion(&v) != cudaSuccess) v = CUDART_VERSION;
  return v;
}

// A FAILed benchmark fails the run like a failed check (never exit 0 on a failure).
int exit_code_of(const Verdict& verdict, const nlohmann::json& benchmarks) {
  if (verdict.exit_code != exit_code::kPass) return verdict.exit_code;
  for (const auto& b : benchmarks) {
    if (b.value("status", "") == "FAIL") return exit_code::kFailed;
  }
  return exit_code::kPass;
}

}  // namespace

int run_pipeline(const PipelineOptions& opt) {
  for (const auto& [path, flag] : {std::pair{opt.out, "--out"}, std::pair{opt.junit, "--junit"}}) {
    if (std::string why = unwritable_output(
            path, flag,
            "read-only file system or permissions; in a container mount a writable volume, e.g. "
            "-v ./results:/results:Z");
        !why.empty()) {
      std::cerr << "gpuval: " << why << "\n";
      return exit_code::kBadInput;
    }
  }
  install_interrupt_handlers();
  run_clock_s();  // the run clock (events, check and benchmark windows) starts here
  const auto t0 = std::chrono::steady_clock::now();
  RunRecord run{new_run_id(), opt.command, opt.profile, opt.argv, utc_now_rfc3339(), {}, 0};

  const bool offline = !opt.sysroot.empty();
  Context ctx{Sysroot(offline ? fs::path(opt.sysroot) : fs::path("/")), Env::from_process(),
              nullptr, nullptr, cuda_runtime_version()};
  ctx.profile = opt.profile;
  DlopenLibraryLoader dl_loader;
  SysrootLibraryLoader tree_loader(ctx.fs, ctx.env);
  DlopenCudaDriverProbe dl_cuda;
  OfflineCudaDriverProbe offline_cuda;
  ctx.libraries = offline ? static_cast<const LibraryLoader*>(&tree_loader) : &dl_loader;
  ctx.cuda = offline ? static_cast<const CudaDriverProbe*>(&offline_cuda) : &dl_cuda;

  // NVML events (Xid, ECC, ...) on every GPU for the whole run, checks and benchmarks: a
  // background thread, stopped after the benchmarks (or at SIGINT/SIGTERM).
  std::unique_ptr<NvmlEventWatch> watch;
  NvmlEventLog no_watch;
  if (offline) {
    no_watch.why_not = "offline analysis of " + opt.sysroot;
  } else if (NvmlSession::Opened nvml = NvmlSession::open(ctx.nvml_library); nvml.session) {
    watch = NvmlEventWatch::start(std::move(nvml.session));
  } else {
    no_watch.why_not = fmt::format("NVML not usable ({}, see nvml)", to_string(nvml.failure.stage));
  }
  ctx.events = watch.get();
  auto event_log = [&] { return watch ? watch->snapshot() : no_watch; };

  Facts facts;
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  const double checks_start_s = run_clock_s();
  std::vector<CheckResult> results = run_checks(ctx, facts);
  run.phases["checks_s"] = seconds_since(t0);
  Verdict verdict = decide_verdict(facts, results, opt.command != "info");
  const TextStyle style = detect_text_style(opt.no_color);

  auto document = [&](const nlohmann::json& benchmarks, const Verdict& v,
                      const NvmlEventLog& events) {
    run.finished_at = utc_now_rfc3339();
    run.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json doc = build_run_document(run, ctx, facts, results, facts.devices, benchmarks, v);
    doc["events"] = checks::events_json(events, facts);
    return doc;
  };

  nlohmann::json benchmarks = nlohmann::json::array();
  if (opt.benchmarks && !interrupted()) {
    // Benchmarks take minutes: leave a valid document with the checks behind first, so a killed
    // run still has one.
    if (!opt.out.empty()) {
      Verdict partial{"interrupted", exit_code::kInterrupted,
                      "benchmarks did not finish (the run was stopped while benchmarking)", "", ""};
      try {
        write_file_atomically(opt.out,
                              dump_run_document(document(benchmarks, partial, event_log())));
      } catch (const WriteError& e) {
        std::cerr << "gpuval: " << e.what() << "\n";
        return exit_code::kBadInput;
      }
    }
    bench::BenchOptions bopt;
    bopt.profile = opt.profile.empty() ? "quick" : opt.profile;
    bopt.filter = opt.filter;
    bopt.benchmark_args = opt.benchmark_args;
    const bool show_progress = !opt.json && ::isatty(STDERR_FILENO);
    const auto t_bench = std::chrono::steady_clock::now();
    try {
      benchmarks = bench::run_benchmarks(bopt, facts, [&](const std::string& line) {
        if (show_progress) std::cerr << line << "\n";
      });
    } catch (const std::invalid_argument& e) {
      std::cerr << "gpuval " << opt.command << ": " << e.what() << "\n";
      return exit_code::kBadInput;
    }
    run.phases["benchmarks_s"] = seconds_since(t_bench);
    // Persistence mode off is judged with the benchmarks' evidence of a cold start.
    if (checks::apply_persistence_followup(results, facts, benchmarks)) {
      verdict = decide_verdict(facts, results, opt.command != "info");
    }
  }
  // The events of the whole run: gpu-events judged again, and what passed while an event
  // fired on its GPU takes the event's class (validate/gpu/gpu_events.hpp).
  if (watch) watch->stop();
  const NvmlEventLog events = event_log();
  std::vector<checks::RunWindow> windows;
  for (double t = checks_start_s; const CheckResult& r : results) {
    windows.push_back({t, t + r.wall_s});
    t += r.wall_s;
  }
  if (checks::apply_gpu_events(results, windows, benchmarks, events, facts)) {
    verdict = decide_verdict(facts, results, opt.command != "info");
  }
  if (interrupted()) {
    verdict = Verdict{"interrupted", exit_code::kInterrupted,
                      fmt::format("interrupted by signal {}", interrupt_signal()), "", ""};
  }

  const nlohmann::json doc = document(benchmarks, verdict, events);
  int rc = opt.command == "info" ? exit_code::kPass : exit_code_of(verdict, benchmarks);
  try {
    if (!opt.out.empty()) write_file_atomically(opt.out, dump_run_document(doc));
    if (!opt.junit.empty()) write_file_atomically(opt.junit, render_junit(doc));
  } catch (const WriteError& e) {
    std::cerr << "gpuval: " << e.what() << "\n";
    rc = exit_code::kBadInput;
  }
  if (opt.json) {
    std::cout << dump_run_document(doc);
  } else {
    if (opt.command == "info") {
      std::cout << render_info_text(doc, style);
    } else {
      if (opt.benchmarks) std::cout << render_benchmarks_text(doc, style);
      if (opt.print_checks)
        std::cout << render_checks_text(doc, style);
      else
        std::cout << render_verdict_text(doc, style);
    }
    if (!opt.out.empty() && rc != exit_code::kBadInput) {
      std::cout << "run document: " << opt.out << "\n";
      std::cout << unkept_output_note(ctx.fs, ctx.env, facts.in_container && !offline, opt.out);
    }
  }
  std::cout.flush();
  return rc;
}

}  // namespace gpuval::cli
