#include "bench/entry.hpp"

#include <fmt/format.h>

#include "bench/counting.hpp"
#include "core/json_optional.hpp"
#include "core/stats.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;

// nvmlClocksEventReasons bits (nvml.h): SwPowerCap 0x4, HwSlowdown 0x8, SwThermalSlowdown 0x20,
// HwThermalSlowdown 0x40, HwPowerBrakeSlowdown 0x80. The software power cap is where a healthy
// H100 SXM runs dense GEMM: information, recorded per sample, never a downgrade.
constexpr std::uint64_t kPowerCapBit = 0x4;
constexpr std::uint64_t kThrottleMask = 0x8 | 0x20 | 0x40 | 0x80;

double unit_scale(const std::string& unit) {
  if (unit == "TFLOP/s") return 1e12;
  if (unit == "GB/s") return 1e9;
  return 1.0;
}

std::optional<double> number_at(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number()) return std::nullopt;
  return obj[key].get<double>();
}

json base_entry(const BenchSpec& spec) {
  json e = {{"id", spec.id},
            {"device", spec.device},
            {"params", spec.params},
            {"unit", spec.unit},
            {"higher_is_better", spec.higher_is_better},
            {"counting", spec.counting}};
  if (!spec.group.empty()) e["group"] = spec.group;
  return e;
}

}  // namespace

bool is_throttling(std::uint64_t reasons) { return (reasons & kThrottleMask) != 0; }

bool is_power_limited(std::uint64_t reasons) { return (reasons & kPowerCapBit) != 0; }

std::optional<double> host_link_gb_s(const json& device) {
  if (!device.is_object()) return std::nullopt;
  // A host link that is not PCIe (GH200's NVLink-C2C): its datasheet rate.
  if (device.contains("peaks")) {
    if (auto c2c = number_at(device["peaks"], "host_link_gb_s"); c2c && *c2c > 0) return c2c;
  }
  const json pcie = device.contains("pcie") ? device["pcie"] : json::object();
  const auto gen = number_at(pcie, "gen_max");
  const auto width = number_at(pcie, "width_max");
  if (!gen || !width || *gen <= 0 || *width <= 0) return std::nullopt;
  return pcie_link_gb_s(static_cast<unsigned>(*gen), static_cast<unsigned>(*width));
}

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
    case PeakKind::PcieLink:
      return host_link_gb_s(device);
    case PeakKind::PcieLinkBothWays: {
      const auto one_way = host_link_gb_s(device);
      if (!one_way) return std::nullopt;
      return 2.0 * *one_way;
    }
  }
  if (v && *v > 0) return v;
  return std::nullopt;
}

std::string peak_note(const BenchSpec& spec, const json& device) {
  if (spec.peak != PeakKind::PcieLink && spec.peak != PeakKind::PcieLinkBothWays) return {};
  const char* ways = spec.peak == PeakKind::PcieLink ? "one direction" : "both directions";
  if (!device.is_object()) return {};
  if (device.contains("peaks") && device["peaks"].is_object()) {
    const json& p = device["peaks"];
    if (p.contains("host_link") && p["host_link"].is_string() &&
        !p["host_link"].get<std::string>().empty()) {
      return fmt::format("{}, {}", p["host_link"].get<std::string>(), ways);
    }
  }
  const json pcie = device.contains("pcie") ? device["pcie"] : json::object();
  const auto gen = number_at(pcie, "gen_max");
  const auto width = number_at(pcie, "width_max");
  if (!gen || !width) return {};
  return fmt::format("PCIe Gen{} x{}, {}", *gen, *width, ways);
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
                std::optional<double> peak, const Outcome& outcome, const std::string& peak_note) {
  json e = base_entry(spec);
  std::vector<double> values;
  values.reserve(samples.size());
  json clocks_mhz = json::array();
  json power_limited = json::array();
  std::size_t throttled = 0;
  std::size_t at_power_cap = 0;
  bool any_clock = false;
  bool any_reasons = false;
  for (const RepetitionSample& s : samples) {
    values.push_back(s.value);
    clocks_mhz.push_back(json_or_null(s.sm_clock_mhz));
    any_clock = any_clock || s.sm_clock_mhz.has_value();
    any_reasons = any_reasons || s.clock_reasons.has_value();
    power_limited.push_back(s.clock_reasons ? json(is_power_limited(*s.clock_reasons))
                                            : json(nullptr));
    if (s.clock_reasons && is_throttling(*s.clock_reasons)) ++throttled;
    if (s.clock_reasons && is_power_limited(*s.clock_reasons)) ++at_power_cap;
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
  e["peak"] = json_or_null(peak);
  e["peak_basis"] = to_string(spec.peak);
  if (!peak_note.empty()) e["peak_note"] = peak_note;
  if (peak && *peak > 0 && !values.empty()) {
    // A latency has no peak; for rates the fraction is median / peak.
    e["fraction_of_peak"] = e["median"].get<double>() / *peak;
  } else {
    e["fraction_of_peak"] = nullptr;
  }
  e["verified"] = outcome.verified;
  e["clocks"] = {{"sm_mhz", any_clock ? clocks_mhz : json::array()},
                 {"throttled", throttled > 0},
                 {"throttled_samples", throttled},
                 {"power_limited", any_reasons ? power_limited : json::array()},
                 {"power_limited_samples", at_power_cap}};

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
              " repetitions ran with the SM clock cut by thermal or hardware slowdown (or the "
              "power brake)" +
              (message.empty() ? "" : "; " + message);
    if (hint.empty()) {
      hint =
          "check cooling, inlet temperature and power delivery (nvidia-smi -q -d "
          "PERFORMANCE,TEMPERATURE on the host) and rerun";
    }
  }
  const double fraction =
      e["fraction_of_peak"].is_number() ? e["fraction_of_peak"].get<double>() : -1.0;
  if (status == "PASS" && spec.min_fraction_of_peak > 0 && fraction >= 0 &&
      fraction < spec.min_fraction_of_peak) {
    status = "WARN";
    message =
        fmt::format(
            "{:.1f} {} is {:.0f} % of the peak {:.1f} {}{}: under the {:.0f} % a "
            "healthy link reaches",
            e["median"].get<double>(), spec.unit, 100 * fraction, *peak, spec.unit,
            peak_note.empty() ? "" : " (" + peak_note + ")", 100 * spec.min_fraction_of_peak) +
        (message.empty() ? "" : "; " + message);
    if (hint.empty()) {
      hint =
          "the host link runs below its rate: check the link under load (nvidia-smi -q -d PCI: "
          "current generation and width), run gpuval on the GPU's NUMA node (numactl "
          "--cpunodebind=N --membind=N; nvidia-smi topo -m), and the IOMMU mode (iommu=pt)";
    }
  }
  if (status == "PASS" && at_power_cap > 0) {
    message = std::to_string(at_power_cap) + " of " + std::to_string(values.size()) +
              " repetitions at the software power cap (normal under full load)" +
              (message.empty() ? "" : "; " + message);
  }
  e["status"] = status;
  e["message"] = message;
  e["hint"] = hint;
  if (outcome.details.is_object() && !outcome.details.empty()) e["details"] = outcome.details;
  return e;
}

json skip_entry(const BenchSpec& spec, const std::string& message, const std::string& hint,
                const std::string& status) {
  Outcome o;
  o.status = status;
  o.message = message;
  o.hint = hint;
  return make_entry(spec, {}, std::nullopt, o, {});
}

}  // namespace gpuval::bench
