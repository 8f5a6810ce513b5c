#include "probes/host/probe_answers.hpp"

#include <fmt/format.h>

#include <string>

namespace gpuval {

using nlohmann::json;

std::string probe_text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double probe_number(const json& j, const char* key, double fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

namespace {

// A count or index for a message: numbers beyond long long (a garbled answer) give the fallback
// instead of an undefined conversion.
long long count_of(const json& j, const char* key, long long fallback) {
  const double v = probe_number(j, key, static_cast<double>(fallback));
  return v >= -9.2e18 && v <= 9.2e18 ? static_cast<long long>(v) : fallback;
}

}  // namespace

// "cublasLtMatmul(...) failed: CUBLAS_STATUS_NOT_SUPPORTED (15): ..." from an error object.
std::string probe_error_text(const json& e) {
  std::string name = probe_text(e, "name");
  if (name.empty()) name = "unknown error";
  std::string out = probe_text(e, "call");
  out += out.empty() ? name : " failed: " + name;
  if (auto code = e.find("code"); code != e.end() && code->is_number_integer()) {
    out += " (" + std::to_string(code->get<long long>()) + ")";
  }
  if (const std::string d = probe_text(e, "description"); !d.empty() && d != name) out += ": " + d;
  return out;
}

std::string probe_wrong_result_text(const json& c) {
  const std::string name = probe_text(c, "name");
  const double tol = probe_number(c, "tolerance", 0.0);
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
    const std::string got_text = probe_text(*fb, "got_text");
    auto got = fb->find("got");
    const std::string got_s = !got_text.empty() ? got_text
                              : got != fb->end() && got->is_number()
                                  ? fmt::format("{:.6g}", got->get<double>())
                                  : "?";
    out += fmt::format(", first at [{}]: got {}, expected {:.6g}", count_of(*fb, "index", -1),
                       got_s, probe_number(*fb, "expected", 0.0));
  }
  return out;
}

std::string probe_wrong_result_hint(const ProbeModuleSpec& spec) {
  return std::string(spec.library) +
         " returned wrong results on this GPU: check `nvidia-smi -q -d ECC` and `dmesg` for Xid "
         "errors, rerun to see whether it repeats, and compare with another GPU or driver";
}

std::string sci(double value) { return fmt::format("{:.2e}", value); }

}  // namespace gpuval
