#include "history/prometheus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace gpuval::history {
namespace {

using nlohmann::json;
using Labels = std::vector<std::pair<std::string, std::string>>;

class Family {
 public:
  Family(std::string name, std::string help) : name_(std::move(name)), help_(std::move(help)) {}

  void add(const Labels& labels, double value) {
    if (!std::isfinite(value)) return;
    std::string text;
    for (const auto& [k, v] : labels) {
      text += fmt::format("{}{}=\"{}\"", text.empty() ? "" : ",", k, prom_escape_label(v));
    }
    if (!seen_.insert(text).second) return;  // one series per label set
    samples_.push_back(fmt::format("{}{}{}{} {}\n", name_, text.empty() ? "" : "{", text,
                                   text.empty() ? "" : "}", value));
  }

  std::string render() const {
    if (samples_.empty()) return {};
    std::string out =
        fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name_, prom_escape_help(help_), name_);
    for (const std::string& s : samples_) out += s;
    return out;
  }

 private:
  std::string name_, help_;
  std::set<std::string> seen_;
  std::vector<std::string> samples_;
};

std::string str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string joined_uuids(const RunIdentity& id) {
  std::string out;
  for (const std::string& u : id.gpu_uuids) out += (out.empty() ? "" : ",") + u;
  return out;
}

Labels run_labels(const RunIdentity& id) {
  return {{"host", id.host},
          {"gpu_uuid", joined_uuids(id)},
          {"model", id.gpu_model},
          {"driver", id.driver},
          {"mode", id.mode}};
}

Labels with(Labels labels, std::initializer_list<std::pair<std::string, std::string>> more) {
  labels.insert(labels.end(), more.begin(), more.end());
  return labels;
}

std::string key_of(const json& device, const json& params) {
  return device.dump() + "|" + (params.is_object() ? params.dump() : json::object().dump());
}

}  // namespace

std::string prom_escape_label(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prom_escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_prometheus(const NightlyResult& result) {
  Family nightly_exit("gpuval_nightly_exit_code",
                      "Exit code of the last nightly check: 0 ok, 1 regression or failed check, 2 "
                      "bad input or missing baseline, 3 no usable GPU.");
  Family nightly_time("gpuval_nightly_timestamp_seconds",
                      "When the last nightly check ran (Unix time); alert when it gets old.");
  Family nightly_docs("gpuval_nightly_documents", "Run documents checked by the last nightly.");
  Family nightly_bad("gpuval_nightly_bad_inputs",
                     "Inputs of the last nightly that were not usable run documents.");
  Family run_time("gpuval_run_timestamp_seconds", "When the run started (Unix time).");
  Family last_run("gpuval_last_run_timestamp_seconds",
                  "When the latest run of this host, GPU model and mode in the history started "
                  "(Unix time); alert when it gets old: the node's nightly has gone stale.");
  Family run_exit("gpuval_run_exit_code",
                  "The nightly verdict on this run: 0 ok, 1 regression or failed check, 2 missing "
                  "baseline, 3 no usable GPU.");
  Family run_verdict("gpuval_run_verdict", "The run's own verdict, one-hot over status.");
  Family run_nights("gpuval_run_baseline_nights",
                    "Nights in the baseline the run was compared with (0: none yet).");
  Family run_regressions("gpuval_regressions", "Benchmarks worse than the baseline.");
  Family run_failed("gpuval_failed_checks", "Checks that failed.");
  Family check_status("gpuval_check_status", "Status of each check, one-hot over status.");
  Family bench_median("gpuval_benchmark_median", "Median of the benchmark's repetitions tonight.");
  Family bench_fraction("gpuval_benchmark_fraction_of_peak",
                        "Tonight's median as a fraction of the device's theoretical peak.");
  Family bench_baseline("gpuval_benchmark_baseline_median",
                        "Median of the baseline's pooled repetitions.");
  Family bench_ratio("gpuval_benchmark_ratio", "Tonight's median / the baseline median.");
  Family bench_regression("gpuval_benchmark_regression",
                          "1 when the benchmark is worse than the baseline (significant and beyond "
                          "the minimum effect), else 0.");

  nightly_exit.add({}, result.exit_code);
  nightly_time.add({}, static_cast<double>(result.checked_at));
  nightly_docs.add({}, static_cast<double>(result.documents.size()));
  nightly_bad.add({}, static_cast<double>(result.bad.size()));

  for (const LastRun& l : result.last_runs) {
    last_run.add({{"host", l.host}, {"model", l.gpu_model}, {"mode", l.mode}},
                 static_cast<double>(l.started_epoch));
  }

  // One run per label set: the latest (two runs of one host and mode tonight would clash).
  std::map<Labels, const DocumentResult*> latest;
  for (const DocumentResult& d : result.documents) {
    const DocumentResult*& kept = latest[run_labels(d.id)];
    if (!kept || d.id.started_epoch >= kept->id.started_epoch) kept = &d;
  }
  for (const DocumentResult& doc : result.documents) {
    const Labels run = run_labels(doc.id);
    if (latest[run] != &doc) continue;
    const DocumentResult* d = &doc;
    run_time.add(run, static_cast<double>(d->id.started_epoch));
    run_exit.add(run, d->exit_code);
    for (const char* s : {"pass", "fail", "no-gpu", "interrupted"}) {
      run_verdict.add(with(run, {{"status", s}}), d->id.verdict == s ? 1 : 0);
    }
    run_nights.add(run, d->baseline ? static_cast<double>(d->baseline->nights.size()) : 0);
    run_regressions.add(run, static_cast<double>(d->regressions.size()));
    run_failed.add(run, static_cast<double>(d->failed_checks.size()));
    for (const json& c : d->doc["checks"]) {
      const std::string status = str(c, "status");
      for (const char* s : {"PASS", "WARN", "FAIL", "SKIP"}) {
        check_status.add(with(run, {{"check", str(c, "id")}, {"status", s}}), status == s ? 1 : 0);
      }
    }

    std::map<std::string, const compare::BenchmarkComparison*> compared;
    if (d->comparison) {
      for (const auto& b : d->comparison->benchmarks) {
        compared.emplace(b.id + "|" + key_of(b.device, b.params), &b);
      }
    }
    for (const json& b : d->doc["benchmarks"]) {
      const json device = b.contains("device") ? b["device"] : json();
      const json params = b.contains("params") ? b["params"] : json::object();
      Labels labels = run;
      labels[1].second.clear();  // gpu_uuid: the benchmark's own GPU
      std::string gpu;
      if (device.is_number_integer()) {
        const auto index = device.get<long long>();
        gpu = std::to_string(index);
        if (index >= 0 && static_cast<std::size_t>(index) < d->id.gpu_uuids.size()) {
          labels[1].second = d->id.gpu_uuids[static_cast<std::size_t>(index)];
        }
      }
      labels = with(labels, {{"gpu", gpu},
                             {"benchmark", str(b, "id")},
                             {"params", compare::describe_params(json(), params)}});
      const Labels with_unit = with(labels, {{"unit", str(b, "unit")}});
      if (b.contains("median") && b["median"].is_number()) {
        bench_median.add(with_unit, b["median"].get<double>());
      }
      if (b.contains("fraction_of_peak") && b["fraction_of_peak"].is_number()) {
        bench_fraction.add(labels, b["fraction_of_peak"].get<double>());
      }
      const auto it = compared.find(str(b, "id") + "|" + key_of(device, params));
      const compare::BenchmarkComparison* c = it == compared.end() ? nullptr : it->second;
      if (c && c->median_reference) bench_baseline.add(with_unit, *c->median_reference);
      if (c && c->ratio) bench_ratio.add(labels, *c->ratio);
      if (c) {
        bench_regression.add(labels, c->verdict == compare::BenchVerdict::kWorse ? 1 : 0);
      }
    }
  }

  std::string out;
  for (const Family* f :
       {&nightly_exit, &nightly_time, &nightly_docs, &nightly_bad, &last_run, &run_time, &run_exit,
        &run_verdict, &run_nights, &run_regressions, &run_failed, &check_status, &bench_median,
        &bench_fraction, &bench_baseline, &bench_ratio, &bench_regression}) {
    out += f->render();
  }
  return out;
}

}  // namespace gpuval::history
