#include "core/peaks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "core/json_optional.hpp"

namespace gpuval {
namespace {

// FLOP per clock per SM, dense. FP32/FP64 rows follow the CUDA C++ Programming Guide table
// "Throughput of Native Arithmetic Instructions" (results per clock per SM, ×2 for FMA); tensor
// rows come from NVIDIA's architecture whitepapers and datasheets, each checked against a
// datasheet figure = rate × SMs × the clock NVIDIA used:
constexpr std::array kArchTable = {
    // A100 whitepaper: A100 SXM4, 108 SMs @ 1410 MHz → FP64 9.7, FP64 tensor 19.5, FP32 19.5,
    // TF32 156, FP16/BF16 312 TFLOP/s. No FP8.
    ArchRates{8, 0, "sm_80", "Ampere (GA100)", 64, 64, 128, 128, 1024, 2048, 2048, 0,
              "NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020)"},
    // GA102 whitepaper: A40, 84 SMs @ 1740 MHz → FP32 37.4, TF32 74.8, FP16/BF16 149.7
    // TFLOP/s (A10: 72 SMs @ 1695 MHz → TF32 62.5, FP16 125). FP64 at 1/64 of FP32.
    ArchRates{8, 6, "sm_86", "Ampere (GA10x)", 128, 4, 0, 256, 512, 1024, 1024, 0,
              "NVIDIA Ampere GA102 GPU Architecture whitepaper; A40 and A10 datasheets"},
    // Ada whitepaper; L40S datasheet: 142 SMs @ 2520 MHz → FP32 91.6, TF32 183, FP16/BF16 362,
    // FP8 733 TFLOP/s; L4: 58 SMs @ 2040 MHz → FP8 242.5 (485 sparse).
    ArchRates{8, 9, "sm_89", "Ada Lovelace", 128, 4, 0, 256, 512, 1024, 1024, 2048,
              "NVIDIA Ada Lovelace GPU Architecture whitepaper; L40S and L4 datasheets"},
    // H100 whitepaper: per SM 2× A100's dense MMA rate per clock (4× with FP8), 128 FP32 and
    // 64 FP64 lanes. H100 SXM5 datasheet: 132 SMs; FP64 34, FP64 tensor 67, FP32 67 TFLOP/s
    // (@ 1980 MHz); TF32 495, FP16/BF16 989.4, FP8 1979 (@ 1830 MHz, the clock NVIDIA quotes
    // tensor figures at: kDatasheetClocks).
    ArchRates{9, 0, "sm_90", "Hopper", 128, 128, 256, 256, 2048, 4096, 4096, 8192,
              "NVIDIA H100 Tensor Core GPU Architecture whitepaper; H100/H200 datasheets"},
    // Blackwell datasheet (HGX B200, 148 SMs): FP16/BF16 2.25 PFLOP/s, FP8 4.5, TF32 1.1
    // dense: 2× Hopper per SM per clock. FP64 and FP64 tensor alike (40 TFLOP/s); CUDA guide:
    // 64 FP64 results per clock per SM on 10.0.
    ArchRates{10, 0, "sm_100", "Blackwell (B200/GB200)", 128, 128, 128, 256, 4096, 8192, 8192,
              16384, "NVIDIA Blackwell datasheet (HGX B200); CUDA C++ Programming Guide"},
    // RTX Blackwell whitepaper; RTX PRO 6000 Blackwell: 188 SMs @ 2617 MHz → FP32 126, FP8
    // ~1000 TFLOP/s dense (4000 "AI TOPS" = FP4 sparse). FP64 at 1/64 of FP32.
    ArchRates{12, 0, "sm_120", "Blackwell (RTX)", 128, 4, 0, 256, 512, 1024, 1024, 2048,
              "NVIDIA RTX Blackwell GPU Architecture whitepaper; RTX PRO 6000 Blackwell "
              "datasheet"},
};

// Products whose datasheet quotes the dense tensor figures below the max SM clock. The clock is
// the datasheet's dense figure / (FLOP per clock per SM x SMs): TF32, BF16 and FP8 each give the
// same whole-MHz clock. Names and device ids: NVIDIA's open-gpu-kernel-modules README (supported
// GPUs); figures: the H100, H100 NVL, H200, H200 NVL and GH200 datasheets (sparse figures / 2).
// Research notes with sources: docs/peaks.md.
constexpr std::array kDatasheetClocks = {
    DatasheetClock{"NVIDIA H100 80GB HBM3", 0x2330, 9, 0, 1830, 0, "",
                   "NVIDIA H100 datasheet (H100 SXM): TF32 494.7, FP16/BF16 989.4, FP8 1978.9 "
                   "TFLOP/s dense = rate x 132 SMs x 1830 MHz"},
    DatasheetClock{"NVIDIA H100 PCIe", 0x2331, 9, 0, 1620, 0, "",
                   "NVIDIA H100 datasheet (H100 PCIe): TF32 378, FP16/BF16 756.5, FP8 1513 "
                   "TFLOP/s dense = rate x 114 SMs x 1620 MHz"},
    DatasheetClock{"NVIDIA H100 NVL", 0x2321, 9, 0, 1545, 0, "",
                   "NVIDIA H100 NVL datasheet: TF32 417.5, FP16/BF16 835.5, FP8 1670.5 TFLOP/s "
                   "dense = rate x 132 SMs x 1545 MHz"},
    DatasheetClock{"NVIDIA H200", 0x2335, 9, 0, 1830, 0, "",
                   "NVIDIA H200 datasheet (H200 SXM): FP16/BF16 989, FP8 1979 TFLOP/s dense = "
                   "rate x 132 SMs x 1830 MHz"},
    DatasheetClock{"NVIDIA H200 NVL", 0x233B, 9, 0, 1545, 0, "",
                   "NVIDIA H200 datasheet (H200 NVL): FP16/BF16 835.5, FP8 1670.5 TFLOP/s dense "
                   "= rate x 132 SMs x 1545 MHz"},
    DatasheetClock{"NVIDIA GH200 480GB", 0x2342, 9, 0, 1830, 450, "NVLink-C2C",
                   "NVIDIA GH200 datasheet: FP16/BF16 989, FP8 1979 TFLOP/s dense = rate x 132 "
                   "SMs x 1830 MHz; NVLink-C2C 900 GB/s both ways"},
    DatasheetClock{"NVIDIA GH200 120GB", 0x2342, 9, 0, 1830, 450, "NVLink-C2C",
                   "NVIDIA GH200 datasheet: FP16/BF16 989, FP8 1979 TFLOP/s dense = rate x 132 "
                   "SMs x 1830 MHz; NVLink-C2C 900 GB/s both ways"},
    DatasheetClock{"NVIDIA GH200 144G HBM3e", 0x2348, 9, 0, 1830, 450, "NVLink-C2C",
                   "NVIDIA GH200 datasheet (144 GB HBM3e): FP16/BF16 989, FP8 1979 TFLOP/s dense "
                   "= rate x 132 SMs x 1830 MHz; NVLink-C2C 900 GB/s both ways"},
};

// GeForce parts run FP16/BF16/TF32/FP8 tensor math with FP32 accumulation at half the rate of
// the professional parts of the same chip (GA102, Ada and RTX Blackwell whitepapers: e.g. RTX
// 4090 165 vs 330 TFLOP/s with FP16 accumulation). NVIDIA's L40 datasheet likewise lists half
// the L40S tensor rates (FP16 181, FP8 362 TFLOP/s on the same 142-SM AD102).
bool half_rate_tensor(const ArchRates& a, const std::string& name) {
  if (a.arch != "sm_86" && a.arch != "sm_89" && a.arch != "sm_120") return false;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("geforce") != std::string::npos || lower == "nvidia l40";
}

// Three decimals: enough for GB/s and TFLOP/s, no binary noise in the JSON.
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

const ArchRates* arch_rates(int cc_major, int cc_minor) {
  for (const ArchRates& a : kArchTable) {
    if (a.cc_major == cc_major && a.cc_minor == cc_minor) return &a;
  }
  return nullptr;
}

const DatasheetClock* datasheet_clock(const std::string& name,
                                      std::optional<unsigned> pci_device_id, int cc_major,
                                      int cc_minor) {
  for (const DatasheetClock& d : kDatasheetClocks) {
    if (d.cc_major != cc_major || d.cc_minor != cc_minor) continue;
    if (d.name == name) return &d;
  }
  // An unfamiliar name (a new driver's spelling): the device id still identifies the board.
  for (const DatasheetClock& d : kDatasheetClocks) {
    if (d.cc_major == cc_major && d.cc_minor == cc_minor && pci_device_id &&
        d.pci_device_id == *pci_device_id) {
      return &d;
    }
  }
  return nullptr;
}

double dram_bandwidth_gb_s(unsigned memory_clock_mhz, unsigned bus_width_bits) {
  return static_cast<double>(memory_clock_mhz) * 1e6 * (static_cast<double>(bus_width_bits) / 8.0) *
         2.0 / 1e9;
}

Peaks compute_peaks(const PeakInputs& in) {
  Peaks p;
  if (in.max_memory_clock_mhz && in.memory_bus_width_bits && *in.max_memory_clock_mhz > 0 &&
      *in.memory_bus_width_bits > 0) {
    p.dram_gb_s = round3(dram_bandwidth_gb_s(*in.max_memory_clock_mhz, *in.memory_bus_width_bits));
    if (in.dram_fraction && *in.dram_fraction > 0 && *in.dram_fraction <= 1) {
      p.dram_gb_s_whole_gpu = p.dram_gb_s;
      p.dram_gb_s = round3(*p.dram_gb_s * *in.dram_fraction);
      p.notes.push_back(fmt::format("MIG slice: DRAM peak {} of the GPU's {} GB/s ({})",
                                    *in.dram_fraction, *p.dram_gb_s_whole_gpu,
                                    in.dram_fraction_basis));
    } else if (in.dram_share_unknown) {
      p.dram_gb_s_whole_gpu = p.dram_gb_s;
      p.dram_gb_s.reset();
      p.notes.push_back(fmt::format(
          "no DRAM peak: a MIG slice whose share of the GPU's {} GB/s is not known (NVML gave no "
          "matching MIG device)",
          *p.dram_gb_s_whole_gpu));
    }
  } else {
    p.notes.emplace_back("no DRAM peak: max memory clock or bus width unknown");
  }

  if (!in.cc_major || !in.cc_minor) {
    p.notes.emplace_back("no compute peaks: compute capability unknown");
    return p;
  }
  const ArchRates* a = arch_rates(*in.cc_major, *in.cc_minor);
  if (a == nullptr) {
    p.notes.push_back(
        fmt::format("no compute peaks: no throughput table for compute capability "
                    "{}.{} (sm_{}{})",
                    *in.cc_major, *in.cc_minor, *in.cc_major, *in.cc_minor));
    return p;
  }
  p.arch = std::string(a->arch);

  if (in.sm_count && *in.sm_count > 0) {
    p.sm_count = in.sm_count;
    p.sm_count_source = "cuda";
  } else if (in.gpu_cores && *in.gpu_cores > 0 && *in.gpu_cores % a->fp32_lanes_per_sm == 0) {
    p.sm_count = *in.gpu_cores / a->fp32_lanes_per_sm;
    p.sm_count_source = "nvml-cores";
  } else if (in.gpu_cores && *in.gpu_cores > 0) {
    p.notes.push_back(
        fmt::format("no compute peaks: {} CUDA cores is not a multiple of {} per SM "
                    "on {}",
                    *in.gpu_cores, a->fp32_lanes_per_sm, a->arch));
    return p;
  } else {
    p.notes.emplace_back("no compute peaks: SM count unknown (NVML has no core count)");
    return p;
  }
  if (!in.max_sm_clock_mhz || *in.max_sm_clock_mhz == 0) {
    p.notes.emplace_back("no compute peaks: max SM clock unknown");
    return p;
  }

  const bool half = half_rate_tensor(*a, in.name);
  p.tensor_rate = half ? "half" : "full";
  if (half) {
    p.notes.push_back(
        fmt::format("{}: tensor rates with FP32 accumulation are half those of the "
                    "professional parts of this chip",
                    in.name));
  }
  const DatasheetClock* datasheet =
      datasheet_clock(in.name, in.pci_device_id, *in.cc_major, *in.cc_minor);
  if (datasheet != nullptr && datasheet->host_link_gb_s > 0) {
    p.host_link_gb_s = datasheet->host_link_gb_s;
    p.host_link = std::string(datasheet->host_link);
  }
  // Never above the max clock NVML reports for this board.
  const unsigned tensor_clock = datasheet != nullptr
                                    ? std::min(datasheet->tensor_clock_mhz, *in.max_sm_clock_mhz)
                                    : *in.max_sm_clock_mhz;
  p.tensor_clock_mhz = tensor_clock;
  p.tensor_clock_basis = datasheet != nullptr ? "datasheet" : "max-clock";
  if (datasheet != nullptr) {
    p.notes.push_back(fmt::format("tensor figures at {} MHz: {}", tensor_clock, datasheet->source));
  }
  const double sms = static_cast<double>(*p.sm_count);
  // Dense TFLOP/s of a rate (FLOP/clock/SM) at `clock_mhz`; empty when the architecture has no
  // such path (noted once, by the caller).
  auto at_clock = [&](double per_sm_clock, bool tensor, unsigned clock_mhz) {
    if (per_sm_clock <= 0) return std::optional<double>();
    const double rate = tensor && half ? per_sm_clock / 2 : per_sm_clock;
    return std::optional<double>(round3(rate * sms * clock_mhz * 1e6 / 1e12));
  };
  auto note_missing = [&](double per_sm_clock, std::string_view what) {
    if (per_sm_clock <= 0) {
      p.notes.push_back(fmt::format("no {} peak: {} has no such path", what, a->arch));
    }
  };
  note_missing(a->fp64, "FP64");
  note_missing(a->fp64_tensor, "FP64 tensor");
  note_missing(a->fp32, "FP32");
  note_missing(a->tf32, "TF32 tensor");
  note_missing(a->fp16, "FP16 tensor");
  note_missing(a->bf16, "BF16 tensor");
  note_missing(a->fp8, "FP8 tensor");
  const unsigned max_clock = *in.max_sm_clock_mhz;
  p.fp64_tflops = at_clock(a->fp64, false, max_clock);
  p.fp64_tensor_tflops = at_clock(a->fp64_tensor, false, max_clock);
  p.fp32_tflops = at_clock(a->fp32, false, max_clock);
  p.tf32_tflops = at_clock(a->tf32, true, tensor_clock);
  p.fp16_tflops = at_clock(a->fp16, true, tensor_clock);
  p.bf16_tflops = at_clock(a->bf16, true, tensor_clock);
  p.fp8_tflops = at_clock(a->fp8, true, tensor_clock);
  p.tf32_tflops_at_max_clock = at_clock(a->tf32, true, max_clock);
  p.fp16_tflops_at_max_clock = at_clock(a->fp16, true, max_clock);
  p.bf16_tflops_at_max_clock = at_clock(a->bf16, true, max_clock);
  p.fp8_tflops_at_max_clock = at_clock(a->fp8, true, max_clock);
  return p;
}

nlohmann::json peaks_json(const Peaks& p, const PeakInputs& in) {
  return {
      {"dram_gb_s", json_or_null(p.dram_gb_s)},
      {"dram_gb_s_whole_gpu", json_or_null(p.dram_gb_s_whole_gpu)},
      {"dram_fraction", json_or_null(in.dram_fraction)},
      {"fp64_tflops", json_or_null(p.fp64_tflops)},
      {"fp64_tensor_tflops", json_or_null(p.fp64_tensor_tflops)},
      {"fp32_tflops", json_or_null(p.fp32_tflops)},
      {"tf32_tflops", json_or_null(p.tf32_tflops)},
      {"fp16_tflops", json_or_null(p.fp16_tflops)},
      {"bf16_tflops", json_or_null(p.bf16_tflops)},
      {"fp8_tflops", json_or_null(p.fp8_tflops)},
      {"tf32_tflops_at_max_clock", json_or_null(p.tf32_tflops_at_max_clock)},
      {"fp16_tflops_at_max_clock", json_or_null(p.fp16_tflops_at_max_clock)},
      {"bf16_tflops_at_max_clock", json_or_null(p.bf16_tflops_at_max_clock)},
      {"fp8_tflops_at_max_clock", json_or_null(p.fp8_tflops_at_max_clock)},
      {"tensor_clock_mhz", json_or_null(p.tensor_clock_mhz)},
      {"tensor_clock_basis", p.tensor_clock_basis},
      {"host_link_gb_s", json_or_null(p.host_link_gb_s)},
      {"host_link", p.host_link},
      {"sm_count", json_or_null(p.sm_count)},
      {"sm_count_source", p.sm_count_source},
      {"sm_clock_mhz", json_or_null(in.max_sm_clock_mhz)},
      {"memory_clock_mhz", json_or_null(in.max_memory_clock_mhz)},
      {"memory_bus_width_bits", json_or_null(in.memory_bus_width_bits)},
      {"arch", p.arch},
      {"tensor_rate", p.tensor_rate},
      {"basis",
       "dram = max memory clock x bus width / 8 x 2 (DDR); compute = dense FLOP/clock/SM "
       "(arch table, FP32 accumulate) x SMs x max SM clock, except tensor figures (tf32, fp16, "
       "bf16, fp8) at tensor_clock_mhz: the clock NVIDIA's datasheet quotes them at where "
       "gpuval knows the product (tensor_clock_basis datasheet), else the max SM clock; "
       "*_at_max_clock keep them at the max SM clock"},
      {"notes", p.notes},
  };
}

}  // namespace gpuval
