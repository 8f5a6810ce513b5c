// Small, valid run documents for the history tests: one host, GPU model, mode and night each,
// with a bandwidth benchmark (higher is better) and a latency benchmark (lower is better) whose
// repetitions are deterministic, so regressions are exactly what a test puts in.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

namespace gpuval::history::testing {

struct DocSpec {
  std::string host = "gpu-h100-01";
  std::string model = "NVIDIA H100 80GB HBM3";
  std::string uuid = "GPU-11111111-2222-3333-4444-555555555555";
  std::string mode = "baremetal";  // or "container" (engine podman, injection cdi)
  std::string driver = "550.54.15";
  int night = 0;  // days after 2026-10-01
  int minute = 0;
  std::string run_id = "";  // default: derived from night, minute, host and mode
  double triad = 3085.0;
  double latency = 2.1;
  std::string verdict = "pass";
  std::string failed_check = "";  // id of a check that FAILs
};

inline nlohmann::json make_doc(const DocSpec& s) {
  using nlohmann::json;
  const std::string day = fmt::format("2026-10-{:02}", 1 + s.night);
  const std::string started = fmt::format("{}T02:{:02}:00Z", day, s.minute);
  const auto samples = [](double v) {
    json out = json::array();
    for (double f : {0.996, 0.998, 1.0, 1.002, 1.004}) out.push_back(v * f);
    return out;
  };
  json checks = json::array();
  for (const char* id : {"device-nodes", "cuda-driver", "shm"}) {
    const bool fail = s.failed_check == id;
    checks.push_back({{"id", id},
                      {"title", id},
                      {"group", "gpu"},
                      {"status", fail ? "FAIL" : "PASS"},
                      {"message", fail ? std::string(id) + " failed" : "ok"},
                      {"hint", fail ? "fix it" : ""}});
  }
  const bool gpu = s.verdict != "no-gpu";
  json benches = json::array();
  benches.push_back({{"id", "stream-triad"},
                     {"device", 0},
                     {"params", {{"bytes", 805306368}}},
                     {"unit", "GB/s"},
                     {"higher_is_better", true},
                     {"status", gpu ? "PASS" : "SKIP"},
                     {"verified", gpu},
                     {"samples", gpu ? samples(s.triad) : json::array()},
                     {"median", gpu ? json(s.triad) : json()},
                     {"peak", 3352.3},
                     {"fraction_of_peak", gpu ? json(s.triad / 3352.3) : json()}});
  benches.push_back({{"id", "launch-latency"},
                     {"device", 0},
                     {"params", {{"kernel", "empty"}}},
                     {"unit", "us"},
                     {"higher_is_better", false},
                     {"status", gpu ? "PASS" : "SKIP"},
                     {"verified", gpu},
                     {"samples", gpu ? samples(s.latency) : json::array()},
                     {"median", gpu ? json(s.latency) : json()}});
  json env = s.mode == "container"
                 ? json{{"mode", "container"}, {"engine", "podman"}, {"injection", "cdi"}}
                 : json{{"mode", "baremetal"}, {"engine", ""}, {"injection", "none"}};
  const std::string verdict = !s.failed_check.empty() && s.verdict == "pass" ? "fail" : s.verdict;
  return {
      {"schema", "gpuval.run/1"},
      {"tool", {{"version", "0.1.0"}, {"git_sha", "abc"}}},
      {"run",
       {{"id", s.run_id.empty() ? fmt::format("{}T02{:02}00Z-{}-{}", day, s.minute, s.host, s.mode)
                                : s.run_id},
        {"command", "run"},
        {"profile", "quick"},
        {"started_at", started},
        {"finished_at", started},
        {"duration_s", 1.0}}},
      {"host", {{"hostname", s.host}}},
      {"environment", env},
      {"driver", {{"version", s.driver}}},
      {"devices",
       gpu ? json::array({{{"index", 0}, {"uuid", s.uuid}, {"name", s.model}}}) : json::array()},
      {"checks", checks},
      {"benchmarks", benches},
      {"verdict",
       {{"status", verdict},
        {"exit_code", verdict == "pass"     ? 0
                      : verdict == "no-gpu" ? 3
                                            : 1},
        {"summary", verdict == "no-gpu" ? "no usable GPU: no device nodes" : verdict}}}};
}

}  // namespace gpuval::history::testing
