// The two JSON parsers against each other: core's parse_json_text (nlohmann; compare, history)
// and the report's pull parser (report/json_reader.hpp; gpuval report, history baselines).
// Properties, for any bytes:
//   - both accept or both reject, and accepted values are identical (numbers of the same type
//     and value, the last of duplicate keys);
//   - the report's filtering parser accepts the same texts, whatever it keeps;
//   - the report's run reader fails with JsonSyntaxError exactly when the text is not JSON, takes
//     a text for a run document exactly when nlohmann sees {"schema": "gpuval.run/..."}, and
//     accepts only documents validate_run_document accepts;
//   - the report reads a document's text and its parsed DOM (summarize) the same way: both
//     refuse it, or both take it with the same summary.
#include <string>

#include "core/run_document.hpp"
#include "report/filtered_json.hpp"
#include "report/json_reader.hpp"
#include "report/summary.hpp"
#include "report/summary_internal.hpp"
#include "tests/fuzz/fuzz_target.hpp"

namespace {

using nlohmann::json;

bool keep_all(std::string_view, int, std::string_view) { return true; }
bool keep_some(std::string_view section, int depth, std::string_view key) {
  return depth != 3 || (section != "checks" && section != "benchmarks") ||
         (key != "metrics" && key != "clocks");
}

// A summary's fields as one comparable text.
std::string describe(const gpuval::report::RunSummary& r) {
  json j = {{"run_id", r.run_id},       {"host", r.host},
            {"gpu_model", r.gpu_model}, {"uuids", r.gpu_uuids},
            {"driver", r.driver},       {"mode", r.mode},
            {"engine", r.engine},       {"started_at", r.started_at},
            {"profile", r.profile},     {"verdict", r.verdict}};
  for (const auto& c : r.checks) j["checks"].push_back({c.id, c.status, c.message});
  for (const auto& b : r.benchmarks) {
    j["benchmarks"].push_back({b.key, b.unit, b.higher_is_better, b.status,
                               b.median ? json(*b.median) : json(), b.cv ? json(*b.cv) : json(),
                               b.fraction_of_peak ? json(*b.fraction_of_peak) : json()});
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// "run: <summary>", "not a run document" or "error: <message>".
std::string read_text(std::string_view text, bool* syntax_error) {
  try {
    auto reading = gpuval::report::read_run_summary(text, "fuzz.json");
    if (reading.kind == gpuval::report::TextReading::Kind::kNotRunDocument) {
      return "not a run document";
    }
    return "run: " + describe(reading.run);
  } catch (const gpuval::DocumentError& e) {
    return std::string("error: ") + e.what();
  } catch (const gpuval::report::JsonSyntaxError&) {
    *syntax_error = true;
    return "syntax error";
  }
}

}  // namespace

GPUVAL_FUZZ_TARGET(json_differential) {
  using namespace gpuval;
  const std::string_view text = fuzz::text_of(data, size);

  json by_nlohmann;
  bool nlohmann_ok = true;
  try {
    by_nlohmann = parse_json_text(text, "fuzz.json");
  } catch (const DocumentError&) {
    nlohmann_ok = false;
  }

  json by_reader;
  bool reader_ok = true;
  try {
    report::JsonReader reader(text);
    by_reader = reader.value();
    reader.end();
  } catch (const report::JsonSyntaxError&) {
    reader_ok = false;
  }
  FUZZ_CHECK(nlohmann_ok == reader_ok,
             nlohmann_ok ? "only nlohmann accepts" : "only the reader accepts");
  if (nlohmann_ok) {
    FUZZ_CHECK(by_nlohmann.dump() == by_reader.dump(),
               by_nlohmann.dump() + "\n" + by_reader.dump());
  }
  for (report::KeepMember keep : {keep_all, keep_some}) {
    const report::FilteredParse filtered = report::parse_filtered_json(text, keep);
    FUZZ_CHECK(filtered.ok == nlohmann_ok);
    if (keep == keep_all && filtered.ok) FUZZ_CHECK(filtered.doc.dump() == by_nlohmann.dump());
  }

  bool syntax_error = false;
  const std::string from_text = read_text(text, &syntax_error);
  FUZZ_CHECK(syntax_error == !nlohmann_ok, from_text);
  if (!nlohmann_ok) return 0;

  const auto schema = by_nlohmann.is_object() ? by_nlohmann.find("schema") : by_nlohmann.end();
  const bool run_document = by_nlohmann.is_object() && schema != by_nlohmann.end() &&
                            schema->is_string() &&
                            schema->get<std::string>().starts_with("gpuval.run/");
  FUZZ_CHECK(run_document == (from_text != "not a run document"), from_text);
  if (from_text.starts_with("run: ")) {
    try {
      validate_run_document(by_nlohmann);
    } catch (const DocumentError& e) {
      FUZZ_CHECK(false,
                 std::string("the report accepts what validate_run_document rejects: ") + e.what());
    }
  }
  if (run_document) {
    // summarize(): the same reader over the DOM's text.
    std::string from_dom;
    try {
      from_dom = "run: " + describe(report::summarize(by_nlohmann, "fuzz.json"));
    } catch (const DocumentError& e) {
      from_dom = std::string("error: ") + e.what();
    }
    // Which problem an invalid document is refused for may differ (the DOM sorts members by
    // name, the text keeps their order); whether it is refused, and what an accepted one
    // holds, may not.
    const bool both_refused = from_dom.starts_with("error: ") && from_text.starts_with("error: ");
    FUZZ_CHECK(both_refused || from_dom == from_text, from_text + "\n" + from_dom);
  }
  return 0;
}
