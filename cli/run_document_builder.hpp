// Assembles the run document (schema gpuval.run/1, see results/run.schema.json) from what the
// probes and checks found. Everything downstream (text, JUnit, compare, report) reads the document.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/check_result.hpp"
#include "core/context.hpp"
#include "core/verdict.hpp"

namespace gpuval::cli {

struct RunRecord {
  std::string id;
  std::string command;  // run | validate | bench | info
  std::string profile;  // quick | full | "" when not benchmarking
  std::vector<std::string> argv;
  std::string started_at;
  std::string finished_at;
  double duration_s = 0;
  // Wall time of each phase: "checks_s", "benchmarks_s" (measured by the pipeline).
  nlohmann::json phases = nlohmann::json::object();
};

nlohmann::json build_run_document(const RunRecord& run, const Context& ctx, const Facts& facts,
                                  const std::vector<CheckResult>& checks,
                                  const nlohmann::json& devices, const nlohmann::json& benchmarks,
                                  const Verdict& verdict);

}  // namespace gpuval::cli
