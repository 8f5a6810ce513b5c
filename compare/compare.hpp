// `gpuval compare A B`: what changed from run A (the reference: baseline, bare metal) to run B
// (the candidate: tonight, container). Pure logic on two parsed run documents; rendering is in
// compare/render.hpp. Benchmarks are matched by (id, device, params), checks by id.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval::compare {

struct CompareOptions {
  double alpha = 0.05;        // significance level of the Mann–Whitney U test
  double min_effect = 0.02;   // relative change of the median below which runs are the same
  double huge_effect = 0.25;  // relative change that decides even when the test cannot
};

// Per benchmark. Added / removed: present in only one document.
enum class BenchVerdict { kBetter, kSame, kWorse, kInconclusive, kAdded, kRemoved };
std::string_view to_string(BenchVerdict v);

// Per check: regressed = went to FAIL; worse = PASS -> WARN; improved = away from FAIL or
// WARN -> PASS; changed = any other status change (SKIP involved).
enum class CheckChange { kSame, kRegressed, kWorse, kImproved, kChanged, kAdded, kRemoved };
std::string_view to_string(CheckChange c);

struct BenchmarkComparison {
  std::string id;
  nlohmann::json device;  // integer index, or null when the document has none
  nlohmann::json params;  // object (empty when absent)
  std::string unit;
  bool higher_is_better = true;
  BenchVerdict verdict = BenchVerdict::kInconclusive;
  std::size_t n_reference = 0, n_candidate = 0;
  std::optional<double> median_reference, median_candidate;
  std::optional<double> cv_reference, cv_candidate;
  std::optional<double> ratio;    // median B / median A
  std::optional<double> p_value;  // two-sided Mann–Whitney U; absent when not computed
  std::string reason;             // one line: why this verdict
};

struct CheckComparison {
  std::string id;
  std::string title;
  std::string status_reference;  // "" when absent from A
  std::string status_candidate;  // "" when absent from B
  CheckChange change = CheckChange::kSame;
  std::string message;  // the candidate's (the reference's when removed)
  std::string hint;
};

// One field that differs between the runs' environments, e.g. "driver.version".
struct EnvDifference {
  std::string field;
  nlohmann::json reference;  // null when absent
  nlohmann::json candidate;
};

struct RunSummary {
  std::string label;  // how the user named it (the file path)
  std::string run_id;
  std::string started_at;
  std::string verdict_status;  // pass | fail | no-gpu | interrupted
  std::string verdict_summary;
};

struct Comparison {
  CompareOptions options;
  RunSummary reference, candidate;
  bool neither_has_gpu = false;
  std::vector<EnvDifference> environment;
  std::vector<CheckComparison> checks;
  std::vector<BenchmarkComparison> benchmarks;
  // One line per thing that got worse beyond the threshold; non-empty means exit 1.
  std::vector<std::string> regressions;

  std::size_t count(BenchVerdict v) const;
  std::size_t count(CheckChange c) const;
  int exit_code() const;  // 0, or 1 when anything regressed
};

// Throws DocumentError (naming the label) when a benchmark or check entry is unusable, e.g. a
// sample that is not a number; the documents are otherwise expected to have passed
// validate_run_document.
Comparison compare_runs(const nlohmann::json& reference, const nlohmann::json& candidate,
                        const CompareOptions& options = {}, std::string reference_label = "A",
                        std::string candidate_label = "B");

// The per-benchmark decision, on the samples alone (exposed for tests).
struct BenchDecision {
  BenchVerdict verdict = BenchVerdict::kInconclusive;
  std::optional<double> ratio, p_value;
  std::string reason;
};
BenchDecision decide_benchmark(const std::vector<double>& reference,
                               const std::vector<double>& candidate, bool higher_is_better,
                               const CompareOptions& options);

// "gpu0 bytes=4294967296" style label of a benchmark's device and params ("" when none).
std::string describe_params(const nlohmann::json& device, const nlohmann::json& params);

}  // namespace gpuval::compare
