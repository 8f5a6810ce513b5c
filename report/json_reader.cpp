#include "report/json_reader.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace gpuval::report {

using nlohmann::json;

const char* json_type_name(JsonType t) {
  switch (t) {
    case JsonType::kNull:
      return "null";
    case JsonType::kBool:
      return "boolean";
    case JsonType::kNumber:
      return "number";
    case JsonType::kString:
      return "string";
    case JsonType::kArray:
      return "array";
    case JsonType::kObject:
      return "object";
  }
  return "value";
}

JsonReader::JsonReader(std::string_view text)
    : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {
  // A UTF-8 byte order mark before the value: nlohmann (history, compare) accepts it too.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") p_ += 3;
}

void JsonReader::fail() const { throw JsonSyntaxError{offset()}; }

namespace {

// The double nlohmann makes of a number token: strtod's, where overflow is an error and
// underflow gives zero or a subnormal (from_chars calls both out of range). False when the
// number is beyond the range of a double.
bool to_double(const char* start, const char* end, double& out) {
  const auto r = std::from_chars(start, end, out);
  if (r.ec == std::errc() && r.ptr == end) return true;
  const std::string token(start, end);  // rare: numbers below about 1e-308 or beyond 1e308
  out = std::strtod(token.c_str(), nullptr);
  return std::isfinite(out);
}

// Whether nlohmann stores the integral token as an integer (int64 when negative, uint64 when
// not); beyond those it is a float.
bool fits_integer(const char* start, const char* end) {
  if (*start == '-') {
    std::int64_t v = 0;
    const auto r = std::from_chars(start, end, v);
    return r.ec == std::errc() && r.ptr == end;
  }
  std::uint64_t v = 0;
  const auto r = std::from_chars(start, end, v);
  return r.ec == std::errc() && r.ptr == end;
}

}  // namespace

void JsonReader::skip_ws() {
  while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
}

void JsonReader::expect(char c) {
  if (p_ == end_ || *p_ != c) fail();
  ++p_;
}

void JsonReader::literal(std::string_view word) {
  if (static_cast<std::size_t>(end_ - p_) < word.size() ||
      std::string_view(p_, word.size()) != word) {
    fail();
  }
  p_ += word.size();
}

JsonType JsonReader::peek() {
  skip_ws();
  if (p_ == end_) fail();
  switch (*p_) {
    case '{':
      return JsonType::kObject;
    case '[':
      return JsonType::kArray;
    case '"':
      return JsonType::kString;
    case 't':
    case 'f':
      return JsonType::kBool;
    case 'n':
      return JsonType::kNull;
    default:
      if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return JsonType::kNumber;
      fail();
  }
}

void JsonReader::push() {
  if (first_.size() >= static_cast<std::size_t>(kMaxDepth)) fail();
  first_.push_back(true);
}

void JsonReader::begin_object() {
  skip_ws();
  expect('{');
  push();
}

bool JsonReader::next_member(std::string& key) {
  skip_ws();
  if (p_ != end_ && *p_ == '}' && !first_.empty()) {
    ++p_;
    first_.pop_back();
    return false;
  }
  if (!first_.back()) {
    expect(',');
    skip_ws();
  }
  first_.back() = false;
  key.clear();
  read_string(&key);
  skip_ws();
  expect(':');
  return true;
}

void JsonReader::begin_array() {
  skip_ws();
  expect('[');
  push();
}

bool JsonReader::next_element() {
  skip_ws();
  if (p_ != end_ && *p_ == ']' && !first_.empty()) {
    ++p_;
    first_.pop_back();
    return false;
  }
  if (!first_.back()) expect(',');
  first_.back() = false;
  return true;
}

void JsonReader::string(std::string& out) {
  skip_ws();
  out.clear();
  read_string(&out);
}

double JsonReader::number(bool* integral) {
  skip_ws();
  const char* start = nullptr;
  bool is_integral = true;
  read_number(&start, &is_integral);
  if (integral) *integral = is_integral && fits_integer(start, p_);
  double d = 0;
  if (!to_double(start, p_, d)) {
    p_ = start;  // beyond the range of a double: nlohmann refuses it too
    fail();
  }
  return d;
}

bool JsonReader::boolean() {
  skip_ws();
  if (p_ != end_ && *p_ == 't') {
    literal("true");
    return true;
  }
  literal("false");
  return false;
}

void JsonReader::null() {
  skip_ws();
  literal("null");
}

void JsonReader::skip() {
  skip_ws();
  skip_value(static_cast<int>(first_.size()) + 1);
}

json JsonReader::value() {
  skip_ws();
  return build(static_cast<int>(first_.size()) + 1);
}

void JsonReader::end() {
  skip_ws();
  if (p_ != end_) fail();
}

// Checks a value's syntax without building it; `depth` is its nesting level if a container.
void JsonReader::skip_value(int depth) {
  if (depth > kMaxDepth) fail();
  if (p_ == end_) fail();
  const char close = *p_ == '{' ? '}' : ']';
  switch (*p_) {
    case '{':
    case '[': {
      const bool object = *p_ == '{';
      ++p_;
      skip_ws();
      if (p_ != end_ && *p_ == close) {
        ++p_;
        return;
      }
      for (;;) {
        skip_ws();
        if (object) {
          read_string(nullptr);
          skip_ws();
          expect(':');
          skip_ws();
        }
        skip_value(depth + 1);
        skip_ws();
        if (p_ != end_ && *p_ == ',') {
          ++p_;
          continue;
        }
        expect(close);
        return;
      }
    }
    case '"':
      read_string(nullptr);
      return;
    case 't':
      literal("true");
      return;
    case 'f':
      literal("false");
      return;
    case 'n':
      literal("null");
      return;
    default: {
      const char* start = nullptr;
      bool integral = true;
      bool exponent = false;
      read_number(&start, &integral, &exponent);
      // Skipped numbers are range-checked too, so that this parser rejects what nlohmann
      // rejects ("1e999"); only an exponent or more than 308 integer digits can overflow.
      if (exponent || static_cast<std::size_t>(p_ - start) > 308) {
        double d = 0;
        if (!to_double(start, p_, d)) {
          p_ = start;
          fail();
        }
      }
      return;
    }
  }
}

// A value built as nlohmann's parser builds it: integers stay integers (unsigned when not
// negative), a float when fractional, with an exponent or beyond 64 bits; duplicate keys: the
// last wins.
json JsonReader::build(int depth) {
  if (p_ == end_) fail();
  switch (*p_) {
    case '{': {
      if (depth > kMaxDepth) fail();
      ++p_;
      json obj = json::object();
      auto& members = obj.get_ref<json::object_t&>();
      skip_ws();
      if (p_ != end_ && *p_ == '}') {
        ++p_;
        return obj;
      }
      std::string key;
      for (;;) {
        skip_ws();
        key.clear();
        read_string(&key);
        skip_ws();
        expect(':');
        skip_ws();
        json v = build(depth + 1);
        members.insert_or_assign(key, std::move(v));
        skip_ws();
        if (p_ != end_ && *p_ == ',') {
          ++p_;
          continue;
        }
        expect('}');
        return obj;
      }
    }
    case '[': {
      if (depth > kMaxDepth) fail();
      ++p_;
      json arr = json::array();
      auto& items = arr.get_ref<json::array_t&>();
      skip_ws();
      if (p_ != end_ && *p_ == ']') {
        ++p_;
        return arr;
      }
      for (;;) {
        skip_ws();
        items.push_back(build(depth + 1));
        skip_ws();
        if (p_ != end_ && *p_ == ',') {
          ++p_;
          continue;
        }
        expect(']');
        return arr;
      }
    }
    case '"': {
      std::string s;
      read_string(&s);
      return json(std::move(s));
    }
    case 't':
      literal("true");
      return json(true);
    case 'f':
      literal("false");
      return json(false);
    case 'n':
      literal("null");
      return json(nullptr);
    default: {
      const char* start = nullptr;
      bool integral = true;
      read_number(&start, &integral);
      if (integral) {
        if (*start == '-') {
          std::int64_t v = 0;
          if (auto r = std::from_chars(start, p_, v); r.ec == std::errc() && r.ptr == p_) {
            return json(v);
          }
        } else {
          std::uint64_t v = 0;
          if (auto r = std::from_chars(start, p_, v); r.ec == std::errc() && r.ptr == p_) {
            return json(v);
          }
        }
      }
      double d = 0;
      if (!to_double(start, p_, d)) {
        p_ = start;  // beyond the range of a double: nlohmann refuses it too
        fail();
      }
      return json(d);
    }
  }
}

unsigned JsonReader::hex4() {
  if (end_ - p_ < 4) {
    p_ = end_;
    fail();
  }
  unsigned v = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = *p_;
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      fail();
    }
    v = v * 16 + d;
    ++p_;
  }
  return v;
}

// One UTF-8 encoded character starting at p_ (a lead byte >= 0x80), checked like RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF.
void JsonReader::utf8_sequence() {
  const auto b0 = static_cast<unsigned char>(*p_);
  int extra;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    extra = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    extra = 2;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    extra = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    fail();
  }
  ++p_;
  for (int i = 0; i < extra; ++i) {
    if (p_ == end_) fail();
    const auto b = static_cast<unsigned char>(*p_);
    if (i == 0 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) fail();
    ++p_;
  }
}

namespace {

void append_utf8(std::string* out, unsigned cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

// A string at p_ ('"'); appended to *out unless out is null (then only checked).
void JsonReader::read_string(std::string* out) {
  expect('"');
  for (;;) {
    const char* run = p_;
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++p_;
    }
    if (out) out->append(run, p_);
    if (p_ == end_) fail();
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      ++p_;
      return;
    }
    if (c < 0x20) fail();
    if (c >= 0x80) {
      const char* start = p_;
      utf8_sequence();
      if (out) out->append(start, p_);
      continue;
    }
    ++p_;  // backslash
    if (p_ == end_) fail();
    char plain = 0;
    switch (*p_++) {
      case '"':
        plain = '"';
        break;
      case '\\':
        plain = '\\';
        break;
      case '/':
        plain = '/';
        break;
      case 'b':
        plain = '\b';
        break;
      case 'f':
        plain = '\f';
        break;
      case 'n':
        plain = '\n';
        break;
      case 'r':
        plain = '\r';
        break;
      case 't':
        plain = '\t';
        break;
      case 'u': {
        unsigned cp = hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) fail();  // a low surrogate alone
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') fail();
          p_ += 2;
          const unsigned low = hex4();
          if (low < 0xDC00 || low > 0xDFFF) fail();
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (out) append_utf8(out, cp);
        continue;
      }
      default:
        --p_;
        fail();
    }
    if (out) out->push_back(plain);
  }
}

// Checks the number at p_ and moves past it; *start: its first character. *integral is cleared
// by a fraction or an exponent, *exponent (when given) set by an exponent.
void JsonReader::read_number(const char** start, bool* integral, bool* exponent) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  *start = p_;
  if (p_ != end_ && *p_ == '-') ++p_;
  if (p_ == end_ || !digit(*p_)) fail();
  if (*p_ == '0') {
    ++p_;
  } else {
    while (p_ != end_ && digit(*p_)) ++p_;
  }
  if (p_ != end_ && *p_ == '.') {
    *integral = false;
    ++p_;
    if (p_ == end_ || !digit(*p_)) fail();
    while (p_ != end_ && digit(*p_)) ++p_;
  }
  if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
    *integral = false;
    if (exponent) *exponent = true;
    ++p_;
    if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (p_ == end_ || !digit(*p_)) fail();
    while (p_ != end_ && digit(*p_)) ++p_;
  }
}

}  // namespace gpuval::report
