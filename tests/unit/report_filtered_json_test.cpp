#include <gtest/gtest.h>

#include <string>

#include "report/filtered_json.hpp"

namespace gpuval::report {
namespace {

using nlohmann::json;

bool keep_all(std::string_view, int, std::string_view) { return true; }

// Drops every "samples" member and, in the root object only, "big".
bool drop_samples(std::string_view, int depth, std::string_view key) {
  return key != "samples" && !(depth == 1 && key == "big");
}

bool only_benchmark_ids(std::string_view section, int depth, std::string_view key) {
  return depth != 3 || section != "benchmarks" || key == "id";
}

TEST(FilteredJson, KeepingEverythingBuildsWhatNlohmannBuilds) {
  const std::string text =
      R"({"a": [1, -2, 3.5, 18446744073709551615], "s": "\u00e9\n", "o": {"d": 1, "d": 2}})";
  const FilteredParse r = parse_filtered_json(text, keep_all);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.doc.dump(), json::parse(text).dump());
}

TEST(FilteredJson, LeavesOutRejectedMembersButKeepsTheRest) {
  const std::string text =
      R"({"big": {"huge": [1, 2, 3]}, "benchmarks": [{"id": "a", "samples": [1, 2], "unit": "s"}],
          "keep": {"samples": "dropped at any depth", "x": 1}})";
  const FilteredParse r = parse_filtered_json(text, drop_samples);
  ASSERT_TRUE(r.ok);
  EXPECT_FALSE(r.doc.contains("big"));
  EXPECT_EQ(r.doc["benchmarks"][0], (json{{"id", "a"}, {"unit", "s"}}));
  EXPECT_EQ(r.doc["keep"], (json{{"x", 1}}));
}

TEST(FilteredJson, PassesTheRootMemberAsSectionAndTheObjectDepth) {
  const std::string text =
      R"({"benchmarks": [{"id": "a", "unit": "s", "params": {"id": 1}}],
          "checks": [{"id": "c", "unit": "kept: not a benchmark"}]})";
  const FilteredParse r = parse_filtered_json(text, only_benchmark_ids);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.doc["benchmarks"][0], (json{{"id", "a"}}));
  EXPECT_EQ(r.doc["checks"][0], (json{{"id", "c"}, {"unit", "kept: not a benchmark"}}));
}

TEST(FilteredJson, ChecksTheSyntaxOfSkippedMembersAndSaysWhere) {
  const FilteredParse r = parse_filtered_json(R"({"big": {"x": [1, 2,]}, "ok": 1})", drop_samples);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_byte, 20u);  // the ']' after the trailing comma
  EXPECT_FALSE(parse_filtered_json(R"({"a": 1} trailing)", keep_all).ok);
  EXPECT_FALSE(parse_filtered_json(std::string(100000, '['), keep_all).ok);
}

}  // namespace
}  // namespace gpuval::report
