// The nightly gate: each of tonight's run documents against its baseline from the history.
//
// Per document: a check that FAILed is a failed check; a benchmark compare_runs() calls worse
// than the baseline is a regression. Exit code per document: 3 when the run had no usable GPU
// (its failed checks are the diagnosis, nothing is compared), 1 on a failed check, a regression
// or a verdict of fail/interrupted, 2 when the required baseline is missing (pinned), else 0 —
// also when there is no baseline yet (the first night of a series). Overall: the most severe
// code, ordered 2 > 1 > 3 > 0, like scripts/gpuval-host.sh.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compare/compare.hpp"
#include "history/baseline.hpp"
#include "history/identity.hpp"
#include "history/inputs.hpp"

namespace gpuval::history {

struct NightlyOptions {
  BaselineSpec baseline;
  compare::CompareOptions compare;
};

struct FailedCheck {
  std::string id, message, hint;
};

struct Regression {
  std::string benchmark;  // "stream-triad gpu0 bytes=805306368"
  std::string reason;     // compare's one line: "median -15.0 %, significant (p = ...)"
};

struct DocumentResult {
  std::string path;  // where tonight's document was read from
  nlohmann::json doc;
  RunIdentity id;
  // Absent without a GPU tonight or when selection failed; its documents' JSON is released once
  // compared (their identities stay).
  std::optional<Baseline> baseline;
  std::string baseline_error;                     // why the required baseline is unusable (exit 2)
  std::optional<compare::Comparison> comparison;  // absent without a baseline
  std::vector<FailedCheck> failed_checks;
  std::vector<Regression> regressions;  // benchmarks worse than the baseline
  int exit_code = 0;
  std::string headline;  // one line: OK / REGRESSION / FAILED CHECK / NO GPU / ...
};

// When the latest run of a host, GPU model and mode started: from the history's index (every
// series of the history, so a node that stopped reporting stays visible), else from the checked
// documents.
struct LastRun {
  std::string host, gpu_model, mode;
  std::int64_t started_epoch = 0;
};

struct NightlyResult {
  std::vector<DocumentResult> documents;
  std::vector<BadInput> bad;  // unusable inputs (exit 2)
  int exit_code = 0;
  std::int64_t checked_at = 0;     // seconds since 1970
  std::vector<LastRun> last_runs;  // sorted by host, GPU model, mode
  std::string index_warning;       // the history's index could not be used: why

  std::size_t regression_count() const;
  std::size_t failed_check_count() const;
};

// The more severe of two exit codes: 2 > 1 > 3 > 0 (anything else counts as 2).
int worse_exit_code(int a, int b);

// Never throws for a document problem (it becomes a bad input or a baseline error).
NightlyResult check_documents(const std::filesystem::path& root, std::vector<InputDocument> docs,
                              std::vector<BadInput> bad, const NightlyOptions& options,
                              std::int64_t now);

}  // namespace gpuval::history
