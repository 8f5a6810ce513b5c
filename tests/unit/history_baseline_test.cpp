#include <gtest/gtest.h>

#include <fstream>

#include "history/baseline.hpp"
#include "history/layout.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/history_test_docs.hpp"

namespace gpuval::history {
namespace {

using nlohmann::json;
using testing::DocSpec;
using testing::make_doc;

void file(const std::filesystem::path& root, const DocSpec& s) {
  const json doc = make_doc(s);
  file_document(root, doc, doc.dump());
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::vector<std::string> nights_of(const Baseline& b) {
  std::vector<std::string> out;
  for (const BaselineDocument& d : b.documents) out.push_back(d.id.night);
  return out;
}

BaselineSpec median(int n) { return {BaselineSpec::Kind::kMedian, n}; }
BaselineSpec pinned() { return {BaselineSpec::Kind::kPinned, 0}; }

TEST(BaselineSpec, ParsesMedianAndPinned) {
  EXPECT_EQ(parse_baseline_spec("median:7").nights, 7);
  EXPECT_EQ(parse_baseline_spec("median:1").text(), "median:1");
  EXPECT_EQ(parse_baseline_spec("pinned").kind, BaselineSpec::Kind::kPinned);
  for (const char* bad :
       {"median:0", "median:", "median:x", "median:7x", "mean:3", "", "median:366"}) {
    try {
      parse_baseline_spec(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("median:N"), std::string::npos) << e.what();
    }
  }
}

TEST(Baseline, MedianTakesTheLastNNightsBeforeTonight) {
  gpuval::testing::FixtureTree tree;
  for (int n = 0; n < 12; ++n) file(tree.root(), {.night = n});
  const RunIdentity tonight = identify(make_doc({.night = 10, .minute = 30}));
  const Baseline b = select_baseline(tree.root(), tonight, median(3));
  EXPECT_EQ(nights_of(b), (std::vector<std::string>{"2026-10-08", "2026-10-09", "2026-10-10"}));
  EXPECT_EQ(b.nights, nights_of(b));
  EXPECT_NE(b.description.find("median of 3 nights 2026-10-08..2026-10-10"), std::string::npos)
      << b.description;
}

TEST(Baseline, FewerNightsThanAskedAreUsedAndSaidSo) {
  gpuval::testing::FixtureTree tree;
  file(tree.root(), {.night = 0});
  file(tree.root(), {.night = 1});
  const Baseline b = select_baseline(tree.root(), identify(make_doc({.night = 2})), median(7));
  EXPECT_EQ(b.documents.size(), 2u);
  EXPECT_NE(b.description.find("fewer than the 7 asked for"), std::string::npos) << b.description;
}

TEST(Baseline, TheFirstNightHasNone) {
  gpuval::testing::FixtureTree tree;
  file(tree.root(), {.night = 0});
  const Baseline b = select_baseline(tree.root(), identify(make_doc({.night = 0})), median(7));
  EXPECT_TRUE(b.empty());
  EXPECT_NE(b.description.find("none"), std::string::npos);
}

TEST(Baseline, NeverCrossesGpuModelsEvenWhenTheirFoldersCollide) {
  gpuval::testing::FixtureTree tree;
  // Same host, other models: one with another folder, one whose slug is the same folder.
  file(tree.root(), {.model = "NVIDIA A100-SXM4-80GB", .night = 5});
  file(tree.root(), {.model = "NVIDIA-H100 80GB (HBM3)", .night = 6});
  file(tree.root(), {.night = 2});
  const Baseline b = select_baseline(tree.root(), identify(make_doc({.night = 8})), median(7));
  EXPECT_EQ(nights_of(b), std::vector<std::string>{"2026-10-03"});
}

TEST(Baseline, NeverCrossesHostsOrModes) {
  gpuval::testing::FixtureTree tree;
  file(tree.root(), {.host = "gpu-h100-02", .night = 5});
  file(tree.root(), {.host = "GPU-H100-01", .night = 6});  // same folder, another host name
  file(tree.root(), {.mode = "container", .night = 7});
  file(tree.root(), {.night = 3});
  const Baseline b = select_baseline(tree.root(), identify(make_doc({.night = 8})), median(7));
  EXPECT_EQ(nights_of(b), std::vector<std::string>{"2026-10-04"});
  const Baseline c = select_baseline(
      tree.root(), identify(make_doc({.mode = "container", .night = 8})), median(7));
  EXPECT_EQ(nights_of(c), std::vector<std::string>{"2026-10-08"});
}

TEST(Baseline, SpansDriverVersionsAndSkipsFailedNights) {
  gpuval::testing::FixtureTree tree;
  file(tree.root(), {.driver = "550.54.15", .night = 0});
  file(tree.root(), {.driver = "560.35.03", .night = 1});
  file(tree.root(), {.driver = "560.35.03", .night = 2, .failed_check = "shm"});
  file(tree.root(), {.driver = "560.35.03", .night = 3, .verdict = "no-gpu"});
  const Baseline b = select_baseline(tree.root(), identify(make_doc({.night = 4})), median(3));
  EXPECT_EQ(nights_of(b), (std::vector<std::string>{"2026-10-01", "2026-10-02"}))
      << "failed and GPU-less nights neither count nor fill the window";
}

TEST(Baseline, ARerunOnOneNightStaysWithinThatNight) {
  gpuval::testing::FixtureTree tree;
  file(tree.root(), {.night = 1});
  file(tree.root(), {.night = 1, .minute = 40});
  file(tree.root(), {.night = 0});
  const Baseline b = select_baseline(tree.root(), identify(make_doc({.night = 2})), median(1));
  EXPECT_EQ(b.nights, std::vector<std::string>{"2026-10-02"});
  EXPECT_EQ(b.documents.size(), 2u);
}

TEST(Baseline, PinnedMissingIsAClearError) {
  gpuval::testing::FixtureTree tree;
  file(tree.root(), {.night = 0});
  try {
    select_baseline(tree.root(), identify(make_doc({.night = 1})), pinned());
    FAIL() << "expected BaselineError";
  } catch (const BaselineError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no pinned baseline"), std::string::npos) << what;
    EXPECT_NE(what.find("gpuval history pin"), std::string::npos) << what;
    EXPECT_NE(what.find("gpu-h100-01"), std::string::npos) << what;
  }
}

TEST(Baseline, PinnedIsUsedAcrossDrivers) {
  gpuval::testing::FixtureTree tree;
  const json pin = make_doc({.driver = "550.54.15", .night = 0, .run_id = "the-pin"});
  pin_document(tree.root(), pin, pin.dump());
  file(tree.root(), {.night = 5});
  const Baseline b = select_baseline(
      tree.root(), identify(make_doc({.driver = "570.86.10", .night = 6})), pinned());
  ASSERT_EQ(b.documents.size(), 1u);
  EXPECT_EQ(b.documents[0].id.run_id, "the-pin");
  EXPECT_NE(b.description.find("pinned run the-pin of 2026-10-01 (driver 550.54.15)"),
            std::string::npos)
      << b.description;
}

TEST(Baseline, APinOfAnotherModelIsRefused) {
  gpuval::testing::FixtureTree tree;
  // Placed by hand where this host's H100 pin belongs, but it is an A100 run.
  const json other = make_doc({.model = "NVIDIA A100-SXM4-80GB"});
  const RunIdentity tonight = identify(make_doc({.night = 3}));
  write_text(pin_path(tree.root(), tonight), other.dump());
  try {
    select_baseline(tree.root(), tonight, pinned());
    FAIL() << "expected BaselineError";
  } catch (const BaselineError& e) {
    EXPECT_NE(std::string(e.what()).find("never cross"), std::string::npos) << e.what();
  }
}

TEST(Baseline, ReferenceIsTheMedianRunWithItsOwnSamples) {
  gpuval::testing::FixtureTree tree;
  file(tree.root(), {.night = 0, .triad = 3000});
  file(tree.root(), {.night = 1, .triad = 3100});
  file(tree.root(), {.night = 2, .triad = 3050, .latency = 2.0});
  const Baseline b = select_baseline(tree.root(), identify(make_doc({.night = 3})), median(7));
  const json ref = build_reference(b);
  ASSERT_EQ(ref["benchmarks"].size(), 2u);
  const json& triad = ref["benchmarks"][0];
  EXPECT_EQ(triad["id"], "stream-triad");
  EXPECT_EQ(triad["samples"].size(), 5u) << "one run's repetitions, not a pool";
  EXPECT_DOUBLE_EQ(triad["median"].get<double>(), 3050.0);
  EXPECT_NEAR(triad["fraction_of_peak"].get<double>(), 3050.0 / 3352.3, 1e-12);
  EXPECT_EQ(triad["message"], "baseline: the median run of 3");
  EXPECT_EQ(ref["run"]["id"], "baseline median:7");
  EXPECT_EQ(ref["driver"], make_doc({.night = 2})["driver"]) << "environment of the latest night";
}

TEST(Baseline, ThreeSlowNightsOfSevenDoNotMoveTheReference) {
  // The window after a regression: 4 nights at 3000, 3 at 2550 (-15 %). The median run is still
  // at 3000, so tonight's 2550 stays a regression until 4 of 7 nights are slow.
  gpuval::testing::FixtureTree tree;
  for (int night = 0; night < 7; ++night) {
    file(tree.root(), {.night = night, .triad = night < 4 ? 3000.0 : 2550.0});
  }
  const Baseline b = select_baseline(tree.root(), identify(make_doc({.night = 7})), median(7));
  EXPECT_DOUBLE_EQ(build_reference(b)["benchmarks"][0]["median"].get<double>(), 3000.0);
  file(tree.root(), {.night = 7, .triad = 2550.0});
  const Baseline later = select_baseline(tree.root(), identify(make_doc({.night = 8})), median(7));
  EXPECT_DOUBLE_EQ(build_reference(later)["benchmarks"][0]["median"].get<double>(), 2550.0);
}

TEST(Baseline, SkippedEntriesDoNotPoolAndUnreadableDocumentsAreSkippedWithAWarning) {
  gpuval::testing::FixtureTree tree;
  file(tree.root(), {.night = 0});
  const RunIdentity id = identify(make_doc({.night = 1}));
  write_text(document_path(tree.root(), id), "{\"schema\": \"gpuval.run/1\"");
  const Baseline b = select_baseline(tree.root(), identify(make_doc({.night = 2})), median(7));
  EXPECT_EQ(nights_of(b), std::vector<std::string>{"2026-10-01"});
  ASSERT_EQ(b.warnings.size(), 1u);
  EXPECT_NE(b.warnings[0].find("truncated"), std::string::npos) << b.warnings[0];
}

}  // namespace
}  // namespace gpuval::history

namespace gpuval::history {
namespace {

TEST(Baseline, ANightOfThousandsOfRunsCostsNoMoreThanItsFirst32) {
  // 100,000 runs a night would have been read (and held) one by one for every check.
  gpuval::testing::FixtureTree tree;
  for (int m = 0; m < 40; ++m) file(tree.root(), {.night = 1, .minute = m});
  file(tree.root(), {.night = 2});
  const RunIdentity tonight = identify(make_doc({.night = 3}));
  const Baseline b = select_baseline(tree.root(), tonight, median(7));
  EXPECT_EQ(b.nights, (std::vector<std::string>{"2026-10-02", "2026-10-03"}));
  EXPECT_EQ(b.documents.size(), kMaxRunsPerNight + 1);
  ASSERT_EQ(b.warnings.size(), 1u);
  EXPECT_NE(b.warnings[0].find("holds 40 documents"), std::string::npos) << b.warnings[0];
  EXPECT_NE(b.warnings[0].find("only the first 32 are read"), std::string::npos);
}

}  // namespace
}  // namespace gpuval::history
