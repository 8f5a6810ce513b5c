#include <gtest/gtest.h>

#include <string>

#include "report/json_reader.hpp"

namespace gpuval::report {
namespace {

using nlohmann::json;

// The reader's verdict on a whole text: built like nlohmann, or where it stopped.
struct Whole {
  bool ok = false;
  json doc;
  std::size_t error_byte = 0;
};

Whole build(std::string_view text) {
  Whole w;
  try {
    JsonReader r(text);
    w.doc = r.value();
    r.end();
    w.ok = true;
  } catch (const JsonSyntaxError& e) {
    w.error_byte = e.byte;
  }
  return w;
}

Whole skip(std::string_view text) {
  Whole w;
  try {
    JsonReader r(text);
    r.skip();
    r.end();
    w.ok = true;
  } catch (const JsonSyntaxError& e) {
    w.error_byte = e.byte;
  }
  return w;
}

TEST(JsonReader, BuildsValuesExactlyAsNlohmannDoes) {
  const char* const inputs[] = {
      R"({"a": [1, -2, 3.5, -0, 0.25e2, 1E-3, 18446744073709551615, -9223372036854775808]})",
      R"({"s": "tab\t nl\n quote\" bs\\ slash\/ \b\f\r", "u": "\u00e9\u4e2d\ud83d\ude00"})",
      R"({"raw": "é中😀", "t": true, "f": false, "n": null, "e": {}, "ea": []})",
      R"([{"x": {"y": [[[]]]}}, "str", 0, 1e308])",
      R"(  "just a string"  )",
      R"(12345678901234567890123)",  // beyond 64 bits: a double, as in nlohmann
      R"({"dup": 1, "dup": 2})",
      "\n\t\r {\"ws\" :\t[ 1 ,2 ] }\n",
  };
  for (const char* text : inputs) {
    const Whole w = build(text);
    ASSERT_TRUE(w.ok) << text << " stopped at byte " << w.error_byte;
    const json expected = json::parse(text);
    EXPECT_EQ(w.doc, expected) << text;
    EXPECT_EQ(w.doc.dump(), expected.dump()) << text;  // same number types too
    EXPECT_TRUE(skip(text).ok) << text;
  }
}

TEST(JsonReader, RejectsWhatNlohmannRejectsWhetherBuildingOrSkipping) {
  const std::string inputs[] = {
      "",
      "   ",
      "{",
      R"({"a": 1,})",
      R"([1, 2,])",
      R"({"a" 1})",
      R"({a: 1})",
      R"({,"a": 1})",
      "01",
      "1.",
      ".5",
      "+1",
      "-",
      "1e",
      "1e+",
      "tru",
      "nul",
      R"({"a": 1} x)",
      "\"unterminated",
      std::string("\"ctrl\x01char\""),
      R"("bad \x escape")",
      R"("\u12")",
      R"("\ud800 lone high surrogate")",
      R"("\udc00 lone low surrogate")",
      R"("\ud800\u0041")",
      std::string("\"\xff\""),              // not UTF-8
      std::string("\"\xc0\xaf\""),          // overlong
      std::string("\"\xed\xa0\x80\""),      // encoded surrogate
      std::string("\"\xf4\x90\x80\x80\""),  // above U+10FFFF
      std::string("\"\xe4\xb8\""),          // truncated sequence
      "[1 2]",
      "{\"a\": [1, {\"b\": }]}",
  };
  for (const std::string& text : inputs) {
    EXPECT_FALSE(build(text).ok) << text;
    EXPECT_FALSE(skip(text).ok) << text;
    EXPECT_FALSE(json::accept(text)) << "test input is valid JSON: " << text;
  }
}

TEST(JsonReader, WalksObjectsAndArraysReadingOnlyWhatItWants) {
  JsonReader r(R"({"skip": {"deep": [1, {"x": "y"}]}, "n": 4.5, "list": ["a", null, true],
                  "int": 7})");
  r.begin_object();
  std::string key, s;
  std::vector<std::string> seen;
  double n = 0, i = 0;
  bool integral = false, flag = false;
  while (r.next_member(key)) {
    seen.push_back(key);
    if (key == "n") {
      ASSERT_EQ(r.peek(), JsonType::kNumber);
      n = r.number();
    } else if (key == "int") {
      i = r.number(&integral);
    } else if (key == "list") {
      r.begin_array();
      ASSERT_TRUE(r.next_element());
      r.string(s);
      ASSERT_TRUE(r.next_element());
      EXPECT_EQ(r.peek(), JsonType::kNull);
      r.null();
      ASSERT_TRUE(r.next_element());
      flag = r.boolean();
      EXPECT_FALSE(r.next_element());
    } else {
      EXPECT_EQ(r.peek(), JsonType::kObject);
      r.skip();
    }
  }
  r.end();
  EXPECT_EQ(seen, (std::vector<std::string>{"skip", "n", "list", "int"}));
  EXPECT_EQ(n, 4.5);
  EXPECT_EQ(i, 7);
  EXPECT_TRUE(integral);
  EXPECT_EQ(s, "a");
  EXPECT_TRUE(flag);
}

TEST(JsonReader, ReportsTheByteWhereParsingStopped) {
  const std::string truncated = R"({"a": [1, 2)";
  EXPECT_EQ(build(truncated).error_byte, truncated.size());
  EXPECT_EQ(skip(truncated).error_byte, truncated.size());
  EXPECT_EQ(build(R"({"a": 1, "b": ?})").error_byte, 14u);
  EXPECT_EQ(skip(R"({"big": {"x": [1, 2,]}, "ok": 1})").error_byte, 20u);  // the ']'
}

TEST(JsonReader, RefusesNestingDeeperThanTheLimitWithoutCrashing) {
  const std::string deep(100000, '[');
  EXPECT_FALSE(build(deep).ok);
  EXPECT_FALSE(skip(deep).ok);
  std::string fine;
  for (int i = 0; i < JsonReader::kMaxDepth - 1; ++i) fine += '[';
  for (int i = 0; i < JsonReader::kMaxDepth - 1; ++i) fine += ']';
  EXPECT_TRUE(build(fine).ok);
  EXPECT_TRUE(skip(fine).ok);
}

TEST(JsonReader, TypeNamesMatchNlohmanns) {
  EXPECT_STREQ(json_type_name(JsonType::kString), json("x").type_name());
  EXPECT_STREQ(json_type_name(JsonType::kNumber), json(1.5).type_name());
  EXPECT_STREQ(json_type_name(JsonType::kObject), json::object().type_name());
  EXPECT_STREQ(json_type_name(JsonType::kArray), json::array().type_name());
  EXPECT_STREQ(json_type_name(JsonType::kBool), json(true).type_name());
  EXPECT_STREQ(json_type_name(JsonType::kNull), json(nullptr).type_name());
}

}  // namespace
}  // namespace gpuval::report
