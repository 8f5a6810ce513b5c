#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/cold_start_cmd.hpp"
#include "cli/command.hpp"
#include "cli/pipeline.hpp"
#include "core/exit_codes.hpp"
#include "core/host_info.hpp"

namespace gpuval::cli {
namespace {

void add_output_options(CLI::App* sub, PipelineOptions& o) {
  sub->add_flag("--json", o.json, "Print the run document (JSON) on stdout instead of the table");
  sub->add_option("--out", o.out, "Write the run document to FILE (atomically: temp file + rename)");
  sub->add_option("--junit", o.junit, "Write JUnit XML to FILE (one testcase per check)");
  sub->add_flag("--no-color", o.no_color, "No ANSI colours (also: NO_COLOR set, or not a TTY)");
  sub->add_option("--sysroot", o.sysroot,
                  "Read /proc, /sys, /dev, /run and libraries under DIR instead of / (offline "
                  "analysis, tests); the CUDA driver is not loaded")
      ->check(CLI::ExistingDirectory);
}

// Shared by `run` and `bench`: profile flags.
struct Profile {
  bool quick = false;
  bool full = false;
  std::string name() const { return full ? "full" : "quick"; }
};

void add_profile_options(CLI::App* sub, Profile& p) {
  auto* quick = sub->add_flag("--quick", p.quick, "Short benchmarks (default)");
  sub->add_flag("--full", p.full, "Long benchmarks with >= 9 repetitions")->excludes(quick);
}

}  // namespace

Subcommand add_bench(CLI::App& parent) {
  auto opt = std::make_shared<PipelineOptions>();
  auto profile = std::make_shared<Profile>();
  CLI::App* sub = parent.add_subcommand(
      "bench",
      "Benchmarks only (memory bandwidth, host link, GEMM, latency); --benchmark_* arguments go "
      "to Google Benchmark");
  sub->allow_extras();
  add_output_options(sub, *opt);
  add_profile_options(sub, *profile);
  sub->add_option("--filter", opt->filter, "Only benchmarks whose id matches this regex");
  return {sub, [opt, profile, sub] {
            for (const std::string& extra : sub->remaining()) {
              if (extra.rfind("--benchmark_", 0) != 0) {
                std::cerr << "gpuval bench: unknown argument " << extra
                          << " (only --benchmark_* arguments pass through to Google Benchmark)\n"
                          << "Run `gpuval bench --help` for usage.\n";
                return exit_code::kBadInput;
              }
            }
            opt->command = "bench";
            opt->profile = profile->name();
            opt->benchmarks = true;
            opt->print_checks = false;
            opt->benchmark_args = sub->remaining();
            return run_pipeline(*opt);
          }};
}

int main(int argc, char** argv) {
  CLI::App app{"gpuval: does this container really get the GPU, all of it, at full speed?"};
  app.name("gpuval");
  app.set_version_flag("--version", ToolInfo::version() + " (" + ToolInfo::git_sha() + ")");
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 pass (warnings allowed), 1 a check failed or a regression was found, 2 usage "
      "or bad input, 3 no usable GPU in this environment, 130 interrupted.");

  const std::vector<std::string> args(argv, argv + argc);

  PipelineOptions run_opt;
  Profile run_profile;
  CLI::App* run = app.add_subcommand("run", "Validate, then benchmark (the image's default)");
  add_output_options(run, run_opt);
  add_profile_options(run, run_profile);

  PipelineOptions val_opt;
  CLI::App* validate =
      app.add_subcommand("validate", "Checks only, each WARN/FAIL with a remediation hint");
  add_output_options(validate, val_opt);

  PipelineOptions info_opt;
  CLI::App* info = app.add_subcommand("info", "Devices, driver, runtime and container facts");
  add_output_options(info, info_opt);

  // Hidden: one fresh-process sample of the cold-start benchmarks (bench/cold_start.hpp).
  std::string cold_step;
  int cold_device = 0;
  CLI::App* cold = app.add_subcommand("__cold-start", "");
  cold->group("");
  cold->add_option("step", cold_step)->required();
  cold->add_option("--device", cold_device);

  Subcommand compare = add_compare(app);
  Subcommand bench = add_bench(app);
  Subcommand report = add_report(app);
  Subcommand history = add_history(app);

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

  for (PipelineOptions* o : {&run_opt, &val_opt, &info_opt}) o->argv = args;
  if (run->parsed()) {
    run_opt.command = "run";
    run_opt.profile = run_profile.name();
    run_opt.benchmarks = true;
    return run_pipeline(run_opt);
  }
  if (validate->parsed()) {
    val_opt.command = "validate";
    return run_pipeline(val_opt);
  }
  if (info->parsed()) {
    info_opt.command = "info";
    return run_pipeline(info_opt);
  }
  if (cold->parsed()) return run_cold_start_child(cold_step, cold_device);
  if (compare.app->parsed()) return compare.run();
  if (bench.app->parsed()) return bench.run();
  if (report.app->parsed()) return report.run();
  if (history.app->parsed()) return history.run();
  return exit_code::kBadInput;
}

}  // namespace gpuval::cli
