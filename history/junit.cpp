#include "history/junit.hpp"

#include <fmt/format.h>

#include "core/xml_escape.hpp"
#include "history/layout.hpp"

namespace gpuval::history {
namespace {

using nlohmann::json;

enum class Outcome { kPass, kFailure, kError, kSkipped };

struct Case {
  std::string classname, name;
  Outcome outcome = Outcome::kPass;
  std::string type;     // failure/error type
  std::string message;  // one line
  std::string detail;   // body of failure/error, or system-out of a passed case
};

struct Suite {
  std::string name;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<Case> cases;
  std::size_t count(Outcome o) const {
    std::size_t n = 0;
    for (const Case& c : cases) n += c.outcome == o;
    return n;
  }
};

std::string str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string render_case(const Case& c) {
  std::string out = fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">",
                                xml_escape(c.classname), xml_escape(c.name));
  switch (c.outcome) {
    case Outcome::kFailure:
    case Outcome::kError:
      out += fmt::format("\n      <{0} type=\"{1}\" message=\"{2}\">{3}</{0}>\n    ",
                         c.outcome == Outcome::kFailure ? "failure" : "error", xml_escape(c.type),
                         xml_escape(c.message), xml_escape(c.detail));
      break;
    case Outcome::kSkipped:
      out += fmt::format("\n      <skipped message=\"{}\"/>\n    ", xml_escape(c.message));
      break;
    case Outcome::kPass:
      if (!c.detail.empty()) {
        out += fmt::format("\n      <system-out>{}</system-out>\n    ", xml_escape(c.detail));
      }
      break;
  }
  return out + "</testcase>\n";
}

std::string render_suite(const Suite& s) {
  std::string out = fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
      "time=\"0\">\n",
      xml_escape(s.name), s.cases.size(), s.count(Outcome::kFailure), s.count(Outcome::kError),
      s.count(Outcome::kSkipped));
  if (!s.properties.empty()) {
    out += "    <properties>\n";
    for (const auto& [k, v] : s.properties) {
      out +=
          fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(k), xml_escape(v));
    }
    out += "    </properties>\n";
  }
  for (const Case& c : s.cases) out += render_case(c);
  return out + "  </testsuite>\n";
}

std::string fmt_value(const std::optional<double>& v, const std::string& unit) {
  return v ? fmt::format("{:.4g} {}", *v, unit) : "-";
}

std::string without_dots(std::string text) {
  for (char& c : text) c = c == '.' ? '_' : c;
  return text;
}

Suite document_suite(const DocumentResult& d) {
  Suite s;
  s.name = d.id.host + " " + d.id.mode;
  s.properties = {{"host", d.id.host},     {"gpu_model", d.id.gpu_model},
                  {"driver", d.id.driver}, {"mode", d.id.mode},
                  {"night", d.id.night},   {"run_id", d.id.run_id},
                  {"document", d.path},    {"exit_code", std::to_string(d.exit_code)}};
  if (d.baseline) s.properties.emplace_back("baseline", d.baseline->description);
  // Dots separate packages in JUnit class names: keep the host's dots out of them.
  const std::string prefix =
      "gpuval.nightly." + without_dots(slug(d.id.host)) + "." + without_dots(slug(d.id.mode));

  Case verdict{prefix, "verdict", Outcome::kPass, "", "", d.headline};
  if (d.id.verdict != "pass") {
    verdict.outcome = Outcome::kFailure;
    verdict.type = d.id.verdict;
    verdict.message = fmt::format("run verdict {}: {}", d.id.verdict, d.id.verdict_summary);
    verdict.detail = d.headline;
  }
  s.cases.push_back(verdict);

  Case baseline{prefix, "baseline", Outcome::kPass, "", "", ""};
  if (!d.baseline_error.empty()) {
    baseline.outcome = Outcome::kError;
    baseline.type = "baseline";
    baseline.message = d.baseline_error;
  } else if (!d.baseline) {
    baseline.outcome = Outcome::kSkipped;
    baseline.message = "not compared: the run had no usable GPU";
  } else if (d.baseline->empty()) {
    baseline.outcome = Outcome::kSkipped;
    baseline.message = "no baseline yet: " + d.baseline->description;  // "none: ..."
  } else {
    baseline.detail = d.baseline->description;
  }
  s.cases.push_back(baseline);

  for (const json& c : d.doc["checks"]) {
    Case k{prefix + ".checks", str(c, "id"), Outcome::kPass, "", "", ""};
    const std::string status = str(c, "status");
    const std::string message = str(c, "message");
    const std::string hint = str(c, "hint");
    if (status == "FAIL") {
      k.outcome = Outcome::kFailure;
      k.type = "FAIL";
      k.message = message;
      k.detail = hint.empty() ? message : message + "\nhint: " + hint;
    } else if (status == "SKIP") {
      k.outcome = Outcome::kSkipped;
      k.message = message;
    } else if (!message.empty()) {
      k.detail = status + ": " + message;
    }
    s.cases.push_back(std::move(k));
  }

  if (d.comparison) {
    for (const compare::BenchmarkComparison& b : d.comparison->benchmarks) {
      const std::string params = compare::describe_params(b.device, b.params);
      Case k{prefix + ".benchmarks",
             params.empty() ? b.id : b.id + " " + params,
             Outcome::kPass,
             "",
             "",
             ""};
      const std::string figures =
          fmt::format("tonight {} vs baseline {} ({})", fmt_value(b.median_candidate, b.unit),
                      fmt_value(b.median_reference, b.unit), d.baseline->description);
      if (b.verdict == compare::BenchVerdict::kWorse) {
        k.outcome = Outcome::kFailure;
        k.type = "regression";
        k.message = fmt::format("regression: {} worse than the baseline: {}", k.name, b.reason);
        k.detail = figures;
      } else {
        k.detail = fmt::format("{}: {}; {}", compare::to_string(b.verdict), b.reason, figures);
      }
      s.cases.push_back(std::move(k));
    }
  }
  return s;
}

}  // namespace

std::string render_nightly_junit(const NightlyResult& result) {
  std::vector<Suite> suites;
  for (const DocumentResult& d : result.documents) suites.push_back(document_suite(d));
  if (!result.bad.empty()) {
    Suite inputs{"inputs", {}, {}};
    for (const BadInput& b : result.bad) {
      inputs.cases.push_back(
          {"gpuval.nightly.inputs", b.path, Outcome::kError, "bad-input", b.reason, b.reason});
    }
    suites.push_back(std::move(inputs));
  }
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  for (const Suite& s : suites) {
    tests += s.cases.size();
    failures += s.count(Outcome::kFailure);
    errors += s.count(Outcome::kError);
    skipped += s.count(Outcome::kSkipped);
  }
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gpuval-nightly\" "
      "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
      tests, failures, errors, skipped);
  for (const Suite& s : suites) out += render_suite(s);
  return out + "</testsuites>\n";
}

}  // namespace gpuval::history
