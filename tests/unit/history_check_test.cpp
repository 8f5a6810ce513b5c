#include <gtest/gtest.h>

#include "core/exit_codes.hpp"
#include "history/junit.hpp"
#include "history/layout.hpp"
#include "history/markdown.hpp"
#include "history/nightly_check.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/history_test_docs.hpp"

namespace gpuval::history {
namespace {

using nlohmann::json;
using testing::DocSpec;
using testing::make_doc;

class NightlyCheck : public ::testing::Test {
 protected:
  // Seven clean nights of host gpu-h100-01 in both modes.
  void SetUp() override {
    for (int n = 0; n < 7; ++n) {
      for (const char* mode : {"baremetal", "container"}) file({.mode = mode, .night = n});
    }
  }
  void file(const DocSpec& s) {
    const json doc = make_doc(s);
    file_document(tree_.root(), doc, doc.dump());
  }
  NightlyResult check(const std::vector<DocSpec>& tonight, NightlyOptions options = {},
                      std::vector<BadInput> bad = {}) {
    std::vector<InputDocument> docs;
    for (const DocSpec& s : tonight) {
      InputDocument d;
      d.path = "tonight/" + s.host + "-" + s.mode + ".json";
      d.doc = make_doc(s);
      d.text = d.doc.dump();
      d.id = identify(d.doc);
      docs.push_back(std::move(d));
    }
    return check_documents(tree_.root(), std::move(docs), std::move(bad), options, 1793000000);
  }
  // One hand-edited document of tonight.
  NightlyResult check_json(const json& doc) {
    InputDocument d;
    d.path = "tonight/edited.json";
    d.doc = doc;
    d.text = doc.dump();
    d.id = identify(doc);
    std::vector<InputDocument> docs;
    docs.push_back(std::move(d));
    return check_documents(tree_.root(), std::move(docs), {}, {}, 1793000000);
  }
  gpuval::testing::FixtureTree tree_;
};

TEST(NightlyExitCode, WorstIsBadInputThenFailureThenNoGpu) {
  EXPECT_EQ(worse_exit_code(0, 3), 3);
  EXPECT_EQ(worse_exit_code(3, 1), 1);
  EXPECT_EQ(worse_exit_code(1, 2), 2);
  EXPECT_EQ(worse_exit_code(2, 1), 2);
  EXPECT_EQ(worse_exit_code(0, 130), 2) << "anything unknown counts as bad input";
}

TEST_F(NightlyCheck, ACleanNightExits0) {
  const NightlyResult r = check({{.night = 7}, {.mode = "container", .night = 7}});
  EXPECT_EQ(r.exit_code, exit_code::kPass);
  ASSERT_EQ(r.documents.size(), 2u);
  for (const DocumentResult& d : r.documents) {
    EXPECT_EQ(d.exit_code, 0) << d.headline;
    ASSERT_TRUE(d.comparison.has_value());
    EXPECT_EQ(d.baseline->nights.size(), 7u);
    EXPECT_EQ(d.headline, "OK: nothing worse than the baseline");
  }
}

TEST_F(NightlyCheck, ADriverUpgradeWithTheSamePerformanceExits0) {
  const NightlyResult r = check({{.driver = "560.35.03", .night = 7}});
  EXPECT_EQ(r.exit_code, exit_code::kPass);
  ASSERT_TRUE(r.documents[0].comparison.has_value());
  bool driver_listed = false;
  for (const auto& e : r.documents[0].comparison->environment) {
    driver_listed |= e.field == "driver.version";
  }
  EXPECT_TRUE(driver_listed) << "the upgrade is shown as an environment difference";
}

TEST_F(NightlyCheck, ASlowerBenchmarkIsARegressionNamedAfterIt) {
  const NightlyResult r =
      check({{.night = 7, .triad = 3085.0 * 0.85}, {.mode = "container", .night = 7}});
  EXPECT_EQ(r.exit_code, exit_code::kFailed);
  const DocumentResult& d = r.documents[0];
  ASSERT_EQ(d.regressions.size(), 1u);
  EXPECT_EQ(d.regressions[0].benchmark, "stream-triad gpu0 bytes=805306368");
  EXPECT_NE(d.regressions[0].reason.find("-15.0 %"), std::string::npos) << d.regressions[0].reason;
  EXPECT_TRUE(d.headline.starts_with("REGRESSION")) << d.headline;
  EXPECT_EQ(r.documents[1].exit_code, 0) << "the other mode is clean";
  EXPECT_EQ(r.regression_count(), 1u);
}

TEST_F(NightlyCheck, HigherLatencyIsARegressionLowerIsNot) {
  EXPECT_EQ(check({{.night = 7, .latency = 2.1 * 1.2}}).exit_code, exit_code::kFailed);
  EXPECT_EQ(check({{.night = 7, .latency = 2.1 * 0.8}}).exit_code, exit_code::kPass);
}

TEST_F(NightlyCheck, AFailedCheckExits1EvenWithoutARegression) {
  const NightlyResult r = check({{.night = 7, .failed_check = "shm"}});
  EXPECT_EQ(r.exit_code, exit_code::kFailed);
  ASSERT_EQ(r.documents[0].failed_checks.size(), 1u);
  EXPECT_EQ(r.documents[0].failed_checks[0].id, "shm");
  EXPECT_EQ(r.documents[0].failed_checks[0].hint, "fix it");
  EXPECT_TRUE(r.documents[0].headline.starts_with("FAILED")) << r.documents[0].headline;
}

TEST_F(NightlyCheck, NoGpuTonightExits3UnlessSomethingWorse) {
  const NightlyResult r =
      check({{.night = 7, .verdict = "no-gpu", .failed_check = "device-nodes"}});
  EXPECT_EQ(r.exit_code, exit_code::kNoGpu);
  EXPECT_FALSE(r.documents[0].comparison.has_value()) << "nothing to compare without a GPU";
  const NightlyResult worse =
      check({{.night = 7, .verdict = "no-gpu"}, {.mode = "container", .night = 7, .triad = 1000}});
  EXPECT_EQ(worse.exit_code, exit_code::kFailed);
}

TEST_F(NightlyCheck, TheFirstNightOfASeriesExits0WithoutBaseline) {
  const NightlyResult r = check({{.host = "gpu-h100-09", .night = 7}});
  EXPECT_EQ(r.exit_code, exit_code::kPass);
  EXPECT_TRUE(r.documents[0].baseline->empty());
  EXPECT_TRUE(r.documents[0].headline.starts_with("OK: no baseline yet"))
      << r.documents[0].headline;
}

TEST_F(NightlyCheck, AMissingPinExits2AndSaysHowToPin) {
  NightlyOptions o;
  o.baseline = parse_baseline_spec("pinned");
  const NightlyResult r = check({{.night = 7}}, o);
  EXPECT_EQ(r.exit_code, exit_code::kBadInput);
  EXPECT_NE(r.documents[0].baseline_error.find("gpuval history pin"), std::string::npos);
}

TEST_F(NightlyCheck, BadInputsExit2) {
  const NightlyResult r = check({{.night = 7}}, {}, {{"x.json", "truncated JSON at byte 3"}});
  EXPECT_EQ(r.exit_code, exit_code::kBadInput);
}

TEST_F(NightlyCheck, JunitNamesRegressionsAndFailedChecks) {
  const NightlyResult r =
      check({{.night = 7, .triad = 2600, .failed_check = "shm"}, {.mode = "container", .night = 7}},
            {}, {{"bad <1>.json", "malformed"}});
  const std::string xml = render_nightly_junit(r);
  EXPECT_NE(xml.find("<testsuite name=\"gpu-h100-01 baremetal\""), std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"regression\" message=\"regression: stream-triad gpu0 "
                     "bytes=805306368 worse than the baseline"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("classname=\"gpuval.nightly.gpu-h100-01.baremetal.checks\" name=\"shm\""),
            std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"FAIL\" message=\"shm failed\">"), std::string::npos);
  EXPECT_NE(xml.find("name=\"bad &lt;1&gt;.json\""), std::string::npos) << "escaped";
  // tests: 2 suites of (verdict + baseline + 3 checks + 2 benchmarks) + 1 bad input.
  EXPECT_NE(xml.find("<testsuites name=\"gpuval-nightly\" tests=\"15\" failures=\"3\" "
                     "errors=\"1\" skipped=\"0\">"),
            std::string::npos)
      << xml.substr(0, 200);
}

TEST_F(NightlyCheck, JunitSkipsTheBaselineOnTheFirstNight) {
  const std::string xml = render_nightly_junit(check({{.host = "gpu-new", .night = 0}}));
  EXPECT_NE(xml.find("<skipped message=\"no baseline yet: none"), std::string::npos) << xml;
}

TEST_F(NightlyCheck, MarkdownListsEachDocumentAndTheRegression) {
  NightlyOptions o;
  const NightlyResult r =
      check({{.night = 7, .triad = 2600}, {.mode = "container", .night = 7}}, o);
  const std::string md = render_nightly_markdown(r, o);
  EXPECT_NE(md.find("# gpuval nightly: REGRESSION OR FAILED CHECK (exit 1)"), std::string::npos);
  EXPECT_NE(md.find("| gpu-h100-01 | NVIDIA H100 80GB HBM3 | podman-cdi | 550.54.15 | "
                    "2026-10-08 | median of 7 nights"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("**Regression** `stream-triad gpu0 bytes=805306368`"), std::string::npos);
  EXPECT_NE(md.find("<details>"), std::string::npos);
}

TEST_F(NightlyCheck, ABenchmarkMissingTonightIsARegression) {
  json doc = make_doc({.night = 7});
  doc["benchmarks"].erase(0);  // stream-triad: gone (a crashed stage, a validate-only run)
  const NightlyResult r = check_json(doc);
  EXPECT_EQ(r.exit_code, exit_code::kFailed);
  ASSERT_EQ(r.documents[0].regressions.size(), 1u);
  EXPECT_EQ(r.documents[0].regressions[0].benchmark.rfind("stream-triad", 0), 0u);
  EXPECT_NE(r.documents[0].regressions[0].reason.find("missing tonight"), std::string::npos);
}

TEST_F(NightlyCheck, NoBenchmarksAtAllTonightIsARegressionOfEach) {
  json doc = make_doc({.night = 7});
  doc["benchmarks"] = json::array();
  const NightlyResult r = check_json(doc);
  EXPECT_EQ(r.exit_code, exit_code::kFailed);
  EXPECT_EQ(r.documents[0].regressions.size(), 2u);
  EXPECT_NE(r.documents[0].headline.find("2 benchmarks worse than the baseline"), std::string::npos)
      << r.documents[0].headline;
}

TEST_F(NightlyCheck, ABenchmarkWithoutRepetitionsTonightIsARegression) {
  json doc = make_doc({.night = 7});
  doc["benchmarks"][0]["samples"] = json::array();  // a median but nothing to test it with
  const NightlyResult r = check_json(doc);
  EXPECT_EQ(r.exit_code, exit_code::kFailed);
  ASSERT_EQ(r.documents[0].regressions.size(), 1u);
  EXPECT_NE(r.documents[0].regressions[0].reason.find("no measurement tonight"), std::string::npos);
}

}  // namespace
}  // namespace gpuval::history
