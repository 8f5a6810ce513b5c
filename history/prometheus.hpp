// Prometheus text exposition (format 0.0.4) of a nightly check, for node_exporter's textfile
// collector: gauges only, no timestamps (the collector refuses them), one series per label set.
// Metric names and labels are documented in docs/nightly.md; in short:
//
//   gpuval_nightly_{exit_code,timestamp_seconds,documents,bad_inputs}          (no labels)
//   gpuval_run_{timestamp_seconds,exit_code,baseline_nights,regressions,failed_checks}
//       {host,gpu_uuid,model,driver,mode}     gpu_uuid = every GPU's UUID, comma-separated
//   gpuval_run_verdict{...,status}            one-hot over pass, fail, no-gpu, interrupted
//   gpuval_check_status{...,check,status}     one-hot over PASS, WARN, FAIL, SKIP
//   gpuval_benchmark_{median,baseline_median}{...,gpu,benchmark,params,unit}
//   gpuval_benchmark_{fraction_of_peak,ratio,regression}{...,gpu,benchmark,params}
//       gpu_uuid = the UUID of the benchmark's GPU; ratio = tonight / baseline median
//
// When two documents tonight share host, GPUs, model, driver and mode, the later run is exported.
#pragma once

#include <string>
#include <string_view>

#include "history/nightly_check.hpp"

namespace gpuval::history {

// Label value: backslash, double quote and line feed escaped (\\, \", \n).
std::string prom_escape_label(std::string_view text);
// HELP text: backslash and line feed escaped.
std::string prom_escape_help(std::string_view text);

std::string render_prometheus(const NightlyResult& result);

}  // namespace gpuval::history
