// A pull parser for strict JSON: the caller walks the document (objects, arrays, values) and
// reads only what it needs; everything else is skipped without being built, but still checked.
// `gpuval report` reads thousands of run documents whose bytes are mostly samples, clock traces,
// check metrics and indentation: nlohmann's parser (DOM, callback or SAX) tokenises at ~40-90
// MB/s here and a DOM costs hundreds of allocations per document; this reads a document into a
// RunSummary several times faster. It accepts exactly what core's parse_json_text accepts
// (RFC 8259 JSON in UTF-8, numbers within the range of a double, nesting up to kMaxJsonDepth;
// tests/fuzz/json_differential.cpp holds both to it); on a syntax error it throws
// JsonSyntaxError with the byte offset, and callers re-parse with parse_json_text for the full
// message.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/run_document.hpp"

namespace gpuval::report {

struct JsonSyntaxError {
  std::size_t byte;  // where parsing stopped (0-based)
};

enum class JsonType { kNull, kBool, kNumber, kString, kArray, kObject };

// nlohmann's name for a type ("string", "number", ...), for messages.
const char* json_type_name(JsonType t);

class JsonReader {
 public:
  // Objects and arrays nested deeper than this are refused (a syntax error), so a hostile
  // document cannot exhaust the stack; the same limit as parse_json_text's.
  static constexpr int kMaxDepth = kMaxJsonDepth;

  explicit JsonReader(std::string_view text);

  // The type of the next value; throws JsonSyntaxError when no value can start here.
  JsonType peek();

  // for (std::string key; r.next_member(key);) { read or skip the value }
  void begin_object();
  bool next_member(std::string& key);
  // for (; r.next_element();) { read or skip the value }
  void begin_array();
  bool next_element();

  // Scalars: the next value must have this type (check with peek() first).
  void string(std::string& out);
  double number(bool* integral = nullptr);  // integral: written without fraction or exponent
  bool boolean();
  void null();

  void skip();             // any value
  nlohmann::json value();  // any value, built as nlohmann would (for small parts)
  void end();              // nothing but whitespace may follow the document

  std::size_t offset() const { return static_cast<std::size_t>(p_ - begin_); }

 private:
  [[noreturn]] void fail() const;
  void skip_ws();
  void expect(char c);
  void literal(std::string_view word);
  void push();
  void skip_value(int depth);
  nlohmann::json build(int depth);
  unsigned hex4();
  void utf8_sequence();
  void read_string(std::string* out);
  void read_number(const char** start, bool* integral, bool* exponent = nullptr);

  const char* begin_;
  const char* p_;
  const char* end_;
  std::vector<bool> first_;  // per open container: no member or element read yet
};

}  // namespace gpuval::report
