#include "validate/gpu/probe_outcome.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>

#include "core/gpu_error_hints.hpp"
#include "probes/host/probe_answers.hpp"

namespace gpuval {

using nlohmann::json;

DeviceOutcome interpret_probe_result(const ProbeModuleSpec& spec, int device,
                                     std::string_view json_text) {
  DeviceOutcome o;
  o.device = device;
  const std::string malformed_hint =
      "the probe module and gpuval come from different builds: reinstall gpuval (bin/ and lib/ "
      "together)";
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    o.status = Status::Fail;
    o.message = std::string(spec.file) + " returned malformed JSON";
    o.hint = malformed_hint;
    return o;
  }
  // Not doc.value(): it throws when a module of another build answers "probe": [...].
  const std::string probe = probe_text(doc, "probe");
  o.metrics = {{"probe", probe.empty() ? std::string(spec.id) : probe}};
  for (const char* key : {"library", "device", "cases", "error"}) {
    if (doc.contains(key)) o.metrics[key] = doc[key];
  }

  if (auto err = doc.find("error"); err != doc.end() && err->is_object()) {
    o.status = Status::Fail;
    o.message = std::string(spec.library) + " probe: " + probe_error_text(*err);
    o.hint = gpu_error_hint(probe_text(*err, "name"));
    return o;
  }
  auto cases = doc.find("cases");
  if (cases == doc.end() || !cases->is_array() || cases->empty()) {
    o.status = Status::Fail;
    o.message = std::string(spec.file) + " returned no results";
    o.hint = malformed_hint;
    return o;
  }

  std::vector<std::string> passed;
  std::vector<std::string> skipped;
  std::string worst_name;
  double worst_ratio = -1.0;
  double worst_rel = 0.0;
  double worst_tol = 0.0;
  for (const json& c : *cases) {
    if (!c.is_object()) {
      o.status = Status::Fail;
      o.message = std::string(spec.file) + " returned a malformed case: " + c.dump();
      o.hint = malformed_hint;
      return o;
    }
    const std::string name = probe_text(c, "name");
    const std::string status = probe_text(c, "status");
    if (status == "PASS") {
      passed.push_back(name);
      const double rel = probe_number(c, "rel_error", 0.0);
      const double tol = probe_number(c, "tolerance", 1.0);
      if (tol > 0.0 && rel / tol > worst_ratio) {
        worst_ratio = rel / tol;
        worst_name = name;
        worst_rel = rel;
        worst_tol = tol;
      }
    } else if (status == "SKIP") {
      const std::string reason = probe_text(c, "reason");
      skipped.push_back(reason.empty() ? name : name + " (" + reason + ")");
    } else if (status == "FAIL") {
      o.status = Status::Fail;
      if (auto err = c.find("error"); err != c.end() && err->is_object()) {
        o.message = name + ": " + probe_error_text(*err);
        o.hint = gpu_error_hint(probe_text(*err, "name"));
      } else {
        o.message = probe_wrong_result_text(c);
        o.hint = probe_wrong_result_hint(spec);
      }
      return o;
    } else {
      o.status = Status::Fail;
      o.message =
          std::string(spec.file) + " returned case \"" + name + "\" with status \"" + status + "\"";
      o.hint = malformed_hint;
      return o;
    }
  }
  if (passed.empty()) {
    o.status = Status::Skip;
    o.message = "every case skipped: " + fmt::format("{}", fmt::join(skipped, ", "));
    return o;
  }
  o.status = Status::Pass;
  o.message = fmt::format("{} within tolerance (closest: {} {} <= {})", fmt::join(passed, ", "),
                          worst_name, sci(worst_rel), sci(worst_tol));
  if (!skipped.empty()) o.message += fmt::format("; skipped {}", fmt::join(skipped, ", "));
  if (auto lib = doc.find("library"); lib != doc.end() && lib->is_object()) {
    const std::string version = probe_text(*lib, "version");
    if (!version.empty()) o.message = std::string(spec.library) + " " + version + ": " + o.message;
  }
  return o;
}

}  // namespace gpuval
