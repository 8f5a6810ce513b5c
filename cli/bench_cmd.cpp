// `gpuval bench`: the checks (silently, for the facts and the verdict), then the benchmarks.
// Unrecognised `--benchmark_*` arguments go to Google Benchmark unchanged, so
// `--benchmark_out=gb.json --benchmark_out_format=json` still gives Google Benchmark's own JSON.
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "bench/runner.hpp"
#include "cli/command.hpp"
#include "cli/run_document_builder.hpp"
#include "core/atomic_file.hpp"
#include "core/driver_probe.hpp"
#include "core/exit_codes.hpp"
#include "core/host_info.hpp"
#include "core/run_document.hpp"
#include "validate/registry.hpp"
#include "validate/verdict.hpp"

namespace gpuval::cli {
namespace {

struct BenchArgs {
  bool quick = false, full = false, json = false;
  std::string out, filter;
};

std::string figure(const nlohmann::json& b) {
  if (!b["median"].is_number()) return "-";
  std::string s = fmt::format("{:.2f} {}", b["median"].get<double>(), b["unit"].get<std::string>());
  if (b["fraction_of_peak"].is_number()) {
    s += fmt::format(" ({:.1f} % of peak)", 100.0 * b["fraction_of_peak"].get<double>());
  }
  return s;
}

int run_bench(const BenchArgs& args, CLI::App& sub, const std::vector<std::string>& argv) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string profile = args.full ? "full" : "quick";
  RunRecord run{new_run_id(), "bench", profile, argv, utc_now_rfc3339(), {}, 0};
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) != cudaSuccess) runtime = CUDART_VERSION;
  DlopenLibraryLoader loader;
  DlopenCudaDriverProbe cuda;
  Context ctx{Sysroot("/"), Env::from_process(), &loader, &cuda, runtime};
  ctx.profile = profile;
  Facts facts;
  const std::vector<CheckResult> checks = run_checks(ctx, facts);
  const Verdict verdict = decide_verdict(facts, checks, true);

  bench::BenchOptions opt;
  opt.profile = profile;
  opt.filter = args.filter;
  opt.benchmark_args = sub.remaining();
  nlohmann::json benchmarks;
  try {
    benchmarks = bench::run_benchmarks(opt, facts, [&](const std::string& line) {
      if (!args.json) std::cerr << line << "\n";
    });
  } catch (const std::invalid_argument& e) {
    std::cerr << "gpuval bench: " << e.what() << "\n";
    return exit_code::kBadInput;
  }
  run.finished_at = utc_now_rfc3339();
  run.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const nlohmann::json doc =
      build_run_document(run, ctx, facts, checks, facts.devices, benchmarks, verdict);
  int rc = verdict.exit_code;
  for (const auto& b : benchmarks) {
    if (b["status"] == "FAIL" && rc == exit_code::kPass) rc = exit_code::kFailed;
  }
  if (!args.out.empty()) {
    try {
      write_file_atomically(args.out, dump_run_document(doc));
    } catch (const std::exception& e) {
      std::cerr << "gpuval bench: " << e.what() << "\n";
      return exit_code::kBadInput;
    }
  }
  if (args.json) {
    std::cout << dump_run_document(doc);
    return rc;
  }
  if (!facts.gpu_usable) {
    std::cout << fmt::format("no usable GPU: {} — {} benchmarks skipped\n", verdict.cause,
                             benchmarks.size());
    if (!verdict.hint.empty()) std::cout << "hint: " << verdict.hint << "\n";
  } else {
    for (const auto& b : benchmarks) {
      std::cout << fmt::format(
          "{:<5} {:<20} {:<28} {}{}\n", b["status"].get<std::string>(), b["id"].get<std::string>(),
          b["params"].dump(), figure(b),
          b["message"].get<std::string>().empty() ? "" : "  " + b["message"].get<std::string>());
    }
  }
  if (!args.out.empty()) std::cout << "run document: " << args.out << "\n";
  return rc;
}

}  // namespace

Subcommand add_bench(CLI::App& parent) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* sub = parent.add_subcommand(
      "bench",
      "Benchmarks only (memory bandwidth, host link, GEMM, latency); --benchmark_* "
      "arguments go to Google Benchmark");
  sub->allow_extras();
  auto* quick = sub->add_flag("--quick", args->quick, "Short benchmarks (default)");
  sub->add_flag("--full", args->full, "Long benchmarks with >= 9 repetitions")->excludes(quick);
  sub->add_flag("--json", args->json, "Print the run document (JSON) on stdout");
  sub->add_option("--out", args->out, "Write the run document to FILE (atomically)");
  sub->add_option("--filter", args->filter, "Only benchmarks whose id matches this regex");
  return {sub, [args, sub] { return run_bench(*args, *sub, {"gpuval", "bench"}); }};
}

}  // namespace gpuval::cli
