#include <gtest/gtest.h>

#include <string>

#include "compare/compare.hpp"
#include "compare/render.hpp"

namespace gpuval::compare {
namespace {

using nlohmann::json;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A comparison with one of everything: environment difference, regressed check, worse and same
// benchmarks, one only in B.
Comparison sample() {
  Comparison c;
  c.reference = {"base.json", "r1", "2026-11-24T02:00:00Z", "pass", "all checks passed"};
  c.candidate = {"night.json", "r2", "2026-11-25T02:00:00Z", "fail", "1 check failed"};
  c.environment = {{"environment.mode", "baremetal", "container"},
                   {"driver.cuda_driver_version", 12040, 12060},
                   {"environment.nvidia_env.NVIDIA_VISIBLE_DEVICES", nullptr, "all"}};
  c.checks = {{"engine", "engine", "PASS", "PASS", CheckChange::kSame, "podman", ""},
              {"device-access", "device access", "PASS", "FAIL", CheckChange::kRegressed,
               "open /dev/nvidia0: EPERM | denied", "recreate the container or use CDI"}};
  BenchmarkComparison worse;
  worse.id = "stream-triad";
  worse.device = 0;
  worse.params = {{"bytes", 4294967296}};
  worse.unit = "GB/s";
  worse.verdict = BenchVerdict::kWorse;
  worse.n_reference = worse.n_candidate = 10;
  worse.median_reference = 3011.04;
  worse.median_candidate = 2860.49;
  worse.ratio = 0.95;
  worse.p_value = 1.08e-5;
  worse.reason = "median -5.0 %, significant (p = 1.1e-05 < 0.05)";
  BenchmarkComparison same = worse;
  same.id = "gemm";
  same.params = {{"precision", "bf16"}};
  same.unit = "TFLOP/s";
  same.verdict = BenchVerdict::kSame;
  same.median_candidate = 3011.04;
  same.ratio = 1.0;
  same.p_value = 0.8;
  same.reason = "median +0.0 % is within the minimum effect of \u00b12.0 %";
  BenchmarkComparison added;
  added.id = "memcpy-h2d";
  added.device = 0;
  added.params = json::object();
  added.unit = "GB/s";
  added.verdict = BenchVerdict::kAdded;
  added.n_candidate = 10;
  added.median_candidate = 53.09;
  added.reason = "only in B";
  c.benchmarks = {worse, same, added};
  c.regressions = {"check device-access: PASS -> FAIL: open /dev/nvidia0: EPERM | denied",
                   "benchmark stream-triad gpu0 bytes=4294967296: worse, median -5.0 %"};
  return c;
}

Comparison nothing_changed() {
  Comparison c;
  c.reference = {"a.json", "r1", "", "pass", ""};
  c.candidate = {"b.json", "r2", "", "pass", ""};
  c.checks = {{"engine", "engine", "PASS", "PASS", CheckChange::kSame, "podman", ""}};
  return c;
}

TEST(CompareRender, HeadlineSaysWhatHappened) {
  EXPECT_EQ(headline(sample()), "REGRESSION: 1 benchmark worse, 1 check went to FAIL");
  EXPECT_EQ(headline(nothing_changed()), "no regression: benchmarks none; checks 1 unchanged");
  Comparison no_gpu = nothing_changed();
  no_gpu.neither_has_gpu = true;
  EXPECT_EQ(headline(no_gpu), "neither run had a usable GPU: nothing to compare");
  no_gpu.regressions = {"check x: PASS -> FAIL"};
  no_gpu.checks[0].change = CheckChange::kRegressed;
  EXPECT_EQ(headline(no_gpu),
            "neither run had a usable GPU: nothing to compare; REGRESSION: 1 check went to FAIL");
  Comparison lost = nothing_changed();
  lost.candidate.verdict_status = "no-gpu";
  lost.regressions = {"B has no usable GPU, A had one: ..."};
  EXPECT_EQ(headline(lost), "REGRESSION: B has no usable GPU");
}

TEST(CompareRender, TextListsEnvironmentChecksBenchmarksAndRegressions) {
  const std::string out = render_text(sample(), {false});
  EXPECT_EQ(out.find('\033'), std::string::npos) << "no colour unless asked";
  EXPECT_TRUE(has(out, "A (reference): base.json  B (candidate): night.json")) << out;
  EXPECT_TRUE(has(out, "Environment: 3 differences")) << out;
  EXPECT_TRUE(has(out, "baremetal")) << out;
  EXPECT_TRUE(has(out, "12.4 (12040)  ->  12.6 (12060)")) << out;
  EXPECT_TRUE(has(out, "Checks: 1 regressed, 1 unchanged")) << out;
  EXPECT_TRUE(has(out, "device-access  PASS -> FAIL  open /dev/nvidia0")) << out;
  EXPECT_TRUE(has(out, "hint: recreate the container or use CDI")) << out;
  EXPECT_FALSE(has(out, "engine  PASS -> PASS")) << "unchanged checks are only counted";
  EXPECT_TRUE(has(out, "Benchmarks: 1 worse, 1 same, 1 added")) << out;
  EXPECT_TRUE(has(out, "stream-triad gpu0 bytes=4294967296")) << out;
  EXPECT_TRUE(has(out, "3011.0")) << out;
  EXPECT_TRUE(has(out, "0.950x")) << out;
  EXPECT_TRUE(has(out, "1.1e-05")) << out;
  EXPECT_TRUE(has(out, "only in B")) << out;
  EXPECT_FALSE(has(out, "within the minimum effect")) << "reasons of 'same' rows are omitted";
  EXPECT_TRUE(has(out, "Regressions (exit 1):")) << out;
  EXPECT_TRUE(has(out, "minimum effect 2 %")) << out;
  // The environment comes before checks, checks before benchmarks.
  EXPECT_LT(out.find("Environment"), out.find("Checks"));
  EXPECT_LT(out.find("Checks"), out.find("Benchmarks"));
}

TEST(CompareRender, TextColourOnlyWhenAsked) {
  const std::string out = render_text(sample(), {true});
  EXPECT_TRUE(has(out, "\033[31mREGRESSION")) << out;
  EXPECT_TRUE(has(out, "\033[31mworse")) << out;
}

TEST(CompareRender, TextSaysPlainlyWhenNeitherRunHadAGpu) {
  Comparison c = nothing_changed();
  c.neither_has_gpu = true;
  c.reference.verdict_status = c.candidate.verdict_status = "no-gpu";
  c.candidate.verdict_summary = "no usable GPU: no NVIDIA device nodes";
  const std::string out = render_text(c, {false});
  const std::size_t second_line = out.find('\n') + 1;
  EXPECT_EQ(out.substr(second_line, 48), "neither run had a usable GPU: nothing to compare");
  EXPECT_TRUE(has(out, "B was no-gpu: no usable GPU: no NVIDIA device nodes")) << out;
  EXPECT_FALSE(has(out, "Regressions")) << out;
}

TEST(CompareRender, MarkdownHasTablesAndEscapesPipes) {
  const std::string md = render_markdown(sample());
  EXPECT_TRUE(has(md, "## gpuval compare")) << md;
  EXPECT_TRUE(has(md, "- **A** (reference): `base.json`, run `r1`")) << md;
  EXPECT_TRUE(has(md, "**REGRESSION: 1 benchmark worse, 1 check went to FAIL**")) << md;
  EXPECT_TRUE(has(md, "| `environment.mode` | baremetal | container |")) << md;
  EXPECT_TRUE(has(md, "| `environment.nvidia_env.NVIDIA_VISIBLE_DEVICES` | (none) | all |")) << md;
  EXPECT_TRUE(has(md,
                  "| `device-access` | PASS | FAIL | regressed | open /dev/nvidia0: EPERM \\| "
                  "denied | recreate the container or use CDI |"))
      << md;
  EXPECT_TRUE(has(md,
                  "| **worse** | `stream-triad gpu0 bytes=4294967296` | GB/s | 3011.0 | "
                  "2860.5 | 0.950x | 1.1e-05 | 10/10 |"))
      << md;
  EXPECT_TRUE(
      has(md, "| added | `memcpy-h2d gpu0` | GB/s | - | 53.09 | - | - | 0/10 | only in B |"))
      << md;
  EXPECT_EQ(md.find('\033'), std::string::npos);
}

TEST(CompareRender, MarkdownWithoutChanges) {
  const std::string md = render_markdown(nothing_changed());
  EXPECT_TRUE(has(md, "No differences.")) << md;
  EXPECT_TRUE(has(md, "1 unchanged.")) << md;
  EXPECT_FALSE(has(md, "| check |")) << md;
}

TEST(CompareRender, JsonCarriesEverything) {
  const json j = to_json(sample());
  EXPECT_EQ(j["schema"], "gpuval.compare/1");
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["reference"]["label"], "base.json");
  EXPECT_EQ(j["candidate"]["verdict"], "fail");
  EXPECT_EQ(j["options"]["alpha"], 0.05);
  EXPECT_EQ(j["options"]["min_effect"], 0.02);
  EXPECT_EQ(j["environment"][1]["reference"], 12040);
  EXPECT_TRUE(j["environment"][2]["reference"].is_null());
  EXPECT_EQ(j["checks"][1]["change"], "regressed");
  EXPECT_EQ(j["benchmarks"][0]["verdict"], "worse");
  EXPECT_EQ(j["benchmarks"][0]["ratio"], 0.95);
  EXPECT_EQ(j["benchmarks"][0]["params"]["bytes"], 4294967296);
  EXPECT_TRUE(j["benchmarks"][2]["median_reference"].is_null());
  EXPECT_TRUE(j["benchmarks"][2]["p_value"].is_null());
  EXPECT_EQ(j["summary"]["benchmarks"]["worse"], 1);
  EXPECT_EQ(j["summary"]["benchmarks"]["added"], 1);
  EXPECT_EQ(j["summary"]["checks"]["regressed"], 1);
  EXPECT_EQ(j["regressions"].size(), 2u);
  EXPECT_FALSE(j["neither_has_gpu"].get<bool>());
}

TEST(CompareRender, EnvironmentValuesReadAsPeopleWriteThem) {
  EXPECT_EQ(display_env_value("driver.cuda_runtime_version", 13000), "13.0 (13000)");
  EXPECT_EQ(display_env_value("driver.cuda_driver_version", 12040), "12.4 (12040)");
  EXPECT_EQ(display_env_value("driver.version", nullptr), "(none)");
  EXPECT_EQ(display_env_value("environment.privileged", true), "true");
  EXPECT_EQ(display_env_value("host.cpus", 64), "64");
  EXPECT_EQ(display_env_value("environment.nvidia_env.X", ""), "\"\"");
}

}  // namespace
}  // namespace gpuval::compare
