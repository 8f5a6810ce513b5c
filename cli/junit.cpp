#include "cli/junit.hpp"

#include <fmt/format.h>

#include "core/xml_escape.hpp"

namespace gpuval::cli {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct Case {
  std::string name, classname, status, message, hint;
};

std::string suite(const std::string& name, const std::vector<Case>& cases, double time_s) {
  int failures = 0, skipped = 0;
  for (const Case& c : cases) {
    failures += c.status == "FAIL";
    skipped += c.status == "SKIP";
  }
  std::string out = fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" "
      "time=\"{:.3f}\">\n",
      xml_escape(name), cases.size(), failures, skipped, time_s);
  for (const Case& c : cases) {
    out += fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"0\">", xml_escape(c.name),
                       xml_escape(c.classname));
    const std::string detail = c.hint.empty() ? c.message : c.message + "\nhint: " + c.hint;
    if (c.status == "FAIL") {
      out += fmt::format("\n      <failure message=\"{}\" type=\"FAIL\">{}</failure>\n    ",
                         xml_escape(c.message), xml_escape(detail));
    } else if (c.status == "SKIP") {
      out += fmt::format("\n      <skipped message=\"{}\"/>\n    ", xml_escape(c.message));
    } else if (!detail.empty()) {
      out += fmt::format("\n      <system-out>{}: {}</system-out>\n    ", c.status,
                         xml_escape(detail));
    }
    out += "</testcase>\n";
  }
  return out + "  </testsuite>\n";
}

}  // namespace

std::string render_junit(const json& doc) {
  std::vector<Case> checks;
  for (const json& c : doc["checks"]) {
    checks.push_back({str(c, "id"), "gpuval.checks." + str(c, "group"), str(c, "status"),
                      str(c, "message"), str(c, "hint")});
  }
  std::vector<Case> benches;
  for (const json& b : doc["benchmarks"]) {
    std::string name = str(b, "id");
    if (b.contains("device")) name += fmt::format("/gpu{}", b["device"].dump());
    std::string status = str(b, "status");
    if (status.empty()) status = b.value("verified", false) ? "PASS" : "FAIL";
    benches.push_back({name, "gpuval.benchmarks", status, str(b, "message"), {}});
  }
  const double dur = doc["run"].value("duration_s", 0.0);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gpuval\">\n";
  out += suite("gpuval.checks", checks, dur);
  if (!benches.empty()) out += suite("gpuval.benchmarks", benches, 0);
  return out + "</testsuites>\n";
}

}  // namespace gpuval::cli
