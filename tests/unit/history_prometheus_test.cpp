#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "history/index.hpp"
#include "history/layout.hpp"
#include "history/prometheus.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/history_test_docs.hpp"

namespace gpuval::history {
namespace {

using nlohmann::json;
using testing::DocSpec;
using testing::make_doc;

NightlyResult check_tonight(const std::filesystem::path& root, const std::vector<DocSpec>& specs) {
  std::vector<InputDocument> docs;
  for (const DocSpec& s : specs) {
    InputDocument d;
    d.path = s.host + ".json";
    d.doc = make_doc(s);
    d.id = identify(d.doc);
    docs.push_back(std::move(d));
  }
  return check_documents(root, std::move(docs), {}, {}, 1793000000);
}

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) out.push_back(line);
  }
  return out;
}

TEST(PrometheusEscaping, LabelValuesAndHelpText) {
  EXPECT_EQ(prom_escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(prom_escape_label("NVIDIA H100 80GB HBM3"), "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(prom_escape_help("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"") << "quotes stay in HELP";
}

TEST(Prometheus, EveryFamilyHasOneHelpAndTypeAndGroupedSamples) {
  gpuval::testing::FixtureTree tree;
  for (int n = 0; n < 3; ++n) {
    const json doc = make_doc({.night = n});
    file_document(tree.root(), doc, doc.dump());
  }
  const std::string text =
      render_prometheus(check_tonight(tree.root(), {{.night = 3, .triad = 2600}}));
  std::map<std::string, int> helps, types;
  std::string last_family;
  std::set<std::string> finished;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# HELP ")) {
      ++helps[line.substr(7, line.find(' ', 7) - 7)];
    } else if (line.starts_with("# TYPE ")) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      ++types[name];
      EXPECT_TRUE(line.ends_with(" gauge")) << line;
      if (!last_family.empty()) finished.insert(last_family);
      EXPECT_FALSE(finished.count(name)) << "family split: " << name;
      last_family = name;
    } else {
      ASSERT_FALSE(line.empty());
      const std::string name = line.substr(0, line.find_first_of("{ "));
      EXPECT_EQ(name, last_family) << "sample outside its family: " << line;
    }
  }
  for (const auto& [name, n] : types) EXPECT_EQ(helps[name], 1) << name;
  for (const char* family :
       {"gpuval_nightly_exit_code", "gpuval_run_timestamp_seconds", "gpuval_check_status",
        "gpuval_benchmark_median", "gpuval_benchmark_regression", "gpuval_regressions"}) {
    EXPECT_EQ(types[family], 1) << family;
  }
}

TEST(Prometheus, RegressionAndLabelsOfABenchmark) {
  gpuval::testing::FixtureTree tree;
  for (int n = 0; n < 3; ++n) {
    const json doc = make_doc({.night = n});
    file_document(tree.root(), doc, doc.dump());
  }
  const std::string text =
      render_prometheus(check_tonight(tree.root(), {{.night = 3, .triad = 2600}}));
  const std::string run =
      "host=\"gpu-h100-01\",gpu_uuid=\"GPU-11111111-2222-3333-4444-555555555555\",model=\"NVIDIA "
      "H100 80GB HBM3\",driver=\"550.54.15\",mode=\"baremetal\"";
  const std::string bench =
      run + ",gpu=\"0\",benchmark=\"stream-triad\",params=\"bytes=805306368\"";
  EXPECT_NE(text.find("gpuval_benchmark_regression{" + bench + "} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("gpuval_benchmark_median{" + bench + ",unit=\"GB/s\"} 2600\n"),
            std::string::npos);
  EXPECT_NE(text.find("gpuval_benchmark_baseline_median{" + bench + ",unit=\"GB/s\"} 3085\n"),
            std::string::npos);
  EXPECT_NE(text.find("gpuval_regressions{" + run + "} 1\n"), std::string::npos);
  EXPECT_NE(text.find("gpuval_run_exit_code{" + run + "} 1\n"), std::string::npos);
  EXPECT_NE(text.find("gpuval_run_baseline_nights{" + run + "} 3\n"), std::string::npos);
  EXPECT_NE(text.find("gpuval_nightly_exit_code 1\n"), std::string::npos);
  EXPECT_NE(text.find("gpuval_nightly_timestamp_seconds 1793000000\n"), std::string::npos);
  // One-hot: exactly one status per check is 1.
  EXPECT_EQ(lines_starting(text, "gpuval_check_status{").size(), 3u * 4u);
  std::size_t ones = 0;
  for (const std::string& l : lines_starting(text, "gpuval_check_status{"))
    ones += l.ends_with(" 1");
  EXPECT_EQ(ones, 3u);
}

TEST(Prometheus, OddModelNamesAreEscapedAndRepeatedRunsExportedOnce) {
  gpuval::testing::FixtureTree tree;
  const std::string model = "GPU \"X\" \\ 80GB";
  const std::string text = render_prometheus(
      check_tonight(tree.root(), {{.model = model, .night = 3, .minute = 1, .triad = 100},
                                  {.model = model, .night = 3, .minute = 9, .triad = 200}}));
  EXPECT_NE(text.find("model=\"GPU \\\"X\\\" \\\\ 80GB\""), std::string::npos) << text;
  const auto medians = lines_starting(text, "gpuval_benchmark_median{");
  ASSERT_EQ(medians.size(), 2u) << "triad and latency once each, not per run";
  EXPECT_TRUE(medians[0].ends_with("} 200")) << "the later run wins: " << medians[0];
  EXPECT_EQ(lines_starting(text, "gpuval_run_exit_code{").size(), 1u);
}

TEST(Prometheus, LastRunOfEverySeriesOfTheIndexAlsoOfANodeGoneQuiet) {
  gpuval::testing::FixtureTree tree;
  for (int n = 0; n < 3; ++n) {
    for (const char* host : {"gpu-h100-01", "gpu-h100-02"}) {
      const json doc = make_doc({.host = host, .night = n});
      file_document(tree.root(), doc, doc.dump());
    }
  }
  const json quiet = make_doc({.host = "gpu-h100-03", .night = 1});
  file_document(tree.root(), quiet, quiet.dump());
  Index::open(tree.root(), Index::Access::kWrite);  // indexes what is there
  const std::string text = render_prometheus(
      check_tonight(tree.root(), {{.host = "gpu-h100-01", .night = 3, .minute = 7}}));
  const std::vector<std::string> last = lines_starting(text, "gpuval_last_run_timestamp_seconds{");
  ASSERT_EQ(last.size(), 3u) << text;
  std::int64_t night1 = 0, night2 = 0, night3 = 0;
  ASSERT_TRUE(parse_rfc3339("2026-10-02T02:00:00Z", night1));
  ASSERT_TRUE(parse_rfc3339("2026-10-03T02:00:00Z", night2));
  ASSERT_TRUE(parse_rfc3339("2026-10-04T02:07:00Z", night3));
  const std::string labels = "model=\"NVIDIA H100 80GB HBM3\",mode=\"baremetal\"} ";
  // Tonight's run (not in the index yet) counts; the others come from the index.
  EXPECT_EQ(last[0], "gpuval_last_run_timestamp_seconds{host=\"gpu-h100-01\"," + labels +
                         std::to_string(night3));
  EXPECT_EQ(last[1], "gpuval_last_run_timestamp_seconds{host=\"gpu-h100-02\"," + labels +
                         std::to_string(night2));
  EXPECT_EQ(last[2], "gpuval_last_run_timestamp_seconds{host=\"gpu-h100-03\"," + labels +
                         std::to_string(night1));
  // Without an index: the series checked.
  gpuval::testing::FixtureTree bare;
  const std::string alone = render_prometheus(check_tonight(bare.root(), {{.night = 3}}));
  EXPECT_EQ(lines_starting(alone, "gpuval_last_run_timestamp_seconds{").size(), 1u);
}

}  // namespace
}  // namespace gpuval::history
