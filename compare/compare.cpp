#include "compare/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "core/exit_codes.hpp"
#include "core/run_document.hpp"
#include "core/stats.hpp"

namespace gpuval::compare {
namespace {

using nlohmann::json;

// A benchmark entry as compare needs it, read defensively from the document.
struct BenchEntry {
  std::string id;
  json device;
  json params;
  std::string unit;
  std::optional<bool> higher_is_better;
  std::vector<double> samples;
  std::string status;  // "" when absent
  bool verified = true;
  std::string message;
};

const json& field(const json& obj, std::string_view key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string string_field(const json& obj, std::string_view key) {
  const json& v = field(obj, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// Time-like units are lower-is-better when a document does not say.
bool infer_higher_is_better(const std::string& unit) {
  static const char* const kTimeUnits[] = {"s", "ms", "us", "\u00b5s", "ns", "cycles"};
  return std::none_of(std::begin(kTimeUnits), std::end(kTimeUnits),
                      [&](const char* u) { return unit == u; });
}

BenchEntry read_bench(const json& b, std::size_t index, const std::string& label) {
  const std::string where = fmt::format("{}: benchmarks[{}]", label, index);
  BenchEntry e;
  e.id = string_field(b, "id");
  e.unit = string_field(b, "unit");
  e.device = field(b, "device");
  if (!e.device.is_null() && !e.device.is_number_integer()) {
    throw DocumentError(
        fmt::format("{}.device must be an integer (found {})", where, e.device.type_name()));
  }
  e.params = field(b, "params");
  if (e.params.is_null()) e.params = json::object();
  if (!e.params.is_object()) {
    throw DocumentError(
        fmt::format("{}.params must be an object (found {})", where, e.params.type_name()));
  }
  const json& hib = field(b, "higher_is_better");
  if (hib.is_boolean()) {
    e.higher_is_better = hib.get<bool>();
  } else if (!hib.is_null()) {
    throw DocumentError(fmt::format("{}.higher_is_better must be true or false (found {})", where,
                                    hib.type_name()));
  }
  const json& samples = field(b, "samples");
  if (!samples.is_array()) {
    throw DocumentError(
        fmt::format("{}.samples must be an array (found {})", where, samples.type_name()));
  }
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (!samples[i].is_number()) {
      throw DocumentError(fmt::format("{}.samples[{}] must be a number (found {})", where, i,
                                      samples[i].type_name()));
    }
    e.samples.push_back(samples[i].get<double>());
  }
  e.status = string_field(b, "status");
  const json& verified = field(b, "verified");
  e.verified = !verified.is_boolean() || verified.get<bool>();
  e.message = string_field(b, "message");
  return e;
}

// Keys that pair entries across documents; a repeated key pairs by occurrence ("#2", "#3").
template <typename Entry, typename KeyOf>
std::vector<std::pair<std::string, Entry>> keyed(std::vector<Entry> entries, KeyOf key_of) {
  std::map<std::string, int> seen;
  std::vector<std::pair<std::string, Entry>> out;
  for (Entry& e : entries) {
    std::string key = key_of(e);
    const int n = ++seen[key];
    if (n > 1) key += fmt::format("#{}", n);
    out.emplace_back(std::move(key), std::move(e));
  }
  return out;
}

std::vector<std::pair<std::string, BenchEntry>> read_benchmarks(const json& doc,
                                                                const std::string& label) {
  std::vector<BenchEntry> entries;
  const json& list = field(doc, "benchmarks");
  for (std::size_t i = 0; i < list.size(); ++i) entries.push_back(read_bench(list[i], i, label));
  return keyed(std::move(entries), [](const BenchEntry& e) {
    return e.id + "|" + e.device.dump() + "|" + e.params.dump();  // dump() sorts object keys
  });
}

std::string percent(double change) {
  const double pct = change * 100.0;
  return fmt::format("{:+.1f} %", std::fabs(pct) < 0.05 ? 0.0 : pct);  // never "-0.0 %"
}

std::string format_p(double p) {
  return p < 0.001 ? fmt::format("{:.1e}", p) : fmt::format("{:.3f}", p);
}

bool failed(const BenchEntry& e) { return e.status == "FAIL" || !e.verified; }

std::string failure_text(const BenchEntry& e) {
  if (e.status == "FAIL") return e.message.empty() ? "failed" : "failed: " + e.message;
  return "result not verified";
}

BenchmarkComparison compare_benchmark(const BenchEntry* a, const BenchEntry* b,
                                      const CompareOptions& options) {
  const BenchEntry& any = a ? *a : *b;
  BenchmarkComparison c;
  c.id = any.id;
  c.device = any.device;
  c.params = any.params;
  c.unit = any.unit;
  c.higher_is_better = (a && a->higher_is_better)   ? *a->higher_is_better
                       : (b && b->higher_is_better) ? *b->higher_is_better
                                                    : infer_higher_is_better(any.unit);
  if (a) {
    c.n_reference = a->samples.size();
    if (!a->samples.empty()) {
      c.median_reference = stats::median(a->samples);
      c.cv_reference = stats::coefficient_of_variation(a->samples);
    }
  }
  if (b) {
    c.n_candidate = b->samples.size();
    if (!b->samples.empty()) {
      c.median_candidate = stats::median(b->samples);
      c.cv_candidate = stats::coefficient_of_variation(b->samples);
    }
  }
  if (!a || !b) {
    c.verdict = a ? BenchVerdict::kRemoved : BenchVerdict::kAdded;
    c.reason = a ? "only in A" : "only in B";
    return c;
  }
  if (failed(*a) && failed(*b)) {
    c.verdict = BenchVerdict::kInconclusive;
    c.reason = fmt::format("A {}; B {}", failure_text(*a), failure_text(*b));
  } else if (failed(*b)) {
    c.verdict = BenchVerdict::kWorse;
    c.reason = "B " + failure_text(*b);
  } else if (failed(*a)) {
    c.verdict = BenchVerdict::kBetter;
    c.reason = fmt::format("A {}, B succeeded", failure_text(*a));
  } else if (a->status == "SKIP" || b->status == "SKIP") {
    const BenchEntry& skipped = b->status == "SKIP" ? *b : *a;
    c.verdict = BenchVerdict::kInconclusive;
    c.reason = fmt::format("skipped in {}{}{}", b->status == "SKIP" ? "B" : "A",
                           skipped.message.empty() ? "" : ": ", skipped.message);
  } else if (a->unit != b->unit) {
    c.verdict = BenchVerdict::kInconclusive;
    c.reason = fmt::format("units differ (A {}, B {}): not comparable", a->unit, b->unit);
  } else {
    BenchDecision d = decide_benchmark(a->samples, b->samples, c.higher_is_better, options);
    c.verdict = d.verdict;
    c.ratio = d.ratio;
    c.p_value = d.p_value;
    c.reason = std::move(d.reason);
  }
  if (!c.ratio && c.median_reference && c.median_candidate && *c.median_reference > 0) {
    c.ratio = *c.median_candidate / *c.median_reference;
  }
  return c;
}

// ---- checks ----

struct CheckEntry {
  std::string id, title, status, message, hint;
};

std::vector<std::pair<std::string, CheckEntry>> read_checks(const json& doc) {
  std::vector<CheckEntry> entries;
  for (const json& c : field(doc, "checks")) {
    entries.push_back({string_field(c, "id"), string_field(c, "title"), string_field(c, "status"),
                       string_field(c, "message"), string_field(c, "hint")});
  }
  return keyed(std::move(entries), [](const CheckEntry& e) { return e.id; });
}

CheckChange classify(const std::string& from, const std::string& to) {
  if (from == to) return CheckChange::kSame;
  if (to == "FAIL") return CheckChange::kRegressed;
  if (from == "FAIL" || (from == "WARN" && to == "PASS")) return CheckChange::kImproved;
  if (from == "PASS" && to == "WARN") return CheckChange::kWorse;
  return CheckChange::kChanged;
}

CheckComparison compare_check(const CheckEntry* a, const CheckEntry* b) {
  const CheckEntry& shown = b ? *b : *a;
  CheckComparison c{shown.id,           shown.title,   a ? a->status : "", b ? b->status : "",
                    CheckChange::kSame, shown.message, shown.hint};
  if (!a) {
    // A new check that fails is still a failure of the candidate.
    c.change = b->status == "FAIL" ? CheckChange::kRegressed : CheckChange::kAdded;
  } else if (!b) {
    c.change = CheckChange::kRemoved;
  } else {
    c.change = classify(a->status, b->status);
  }
  return c;
}

// Pairs entries by key: reference order first, then what only the candidate has.
template <typename Entry, typename Compare>
auto pair_up(const std::vector<std::pair<std::string, Entry>>& as,
             const std::vector<std::pair<std::string, Entry>>& bs, Compare compare_one) {
  std::map<std::string, const Entry*> in_b;
  for (const auto& [key, e] : bs) in_b[key] = &e;
  std::map<std::string, bool> in_a;
  std::vector<decltype(compare_one(nullptr, nullptr))> out;
  for (const auto& [key, e] : as) {
    auto it = in_b.find(key);
    out.push_back(compare_one(&e, it == in_b.end() ? nullptr : it->second));
    in_a[key] = true;
  }
  for (const auto& [key, e] : bs) {
    if (!in_a.count(key)) out.push_back(compare_one(nullptr, &e));
  }
  return out;
}

// ---- environment ----

const json& at_path(const json& doc, std::initializer_list<std::string_view> path) {
  const json* cur = &doc;
  for (std::string_view key : path) cur = &field(*cur, key);
  return *cur;
}

void diff_field(std::vector<EnvDifference>& out, const json& a, const json& b,
                std::initializer_list<std::string_view> path) {
  const json& va = at_path(a, path);
  const json& vb = at_path(b, path);
  if (va == vb) return;
  std::string name;
  for (std::string_view key : path) name += (name.empty() ? "" : ".") + std::string(key);
  out.push_back({name, va, vb});
}

std::vector<EnvDifference> diff_environment(const json& a, const json& b) {
  std::vector<EnvDifference> out;
  // What decides how a container gets the GPU first, then driver, GPUs, variables, host, tool.
  for (std::string_view key :
       {"mode", "engine", "injection", "rootless", "privileged", "device_nodes"}) {
    diff_field(out, a, b, {"environment", key});
  }
  for (std::string_view key : {"version", "cuda_driver_version", "cuda_runtime_version"}) {
    diff_field(out, a, b, {"driver", key});
  }
  const json& da = field(a, "devices");
  const json& db = field(b, "devices");
  if (da.size() != db.size()) {
    out.push_back({"devices.count", json(da.size()), json(db.size())});
  }
  for (std::size_t i = 0; i < std::max(da.size(), db.size()); ++i) {
    const json& ea = i < da.size() ? da[i] : json();
    const json& eb = i < db.size() ? db[i] : json();
    for (std::string_view key : {"name", "uuid"}) {
      const json& va = field(ea, key);
      const json& vb = field(eb, key);
      if (va != vb) out.push_back({fmt::format("devices[{}].{}", i, key), va, vb});
    }
  }
  std::map<std::string, bool> vars;
  for (const json* env :
       {&at_path(a, {"environment", "nvidia_env"}), &at_path(b, {"environment", "nvidia_env"})}) {
    if (env->is_object()) {
      for (const auto& [k, v] : env->items()) vars[k] = true;
    }
  }
  for (const auto& [var, unused] : vars) {
    diff_field(out, a, b, {"environment", "nvidia_env", var});
  }
  for (std::string_view key : {"hostname", "os", "kernel", "arch", "cpus"}) {
    diff_field(out, a, b, {"host", key});
  }
  diff_field(out, a, b, {"tool", "version"});
  diff_field(out, a, b, {"tool", "git_sha"});
  diff_field(out, a, b, {"run", "command"});
  diff_field(out, a, b, {"run", "profile"});
  return out;
}

RunSummary summarize_run(const json& doc, std::string label) {
  const json& verdict = field(doc, "verdict");
  return {std::move(label), string_field(field(doc, "run"), "id"),
          string_field(field(doc, "run"), "started_at"), string_field(verdict, "status"),
          string_field(verdict, "summary")};
}

std::string bench_name(const BenchmarkComparison& b) {
  const std::string params = describe_params(b.device, b.params);
  return params.empty() ? b.id : b.id + " " + params;
}

}  // namespace

std::string_view to_string(BenchVerdict v) {
  switch (v) {
    case BenchVerdict::kBetter:
      return "better";
    case BenchVerdict::kSame:
      return "same";
    case BenchVerdict::kWorse:
      return "worse";
    case BenchVerdict::kInconclusive:
      return "inconclusive";
    case BenchVerdict::kAdded:
      return "added";
    case BenchVerdict::kRemoved:
      return "removed";
  }
  return "?";
}

std::string_view to_string(CheckChange c) {
  switch (c) {
    case CheckChange::kSame:
      return "same";
    case CheckChange::kRegressed:
      return "regressed";
    case CheckChange::kWorse:
      return "worse";
    case CheckChange::kImproved:
      return "improved";
    case CheckChange::kChanged:
      return "changed";
    case CheckChange::kAdded:
      return "added";
    case CheckChange::kRemoved:
      return "removed";
  }
  return "?";
}

std::size_t Comparison::count(BenchVerdict v) const {
  return static_cast<std::size_t>(std::count_if(benchmarks.begin(), benchmarks.end(),
                                                [&](const auto& b) { return b.verdict == v; }));
}

std::size_t Comparison::count(CheckChange c) const {
  return static_cast<std::size_t>(
      std::count_if(checks.begin(), checks.end(), [&](const auto& k) { return k.change == c; }));
}

int Comparison::exit_code() const {
  return regressions.empty() ? exit_code::kPass : exit_code::kFailed;
}

std::string describe_params(const json& device, const json& params) {
  std::string out = device.is_number_integer() ? fmt::format("gpu{}", device.get<long long>()) : "";
  if (params.is_object()) {
    for (const auto& [k, v] : params.items()) {
      out += (out.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  return out;
}

BenchDecision decide_benchmark(const std::vector<double>& reference,
                               const std::vector<double>& candidate, bool higher_is_better,
                               const CompareOptions& options) {
  BenchDecision d;
  if (reference.empty() || candidate.empty()) {
    d.reason = fmt::format("no samples in {}", reference.empty() ? "A" : "B");
    return d;
  }
  const double ma = stats::median(reference);
  const double mb = stats::median(candidate);
  if (ma == mb) {
    d.ratio = 1.0;
  } else if (ma > 0) {
    d.ratio = mb / ma;
  } else {
    d.reason = fmt::format("reference median is {}: no ratio", ma);
    return d;
  }
  const double change = *d.ratio - 1.0;
  const bool improved = higher_is_better ? change > 0 : change < 0;
  const BenchVerdict direction = improved ? BenchVerdict::kBetter : BenchVerdict::kWorse;
  const std::size_t n1 = reference.size(), n2 = candidate.size();
  const stats::MannWhitney test = stats::mann_whitney_u(reference, candidate);
  d.p_value = test.p_value;

  if (std::fabs(change) < options.min_effect) {
    d.verdict = BenchVerdict::kSame;
    d.reason = fmt::format("median {} is within the minimum effect of \u00b1{:.1f} %",
                           percent(change), options.min_effect * 100.0);
  } else if (stats::min_attainable_p(n1, n2) > options.alpha) {
    // The test cannot reach significance with so few repetitions.
    if (std::fabs(change) >= options.huge_effect) {
      d.verdict = direction;
      d.reason = fmt::format(
          "median {} with only {} vs {} samples (too few for the test), but beyond the "
          "huge-effect threshold of {:.0f} %",
          percent(change), n1, n2, options.huge_effect * 100.0);
    } else {
      d.verdict = BenchVerdict::kInconclusive;
      d.reason = fmt::format(
          "median {} but only {} vs {} samples: too few for the test at alpha {}; repeat the "
          "benchmark (>= 9 repetitions, e.g. --full)",
          percent(change), n1, n2, options.alpha);
    }
  } else if (test.p_value < options.alpha) {
    d.verdict = direction;
    d.reason = fmt::format("median {}, significant (p = {} < {})", percent(change),
                           format_p(test.p_value), options.alpha);
  } else {
    d.verdict = BenchVerdict::kInconclusive;
    d.reason = fmt::format(
        "median {} but not significant (p = {} >= {}): too noisy to call; repeat with more "
        "repetitions or on a quieter machine",
        percent(change), format_p(test.p_value), options.alpha);
  }
  return d;
}

Comparison compare_runs(const json& reference, const json& candidate, const CompareOptions& options,
                        std::string reference_label, std::string candidate_label) {
  Comparison c;
  c.options = options;
  const auto bench_a = read_benchmarks(reference, reference_label);
  const auto bench_b = read_benchmarks(candidate, candidate_label);
  c.reference = summarize_run(reference, std::move(reference_label));
  c.candidate = summarize_run(candidate, std::move(candidate_label));
  c.neither_has_gpu =
      c.reference.verdict_status == "no-gpu" && c.candidate.verdict_status == "no-gpu";
  c.environment = diff_environment(reference, candidate);
  c.checks = pair_up(read_checks(reference), read_checks(candidate), compare_check);
  c.benchmarks = pair_up(bench_a, bench_b, [&](const BenchEntry* a, const BenchEntry* b) {
    return compare_benchmark(a, b, options);
  });

  if (c.candidate.verdict_status == "no-gpu" && c.reference.verdict_status != "no-gpu") {
    c.regressions.push_back(
        fmt::format("B has no usable GPU, A had one: {}", c.candidate.verdict_summary));
  }
  for (const CheckComparison& k : c.checks) {
    if (k.change != CheckChange::kRegressed) continue;
    c.regressions.push_back(fmt::format("check {}: {} -> FAIL{}{}", k.id,
                                        k.status_reference.empty() ? "(new)" : k.status_reference,
                                        k.message.empty() ? "" : ": ", k.message));
  }
  for (const BenchmarkComparison& b : c.benchmarks) {
    if (b.verdict != BenchVerdict::kWorse) continue;
    c.regressions.push_back(fmt::format("benchmark {}: worse, {}", bench_name(b), b.reason));
  }
  return c;
}

}  // namespace gpuval::compare
