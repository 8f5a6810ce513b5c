// Turning measured repetitions into run-document benchmark entries: one sample per Google
// Benchmark repetition, summary statistics (core/stats), fraction of peak and clock flags.
// Pure functions, no CUDA: unit-tested with constructed Run objects.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/catalogue.hpp"

namespace gpuval::bench {

// One repetition: its figure in the spec's unit and the SM clock sampled during it (NVML).
struct RepetitionSample {
  double value = 0;
  std::optional<double> sm_clock_mhz;
  std::optional<std::uint64_t> clock_reasons;  // nvmlClocksEventReasons mask
};

// What the benchmark itself found: verification, or why it could not run.
struct Outcome {
  std::string status;  // "" = decided from samples and `verified`; else PASS|WARN|FAIL|SKIP
  bool verified = false;
  std::string message;
  std::string hint;
  // What the benchmark chose or found besides its figure (calibrated batch sizes, the module's
  // algorithm and verification margins); the entry's "details", omitted when empty.
  nlohmann::json details = nlohmann::json::object();
};

// Counter names the benchmarks set and sample_from_run reads.
inline constexpr const char* kCounterSmClock = "sm_clock_mhz";
inline constexpr const char* kCounterClockReasons = "clock_reasons";

// A clocks event reasons mask that slows the SM down for a fault: hardware slowdown, thermal
// slowdowns, power brake. The software power cap (where a healthy GPU runs dense work), idle,
// application-clock and sync-boost bits do not count.
bool is_throttling(std::uint64_t reasons);
// The software power cap bit: recorded per sample as information.
bool is_power_limited(std::uint64_t reasons);

// The device's peak for this spec from its run-document device object (facts.devices[i]):
// "peaks" for DRAM and FLOP rates (FP64 prefers the FP64 tensor rate), "pcie" gen_max/width_max
// (what the GPU and its slot both allow) for the host link, twice that for both directions.
// Empty when unknown.
std::optional<double> peak_for(const BenchSpec& spec, const nlohmann::json& device);

// One direction of the device's host link: peaks.host_link_gb_s where the product's link is not
// PCIe (GH200's NVLink-C2C), else PCIe gen_max x width_max. Empty when unknown.
std::optional<double> host_link_gb_s(const nlohmann::json& device);

// What the spec's peak is, for messages: "PCIe Gen5 x16, one direction", "NVLink-C2C, both
// directions"; "" for other peaks.
std::string peak_note(const BenchSpec& spec, const nlohmann::json& device);

// The repetition's figure: work_per_iteration x iterations / time / unit scale for rates
// (GB/s: 1e9, TFLOP/s: 1e12), time per iteration in microseconds for latencies. The time is
// Google Benchmark's real_accumulated_time, which is the manual (CUDA event) time under
// UseManualTime(). Empty for aggregate rows, errored runs and zero time or iterations.
std::optional<RepetitionSample> sample_from_run(const BenchSpec& spec,
                                                const benchmark::BenchmarkReporter::Run& run);

// The run-document entry: {id, device, params, unit, higher_is_better, samples, median, min, max,
// cv, peak, peak_basis, fraction_of_peak, verified, status, message, hint, counting, clocks}.
// A PASS becomes WARN for throttled samples (is_throttling) or a median under the spec's floor
// (min_fraction_of_peak; `peak_note` says what the peak is, e.g. "PCIe Gen4 x16").
nlohmann::json make_entry(const BenchSpec& spec, const std::vector<RepetitionSample>& samples,
                          std::optional<double> peak, const Outcome& outcome,
                          const std::string& peak_note = {});

// An entry for a benchmark that did not run: status SKIP (or `status`), no samples.
nlohmann::json skip_entry(const BenchSpec& spec, const std::string& message,
                          const std::string& hint = {}, const std::string& status = "SKIP");

}  // namespace gpuval::bench
