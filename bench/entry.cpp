#include "bench/entry.hpp"

#include "bench/counting.hpp"
#include "core/stats.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;

// nvmlClocksEventReasons bits (nvml.h): SwPowerCap 0x4, HwSlowdown 0x8, SwThermalSlowdown 0x20,
// HwThermalSlowdown 0x40, HwPowerBrakeSlowdown 0x80.
constexpr std::uint64_t kThrottleMask = 0x4 | 0x8 | 0x20 | 0x40 | 0x80;

double unit_scale(const std::string& unit) {
  if (unit == "TFLOP/s") return 1e12;
  if (unit == "GB/s") return 1e9;
  return 1.0;
}

std::optional<double> number_at(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number()) return std::nullopt;
  return obj[key].get<double>();
}

json opt(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

json base_entry(const BenchSpec& spec) {
  return {{"id", spec.id},
          {"device", spec.device},
          {"params", spec.params},
          {"unit", spec.unit},
          {"higher_is_better", spec.higher_is_better},
          {"counting", spec.counting}};
}

}  // namespace

bool is_throttling(std::uint64_t reasons) { return (reasons & kThrottleMask) != 0; }

std::optional<double> peak_for(const BenchSpec& spec, const json& device) {
  if (!device.is_object()) return std::nullopt;
  const json peaks = device.contains("peaks") ? device["peaks"] : json::object();
  std::optional<double> v;
  switch (spec.peak) {
    case PeakKind::None:
      return std::nullopt;
    case PeakKind::Dram:
      v = number_at(peaks, "dram_gb_s");
      break;
    case PeakKind::Fp64:
      v = number_at(peaks, "fp64_tensor_tflops");
      if (!v || *v <= 0) v = number_at(peaks, "fp64_tflops");
      break;
    case PeakKind::Fp32:
      v = number_at(peaks, "fp32_tflops");
      break;
    case PeakKind::Tf32:
      v = number_at(peaks, "tf32_tflops");
      break;
    case PeakKind::Fp16:
      v = number_at(peaks, "fp16_tflops");
      break;
    case PeakKind::Bf16:
      v = number_at(peaks, "bf16_tflops");
      break;
    case PeakKind::Fp8:
      v = number_at(peaks, "fp8_tflops");
      break;
    case PeakKind::PcieLink: {
      const json pcie = device.contains("pcie") ? device["pcie"] : json::object();
      const auto gen = number_at(pcie, "gen_max");
      const auto width = number_at(pcie, "width_max");
      if (!gen || !width) return std::nullopt;
      return pcie_link_gb_s(static_cast<unsigned>(*gen), static_cast<unsigned>(*width));
    }
  }
  if (v && *v > 0) return v;
  return std::nullopt;
}

std::optional<RepetitionSample> sample_from_run(const BenchSpec& spec,
                                                const benchmark::BenchmarkReporter::Run& run) {
  if (run.run_type != benchmark::BenchmarkReporter::Run::RT_Iteration || run.error_occurred) {
    return std::nullopt;
  }
  const double seconds = run.real_accumulated_time;
  const double iterations = static_cast<double>(run.iterations);
  if (!(seconds > 0) || !(iterations > 0)) return std::nullopt;
  RepetitionSample s;
  if (spec.work_per_iteration > 0) {
    s.value = spec.work_per_iteration * iterations / seconds / unit_scale(spec.unit);
  } else {
    s.value = seconds / iterations * 1e6;
  }
  if (auto it = run.counters.find(kCounterSmClock); it != run.counters.end()) {
    s.sm_clock_mhz = it->second.value;
  }
  if (auto it = run.counters.find(kCounterClockReasons); it != run.counters.end()) {
    s.clock_reasons = static_cast<std::uint64_t>(it->second.value);
  }
  return s;
}

json make_entry(const BenchSpec& spec, const std::vector<RepetitionSample>& samples,
                std::optional<double> peak, const Outcome& outcome) {
  json e = base_entry(spec);
  std::vector<double> values;
  values.reserve(samples.size());
  json clocks_mhz = json::array();
  std::size_t throttled = 0;
  bool any_clock = false;
  for (const RepetitionSample& s : samples) {
    values.push_back(s.value);
    clocks_mhz.push_back(opt(s.sm_clock_mhz));
    any_clock = any_clock || s.sm_clock_mhz.has_value();
    if (s.clock_reasons && is_throttling(*s.clock_reasons)) ++throttled;
  }
  e["samples"] = values;
  if (values.empty()) {
    e["median"] = e["min"] = e["max"] = e["cv"] = nullptr;
  } else {
    const stats::Summary sum = stats::summarize(values);
    e["median"] = sum.median;
    e["min"] = sum.min;
    e["max"] = sum.max;
    e["cv"] = sum.cv;
  }
  e["peak"] = opt(peak);
  e["peak_basis"] = to_string(spec.peak);
  if (peak && *peak > 0 && !values.empty()) {
    // A latency has no peak; for rates the fraction is median / peak.
    e["fraction_of_peak"] = e["median"].get<double>() / *peak;
  } else {
    e["fraction_of_peak"] = nullptr;
  }
  e["verified"] = outcome.verified;
  e["clocks"] = {{"sm_mhz", any_clock ? clocks_mhz : json::array()},
                 {"throttled", throttled > 0},
                 {"throttled_samples", throttled}};

  std::string status = outcome.status;
  std::string message = outcome.message;
  std::string hint = outcome.hint;
  if (status.empty()) {
    if (values.empty()) {
      status = "SKIP";
      if (message.empty()) message = "no repetition produced a measurement";
    } else if (!outcome.verified) {
      status = "FAIL";
      if (message.empty()) message = "result not verified";
    } else {
      status = "PASS";
    }
  }
  if (status == "PASS" && throttled > 0) {
    status = "WARN";
    message = std::to_string(throttled) + " of " + std::to_string(values.size()) +
              " repetitions ran with the SM clock throttled (power or thermal)" +
              (message.empty() ? "" : "; " + message);
    if (hint.empty()) {
      hint = "check cooling and power limits (nvidia-smi -q -d PERFORMANCE) and rerun";
    }
  }
  e["status"] = status;
  e["message"] = message;
  e["hint"] = hint;
  return e;
}

json skip_entry(const BenchSpec& spec, const std::string& message, const std::string& hint,
                const std::string& status) {
  Outcome o;
  o.status = status;
  o.message = message;
  o.hint = hint;
  return make_entry(spec, {}, std::nullopt, o);
}

}  // namespace gpuval::bench
