#include "core/peaks.hpp"

#include <gtest/gtest.h>

namespace gpuval {
namespace {

PeakInputs h100_sxm5() {
  PeakInputs in;
  in.name = "NVIDIA H100 80GB HBM3";
  in.cc_major = 9;
  in.cc_minor = 0;
  in.gpu_cores = 16896;  // 132 SMs x 128
  in.max_sm_clock_mhz = 1980;
  in.max_memory_clock_mhz = 2619;
  in.memory_bus_width_bits = 5120;
  return in;
}

TEST(Peaks, DramFormulaReproducesH100Sxm5) {
  // 2619 MHz x 5120 bit / 8 x 2 = 3352.32 GB/s: NVIDIA's 3.35 TB/s.
  EXPECT_NEAR(dram_bandwidth_gb_s(2619, 5120), 3352.32, 1e-6);
}

TEST(Peaks, DramFormulaGivesH200WithinItsDatasheet) {
  // NVML reports 3201 MHz on a 6144-bit HBM3e bus: 4917 GB/s; the datasheet rounds the pin
  // rate down (6.25 Gb/s) to 4.8 TB/s.
  const double bw = dram_bandwidth_gb_s(3201, 6144);
  EXPECT_NEAR(bw, 4916.736, 1e-3);
  EXPECT_NEAR(bw / 4800.0, 1.0, 0.03);
}

TEST(Peaks, DramFormulaHoldsForHbm2eAndGddr6x) {
  EXPECT_NEAR(dram_bandwidth_gb_s(1593, 5120), 2039.04, 1e-6);   // A100 80GB SXM4: 2039 GB/s
  EXPECT_NEAR(dram_bandwidth_gb_s(10501, 384), 1008.096, 1e-6);  // RTX 4090: 1008 GB/s
}

TEST(Peaks, H100ComputePeaksUseTheDatasheetTensorClock) {
  const Peaks p = compute_peaks(h100_sxm5());
  ASSERT_TRUE(p.sm_count);
  EXPECT_EQ(*p.sm_count, 132u);
  EXPECT_EQ(p.sm_count_source, "nvml-cores");
  EXPECT_EQ(p.arch, "sm_90");
  EXPECT_EQ(p.tensor_rate, "full");
  ASSERT_TRUE(p.dram_gb_s);
  EXPECT_NEAR(*p.dram_gb_s, 3352.32, 1e-6);
  // FP64 and FP32: 132 SMs x the max SM clock (1.98 GHz), as the datasheet quotes them.
  EXPECT_NEAR(*p.fp64_tflops, 33.454, 1e-3);         // datasheet 34
  EXPECT_NEAR(*p.fp64_tensor_tflops, 66.908, 1e-3);  // datasheet 67
  EXPECT_NEAR(*p.fp32_tflops, 66.908, 1e-3);         // datasheet 67
  // Tensor figures: 132 SMs x 1830 MHz, the datasheet's dense figures.
  EXPECT_EQ(p.tensor_clock_mhz, 1830u);
  EXPECT_EQ(p.tensor_clock_basis, "datasheet");
  EXPECT_NEAR(*p.tf32_tflops, 494.715, 1e-3);  // datasheet 494.7 (989 sparse)
  EXPECT_NEAR(*p.bf16_tflops, 989.430, 1e-3);  // datasheet 989.4
  EXPECT_NEAR(*p.fp16_tflops, 989.430, 1e-3);  // datasheet 989.4
  EXPECT_NEAR(*p.fp8_tflops, 1978.860, 1e-3);  // datasheet 1978.9
  // ... and the same at the max SM clock, kept beside them.
  EXPECT_NEAR(*p.tf32_tflops_at_max_clock, 535.265, 1e-3);
  EXPECT_NEAR(*p.bf16_tflops_at_max_clock, 1070.531, 1e-3);
  EXPECT_NEAR(*p.fp16_tflops_at_max_clock, 1070.531, 1e-3);
  EXPECT_NEAR(*p.fp8_tflops_at_max_clock, 2141.061, 1e-3);
}

TEST(Peaks, H200UsesItsDatasheetTensorClockToo) {
  PeakInputs h200{"NVIDIA H200", 9, 0, 132u, std::nullopt, 1980u, 3201u, 6144, std::nullopt};
  const Peaks p = compute_peaks(h200);
  EXPECT_EQ(p.tensor_clock_basis, "datasheet");
  EXPECT_NEAR(*p.bf16_tflops, 989.4, 0.1);  // H200 datasheet: 989 dense
  EXPECT_NEAR(*p.fp8_tflops, 1978.9, 0.1);  // 1979
}

TEST(Peaks, EveryHopperProductGetsItsDatasheetTensorClock) {
  // Dense datasheet figures (sparse / 2): H100 PCIe 756.5 BF16 at 114 SMs; H100 NVL and H200 NVL
  // 835.5 at 132 SMs; GH200 989.5. Before these rows the max clock overstated them by 8-16 %.
  struct Row {
    const char* name;
    unsigned sms, max_clock, tensor_clock;
    double bf16, fp8;
  };
  const Row rows[] = {
      {"NVIDIA H100 PCIe", 114, 1755, 1620, 756.5, 1513.0},
      {"NVIDIA H100 NVL", 132, 1785, 1545, 835.5, 1670.5},
      {"NVIDIA H200 NVL", 132, 1785, 1545, 835.5, 1670.5},
      {"NVIDIA GH200 480GB", 132, 1980, 1830, 989.4, 1978.9},
      {"NVIDIA GH200 144G HBM3e", 132, 1980, 1830, 989.4, 1978.9},
  };
  for (const Row& r : rows) {
    PeakInputs in{r.name, 9, 0, r.sms, std::nullopt, r.max_clock, 2619u, 5120u, std::nullopt};
    const Peaks p = compute_peaks(in);
    EXPECT_EQ(p.tensor_clock_basis, "datasheet") << r.name;
    EXPECT_EQ(p.tensor_clock_mhz, r.tensor_clock) << r.name;
    EXPECT_NEAR(*p.bf16_tflops, r.bf16, 0.5) << r.name;
    EXPECT_NEAR(*p.fp8_tflops, r.fp8, 1.0) << r.name;
    // FP64 and FP32 stay at the max clock (the datasheets quote them there).
    EXPECT_NEAR(*p.fp32_tflops, 256.0 * r.sms * r.max_clock * 1e6 / 1e12, 1e-3) << r.name;
  }
}

TEST(Peaks, AProductWithoutARowUsesTheMaxClock) {
  PeakInputs h800{"NVIDIA H800", 9, 0, 132u, std::nullopt, 1980u, 2619u, 5120u, std::nullopt};
  const Peaks p = compute_peaks(h800);
  EXPECT_EQ(p.tensor_clock_basis, "max-clock");
  EXPECT_EQ(p.tensor_clock_mhz, 1980u);
  EXPECT_DOUBLE_EQ(*p.bf16_tflops, *p.bf16_tflops_at_max_clock);
}

TEST(Peaks, TheSmCountComesFromCudaSoAMigSliceGetsItsOwnPeak) {
  // A 1g.10gb slice of an H100 SXM5: 16 SMs (from CUDA), the product's datasheet clock.
  PeakInputs slice = h100_sxm5();
  slice.sm_count = 16u;
  const Peaks p = compute_peaks(slice);
  EXPECT_EQ(p.sm_count_source, "cuda");
  EXPECT_EQ(p.tensor_clock_basis, "datasheet");
  EXPECT_NEAR(*p.bf16_tflops, 4096.0 * 16 * 1830e6 / 1e12, 1e-3);
  EXPECT_NEAR(*p.bf16_tflops, 989.43 * 16 / 132, 1e-2);
  EXPECT_NE(datasheet_clock("NVIDIA H100 80GB HBM3", std::nullopt, 9, 0), nullptr);
  EXPECT_EQ(datasheet_clock("NVIDIA H100 80GB HBM3", std::nullopt, 8, 0), nullptr);
}

TEST(Peaks, AnUnfamiliarNameIsMatchedByThePciDeviceId) {
  PeakInputs renamed{"NVIDIA H100 PCIe 80GB (new driver spelling)",
                     9,
                     0,
                     114u,
                     std::nullopt,
                     1755u,
                     1593u,
                     5120u,
                     0x2331u};
  EXPECT_EQ(compute_peaks(renamed).tensor_clock_mhz, 1620u);
  renamed.pci_device_id = 0x1234u;
  EXPECT_EQ(compute_peaks(renamed).tensor_clock_basis, "max-clock");
}

TEST(Peaks, Gh200sHostLinkIsNvlinkC2c) {
  PeakInputs gh{"NVIDIA GH200 480GB", 9, 0, 132u, std::nullopt, 1980u, 2619u, 6144u, std::nullopt};
  const Peaks p = compute_peaks(gh);
  ASSERT_TRUE(p.host_link_gb_s.has_value());
  EXPECT_DOUBLE_EQ(*p.host_link_gb_s, 450.0);
  EXPECT_EQ(p.host_link, "NVLink-C2C");
  EXPECT_FALSE(compute_peaks(h100_sxm5()).host_link_gb_s.has_value());  // PCIe: from the link
}

TEST(Peaks, DatasheetClockNeverExceedsTheBoardsMaxClock) {
  PeakInputs capped = h100_sxm5();
  capped.max_sm_clock_mhz = 1600;  // a board that reports a lower max clock
  const Peaks p = compute_peaks(capped);
  EXPECT_EQ(p.tensor_clock_mhz, 1600u);
  EXPECT_DOUBLE_EQ(*p.bf16_tflops, *p.bf16_tflops_at_max_clock);
}

TEST(Peaks, TableReproducesDatasheetsAtTheClockNvidiaQuotes) {
  PeakInputs h100 = h100_sxm5();
  h100.max_sm_clock_mhz = 1830;  // NVIDIA quotes H100 SXM5 tensor figures at 1830 MHz
  const Peaks ph = compute_peaks(h100);
  EXPECT_NEAR(*ph.bf16_tflops, 989.4, 0.1);
  EXPECT_NEAR(*ph.fp8_tflops, 1978.9, 0.1);
  EXPECT_NEAR(*ph.tf32_tflops, 494.7, 0.1);

  PeakInputs a100{
      "NVIDIA A100-SXM4-80GB", 8, 0, 108u, std::nullopt, 1410u, 1593u, 5120, std::nullopt};
  const Peaks pa = compute_peaks(a100);
  EXPECT_EQ(pa.sm_count_source, "cuda");
  EXPECT_NEAR(*pa.fp64_tflops, 9.7, 0.1);
  EXPECT_NEAR(*pa.fp64_tensor_tflops, 19.5, 0.1);
  EXPECT_NEAR(*pa.fp32_tflops, 19.5, 0.1);
  EXPECT_NEAR(*pa.tf32_tflops, 156.0, 0.5);
  EXPECT_NEAR(*pa.bf16_tflops, 312.0, 0.5);
  EXPECT_FALSE(pa.fp8_tflops) << "A100 has no FP8 tensor path";

  PeakInputs l40s{"NVIDIA L40S", 8, 9, 142u, std::nullopt, 2520u, 9001u, 384, std::nullopt};
  const Peaks pl = compute_peaks(l40s);
  EXPECT_NEAR(*pl.fp32_tflops, 91.6, 0.1);
  EXPECT_NEAR(*pl.tf32_tflops, 183.2, 0.1);
  EXPECT_NEAR(*pl.fp8_tflops, 732.9, 0.1);
  EXPECT_NEAR(*pl.dram_gb_s, 864.096, 1e-3);
  EXPECT_FALSE(pl.fp64_tensor_tflops);

  PeakInputs a10{"NVIDIA A10", 8, 6, 72u, std::nullopt, 1695u, 6251u, 384, std::nullopt};
  const Peaks p10 = compute_peaks(a10);
  EXPECT_NEAR(*p10.tf32_tflops, 62.5, 0.1);
  EXPECT_NEAR(*p10.fp16_tflops, 125.0, 0.1);
}

TEST(Peaks, GeforceAndL40RunTensorMathAtHalfRate) {
  PeakInputs rtx4090{
      "NVIDIA GeForce RTX 4090", 8, 9, 128u, std::nullopt, 2520u, 10501u, 384, std::nullopt};
  const Peaks p = compute_peaks(rtx4090);
  EXPECT_EQ(p.tensor_rate, "half");
  EXPECT_NEAR(*p.fp32_tflops, 82.6, 0.1);   // CUDA cores: unaffected
  EXPECT_NEAR(*p.fp16_tflops, 165.2, 0.1);  // Ada whitepaper: FP16 w/ FP32 accumulate
  EXPECT_NEAR(*p.fp8_tflops, 330.3, 0.1);
  EXPECT_FALSE(p.notes.empty());

  PeakInputs l40{"NVIDIA L40", 8, 9, 142u, std::nullopt, 2490u, 9001u, 384, std::nullopt};
  const Peaks pl = compute_peaks(l40);
  EXPECT_NEAR(*pl.fp16_tflops, 181.0, 0.1);  // L40 datasheet
  EXPECT_NEAR(*pl.fp8_tflops, 362.1, 0.1);
}

TEST(Peaks, EveryRequiredArchitectureHasARow) {
  for (auto [major, minor] : {std::pair{8, 0}, {8, 6}, {8, 9}, {9, 0}, {10, 0}, {12, 0}}) {
    const ArchRates* a = arch_rates(major, minor);
    ASSERT_NE(a, nullptr) << major << "." << minor;
    EXPECT_GT(a->fp32, 0);
    EXPECT_GT(a->bf16, 0);
    EXPECT_FALSE(a->source.empty());
  }
  EXPECT_GT(arch_rates(8, 9)->fp8, 0);
  EXPECT_EQ(arch_rates(8, 6)->fp8, 0);
}

TEST(Peaks, UnknownArchitectureGetsNoComputePeakButKeepsDram) {
  PeakInputs t4{"Tesla T4", 7, 5, 40u, std::nullopt, 1590u, 5001u, 256, std::nullopt};
  const Peaks p = compute_peaks(t4);
  EXPECT_EQ(arch_rates(7, 5), nullptr);
  EXPECT_FALSE(p.fp32_tflops);
  EXPECT_FALSE(p.bf16_tflops);
  EXPECT_TRUE(p.arch.empty());
  ASSERT_TRUE(p.dram_gb_s);  // clock x width needs no table
  EXPECT_NEAR(*p.dram_gb_s, 320.064, 1e-3);
  ASSERT_FALSE(p.notes.empty());
  EXPECT_NE(p.notes.back().find("7.5"), std::string::npos);
}

TEST(Peaks, MissingInputsGiveNotesNotGuesses) {
  PeakInputs in = h100_sxm5();
  in.gpu_cores.reset();
  Peaks p = compute_peaks(in);
  EXPECT_FALSE(p.bf16_tflops);
  EXPECT_NE(p.notes.back().find("SM count unknown"), std::string::npos);

  in = h100_sxm5();
  in.gpu_cores = 16895;  // not a whole number of SMs
  p = compute_peaks(in);
  EXPECT_FALSE(p.bf16_tflops);
  EXPECT_NE(p.notes.back().find("not a multiple"), std::string::npos);

  in = h100_sxm5();
  in.max_sm_clock_mhz.reset();
  p = compute_peaks(in);
  EXPECT_FALSE(p.fp32_tflops);
  EXPECT_NE(p.notes.back().find("max SM clock unknown"), std::string::npos);

  in = h100_sxm5();
  in.cc_major.reset();
  in.memory_bus_width_bits = 0;
  p = compute_peaks(in);
  EXPECT_FALSE(p.dram_gb_s);
  EXPECT_FALSE(p.fp32_tflops);
  EXPECT_EQ(p.notes.size(), 2u);
}

TEST(Peaks, JsonHasEveryFigureWithNullsForMissingOnes) {
  PeakInputs a100{
      "NVIDIA A100-SXM4-40GB", 8, 0, std::nullopt, 6912u, 1410u, 1215u, 5120, std::nullopt};
  const nlohmann::json j = peaks_json(compute_peaks(a100), a100);
  EXPECT_NEAR(j["dram_gb_s"].get<double>(), 1555.2, 1e-6);
  EXPECT_EQ(j["sm_count"], 108);
  EXPECT_EQ(j["sm_count_source"], "nvml-cores");
  EXPECT_TRUE(j["fp8_tflops"].is_null());
  EXPECT_TRUE(j["bf16_tflops"].is_number());
  EXPECT_EQ(j["arch"], "sm_80");
  EXPECT_EQ(j["sm_clock_mhz"], 1410);
  EXPECT_TRUE(j["basis"].get<std::string>().find("x 2 (DDR)") != std::string::npos);
  EXPECT_TRUE(j["notes"].is_array());
  EXPECT_EQ(j["tensor_clock_basis"], "max-clock");
  EXPECT_EQ(j["tensor_clock_mhz"], 1410);
  EXPECT_EQ(j["bf16_tflops_at_max_clock"], j["bf16_tflops"]);
  EXPECT_TRUE(j["fp8_tflops_at_max_clock"].is_null());

  const PeakInputs h100 = h100_sxm5();
  const nlohmann::json jh = peaks_json(compute_peaks(h100), h100);
  EXPECT_EQ(jh["tensor_clock_basis"], "datasheet");
  EXPECT_EQ(jh["tensor_clock_mhz"], 1830);
  EXPECT_NEAR(jh["bf16_tflops"].get<double>(), 989.430, 1e-3);
  EXPECT_NEAR(jh["bf16_tflops_at_max_clock"].get<double>(), 1070.531, 1e-3);
  EXPECT_NE(jh["basis"].get<std::string>().find("datasheet"), std::string::npos);
}

}  // namespace
}  // namespace gpuval
