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
#include "core/plural.hpp"
#include "history/baseline.hpp"
#include "history/index.hpp"
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
  unsigned threads = 0;
};

constexpr const char* kLayout =
    "History layout: HISTORY/<host>/<gpu-model>/<driver>/<YYYY-MM-DD>/<mode>/<run-id>.json and\n"
    "HISTORY/_pins/<host>/<gpu-model>/<mode>.json (slugs; mode = baremetal or "
    "<engine>-<injection>,\n"
    "e.g. podman-cdi), and HISTORY/_index.sqlite, the index `add` keeps and `reindex` rebuilds.\n"
    "See docs/nightly.md.";

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

// The index entry of a document about to be filed (its path relative to the history).
history::EntryReading entry_of(const history::InputDocument& d) {
  return history::read_entry(d.text, history::document_path(fs::path(), d.id).generic_string());
}

// The history index as `history add` keeps it: opened at the first batch (created with the
// documents already in the history when missing, rows a killed writer left pending settled);
// each batch's documents are recorded as pending before any is filed and marked indexed after.
// An index error stops the index updates, never the filing.
class AddIndex {
 public:
  explicit AddIndex(fs::path history) : history_(std::move(history)) {}

  void before_filing(const std::vector<history::EntryReading>& batch) {
    if (!error_.empty()) return;
    try {
      if (!index_) open();
      std::vector<history::IndexEntry> pending;
      for (const history::EntryReading& e : batch) {
        if (e.kind == report::FileReading::Kind::kRun) pending.push_back(e.entry);
      }
      index_->put_pending(pending);
    } catch (const history::IndexError& e) {
      fail(e);
    }
  }

  // indexed: filed (or already there) byte for byte; settle: conflicts, failures and documents
  // the index reads apart, settled from what is on disk.
  void after_filing(const std::vector<history::IndexEntry>& indexed,
                    const std::vector<std::string>& settle) {
    if (!index_) return;
    try {
      index_->put_indexed(indexed);
      index_->settle(settle);
    } catch (const history::IndexError& e) {
      fail(e);
    }
  }

  const std::string& error() const { return error_; }

 private:
  void open() {
    std::error_code ec;
    fs::create_directories(history_, ec);
    index_ = history::Index::open(history_, history::Index::Access::kWrite);
    if (index_->created()) {
      std::cout << fmt::format("created the history index {}{}\n",
                               history::index_path(history_).string(),
                               index_->created_runs() == 0
                                   ? ""
                                   : fmt::format(" with the {} already in the history",
                                                 plural(index_->created_runs(), "run document")));
    }
    index_->settle();  // rows a killed writer left pending
  }
  void fail(const history::IndexError& e) {
    error_ = e.what();
    index_.reset();
  }

  fs::path history_;
  std::unique_ptr<history::Index> index_;
  std::string error_;
};

// Documents are read a batch at a time (one index transaction each side of the filing), so
// memory stays bounded whatever the number of files: a folder of 100,000 costs what a batch does.
constexpr std::size_t kAddBatchFiles = 32;
constexpr std::size_t kAddBatchBytes = std::size_t{16} << 20;

int run_add(const HistoryArgs& a) {
  // SIGTERM / SIGINT: the document being filed is finished (never a temporary left behind),
  // then filing stops.
  install_interrupt_handlers();
  int filed = 0, already = 0, failed = 0, documents = 0;
  const std::vector<history::InputFile> files = history::list_documents(a.inputs);
  AddIndex index(a.history);
  std::size_t next = 0, looked_at = 0;
  while (next < files.size() && !interrupted()) {
    // A batch: each file read gives at most one document (or a bad input).
    std::vector<history::Inputs> batch;
    std::size_t bytes = 0;
    while (next < files.size() && batch.size() < kAddBatchFiles && bytes < kAddBatchBytes) {
      history::read_document(files[next++], batch.emplace_back());
      for (const history::InputDocument& d : batch.back().documents) bytes += d.text.size();
    }
    std::vector<std::vector<history::EntryReading>> entries(batch.size());
    std::vector<history::EntryReading> all_entries;
    for (std::size_t f = 0; f < batch.size(); ++f) {
      for (const history::InputDocument& d : batch[f].documents) {
        entries[f].push_back(entry_of(d));
        all_entries.push_back(entries[f].back());
      }
    }
    if (!all_entries.empty()) index.before_filing(all_entries);

    std::vector<history::IndexEntry> indexed;
    std::vector<std::string> settle;
    for (std::size_t f = 0; f < batch.size(); ++f) {
      if (interrupted()) break;  // the rest of the batch stays pending in the index: harmless
      ++looked_at;
      report_bad("add", batch[f].bad);
      failed += static_cast<int>(batch[f].bad.size());
      for (std::size_t i = 0; i < batch[f].documents.size(); ++i) {
        const history::InputDocument& d = batch[f].documents[i];
        history::EntryReading& e = entries[f][i];
        ++documents;
        try {
          const history::FileResult r = history::file_document(a.history, d.doc, d.text);
          const bool is_new = r.status == history::FileStatus::kFiled;
          (is_new ? filed : already)++;
          std::cout << (is_new ? "filed   " : "already ") << r.path.string() << "\n";
          if (e.kind == report::FileReading::Kind::kRun && r.same_bytes) {
            indexed.push_back(std::move(e.entry));
          } else {
            settle.push_back(e.entry.path);
          }
        } catch (const history::FilingError& err) {
          std::cerr << "gpuval history add: " << d.path << ": " << err.what() << "\n";
          ++failed;
          settle.push_back(e.entry.path);
        }
      }
    }
    index.after_filing(indexed, settle);
  }
  std::cout << fmt::format(
      "gpuval history add: {} filed, {} already in the history, {} not filed\n", filed, already,
      failed);
  if (!index.error().empty()) {
    std::cerr << fmt::format(
        "gpuval history add: the documents are filed, but the history index was not updated: "
        "{}\n",
        index.error());
  }
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
  if (!index.error().empty()) return exit_code::kBadInput;
  return failed > 0 ? exit_code::kBadInput : exit_code::kPass;
}

int run_reindex(const HistoryArgs& a) {
  std::error_code ec;
  if (!fs::is_directory(a.history, ec)) {
    std::cerr << "gpuval history reindex: history " << a.history << " is not a folder\n";
    return exit_code::kBadInput;
  }
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto progress = [tty](std::size_t done, std::size_t total) {
    if (tty) std::cerr << fmt::format("\rgpuval history reindex: read {}/{} files", done, total);
  };
  const auto attempt = [&] {
    auto index = history::Index::open(a.history, history::Index::Access::kRebuild);
    return index->rebuild(a.threads, progress);
  };
  history::Index::RebuildResult r;
  try {
    try {
      r = attempt();
    } catch (const history::IndexError& e) {
      // Not a database any more (or damaged beyond what DROP TABLE can do): start afresh.
      if (tty) std::cerr << "\n";
      std::cerr << fmt::format("gpuval history reindex: {}: recreating it\n", e.what());
      for (const char* suffix : {"", "-wal", "-shm"}) {
        fs::remove(history::index_path(a.history).string() + suffix, ec);
      }
      r = attempt();
    }
  } catch (const history::IndexError& e) {
    if (tty) std::cerr << "\n";
    std::cerr << "gpuval history reindex: " << e.what() << "\n";
    return exit_code::kBadInput;
  }
  if (tty) std::cerr << "\n";
  std::cout << fmt::format("gpuval history reindex: {} indexed, {} in {}\n",
                           plural(r.runs, "run document"), plural(r.bad, "bad file"),
                           history::index_path(a.history).string());
  return exit_code::kPass;
}

void print_check(const history::NightlyResult& r, const history::NightlyOptions& o) {
  if (!r.index_warning.empty()) {
    std::cerr << "gpuval history check: " << r.index_warning
              << "; reading the history's folders instead\n";
  }
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
      "clash, a killed writer leaves no partial document. Keeps the history index\n"
      "(HISTORY/_index.sqlite, created with the documents already there when missing).\n"
      "Exit codes: 0 every document filed or already there; 2 an unusable input, a conflict\n"
      "(another document under the same run id) or an index that could not be updated.");

  CLI::App* reindex = sub->add_subcommand(
      "reindex", "Rebuild the history index (HISTORY/_index.sqlite) from the documents");
  add_history_option(reindex, *args);
  reindex->add_option("--threads", args->threads, "Files read in parallel (0: one per CPU)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 256u));
  reindex->footer(
      "Reads every run document of the history (as `gpuval report` would) into a new index, in\n"
      "one transaction: readers keep the old index until it is done, writers wait. Run it after\n"
      "deleting or copying documents by hand, or when the index is damaged or of another\n"
      "schema version (it is recreated). `history add` keeps the index up to date otherwise.\n"
      "Exit codes: 0 rebuilt (bad files are recorded and listed by the report); 2 no such\n"
      "history, or the index cannot be written.");

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

  return {sub, [args, add, reindex, check, pin] {
            if (add->parsed()) return run_add(*args);
            if (reindex->parsed()) return run_reindex(*args);
            if (check->parsed()) return run_check(*args);
            if (pin->parsed()) return run_pin(*args);
            return exit_code::kBadInput;
          }};
}

}  // namespace gpuval::cli
