// `gpuval report PATH...`: one fleet view over many run documents (drivers, modes, nights,
// nodes) as self-contained HTML and/or Markdown. Informational: exit 0 whenever a report was
// written, 2 on bad usage, unwritable output or no run documents at all.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/output_check.hpp"
#include "core/atomic_file.hpp"
#include "core/exit_codes.hpp"
#include "core/plural.hpp"
#include "history/index.hpp"
#include "report/model.hpp"
#include "report/run_table.hpp"
#include "report/summary.hpp"

namespace gpuval::cli {
namespace {

namespace fs = std::filesystem;

struct ReportArgs {
  std::vector<std::string> inputs;
  std::string html;
  std::string markdown;
  report::ReportOptions options;
  unsigned threads = 0;
  bool no_index = false;
};

constexpr std::size_t kBadFilesOnStderr = 10;

constexpr const char* kFooter =
    "Reads every *.json under the PATHs (files named directly whatever their name) whose schema\n"
    "is gpuval.run/1; other JSON (host-facts.json, compare output) is ignored, unreadable or\n"
    "invalid run documents are listed in the report and skipped. Groups runs by GPU model, driver\n"
    "and mode; lists fleet outliers first, then regression episodes, then per GPU model the\n"
    "benchmark medians per driver with the change from the previous driver and the container /\n"
    "bare-metal ratio, and check outcomes. Without --html or --md the Markdown goes to stdout.\n"
    "A single PATH that is a nightly history with an index (HISTORY/_index.sqlite, kept by\n"
    "`gpuval history add`) is read from the index: the same report, without reading documents.\n"
    "Exit codes: 0 the report was written -- also when it shows regressions or outliers: the\n"
    "report is informational (gate on `gpuval compare` instead); 2 usage error, unwritable\n"
    "output or no run document found.";

void report_bad_files(const std::vector<report::BadFile>& bad) {
  if (bad.empty()) return;
  std::cerr << fmt::format("gpuval report: skipped {} bad file{} (listed in the report):\n",
                           bad.size(), bad.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < bad.size() && i < kBadFilesOnStderr; ++i) {
    std::cerr << "  " << bad[i].path << ": " << bad[i].reason << "\n";
  }
  if (bad.size() > kBadFilesOnStderr) {
    std::cerr << fmt::format("  ... and {} more\n", bad.size() - kBadFilesOnStderr);
  }
}

// Writes one output: "-" is stdout.
bool write_output(const std::string& path, const std::string& content, const char* flag) {
  if (path == "-") {
    std::cout << content;
    std::cout.flush();
    return true;
  }
  try {
    write_file_atomically(path, content);
  } catch (const WriteError& e) {
    std::cerr << "gpuval report: " << flag << ": " << e.what() << "\n";
    return false;
  }
  return true;
}

int run_report(const ReportArgs& args) {
  for (const auto& [path, flag] :
       {std::pair{args.html, "--html"}, std::pair{args.markdown, "--md"}}) {
    if (std::string why = unwritable_output(path, flag); !why.empty()) {
      std::cerr << "gpuval report: " << why << "\n";
      return exit_code::kBadInput;
    }
  }
  std::vector<fs::path> inputs(args.inputs.begin(), args.inputs.end());
  report::LoadProgress progress;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  if (tty) {
    progress = [](std::size_t done, std::size_t total) {
      std::cerr << fmt::format("\rgpuval report: read {}/{} files", done, total) << std::flush;
    };
  }
  // A history with an index (and nothing else to read): its runs come from the index.
  report::TableLoad loaded;
  std::unique_ptr<history::Index> index;
  std::error_code ec;
  if (!args.no_index && inputs.size() == 1 && fs::is_directory(inputs[0], ec) &&
      history::has_index(inputs[0])) {
    try {
      index = history::Index::open(inputs[0], history::Index::Access::kRead);
      loaded = index->load_report_table(inputs[0]);
      std::cerr << fmt::format(
          "gpuval report: {} from the history index {} (--no-index reads "
          "the documents)\n",
          plural(loaded.table->runs.size(), "run"), history::index_path(inputs[0]).string());
    } catch (const history::IndexError& e) {
      std::cerr << fmt::format("gpuval report: {}; reading the documents instead\n", e.what());
      index.reset();
      loaded = {};
    }
  }
  if (!loaded.table) loaded = report::load_run_table(inputs, args.threads, progress);
  if (tty && !index) std::cerr << "\n";
  report_bad_files(loaded.bad);
  if (loaded.table->runs.empty()) {
    std::string where;
    for (const std::string& in : args.inputs) where += (where.empty() ? "" : ", ") + in;
    std::cerr << fmt::format(
        "gpuval report: no run documents found in {} (looked for *.json files with \"schema\": "
        "\"gpuval.run/1\"; point it at the directory the nightly runs write to)\n",
        where);
    return exit_code::kBadInput;
  }

  const report::Report rep =
      report::build_report(*loaded.table, args.options, std::move(loaded.bad));
  loaded.table.reset();
  index.reset();
  bool ok = true;
  if (!args.html.empty()) ok &= write_output(args.html, report::render_html(rep), "--html");
  if (!args.markdown.empty())
    ok &= write_output(args.markdown, report::render_markdown(rep), "--md");
  if (args.html.empty() && args.markdown.empty()) {
    ok &= write_output("-", report::render_markdown(rep), "stdout");
  }
  if (!ok) return exit_code::kBadInput;
  std::size_t ongoing = 0;
  for (const report::Regression& r : rep.regressions) ongoing += r.ongoing ? 1 : 0;
  if (!args.html.empty() || !args.markdown.empty()) {
    std::cerr << fmt::format("gpuval report: {}, {}: {} ({} ongoing), {}, {}\n",
                             plural(rep.runs, "run"), plural(rep.models.size(), "GPU model"),
                             plural(rep.regressions.size(), "regression episode"), ongoing,
                             plural(rep.outliers.size(), "fleet outlier"),
                             plural(rep.bad_files.size(), "bad file"));
  }
  return exit_code::kPass;
}

}  // namespace

Subcommand add_report(CLI::App& parent) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* sub = parent.add_subcommand(
      "report",
      "Report over many run documents: per GPU model and driver, container vs bare metal, "
      "regressions over nights, fleet outliers (HTML and Markdown)");
  sub->add_option("PATH", args->inputs, "Run documents, or directories searched recursively")
      ->required()
      ->expected(1, -1);
  sub->add_option("--html", args->html,
                  "Write the self-contained HTML report to FILE (atomically)");
  sub->add_option("--md,--markdown", args->markdown,
                  "Write the Markdown report to FILE (atomically; - for stdout)");
  sub->add_option("--regression-threshold", args->options.regression_threshold,
                  "A night is a regression when worse than the median of the previous --window "
                  "healthy nights by more than this fraction (0.05 = 5 %)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--window", args->options.window,
                  "Nights in the rolling baseline of each node, mode and benchmark")
      ->capture_default_str()
      ->check(CLI::Range(1, 365));
  sub->add_option("--outlier-threshold", args->options.outlier_threshold,
                  "A node is a fleet outlier when its median is worse than the median of its GPU "
                  "model's nodes (same driver and mode, >= 3 nodes) by more than this fraction")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--title", args->options.title, "Title of the report")->capture_default_str();
  sub->add_option("--threads", args->threads, "Files read in parallel (0: one per CPU)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 256u));
  sub->add_flag("--no-index", args->no_index,
                "Read the documents even when PATH is a history with an index (_index.sqlite)");
  sub->footer(kFooter);
  return {sub, [args] { return run_report(*args); }};
}

}  // namespace gpuval::cli
