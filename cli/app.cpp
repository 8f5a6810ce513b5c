#include "cli/app.hpp"

#include <cuda_runtime_api.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/command.hpp"
#include "cli/junit.hpp"
#include "cli/render_text.hpp"
#include "cli/run_document_builder.hpp"
#include "core/atomic_file.hpp"
#include "core/exit_codes.hpp"
#include "core/host_info.hpp"
#include "core/interrupt.hpp"
#include "core/run_document.hpp"
#include "core/sysroot_library_loader.hpp"
#include "validate/registry.hpp"
#include "validate/verdict.hpp"

namespace gpuval::cli {
namespace {

namespace fs = std::filesystem;

struct OutputOptions {
  bool json = false;
  bool no_color = false;
  std::string out;
  std::string junit;
  std::string sysroot;
};

void add_output_options(CLI::App* sub, OutputOptions& o) {
  sub->add_flag("--json", o.json, "Print the run document (JSON) on stdout instead of the table");
  sub->add_option("--out", o.out, "Write the run document to FILE (atomically: temp file + rename)");
  sub->add_option("--junit", o.junit, "Write JUnit XML to FILE (one testcase per check)");
  sub->add_flag("--no-color", o.no_color, "No ANSI colours (also: NO_COLOR set, or not a TTY)");
  sub->add_option("--sysroot", o.sysroot,
                  "Read /proc, /sys, /dev, /run and libraries under DIR instead of / (offline "
                  "analysis, tests); the CUDA driver is not loaded")
      ->check(CLI::ExistingDirectory);
}

// Fail before doing any work if an output cannot be written: a long run must not end in a lost
// result.
std::string unwritable_output(const std::string& path, const char* flag) {
  if (path.empty()) return {};
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return fmt::format("{} {}: directory {} does not exist", flag, path, dir.string());
  }
  if (fs::is_directory(p, ec)) return fmt::format("{} {}: is a directory", flag, path);
  if (::access(dir.c_str(), W_OK) != 0) {
    return fmt::format("{} {}: directory {} is not writable (read-only file system or "
                       "permissions; in a container mount a writable volume, e.g. -v "
                       "./results:/results:Z)",
                       flag, path, dir.string());
  }
  return {};
}

int cuda_runtime_version() {
  int v = 0;
  if (cudaRuntimeGetVersion(&v) != cudaSuccess) v = CUDART_VERSION;
  return v;
}

int execute(const std::string& command, const std::string& profile, const OutputOptions& opt,
            const std::vector<std::string>& argv) {
  for (const auto& [path, flag] : {std::pair{opt.out, "--out"}, std::pair{opt.junit, "--junit"}}) {
    if (std::string why = unwritable_output(path, flag); !why.empty()) {
      std::cerr << "gpuval: " << why << "\n";
      return exit_code::kBadInput;
    }
  }
  install_interrupt_handlers();
  const auto t0 = std::chrono::steady_clock::now();
  RunRecord run{new_run_id(), command, profile, argv, utc_now_rfc3339(), {}, 0};

  const bool offline = !opt.sysroot.empty();
  Context ctx{Sysroot(offline ? fs::path(opt.sysroot) : fs::path("/")), Env::from_process(),
              nullptr, nullptr, cuda_runtime_version()};
  DlopenLibraryLoader dl_loader;
  SysrootLibraryLoader tree_loader(ctx.fs, ctx.env);
  DlopenCudaDriverProbe dl_cuda;
  OfflineCudaDriverProbe offline_cuda;
  ctx.libraries = offline ? static_cast<const LibraryLoader*>(&tree_loader) : &dl_loader;
  ctx.cuda = offline ? static_cast<const CudaDriverProbe*>(&offline_cuda) : &dl_cuda;
  ctx.profile = profile;

  Facts facts;
  std::vector<CheckResult> results = run_checks(ctx, facts);
  Verdict verdict = decide_verdict(facts, results, command != "info");
  if (interrupted()) {
    verdict = Verdict{"interrupted", exit_code::kInterrupted,
                      fmt::format("interrupted by signal {}", interrupt_signal()), "", ""};
  }

  run.finished_at = utc_now_rfc3339();
  run.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const nlohmann::json doc = build_run_document(run, ctx, facts, results, facts.devices,
                                                nlohmann::json::array(), verdict);
  int rc = command == "info" ? exit_code::kPass : verdict.exit_code;
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
    const TextStyle style = detect_text_style(opt.no_color);
    std::cout << (command == "info" ? render_info_text(doc, style)
                                    : render_checks_text(doc, style));
    if (!opt.out.empty() && rc != exit_code::kBadInput) {
      std::cout << "run document: " << opt.out << "\n";
    }
  }
  std::cout.flush();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpuval: does this container really get the GPU, all of it, at full speed?"};
  app.name("gpuval");
  app.set_version_flag("--version", ToolInfo::version() + " (" + ToolInfo::git_sha() + ")");
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 pass (warnings allowed), 1 a check failed or a regression was found, 2 usage "
      "or bad input, 3 no usable GPU in this environment, 130 interrupted.");

  const std::vector<std::string> args(argv, argv + argc);

  OutputOptions run_opt;
  bool quick = false, full = false;
  CLI::App* run = app.add_subcommand("run", "Validate, then benchmark (the image's default)");
  add_output_options(run, run_opt);
  auto* quick_flag = run->add_flag("--quick", quick, "Short benchmarks (default)");
  run->add_flag("--full", full, "Long benchmarks with >= 9 repetitions")->excludes(quick_flag);

  OutputOptions val_opt;
  CLI::App* validate =
      app.add_subcommand("validate", "Checks only, each WARN/FAIL with a remediation hint");
  add_output_options(validate, val_opt);

  OutputOptions info_opt;
  CLI::App* info = app.add_subcommand("info", "Devices, driver, runtime and container facts");
  add_output_options(info, info_opt);

  Subcommand compare = add_compare(app);
  Subcommand bench = add_bench(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "gpuval: " << e.what() << "\nRun `gpuval --help` for usage.\n";
    return exit_code::kBadInput;
  }

  if (run->parsed()) return execute("run", full ? "full" : "quick", run_opt, args);
  if (validate->parsed()) return execute("validate", "", val_opt, args);
  if (info->parsed()) return execute("info", "", info_opt, args);
  if (compare.app->parsed()) return compare.run();
  if (bench.app->parsed()) return bench.run();
  return exit_code::kBadInput;
}

}  // namespace gpuval::cli
