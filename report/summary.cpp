// A run document's text -> RunSummary in one pass with the pull parser (report/json_reader.hpp):
// only the fields a summary needs are built, samples of benchmarks that carry a median, clock
// traces, check metrics and everything else are skipped. It checks what validate_run_document()
// checks (schema major, required sections and entry fields, their types) plus what a summary
// needs (a start time, a host name, the mode). summarize() on a parsed document goes through the
// same code, so both give the same answer.
#include "report/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "compare/compare.hpp"
#include "core/run_document.hpp"
#include "core/stats.hpp"
#include "report/json_reader.hpp"
#include "report/summary_internal.hpp"

namespace gpuval::report {
namespace {

using nlohmann::json;

// Where a field is, for messages ("benchmarks[3]"); formatted only when there is an error (this
// runs for every entry of thousands of documents).
struct Where {
  std::string_view section;
  std::ptrdiff_t index = -1;
  std::string str() const {
    return index < 0 ? std::string(section) : fmt::format("{}[{}]", section, index);
  }
  std::string field(std::string_view key) const { return str() + "." + std::string(key); }
};

bool valid_date(std::string_view d) {
  if (d.size() < 10 || d[4] != '-' || d[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  return true;
}

// A required member's type, as validate_run_document requires it.
struct Required {
  const char* name;
  JsonType type;
  std::optional<JsonType> seen;  // the type it had, when present
};

class RunReader {
 public:
  explicit RunReader(std::string_view text) : text_(text), in_(text) {}

  // Whether some object repeated a member name. nlohmann keeps the last of repeated members
  // and this reader would mix them, so read_run_summary() then reads the DOM's text instead.
  bool repeated_member() const { return repeated_; }

  TextReading read(std::string path) {
    r_.path = std::move(path);
    if (in_.peek() != JsonType::kObject) {  // valid JSON (checked) but no run document
      in_.skip();
      in_.end();
      return {TextReading::Kind::kNotRunDocument, {}};
    }
    in_.begin_object();
    {
      NamesSeen names(*this);
      while (in_.next_member(key_)) {
        names.add(key_);
        root_member();
      }
    }
    in_.end();
    if (!schema_ || schema_->rfind("gpuval.run/", 0) != 0) {
      return {TextReading::Kind::kNotRunDocument, {}};
    }
    check_schema_major(*schema_);
    for (const Required& s : sections_) require(s, "");
    require(verdict_status_, "verdict.");
    require(verdict_exit_code_, "verdict.");
    if (exit_code_fractional_) {
      throw DocumentError("field \"verdict.exit_code\" must be an integer (found number)");
    }
    if (!first_error_.empty()) throw DocumentError(first_error_);
    if (!valid_date(r_.started_at)) {
      throw DocumentError(fmt::format(
          "field \"run.started_at\" must be an RFC 3339 time (found \"{}\")", r_.started_at));
    }
    r_.date = r_.started_at.substr(0, 10);
    if (r_.host.empty()) throw DocumentError("missing required field \"host.hostname\"");
    if (r_.mode != "baremetal" && r_.mode != "container") {
      throw DocumentError(fmt::format(
          "field \"environment.mode\" must be \"baremetal\" or \"container\" (found \"{}\")",
          r_.mode));
    }
    return {TextReading::Kind::kRun, std::move(r_)};
  }

 private:
  // The first problem found is the one reported; reading goes on (the schema may come last).
  void error(std::string message) {
    if (first_error_.empty()) first_error_ = std::move(message);
  }

  void wrong_type(const std::string& field, const char* wanted, JsonType found) {
    error(fmt::format("field \"{}\" must be {} (found {})", field, wanted, json_type_name(found)));
  }

  static void require(const Required& r, std::string_view prefix) {
    const char* wanted = r.type == JsonType::kObject   ? "an object"
                         : r.type == JsonType::kArray  ? "an array"
                         : r.type == JsonType::kNumber ? "an integer"
                                                       : "a string";
    if (!r.seen)
      throw DocumentError(fmt::format("missing required field \"{}{}\"", prefix, r.name));
    if (*r.seen != r.type) {
      throw DocumentError(fmt::format("field \"{}{}\" must be {} (found {})", prefix, r.name,
                                      wanted, json_type_name(*r.seen)));
    }
  }

  static void check_schema_major(const std::string& schema) {
    const std::string rest = schema.substr(std::string_view("gpuval.run/").size());
    const std::string major = rest.substr(0, rest.find('.'));
    if (major.empty() || major.size() > 6 ||
        major.find_first_not_of("0123456789") != std::string::npos) {
      throw DocumentError(fmt::format("malformed schema version \"{}\"", schema));
    }
    if (std::stoi(major) != kRunSchemaMajor) {
      throw DocumentError(fmt::format(
          "schema \"{}\" has major version {}, this gpuval reads major {} only: use a gpuval "
          "release that matches the document",
          schema, std::stoi(major), kRunSchemaMajor));
    }
  }

  Required* section(std::string_view name) {
    for (Required& s : sections_) {
      if (name == s.name) return &s;
    }
    return nullptr;
  }

  // A string value: `fallback` for null (unless required), an error for any other type.
  std::string text(const Where& where, std::string_view key, std::string fallback = {},
                   bool nullable = true) {
    const JsonType t = in_.peek();
    if (t == JsonType::kString) {
      std::string s;
      in_.string(s);
      return s;
    }
    in_.skip();
    if (t != JsonType::kNull || !nullable) wrong_type(where.field(key), "a string", t);
    return fallback;
  }

  std::optional<double> number(const Where& where, std::string_view key) {
    const JsonType t = in_.peek();
    if (t == JsonType::kNumber) return in_.number();
    in_.skip();
    if (t != JsonType::kNull) wrong_type(where.field(key), "a number", t);
    return std::nullopt;
  }

  // Reads the value of the root member named key_.
  void root_member() {
    const JsonType t = in_.peek();
    if (Required* s = section(key_)) s->seen = t;
    if (key() == "schema") {
      if (t == JsonType::kString) {
        schema_.emplace();
        in_.string(*schema_);
      } else {
        schema_.reset();
        in_.skip();
      }
    } else if (key() == "run" && t == JsonType::kObject) {
      object([&] {
        if (key() == "id") return void(r_.run_id = text(Where{"run"}, "id"));
        if (key() == "started_at") return void(r_.started_at = text(Where{"run"}, "started_at"));
        if (key() == "profile") return void(r_.profile = text(Where{"run"}, "profile"));
        in_.skip();
      });
    } else if (key() == "host" && t == JsonType::kObject) {
      object([&] {
        if (key() == "hostname") return void(r_.host = text(Where{"host"}, "hostname"));
        in_.skip();
      });
    } else if (key() == "environment" && t == JsonType::kObject) {
      object([&] {
        if (key() == "mode") return void(r_.mode = text(Where{"environment"}, "mode"));
        if (key() == "engine") return void(r_.engine = text(Where{"environment"}, "engine"));
        if (key() == "injection") {  // not checked: only the history's mode uses it
          if (in_.peek() == JsonType::kString) return void(in_.string(r_.injection));
          return in_.skip();
        }
        in_.skip();
      });
    } else if (key() == "driver" && t == JsonType::kObject) {
      object([&] {
        if (key() == "version") return void(r_.driver = text(Where{"driver"}, "version", "none"));
        in_.skip();
      });
      if (r_.driver.empty()) r_.driver = "none";
    } else if (key() == "devices" && t == JsonType::kArray) {
      read_devices();
    } else if (key() == "checks" && t == JsonType::kArray) {
      read_checks();
    } else if (key() == "benchmarks" && t == JsonType::kArray) {
      read_benchmarks();
    } else if (key() == "verdict" && t == JsonType::kObject) {
      verdict_status_.seen.reset();
      verdict_exit_code_.seen.reset();
      object([&] {
        const JsonType vt = in_.peek();
        if (key() == "status") {
          verdict_status_.seen = vt;
          if (vt == JsonType::kString) return void(in_.string(r_.verdict));
        } else if (key() == "exit_code") {
          verdict_exit_code_.seen = vt;
          if (vt == JsonType::kNumber) {
            // validate_run_document wants an integer: 1.0 is a float to nlohmann.
            bool integral = false;
            in_.number(&integral);
            exit_code_fractional_ = !integral;
            return;
          }
        }
        in_.skip();
      });
    } else {
      in_.skip();
    }
  }

  // Calls member() for each member of the object at the cursor, with its name in key_ (shared
  // by every level: a member's name is not needed once its value is being read). Notes a name
  // repeated within the object (see repeated_member()).
  template <typename Member>
  void object(Member member) {
    in_.begin_object();
    NamesSeen names(*this);
    while (in_.next_member(key_)) {
      names.add(key_);
      member();
    }
  }

  // The member names of the objects being read, as 64-bit hashes, one list per nesting level,
  // reused from object to object so that reading allocates nothing once warm. Two names that
  // hash alike only send the document down the DOM path (read_run_summary()), which is right
  // for any document, just slower.
  class NamesSeen {
   public:
    explicit NamesSeen(RunReader& r) : r_(r), names_(r.level(r.depth_++)) { names_.clear(); }
    ~NamesSeen() { --r_.depth_; }
    NamesSeen(const NamesSeen&) = delete;
    NamesSeen& operator=(const NamesSeen&) = delete;
    void add(std::string_view name) {
      std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
      for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
      if (std::find(names_.begin(), names_.end(), h) != names_.end()) r_.repeated_ = true;
      names_.push_back(h);
    }

   private:
    RunReader& r_;
    std::vector<std::uint64_t>& names_;
  };
  std::vector<std::uint64_t>& level(std::size_t depth) {
    while (names_by_level_.size() <= depth) names_by_level_.emplace_back();
    return names_by_level_[depth];
  }

  void read_devices() {
    r_.gpu_model = kNoGpu;
    r_.gpu_uuids.clear();
    r_.device_count = 0;
    r_.first_device_unnamed = false;
    in_.begin_array();
    for (std::ptrdiff_t i = 0; in_.next_element(); ++i) {
      ++r_.device_count;
      if (in_.peek() != JsonType::kObject) {
        if (i == 0) r_.first_device_unnamed = true;
        in_.skip();
        continue;
      }
      const Where where{"devices", i};
      if (i == 0) r_.first_device_unnamed = true;  // until a name is read
      object([&] {
        if (key() == "name" && i == 0) {
          const bool named = in_.peek() == JsonType::kString;
          r_.gpu_model = text(where, "name", kNoGpu);
          r_.first_device_unnamed = !named || r_.gpu_model.empty();
          return;
        }
        if (key() == "uuid") {
          if (std::string uuid = text(where, "uuid"); !uuid.empty()) {
            r_.gpu_uuids.push_back(std::move(uuid));
          }
          return;
        }
        in_.skip();
      });
      if (r_.gpu_model.empty()) r_.gpu_model = kNoGpu;
    }
  }

  void read_checks() {
    r_.checks.clear();
    in_.begin_array();
    for (std::ptrdiff_t i = 0; in_.next_element(); ++i) {
      const Where where{"checks", i};
      if (const JsonType t = in_.peek(); t != JsonType::kObject) {
        in_.skip();
        error(where.str() + " must be an object");
        continue;
      }
      CheckPoint c;
      Required id{"id", JsonType::kString, {}}, status{"status", JsonType::kString, {}};
      object([&] {
        if (key() == "id") {
          id.seen = in_.peek();
          return void(c.id = text(where, "id", {}, false));
        }
        if (key() == "status") {
          status.seen = in_.peek();
          return void(c.status = text(where, "status", {}, false));
        }
        if (key() == "message") return void(c.message = text(where, "message"));
        in_.skip();
      });
      entry_requires(where, id);
      entry_requires(where, status);
      r_.checks.push_back(std::move(c));
    }
  }

  void entry_requires(const Where& where, const Required& r) {
    if (!r.seen) error(fmt::format("missing required field \"{}\"", where.field(r.name)));
  }

  void read_benchmarks() {
    r_.benchmarks.clear();
    std::map<std::string, int> seen;  // a repeated key is told apart by occurrence, as in compare
    in_.begin_array();
    for (std::ptrdiff_t i = 0; in_.next_element(); ++i) {
      const Where where{"benchmarks", i};
      if (const JsonType t = in_.peek(); t != JsonType::kObject) {
        in_.skip();
        error(where.str() + " must be an object");
        continue;
      }
      BenchPoint p = read_bench(where);
      if (const int n = ++seen[p.key]; n > 1) p.key += fmt::format("#{}", n);
      r_.benchmarks.push_back(std::move(p));
    }
  }

  BenchPoint read_bench(const Where& where) {
    BenchPoint p;
    Required id{"id", JsonType::kString, {}}, unit{"unit", JsonType::kString, {}},
        samples{"samples", JsonType::kArray, {}};
    std::string_view device, params;  // their text
    std::optional<bool> higher_is_better;
    bool samples_are_numbers = true;
    samples_.clear();
    object([&] {
      const JsonType t = in_.peek();
      if (key() == "id") {
        id.seen = t;
        p.id = text(where, "id", {}, false);
      } else if (key() == "unit") {
        unit.seen = t;
        p.unit = text(where, "unit", {}, false);
      } else if (key() == "samples") {
        samples.seen = t;
        // With the median read already (writers put it first), the samples are not needed.
        if (t != JsonType::kArray || p.median) return in_.skip();
        in_.begin_array();
        while (in_.next_element()) {
          if (in_.peek() == JsonType::kNumber) {
            samples_.push_back(in_.number());
          } else {
            samples_are_numbers = false;
            in_.skip();
          }
        }
      } else if (key() == "device") {
        device = raw_value();
      } else if (key() == "params") {
        params = raw_value();
      } else if (key() == "higher_is_better") {
        if (t == JsonType::kBool) return void(higher_is_better = in_.boolean());
        in_.skip();
        if (t != JsonType::kNull) {
          error(fmt::format("field \"{}\" must be true or false", where.field("higher_is_better")));
        }
      } else if (key() == "status") {
        p.status = text(where, "status");
      } else if (key() == "median") {
        p.median = number(where, "median");
      } else if (key() == "cv") {
        p.cv = number(where, "cv");
      } else if (key() == "fraction_of_peak") {
        p.fraction_of_peak = number(where, "fraction_of_peak");
      } else {
        in_.skip();
      }
    });
    entry_requires(where, id);
    entry_requires(where, unit);
    entry_requires(where, samples);
    if (samples.seen && *samples.seen != JsonType::kArray) {
      wrong_type(where.field("samples"), "an array", *samples.seen);
    }
    const std::string described = describe(device, params, where);
    p.key = described.empty() ? p.id : p.id + " " + described;
    p.higher_is_better = higher_is_better ? *higher_is_better : unit_higher_is_better(p.unit);
    if (!p.median && p.status != "SKIP" && !samples_.empty()) {
      // A document with samples but no median (hand-written, an older writer): compute it.
      if (!samples_are_numbers) {
        error(fmt::format("field \"{}\" must hold numbers only", where.field("samples")));
      } else {
        p.median = stats::median(samples_);
      }
    }
    return p;
  }

  // The current member's name, compared as a string_view (length first: no strlen, no memcmp
  // for most of the names that do not match).
  std::string_view key() const { return key_; }

  // The raw text of the value at the cursor (checked, not built).
  std::string_view raw_value() {
    in_.peek();
    const std::size_t from = in_.offset();
    in_.skip();
    return text_.substr(from, in_.offset() - from);
  }

  // compare::describe_params of a benchmark's device and params, remembered by their text: the
  // same few shapes repeat in every document. Type errors are reported (and not remembered).
  std::string describe(std::string_view device_text, std::string_view params_text,
                       const Where& where) {
    thread_local std::unordered_map<std::string, std::string> cache;
    thread_local std::string id;
    id.assign(device_text);
    id += '\x1f';
    id.append(params_text);
    if (auto it = cache.find(id); it != cache.end()) return it->second;
    const json device = device_text.empty() ? json() : JsonReader(device_text).value();
    const json params = params_text.empty() ? json() : JsonReader(params_text).value();
    if (!device.is_null() && !device.is_number_integer()) {
      error(fmt::format("field \"{}\" must be an integer (found {})", where.field("device"),
                        device.type_name()));
      return {};
    }
    if (!params.is_null() && !params.is_object()) {
      error(fmt::format("field \"{}\" must be an object (found {})", where.field("params"),
                        params.type_name()));
      return {};
    }
    std::string described = compare::describe_params(device, params);
    if (cache.size() >= 4096) cache.clear();
    cache.emplace(id, described);
    return described;
  }

  std::string_view text_;
  JsonReader in_;
  RunSummary r_;
  std::string key_;
  // Hashes of the member names of the objects being read, per nesting level (NamesSeen).
  std::deque<std::vector<std::uint64_t>> names_by_level_;
  std::size_t depth_ = 0;
  bool repeated_ = false;  // a member name repeated within one object
  std::vector<double> samples_;
  std::optional<std::string> schema_;
  std::string first_error_;
  Required sections_[7] = {
      {"tool", JsonType::kObject, {}},        {"run", JsonType::kObject, {}},
      {"environment", JsonType::kObject, {}}, {"checks", JsonType::kArray, {}},
      {"benchmarks", JsonType::kArray, {}},   {"devices", JsonType::kArray, {}},
      {"verdict", JsonType::kObject, {}}};
  Required verdict_status_{"status", JsonType::kString, {}};
  Required verdict_exit_code_{"exit_code", JsonType::kNumber, {}};  // an integer
  bool exit_code_fractional_ = false;
};

}  // namespace

bool unit_higher_is_better(std::string_view unit) {
  static constexpr std::string_view kTimeUnits[] = {"s", "ms", "us", "\u00b5s", "ns", "cycles"};
  return std::none_of(std::begin(kTimeUnits), std::end(kTimeUnits),
                      [&](std::string_view u) { return unit == u; });
}

TextReading read_run_summary(std::string_view text, std::string path) {
  RunReader reader(text);
  try {
    TextReading reading = reader.read(path);
    if (!reader.repeated_member()) return reading;
  } catch (const DocumentError&) {
    if (!reader.repeated_member()) throw;
  }
  // A member name repeated within an object (never written by gpuval): read what nlohmann
  // makes of it, the last of each, so that every reader sees the same document. The text was
  // read to its end without a syntax error, so both parsers accept it.
  const json doc = parse_json_text(text, path);
  return RunReader(doc.dump(-1, ' ', false, json::error_handler_t::replace)).read(std::move(path));
}

RunSummary summarize(const json& doc, std::string path) {
  const std::string text = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  TextReading reading = read_run_summary(text, std::move(path));
  if (reading.kind != TextReading::Kind::kRun) {
    const json* schema = doc.is_object() && doc.contains("schema") ? &doc["schema"] : nullptr;
    throw DocumentError(
        fmt::format("not a gpuval run document (schema {})", schema ? schema->dump() : "missing"));
  }
  return std::move(reading.run);
}

}  // namespace gpuval::report
