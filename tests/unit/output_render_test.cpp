#include <gtest/gtest.h>

#include "cli/junit.hpp"
#include "cli/render_text.hpp"

namespace gpuval::cli {
namespace {

using nlohmann::json;

json sample_doc() {
  return json{
      {"run", {{"duration_s", 0.5}}},
      {"checks",
       json::array({{{"id", "engine"}, {"group", "container"}, {"status", "PASS"},
                     {"message", "podman"}, {"hint", ""}},
                    {{"id", "device-nodes"}, {"group", "container"}, {"status", "FAIL"},
                     {"message", "no NVIDIA device nodes <here> & \"there\""},
                     {"hint", "use --device nvidia.com/gpu=all"}},
                    {{"id", "shm"}, {"group", "limits"}, {"status", "WARN"},
                     {"message", "/dev/shm is 64 MiB"}, {"hint", "--shm-size=1g"}},
                    {{"id", "cuda-compat"}, {"group", "driver"}, {"status", "SKIP"},
                     {"message", "no driver"}, {"hint", ""}}})},
      {"benchmarks", json::array()},
      {"verdict", {{"status", "no-gpu"}, {"summary", "no usable GPU: no nodes"},
                   {"hint", "use --device nvidia.com/gpu=all"}}}};
}

TEST(RenderText, ShowsEveryCheckHintsForWarnAndFailAndTheVerdict) {
  const std::string out = render_checks_text(sample_doc(), TextStyle{false, 100});
  EXPECT_NE(out.find("PASS   engine"), std::string::npos) << out;
  EXPECT_NE(out.find("FAIL   device-nodes"), std::string::npos) << out;
  EXPECT_NE(out.find("hint: use --device nvidia.com/gpu=all"), std::string::npos);
  EXPECT_NE(out.find("hint: --shm-size=1g"), std::string::npos);
  EXPECT_NE(out.find("verdict: no-gpu"), std::string::npos);
  EXPECT_NE(out.find("fix: use --device"), std::string::npos);
  EXPECT_EQ(out.find('\033'), std::string::npos) << "colour without a TTY";
}

TEST(RenderText, ColourOnlyWhenAsked) {
  const std::string out = render_checks_text(sample_doc(), TextStyle{true, 100});
  EXPECT_NE(out.find("\033[31mFAIL"), std::string::npos);
}

TEST(RenderText, WrapsLongMessagesUnderTheMessageColumn) {
  json doc = sample_doc();
  doc["checks"][0]["message"] = std::string(30, 'a') + " " + std::string(30, 'b') + " " +
                                std::string(30, 'c');
  const std::string out = render_checks_text(doc, TextStyle{false, 60});
  EXPECT_NE(out.find("\n" + std::string(7 + 12 + 1, ' ') + std::string(30, 'b')),
            std::string::npos)
      << out;
}

TEST(Junit, OneTestcasePerCheckWithFailuresAndSkipsCounted) {
  const std::string xml = render_junit(sample_doc());
  EXPECT_NE(xml.find("tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\""), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase name=\"device-nodes\" classname=\"gpuval.checks.container\""),
            std::string::npos);
  EXPECT_NE(xml.find("&lt;here&gt; &amp; &quot;there&quot;"), std::string::npos);
  EXPECT_NE(xml.find("<skipped message=\"no driver\"/>"), std::string::npos);
  EXPECT_EQ(xml.find("<here>"), std::string::npos);
}

TEST(Junit, EscapesControlCharacters) {
  EXPECT_EQ(xml_escape(std::string("a\x01" "b\nc")), "a?b\nc");
}

TEST(Junit, BenchmarksBecomeASecondSuite) {
  json doc = sample_doc();
  doc["benchmarks"] = json::array({{{"id", "stream-triad"}, {"device", 0}, {"status", "PASS"},
                                    {"unit", "GB/s"}, {"samples", json::array({1.0})}}});
  const std::string xml = render_junit(doc);
  EXPECT_NE(xml.find("<testsuite name=\"gpuval.benchmarks\" tests=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("stream-triad/gpu0"), std::string::npos);
}

}  // namespace
}  // namespace gpuval::cli

namespace gpuval::cli {
namespace {

TEST(RenderInfo, PrintsTheInventoryAndPeaksPerGpu) {
  json doc = {{"environment", {{"mode", "container"}, {"engine", "podman"}}},
              {"driver", {{"version", "580.65.06"}}},
              {"devices",
               json::array({{{"index", 0},
                             {"name", "NVIDIA H100 80GB HBM3"},
                             {"uuid", "GPU-1234"},
                             {"pci_bus_id", "00000000:1B:00.0"},
                             {"compute_capability", "9.0"},
                             {"memory",
                              {{"total_bytes", 85899345920.0},
                               {"free_bytes", 85000000000.0},
                               {"bus_width_bits", 5120},
                               {"max_clock_mhz", 2619}}},
                             {"pcie", {{"gen_current", 5}, {"gen_max", 5}, {"width_current", 16},
                                       {"width_max", 16}}},
                             {"peaks", {{"dram_gb_s", 3352.3}, {"bf16_tflops", nullptr}}}}})}};
  const std::string out = render_info_text(doc, TextStyle{false, 100});
  EXPECT_NE(out.find("GPU 0  NVIDIA H100 80GB HBM3  GPU-1234  00000000:1B:00.0  cc 9.0"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("80.0 GiB total"), std::string::npos) << out;
  EXPECT_NE(out.find("5120-bit @ 2619 MHz"), std::string::npos);
  EXPECT_NE(out.find("gen 5/5  x16/16"), std::string::npos);
  EXPECT_NE(out.find("DRAM 3352.3 GB/s"), std::string::npos);
  EXPECT_NE(out.find("BF16 -"), std::string::npos) << "unknown peak must print as -, not a guess";
  EXPECT_NE(out.find("driver        580.65.06"), std::string::npos);
}

TEST(RenderInfo, AMigSliceShowsItsProfileAndShareAndABoardItsSlices) {
  json slice = {{"index", 0},
                {"uuid", "MIG-2b3c"},
                {"parent_uuid", "GPU-1234"},
                {"mig",
                 {{"enabled", true},
                  {"device",
                   {{"profile", "1g.10gb"},
                    {"gpu_instance_id", 9},
                    {"compute_instance_id", 0},
                    {"sm_count", 16},
                    {"memory_slices", 1},
                    {"memory_slices_total", 8}}}}}};
  json board = {{"index", 1},
                {"mig",
                 {{"enabled", true},
                  {"devices", json::array({{{"profile", "3g.40gb"}, {"uuid", "MIG-5678"}}})}}}};
  json doc = {{"environment", json::object()}, {"devices", json::array({slice, board})}};
  const std::string out = render_info_text(doc, TextStyle{false, 100});
  EXPECT_NE(out.find("MIG slice    1g.10gb  GI 9 CI 0  16 SMs  1/8 memory slices  of GPU-1234"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("MIG devices  3g.40gb MIG-5678"), std::string::npos) << out;
}

TEST(RenderInfo, NoDevicesSaysNoneUsable) {
  json doc = {{"environment", json::object()}, {"devices", json::array()}};
  EXPECT_NE(render_info_text(doc, TextStyle{}).find("none usable"), std::string::npos);
}

}  // namespace
}  // namespace gpuval::cli
