#include "validate/probe_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>

#include "validate/gpu_error_hints.hpp"

namespace gpuval {
namespace {

using nlohmann::json;

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double number_of(const json& j, const char* key, double fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

// A count or index for a message: numbers beyond long long (a garbled answer) give the fallback
// instead of an undefined conversion.
long long count_of(const json& j, const char* key, long long fallback) {
  const double v = number_of(j, key, static_cast<double>(fallback));
  return v >= -9.2e18 && v <= 9.2e18 ? static_cast<long long>(v) : fallback;
}

// "cublasLtMatmul(...) failed: CUBLAS_STATUS_NOT_SUPPORTED (15): ..." from an error object.
std::string error_text(const json& e) {
  std::string name = text_of(e, "name");
  if (name.empty()) name = "unknown error";
  std::string out = text_of(e, "call");
  out += out.empty() ? name : " failed: " + name;
  if (auto code = e.find("code"); code != e.end() && code->is_number_integer()) {
    out += " (" + std::to_string(code->get<long long>()) + ")";
  }
  if (const std::string d = text_of(e, "description"); !d.empty() && d != name) out += ": " + d;
  return out;
}

std::string wrong_result_text(const json& c) {
  const std::string name = text_of(c, "name");
  const double tol = number_of(c, "tolerance", 0.0);
  std::string out = name + " wrong: ";
  auto rel = c.find("rel_error");
  if (rel != c.end() && rel->is_number()) {
    out += "rel error " + sci(rel->get<double>()) + (rel->get<double>() <= tol ? " <= " : " > ") +
           "tolerance " + sci(tol);
  } else {
    out += "rel error not finite (tolerance " + sci(tol) + ")";
  }
  const long long bad = count_of(c, "bad_elements", 0);
  const long long total = count_of(c, "elements", 0);
  const long long nan = count_of(c, "non_finite", 0);
  out += fmt::format(", {} of {} elements off", bad, total);
  if (nan > 0) out += fmt::format(" ({} NaN/Inf)", nan);
  if (auto fb = c.find("first_bad"); fb != c.end() && fb->is_object()) {
    const std::string got_text = text_of(*fb, "got_text");
    auto got = fb->find("got");
    const std::string got_s = !got_text.empty() ? got_text
                              : got != fb->end() && got->is_number()
                                  ? fmt::format("{:.6g}", got->get<double>())
                                  : "?";
    out += fmt::format(", first at [{}]: got {}, expected {:.6g}", count_of(*fb, "index", -1),
                       got_s, number_of(*fb, "expected", 0.0));
  }
  return out;
}

std::string wrong_result_hint(const ProbeModuleSpec& spec) {
  return std::string(spec.library) +
         " returned wrong results on this GPU: check `nvidia-smi -q -d ECC` and `dmesg` for Xid "
         "errors, rerun to see whether it repeats, and compare with another GPU or driver";
}

}  // namespace

std::string sci(double value) { return fmt::format("{:.2e}", value); }

std::string probe_error_text(const json& error) { return error_text(error); }
std::string probe_wrong_result_text(const json& case_object) {
  return wrong_result_text(case_object);
}
std::string probe_wrong_result_hint(const ProbeModuleSpec& spec) { return wrong_result_hint(spec); }

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
  const std::string probe = text_of(doc, "probe");
  o.metrics = {{"probe", probe.empty() ? std::string(spec.id) : probe}};
  for (const char* key : {"library", "device", "cases", "error"}) {
    if (doc.contains(key)) o.metrics[key] = doc[key];
  }

  if (auto err = doc.find("error"); err != doc.end() && err->is_object()) {
    o.status = Status::Fail;
    o.message = std::string(spec.library) + " probe: " + error_text(*err);
    o.hint = gpu_error_hint(text_of(*err, "name"));
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
    const std::string name = text_of(c, "name");
    const std::string status = text_of(c, "status");
    if (status == "PASS") {
      passed.push_back(name);
      const double rel = number_of(c, "rel_error", 0.0);
      const double tol = number_of(c, "tolerance", 1.0);
      if (tol > 0.0 && rel / tol > worst_ratio) {
        worst_ratio = rel / tol;
        worst_name = name;
        worst_rel = rel;
        worst_tol = tol;
      }
    } else if (status == "SKIP") {
      const std::string reason = text_of(c, "reason");
      skipped.push_back(reason.empty() ? name : name + " (" + reason + ")");
    } else if (status == "FAIL") {
      o.status = Status::Fail;
      if (auto err = c.find("error"); err != c.end() && err->is_object()) {
        o.message = name + ": " + error_text(*err);
        o.hint = gpu_error_hint(text_of(*err, "name"));
      } else {
        o.message = wrong_result_text(c);
        o.hint = wrong_result_hint(spec);
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
    const std::string version = text_of(*lib, "version");
    if (!version.empty()) o.message = std::string(spec.library) + " " + version + ": " + o.message;
  }
  return o;
}

}  // namespace gpuval
