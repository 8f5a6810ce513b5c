// Theoretical peaks of a device, the denominators of every "fraction of peak" gpuval reports.
//
// DRAM bandwidth [B/s] = max memory clock [Hz] × bus width [bit] / 8 × 2 (double data rate).
// NVML reports the memory clock so that this holds for HBM and GDDR alike (nvbench computes it
// the same way): H100 SXM5 2619 MHz × 5120 bit → 3.35 TB/s; RTX 4090 10501 MHz × 384 bit →
// 1008 GB/s.
//
// Compute [FLOP/s] = dense FLOP per clock per SM (a table by compute capability; an FMA is 2
// FLOP) × SM count × clock. An architecture missing from the table has no compute peak: gpuval
// never guesses one. The clock is the max SM clock, except for the tensor figures (TF32, FP16,
// BF16, FP8) of products whose datasheet quotes them at a lower clock (H100 SXM5 and H200:
// 1830 MHz, so BF16 = 989.4 TFLOP/s as NVIDIA states, not 1070.5 at 1980 MHz): those use the
// datasheet clock, and the max-clock figures are kept beside them (*_at_max_clock). The
// datasheet figure is the one a GEMM's fraction of peak is measured against.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval {

// Dense throughput of one architecture per SM per clock, in FLOP. Tensor rates are with FP32
// accumulation (what cuBLAS uses with CUBLAS_COMPUTE_32F). 0: the architecture has no such path.
struct ArchRates {
  int cc_major = 0, cc_minor = 0;
  std::string_view arch;           // "sm_90"
  std::string_view family;         // "Hopper"
  unsigned fp32_lanes_per_sm = 0;  // CUDA cores per SM: turns NVML's core count into SMs
  double fp64 = 0, fp64_tensor = 0, fp32 = 0;
  double tf32 = 0, fp16 = 0, bf16 = 0, fp8 = 0;  // tensor cores
  std::string_view source;
};

// nullptr for an architecture gpuval has no table row for.
const ArchRates* arch_rates(int cc_major, int cc_minor);

// Bytes per second / 1e9.
double dram_bandwidth_gb_s(unsigned memory_clock_mhz, unsigned bus_width_bits);

struct PeakInputs {
  std::string name;  // marketing name: GeForce parts run tensor math at half rate (see .cpp)
  std::optional<int> cc_major, cc_minor;
  std::optional<unsigned> sm_count;   // from the CUDA runtime, when known
  std::optional<unsigned> gpu_cores;  // NVML's CUDA core count: SMs = cores / lanes per SM
  std::optional<unsigned> max_sm_clock_mhz;
  std::optional<unsigned> max_memory_clock_mhz;
  std::optional<unsigned> memory_bus_width_bits;
  std::optional<unsigned> pci_device_id;  // the 16-bit PCI device id (0x2330 = H100 SXM5 80GB)
  // A MIG slice's share of the GPU's memory slices (core/nvml_mig.hpp mig_memory_share): the
  // DRAM peak is the whole GPU's times this. Empty for a whole GPU.
  std::optional<double> dram_fraction = std::nullopt;
  std::string dram_fraction_basis = {};
  bool dram_share_unknown = false;  // a MIG slice whose share is not known: no DRAM peak
};

// What NVIDIA's datasheet says of a product beyond the arch table: the clock its dense tensor
// figures are quoted at (below the max SM clock), and a host link that is not PCIe (GH200's
// NVLink-C2C). nullptr for products gpuval has no row for (they use the max SM clock and PCIe).
// Matched by NVML's exact name or the PCI device id, and the compute capability; the SM count
// is NOT matched: it comes from CUDA, so a MIG slice of the product gets its own figures.
struct DatasheetClock {
  std::string_view name;  // NVML's device name, exactly
  unsigned pci_device_id = 0;
  int cc_major = 0, cc_minor = 0;
  unsigned tensor_clock_mhz = 0;
  double host_link_gb_s = 0;   // per direction; 0: PCIe, from the link's generation and width
  std::string_view host_link;  // "NVLink-C2C", "" for PCIe
  std::string_view source;
};
const DatasheetClock* datasheet_clock(const std::string& name,
                                      std::optional<unsigned> pci_device_id, int cc_major,
                                      int cc_minor);

struct Peaks {
  std::optional<double> dram_gb_s;            // GB/s (1e9 B/s); a MIG slice's own share
  std::optional<double> dram_gb_s_whole_gpu;  // a MIG slice's GPU's, before dram_fraction
  // TFLOP/s (1e12), dense. Tensor figures at tensor_clock_mhz (see above).
  std::optional<double> fp64_tflops, fp64_tensor_tflops, fp32_tflops;
  std::optional<double> tf32_tflops, fp16_tflops, bf16_tflops, fp8_tflops;
  // The same tensor figures at the max SM clock (equal to the above without a datasheet clock).
  std::optional<double> tf32_tflops_at_max_clock, fp16_tflops_at_max_clock,
      bf16_tflops_at_max_clock, fp8_tflops_at_max_clock;
  std::optional<unsigned> tensor_clock_mhz;
  std::string tensor_clock_basis;  // "datasheet", "max-clock", "" without compute peaks
  // A host link that is not PCIe, per direction (GH200: NVLink-C2C 450 GB/s); empty: PCIe, whose
  // peak comes from the link's generation and width (bench/entry.hpp peak_for).
  std::optional<double> host_link_gb_s;
  std::string host_link;  // "NVLink-C2C" or "" (PCIe)
  std::optional<unsigned> sm_count;
  std::string sm_count_source;     // "cuda", "nvml-cores" or ""
  std::string arch;                // "sm_90", "" when unknown
  std::string tensor_rate;         // "full", "half" (see notes), "" without a table row
  std::vector<std::string> notes;  // why a figure is missing or adjusted
};

Peaks compute_peaks(const PeakInputs& in);

// {"dram_gb_s": 3352.32, "fp64_tflops": ..., "bf16_tflops": 989.43, ...,
//  "bf16_tflops_at_max_clock": 1070.531, ..., "tensor_clock_mhz": 1830,
//  "tensor_clock_basis": "datasheet", "sm_count": 132, "sm_clock_mhz": 1980,
//  "memory_clock_mhz": 2619, "memory_bus_width_bits": 5120, "arch": "sm_90",
//  "tensor_rate": "full", "basis": "...", "notes": [...]}; missing figures null.
nlohmann::json peaks_json(const Peaks& peaks, const PeakInputs& in);

}  // namespace gpuval
