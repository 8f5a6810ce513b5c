// `gpuval history add|check|pin`: the nightly results history (history/). `add` files run
// documents, `check` gates tonight's documents against their baselines and writes JUnit,
// Prometheus and Markdown, `pin` makes a run the pinned baseline of its host, GPU model and mode.
// scripts/gpuval-nightly.sh strings them together; docs/nightly.md documents all of it.
#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/output_check.hpp"
#include "core/atomic_file.hpp"
#include "core/exit_codes.hpp"
#include "core/interrupt.hpp"
#include "history/baseline.hpp"
#include "history/inputs.hpp"
#include "history/junit.hpp"
#include "history/layout.hpp"
#include "history/markdown.hpp"
#include "history/nightly_check.hpp"
#include "history/prometheus.hpp"

namespace gpuval::cli {
namespace {

namespace fs = std::filesystem;

struct HistoryArgs {
  std::string history;
  std::vector<std::string> inputs;
  std::string baseline = "median:7";
  compare::CompareOptions compare;
  std::string junit, prom, markdown;
  bool force = false;
  bool latest = false;
};

constexpr const char* kLayout =
    "History layout: HISTORY/<host>/<gpu-model>/<driver>/<YYYY-MM-DD>/<mode>/<run-id>.json and\n"
    "HISTORY/_pins/<host>/<gpu-model>/<mode>.json (slugs; mode = baremetal or "
    "<engine>-<injection>,\n"
    "e.g. podman-cdi). See docs/nightly.md.";

constexpr const char* kCheckFooter =
    "Each document is compared with its baseline: the same host, GPU model and mode, any driver.\n"
    "  median:N  pooled repetitions of the last N nights (UTC dates) before the document's night\n"
    "            that have a passing run; fewer when the history is younger, none on the first\n"
    "  pinned    the run pinned with `gpuval history pin` (missing pin: exit 2)\n"
    "A benchmark is a regression when compare calls it worse (Mann-Whitney p < --alpha and at\n"
    "least --min-effect slower); every FAIL check is a failed check.\n"
    "Exit codes: 0 ok (also: no baseline yet); 1 a regression, a failed check or a failed run;\n"
    "2 usage error, unusable input, missing history or pinned baseline; 3 no usable GPU tonight\n"
    "(unless something worse). Several documents: the worst, ordered 2 > 1 > 3 > 0.";

void report_bad(const char* sub, const std::vector<history::BadInput>& bad) {
  for (const history::BadInput& b : bad) {
    std::cerr << "gpuval history " << sub << ": " << b.path << ": " << b.reason << "\n";
  }
}

int run_add(const HistoryArgs& a) {
  // SIGTERM / SIGINT: the document being filed is finished (never a temporary left behind),
  // then filing stops.
  install_interrupt_handlers();
  int filed = 0, already = 0, failed = 0, documents = 0;
  // One document at a time: memory stays bounded whatever the number of files.
  const std::vector<history::InputFile> files = history::list_documents(a.inputs);
  std::size_t looked_at = 0;
  for (const history::InputFile& f : files) {
    if (interrupted()) break;
    ++looked_at;
    history::Inputs in;
    history::read_document(f, in);
    report_bad("add", in.bad);
    failed += static_cast<int>(in.bad.size());
    for (const history::InputDocument& d : in.documents) {
      ++documents;
      try {
        const history::FileResult r = history::file_document(a.history, d.doc, d.text);
        const bool is_new = r.status == history::FileStatus::kFiled;
        (is_new ? filed : already)++;
        std::cout << (is_new ? "filed   " : "already ") << r.path.string() << "\n";
      } catch (const history::FilingError& e) {
        std::cerr << "gpuval history add: " << d.path << ": " << e.what() << "\n";
        ++failed;
      }
    }
  }
  std::cout << fmt::format(
      "gpuval history add: {} filed, {} already in the history, {} not filed\n", filed, already,
      failed);
  if (interrupted()) {
    std::cerr << fmt::format(
        "gpuval history add: interrupted by signal {}: {} of {} files not looked at (run it "
        "again: filing is idempotent)\n",
        interrupt_signal(), files.size() - looked_at, files.size());
    return exit_code::kInterrupted;
  }
  if (documents == 0 && failed == 0) {
    std::cerr << "gpuval history add: no run documents in the given paths (files whose \"schema\" "
                 "is gpuval.run/1)\n";
    return exit_code::kBadInput;
  }
  return failed > 0 ? exit_code::kBadInput : exit_code::kPass;
}

void print_check(const history::NightlyResult& r, const history::NightlyOptions& o) {
  std::cout << fmt::format("gpuval history check: baseline {}, {} document{}\n", o.baseline.text(),
                           r.documents.size(), r.documents.size() == 1 ? "" : "s");
  for (const history::DocumentResult& d : r.documents) {
    std::cout << fmt::format("  {} {} \"{}\" driver {} {}: {}\n", d.id.host, d.id.mode,
                             d.id.gpu_model, d.id.driver, d.id.night, d.headline);
    if (d.baseline && !d.baseline->empty()) {
      std::cout << "      baseline: " << d.baseline->description << "\n";
    }
    for (const history::Regression& g : d.regressions) {
      std::cout << "      regression: " << g.benchmark << ": " << g.reason << "\n";
    }
    for (const history::FailedCheck& c : d.failed_checks) {
      std::cout << "      failed check: " << c.id << ": " << c.message << "\n";
      if (!c.hint.empty()) std::cout << "        hint: " << c.hint << "\n";
    }
    if (d.baseline) {
      for (const std::string& w : d.baseline->warnings)
        std::cerr << "gpuval history check: " << w << "\n";
    }
  }
  std::cout << fmt::format(
      "result: {} (exit {}): {} regression{}, {} failed check{}, {} bad input{}\n",
      history::exit_code_word(r.exit_code), r.exit_code, r.regression_count(),
      r.regression_count() == 1 ? "" : "s", r.failed_check_count(),
      r.failed_check_count() == 1 ? "" : "s", r.bad.size(), r.bad.size() == 1 ? "" : "s");
}

int run_check(const HistoryArgs& a) {
  history::NightlyOptions options;
  try {
    options.baseline = history::parse_baseline_spec(a.baseline);
  } catch (const std::invalid_argument& e) {
    std::cerr << "gpuval history check: " << e.what() << "\n";
    return exit_code::kBadInput;
  }
  options.compare = a.compare;
  for (const auto& [path, flag] : {std::pair{a.junit, "--junit"}, std::pair{a.prom, "--prom"},
                                   std::pair{a.markdown, "--md"}}) {
    if (std::string why = unwritable_output(path, flag); !why.empty()) {
      std::cerr << "gpuval history check: " << why << "\n";
      return exit_code::kBadInput;
    }
  }
  std::error_code ec;
  if (!fs::is_directory(a.history, ec)) {
    std::cerr << "gpuval history check: history " << a.history
              << " is not a folder: file documents into it with `gpuval history add --history "
              << a.history << " DOC...` first (a mistyped path would mean no baseline ever)\n";
    return exit_code::kBadInput;
  }
  history::Inputs in = history::collect_documents(a.inputs);
  if (a.latest) in.documents = history::latest_nights(std::move(in.documents));
  if (in.documents.empty() && in.bad.empty()) {
    in.bad.push_back({fmt::format("{}", fmt::join(a.inputs, " ")),
                      "no run documents found (files whose \"schema\" is gpuval.run/1)"});
  }
  report_bad("check", in.bad);
  const history::NightlyResult result =
      history::check_documents(a.history, std::move(in.documents), std::move(in.bad), options,
                               static_cast<std::int64_t>(std::time(nullptr)));
  print_check(result, options);
  int code = result.exit_code;
  try {
    if (!a.junit.empty()) write_file_atomically(a.junit, history::render_nightly_junit(result));
    if (!a.prom.empty()) write_file_atomically(a.prom, history::render_prometheus(result));
    if (!a.markdown.empty()) {
      write_file_atomically(a.markdown, history::render_nightly_markdown(result, options));
    }
  } catch (const WriteError& e) {
    std::cerr << "gpuval history check: " << e.what() << "\n";
    code = history::worse_exit_code(code, exit_code::kBadInput);
  }
  return code;
}

int run_pin(const HistoryArgs& a) {
  history::Inputs in = history::collect_documents(a.inputs);
  report_bad("pin", in.bad);
  if (!in.bad.empty()) return exit_code::kBadInput;
  if (in.documents.size() != 1) {
    std::cerr << fmt::format(
        "gpuval history pin: give exactly one run document to pin (found {} in {})\n",
        in.documents.size(), fmt::join(a.inputs, " "));
    return exit_code::kBadInput;
  }
  const history::InputDocument& d = in.documents.front();
  if (d.id.verdict != "pass" && !a.force) {
    std::cerr << fmt::format(
        "gpuval history pin: {} has verdict {} ({}): a baseline should be a passing run with a "
        "GPU; pin a good night's run (or --force)\n",
        d.path, d.id.verdict, d.id.verdict_summary);
    return exit_code::kBadInput;
  }
  try {
    const fs::path path = history::pin_document(a.history, d.doc, d.text);
    std::cout << fmt::format(
        "pinned {} (run {} of {}, driver {}) as the baseline of host {}, GPU model \"{}\", mode "
        "{}: {}\n",
        d.path, d.id.run_id, d.id.night, d.id.driver, d.id.host, d.id.gpu_model, d.id.mode,
        path.string());
  } catch (const history::FilingError& e) {
    std::cerr << "gpuval history pin: " << e.what() << "\n";
    return exit_code::kBadInput;
  }
  return exit_code::kPass;
}

void add_history_option(CLI::App* sub, HistoryArgs& a) {
  sub->add_option("--history", a.history, "The results history folder (also: $GPUVAL_HISTORY)")
      ->envname("GPUVAL_HISTORY")
      ->required();
}

}  // namespace

Subcommand add_history(CLI::App& parent) {
  auto args = std::make_shared<HistoryArgs>();
  CLI::App* sub = parent.add_subcommand(
      "history", "Nightly results history: file run documents, gate tonight against a baseline");
  sub->require_subcommand(1);
  sub->footer(kLayout);

  CLI::App* add = sub->add_subcommand("add", "File run documents into the history (idempotent)");
  add_history_option(add, *args);
  add->add_option("PATH", args->inputs, "Run documents, or folders searched for them")->required();
  add->footer(
      "Files each document under its host, GPU model, driver, night and mode, named by its run\n"
      "id, without ever replacing a file: the same run again is a no-op, concurrent writers never\n"
      "clash, a killed writer leaves no partial document.\n"
      "Exit codes: 0 every document filed or already there; 2 an unusable input or a conflict\n"
      "(another document under the same run id).");

  CLI::App* check =
      sub->add_subcommand("check", "Compare tonight's run documents with their baselines");
  add_history_option(check, *args);
  check->add_option("PATH", args->inputs, "Tonight's run documents, or folders of them")
      ->required();
  check->add_option("--baseline", args->baseline, "median:N (last N nights) or pinned")
      ->capture_default_str();
  check->add_option("--alpha", args->compare.alpha, "Significance level of the Mann-Whitney U test")
      ->capture_default_str()
      ->check(CLI::Range(1e-9, 0.5));
  check
      ->add_option("--min-effect", args->compare.min_effect,
                   "Smallest relative change of the median that counts (0.02 = 2 %)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  check
      ->add_option("--huge-effect", args->compare.huge_effect,
                   "Relative change that decides even with too few repetitions for the test")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  check->add_flag("--latest", args->latest,
                  "Check only each host, GPU model and mode's latest night among the inputs (for "
                  "folders that collect every night's documents)");
  check->add_option("--junit", args->junit, "Write JUnit XML to FILE (atomically)");
  check->add_option("--prom", args->prom,
                    "Write Prometheus text format to FILE (atomically; for node_exporter's "
                    "textfile collector name it *.prom in the collector's folder)");
  check->add_option("--md,--markdown", args->markdown, "Write a Markdown summary to FILE");
  check->footer(kCheckFooter);

  CLI::App* pin =
      sub->add_subcommand("pin", "Pin a run as the baseline of its host, GPU model and mode");
  add_history_option(pin, *args);
  pin->add_option("DOC", args->inputs, "The run document to pin")->required()->expected(1);
  pin->add_flag("--force", args->force, "Pin even a run whose verdict is not pass");
  pin->footer(
      "The pin is a copy of the document (replaced atomically by a later pin); remove the file\n"
      "to unpin. `gpuval history check --baseline pinned` compares with it.\n"
      "Exit codes: 0 pinned; 2 not exactly one usable run document, or its verdict is not pass.");

  return {sub, [args, add, check, pin] {
            if (add->parsed()) return run_add(*args);
            if (check->parsed()) return run_check(*args);
            if (pin->parsed()) return run_pin(*args);
            return exit_code::kBadInput;
          }};
}

}  // namespace gpuval::cli
