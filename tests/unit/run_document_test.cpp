#include "core/run_document.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/fixture_tree.hpp"

namespace gpuval {
namespace {

using nlohmann::json;

json minimal_doc() {
  return json{{"schema", "gpuval.run/1"},
              {"tool", {{"name", "gpuval"}}},
              {"run", {{"id", "x"}}},
              {"environment", {{"mode", "container"}}},
              {"devices", json::array()},
              {"checks", json::array({{{"id", "engine"}, {"status", "PASS"}}})},
              {"benchmarks", json::array()},
              {"verdict", {{"status", "pass"}, {"exit_code", 0}}}};
}

std::string error_of(const std::string& text) {
  try {
    parse_run_document(text, "doc.json");
  } catch (const DocumentError& e) {
    return e.what();
  }
  return "";
}

TEST(RunDocument, AcceptsMinimalDocumentAndIgnoresUnknownFields) {
  json doc = minimal_doc();
  doc["from_the_future"] = {{"x", 1}};
  doc["checks"][0]["new_field"] = true;
  EXPECT_NO_THROW(parse_run_document(doc.dump(), "doc.json"));
}

TEST(RunDocument, AcceptsNewerMinorOfSameMajor) {
  json doc = minimal_doc();
  doc["schema"] = "gpuval.run/1.7";
  EXPECT_NO_THROW(validate_run_document(doc));
}

TEST(RunDocument, RejectsUnknownMajorNamingBothVersions) {
  json doc = minimal_doc();
  doc["schema"] = "gpuval.run/2";
  const std::string msg = error_of(doc.dump());
  EXPECT_NE(msg.find("major version 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("major 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("doc.json"), std::string::npos) << msg;
}

TEST(RunDocument, RejectsForeignAndMalformedSchemaStrings) {
  json doc = minimal_doc();
  doc["schema"] = "nvbench/1";
  EXPECT_NE(error_of(doc.dump()).find("not a gpuval run document"), std::string::npos);
  doc["schema"] = "gpuval.run/x";
  EXPECT_NE(error_of(doc.dump()).find("malformed schema version"), std::string::npos);
  doc["schema"] = 1;
  EXPECT_NE(error_of(doc.dump()).find("\"schema\" must be a string"), std::string::npos);
}

TEST(RunDocument, TruncatedFileSaysTruncated) {
  const std::string text = minimal_doc().dump();
  const std::string msg = error_of(text.substr(0, text.size() / 2));
  EXPECT_NE(msg.find("truncated JSON"), std::string::npos) << msg;
}

TEST(RunDocument, MalformedFileSaysMalformedWithOffset) {
  const std::string msg = error_of("{\"schema\": \"gpuval.run/1\",, }");
  EXPECT_NE(msg.find("malformed JSON at byte"), std::string::npos) << msg;
}

TEST(RunDocument, EmptyInputIsTruncated) {
  EXPECT_NE(error_of("").find("truncated"), std::string::npos);
}

TEST(RunDocument, MissingRequiredFieldIsNamed) {
  json doc = minimal_doc();
  doc.erase("verdict");
  EXPECT_NE(error_of(doc.dump()).find("missing required field \"verdict\""), std::string::npos);
  doc = minimal_doc();
  doc["checks"][0].erase("status");
  EXPECT_NE(error_of(doc.dump()).find("checks[0].status"), std::string::npos);
  doc = minimal_doc();
  doc["benchmarks"] = json::array({{{"id", "stream-copy"}, {"unit", "GB/s"}}});
  EXPECT_NE(error_of(doc.dump()).find("benchmarks[0].samples"), std::string::npos);
}

TEST(RunDocument, WrongTypesAreNamed) {
  json doc = minimal_doc();
  doc["checks"] = json::object();
  EXPECT_NE(error_of(doc.dump()).find("\"checks\" must be an array"), std::string::npos);
  EXPECT_NE(error_of("[1,2]").find("must be a JSON object"), std::string::npos);
}

TEST(RunDocument, ReadsFileAndNamesMissingFile) {
  testing::FixtureTree tree;
  tree.write("/doc.json", minimal_doc().dump());
  EXPECT_EQ(read_run_document(tree.root() / "doc.json")["schema"], "gpuval.run/1");
  try {
    read_run_document(tree.root() / "absent.json");
    FAIL() << "expected DocumentError";
  } catch (const DocumentError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.json: cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace gpuval

namespace gpuval {
namespace {

TEST(RunDocument, DumpReplacesInvalidUtf8InsteadOfAborting) {
  nlohmann::json doc = {{"message", std::string("cpu.max: \xff\xfe garbage")}};
  std::string text;
  ASSERT_NO_THROW(text = dump_run_document(doc));
  EXPECT_NE(text.find("\xEF\xBF\xBD"), std::string::npos) << "U+FFFD replacement expected";
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace gpuval
