// Conversion of Google Benchmark repetitions into run-document entries, byte/FLOP counting,
// peaks and the no-GPU SKIP path of the benchmark runner. No GPU needed.
#include <gtest/gtest.h>

#include "bench/catalogue.hpp"
#include "bench/counting.hpp"
#include "bench/entry.hpp"
#include "bench/runner.hpp"
#include "core/run_document.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;
using GbRun = benchmark::BenchmarkReporter::Run;

BenchSpec triad_spec() {
  for (BenchSpec& s : catalogue("quick", 0)) {
    if (s.id == "stream-triad") return s;
  }
  ADD_FAILURE() << "stream-triad missing";
  return {};
}

GbRun repetition(double seconds, benchmark::IterationCount iterations) {
  GbRun r;
  r.run_type = GbRun::RT_Iteration;
  r.real_accumulated_time = seconds;
  r.iterations = iterations;
  return r;
}

TEST(BenchCounting, StreamBytesAreReadPlusWrite) {
  EXPECT_DOUBLE_EQ(stream_bytes(StreamOp::Copy, 1000), 2 * 1000 * 8.0);
  EXPECT_DOUBLE_EQ(stream_bytes(StreamOp::Scale, 1000), 2 * 1000 * 8.0);
  EXPECT_DOUBLE_EQ(stream_bytes(StreamOp::Add, 1000), 3 * 1000 * 8.0);
  EXPECT_DOUBLE_EQ(stream_bytes(StreamOp::Triad, 1000), 3 * 1000 * 8.0);
  EXPECT_DOUBLE_EQ(stream_bytes(StreamOp::Dot, 1000), 2 * 1000 * 8.0);
  EXPECT_DOUBLE_EQ(d2d_copy_bytes(4096), 8192.0);
}

TEST(BenchCounting, GemmFlopsAreTwoMNK) {
  EXPECT_DOUBLE_EQ(gemm_flops(8192, 8192, 8192), 2.0 * 8192.0 * 8192.0 * 8192.0);
  EXPECT_DOUBLE_EQ(gemm_flops(4096, 11008, 4096), 2.0 * 4096.0 * 11008.0 * 4096.0);
}

TEST(BenchCounting, PcieLinkRates) {
  EXPECT_NEAR(*pcie_link_gb_s(5, 16), 63.0154, 1e-3);  // 32 GT/s x 16 x 128/130 / 8
  EXPECT_NEAR(*pcie_link_gb_s(4, 16), 31.5077, 1e-3);
  EXPECT_NEAR(*pcie_link_gb_s(3, 8), 7.8769, 1e-3);
  EXPECT_NEAR(*pcie_link_gb_s(2, 16), 8.0, 1e-9);  // 8b/10b
  EXPECT_FALSE(pcie_link_gb_s(6, 16).has_value());
  EXPECT_FALSE(pcie_link_gb_s(4, 0).has_value());
}

TEST(BenchCatalogue, FullProfileHasNineOrMoreRepetitionsAndUniqueIdentities) {
  for (const BenchSpec& s : catalogue("full", 0)) EXPECT_GE(s.repetitions, 9) << s.id;
  const auto specs = catalogue("quick", 0);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    for (std::size_t j = i + 1; j < specs.size(); ++j) {
      EXPECT_FALSE(specs[i].id == specs[j].id && specs[i].params == specs[j].params) << specs[i].id;
    }
  }
}

TEST(BenchCatalogue, StreamBuffersFarExceedL2) {
  // H100 L2 is 50 MB; every STREAM array must be several times larger.
  for (const std::string profile : {"quick", "full"}) {
    EXPECT_GE(profile_sizes(profile).stream_elements * sizeof(double), 256u << 20) << profile;
  }
}

TEST(BenchEntry, SampleFromRunDividesCountedBytesByManualTime) {
  const BenchSpec spec = triad_spec();
  GbRun r = repetition(0.5, 20);
  r.counters[kCounterSmClock] = benchmark::Counter(1980);
  r.counters[kCounterClockReasons] = benchmark::Counter(0);
  const auto s = sample_from_run(spec, r);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->value, spec.work_per_iteration * 20 / 0.5 / 1e9);
  EXPECT_EQ(s->sm_clock_mhz, 1980.0);
  EXPECT_EQ(s->clock_reasons, 0u);
}

TEST(BenchEntry, SampleFromRunIgnoresAggregatesErrorsAndZeroTime) {
  const BenchSpec spec = triad_spec();
  GbRun agg = repetition(0.5, 20);
  agg.run_type = GbRun::RT_Aggregate;
  EXPECT_FALSE(sample_from_run(spec, agg));
  GbRun err = repetition(0.5, 20);
  err.error_occurred = true;
  EXPECT_FALSE(sample_from_run(spec, err));
  EXPECT_FALSE(sample_from_run(spec, repetition(0, 20)));
}

TEST(BenchEntry, LatencyIsMicrosecondsPerIteration) {
  BenchSpec spec;
  spec.id = "launch-latency";
  spec.unit = "us";
  spec.higher_is_better = false;
  const auto s = sample_from_run(spec, repetition(0.004, 1000));
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->value, 4.0);
}

TEST(BenchEntry, EntryHasStatisticsAndFractionOfPeak) {
  const BenchSpec spec = triad_spec();
  std::vector<RepetitionSample> samples = {{3000, 1980.0, 0}, {3010, 1980.0, 0}, {2990, 1975.0, 0}};
  Outcome o;
  o.verified = true;
  const json e = make_entry(spec, samples, 3352.32, o);
  EXPECT_EQ(e["status"], "PASS");
  EXPECT_DOUBLE_EQ(e["median"].get<double>(), 3000);
  EXPECT_DOUBLE_EQ(e["min"].get<double>(), 2990);
  EXPECT_DOUBLE_EQ(e["max"].get<double>(), 3010);
  EXPECT_NEAR(e["cv"].get<double>(), 10.0 / 3000.0, 1e-9);
  EXPECT_NEAR(e["fraction_of_peak"].get<double>(), 3000 / 3352.32, 1e-12);
  EXPECT_EQ(e["clocks"]["sm_mhz"].size(), 3u);
  EXPECT_FALSE(e["clocks"]["throttled"].get<bool>());
  EXPECT_EQ(e["unit"], "GB/s");
  EXPECT_TRUE(e["verified"].get<bool>());
}

BenchSpec spec_of(const std::string& id) {
  for (BenchSpec& s : catalogue("quick", 0)) {
    if (s.id == id) return s;
  }
  ADD_FAILURE() << id << " missing";
  return {};
}

TEST(BenchEntry, OnlyFaultSlowdownsCountAsThrottling) {
  EXPECT_FALSE(is_throttling(0x4));  // SW power cap: where a healthy H100 runs dense GEMM
  EXPECT_TRUE(is_power_limited(0x4));
  EXPECT_TRUE(is_throttling(0x8));    // HW slowdown
  EXPECT_TRUE(is_throttling(0x20));   // SW thermal
  EXPECT_TRUE(is_throttling(0x40));   // HW thermal
  EXPECT_TRUE(is_throttling(0x80));   // HW power brake
  EXPECT_FALSE(is_throttling(0x1));   // idle
  EXPECT_FALSE(is_throttling(0x10));  // sync boost
  EXPECT_FALSE(is_power_limited(0x40));
}

TEST(BenchEntry, ThermalSlowdownTurnsPassIntoWarnWithHint) {
  Outcome o;
  o.verified = true;
  const json e = make_entry(triad_spec(), {{3000, 1500.0, 0x40}, {3000, 1980.0, 0}}, 3352.0, o);
  EXPECT_EQ(e["status"], "WARN");
  EXPECT_TRUE(e["clocks"]["throttled"].get<bool>());
  EXPECT_EQ(e["clocks"]["throttled_samples"], 1);
  EXPECT_NE(e["message"].get<std::string>().find("thermal or hardware slowdown"),
            std::string::npos);
  EXPECT_NE(e["hint"].get<std::string>().find("cooling"), std::string::npos);
}

TEST(BenchEntry, PowerCapIsRecordedPerSampleAndStaysAPass) {
  // Dense BF16 GEMM on an H100 SXM at its 700 W limit: every repetition at the power cap.
  Outcome o;
  o.verified = true;
  const json e = make_entry(spec_of("gemm-bf16"),
                            {{780, 1755.0, 0x4}, {781, 1740.0, 0x4}, {779, 1980.0, 0}}, 989.4, o);
  EXPECT_EQ(e["status"], "PASS") << e["message"];
  EXPECT_FALSE(e["clocks"]["throttled"].get<bool>());
  EXPECT_EQ(e["clocks"]["power_limited_samples"], 2);
  EXPECT_EQ(e["clocks"]["power_limited"], json::array({true, true, false}));
  EXPECT_NE(e["message"].get<std::string>().find("2 of 3 repetitions at the software power cap"),
            std::string::npos);
  EXPECT_TRUE(e["hint"].get<std::string>().empty());
}

TEST(BenchEntry, BidirectionalCopiesAreAFractionOfBothDirectionsOfTheLink) {
  const json device = {{"pcie", {{"gen_max", 5}, {"width_max", 16}}}};
  const BenchSpec bidir = spec_of("bidir-pinned");
  EXPECT_EQ(bidir.peak, PeakKind::PcieLinkBothWays);
  const double peak = *peak_for(bidir, device);
  EXPECT_NEAR(peak, 2 * 63.0154, 1e-3);
  // ~100 GB/s both ways on Gen5 x16 is healthy: about 0.8 of both directions, never 1.6.
  Outcome o;
  o.verified = true;
  const json e =
      make_entry(bidir, {{100, std::nullopt, std::nullopt}}, peak, o, peak_note(bidir, device));
  EXPECT_NEAR(e["fraction_of_peak"].get<double>(), 100 / peak, 1e-12);
  EXPECT_EQ(e["status"], "PASS");
  EXPECT_EQ(e["peak_note"], "PCIe Gen5 x16, both directions");
}

TEST(BenchEntry, PinnedCopyFarUnderTheLinkWarnsNamingTheLink) {
  const json device = {{"pcie", {{"gen_max", 4}, {"width_max", 16}}}};
  const BenchSpec h2d = spec_of("h2d-pinned");
  Outcome o;
  o.verified = true;
  const double peak = *peak_for(h2d, device);  // 31.5 GB/s
  const json slow =
      make_entry(h2d, {{12.0, std::nullopt, std::nullopt}}, peak, o, peak_note(h2d, device));
  EXPECT_EQ(slow["status"], "WARN");
  EXPECT_NE(slow["message"].get<std::string>().find("38 % of the peak 31.5 GB/s (PCIe Gen4 x16"),
            std::string::npos)
      << slow["message"];
  EXPECT_NE(slow["hint"].get<std::string>().find("NUMA"), std::string::npos);
  const json healthy = make_entry(h2d, {{26.0, std::nullopt, std::nullopt}}, peak, o);
  EXPECT_EQ(healthy["status"], "PASS");
  // Pageable copies depend on the host's memcpy: no floor.
  const json pageable =
      make_entry(spec_of("h2d-pageable"), {{8.0, std::nullopt, std::nullopt}}, peak, o);
  EXPECT_EQ(pageable["status"], "PASS");
}

TEST(BenchEntry, Gh200sHostLinkPeakIsNvlinkC2c) {
  const json device = {{"peaks", {{"host_link_gb_s", 450.0}, {"host_link", "NVLink-C2C"}}},
                       {"pcie", {{"gen_max", 5}, {"width_max", 16}}}};
  EXPECT_DOUBLE_EQ(*peak_for(spec_of("h2d-pinned"), device), 450.0);
  EXPECT_DOUBLE_EQ(*peak_for(spec_of("bidir-pinned"), device), 900.0);
  EXPECT_EQ(peak_note(spec_of("d2h-pinned"), device), "NVLink-C2C, one direction");
  EXPECT_EQ(peak_note(spec_of("stream-triad"), device), "");
}

TEST(BenchEntry, DetailsGoIntoTheEntryWhenThereAreAny) {
  Outcome o;
  o.verified = true;
  EXPECT_FALSE(make_entry(triad_spec(), {{3000, std::nullopt, std::nullopt}}, 3352.0, o)
                   .contains("details"));
  o.details["launches_per_iteration"] = 4000;
  EXPECT_EQ(make_entry(triad_spec(), {{3000, std::nullopt, std::nullopt}}, 3352.0,
                       o)["details"]["launches_per_iteration"],
            4000);
}

TEST(BenchEntry, UnverifiedResultFails) {
  const json e = make_entry(triad_spec(), {{3000, std::nullopt, std::nullopt}}, std::nullopt, {});
  EXPECT_EQ(e["status"], "FAIL");
  EXPECT_EQ(e["fraction_of_peak"], nullptr);
  EXPECT_TRUE(e["clocks"]["sm_mhz"].empty());
}

TEST(BenchEntry, PeakForReadsDevicePeaksAndPcie) {
  const json device = {{"peaks",
                        {{"dram_gb_s", 3352.32},
                         {"fp64_tflops", 33.5},
                         {"fp64_tensor_tflops", 66.9},
                         {"bf16_tflops", 989.4}}},
                       {"pcie", {{"gen_max", 5}, {"width_max", 16}}}};
  BenchSpec s = triad_spec();
  EXPECT_DOUBLE_EQ(*peak_for(s, device), 3352.32);
  s.peak = PeakKind::Fp64;
  EXPECT_DOUBLE_EQ(*peak_for(s, device), 66.9);
  s.peak = PeakKind::PcieLink;
  EXPECT_NEAR(*peak_for(s, device), 63.0154, 1e-3);
  s.peak = PeakKind::Fp8;
  EXPECT_FALSE(peak_for(s, device).has_value());
  EXPECT_FALSE(peak_for(s, json("not an object")).has_value());
}

json minimal_document(json benchmarks) {
  return {{"schema", "gpuval.run/1"}, {"tool", json::object()},
          {"run", json::object()},    {"environment", json::object()},
          {"checks", json::array()},  {"benchmarks", std::move(benchmarks)},
          {"devices", json::array()}, {"verdict", {{"status", "no-gpu"}, {"exit_code", 3}}}};
}

TEST(BenchRunner, NoGpuGivesValidSkipEntriesForTheWholeCatalogue) {
  Facts facts;
  facts.gpu_usable = false;
  BenchOptions opt;
  const json b = run_benchmarks(opt, facts, nullptr);
  ASSERT_EQ(b.size(), catalogue("quick", 0).size());
  for (const json& e : b) {
    EXPECT_EQ(e["status"], "SKIP");
    EXPECT_EQ(e["message"], "no usable GPU (see verdict)");
    EXPECT_TRUE(e["samples"].empty());
  }
  EXPECT_NO_THROW(validate_run_document(minimal_document(b)));
}

TEST(BenchRunner, FilterSelectsIdsAndBadFilterIsRejected) {
  Facts facts;
  BenchOptions opt;
  opt.filter = "^stream-";
  EXPECT_EQ(run_benchmarks(opt, facts, nullptr).size(), 5u);
  opt.filter = "([";
  EXPECT_THROW(run_benchmarks(opt, facts, nullptr), std::invalid_argument);
}

TEST(BenchRunner, EachSpecSamplesTheBoardBoundToItsCudaDevice) {
  // CUDA_VISIBLE_DEVICES=3,1: CUDA 0 is NVML board 3, CUDA 1 is board 1. Clock samples and
  // throttle reasons must come from those boards, not from NVML 0 and 1.
  Facts facts;
  facts.cuda = CudaDriverStatus{};
  facts.cuda->device_count = 2;
  facts.bindings = {DeviceBinding{0, 3u, "pci-bus-id"}, DeviceBinding{1, 1u, "pci-bus-id"}};
  facts.devices = json::array({{{"index", 0}, {"mig", {{"enabled", false}}}},
                               {{"index", 1}, {"mig", {{"enabled", true}}}}});
  BenchOptions opt;
  opt.filter = "^(stream-triad|h2d-pinned)$";
  const std::vector<BenchSpec> specs = planned_specs(opt, facts);
  ASSERT_EQ(specs.size(), 4u);
  for (const BenchSpec& s : specs) {
    EXPECT_EQ(s.nvml_index, s.device == 0 ? 3u : 1u) << s.id << " on " << s.device;
    // A MIG slice shares the board's link: no floor for it.
    if (s.id == "h2d-pinned") {
      EXPECT_EQ(s.min_fraction_of_peak > 0, s.device == 0);
    }
  }
  facts.bindings.clear();  // no NVML: no clock samples rather than another board's
  for (const BenchSpec& s : planned_specs(opt, facts)) EXPECT_FALSE(s.nvml_index);
}

}  // namespace
}  // namespace gpuval::bench
