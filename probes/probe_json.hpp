// Building a probe module's result JSON (format in probes/probe_abi.h) without touching CUDA, so
// the same code is unit-tested on machines without a GPU. Header-only: each module is its own
// shared library.
#pragma once

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/cuda_error.hpp"
#include "core/numeric_compare.hpp"

namespace gpuval::probes {

inline nlohmann::json error_json(const CudaError& e) {
  std::string where = e.file();
  if (const std::size_t slash = where.find_last_of('/'); slash != std::string::npos) {
    where = where.substr(slash + 1);
  }
  return {{"library", std::string(to_string(e.library()))},
          {"code", e.code()},
          {"name", e.name()},
          {"description", e.description()},
          {"call", e.call()},
          {"where", where + ":" + std::to_string(e.line())}};
}

inline nlohmann::json exception_json(std::string_view what) {
  return {{"library", "gpuval"}, {"code", -1},
          {"name", "exception"}, {"description", std::string(what)},
          {"call", ""},          {"where", ""}};
}

// One case's verdict from a comparison; `tolerance` is the normwise bound the case was held to.
inline nlohmann::json comparison_case_json(std::string_view name, double tolerance,
                                           const Comparison& c) {
  auto finite_or_null = [](double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  nlohmann::json j = {{"name", std::string(name)},
                      {"status", c.pass ? "PASS" : "FAIL"},
                      {"tolerance", tolerance},
                      {"rel_error", finite_or_null(c.rel_error)},
                      {"max_abs_error", finite_or_null(c.max_abs_error)},
                      {"elements", c.count},
                      {"bad_elements", c.bad_elements},
                      {"non_finite", c.non_finite},
                      {"ref_non_finite", c.ref_non_finite},
                      {"first_bad", nullptr}};
  if (c.first_bad != kNoIndex) {
    j["first_bad"] = {
        {"index", c.first_bad},
        {"got", finite_or_null(c.first_bad_value)},
        {"got_text", std::isnan(c.first_bad_value)   ? "NaN"
                     : std::isinf(c.first_bad_value) ? (c.first_bad_value > 0 ? "+Inf" : "-Inf")
                                                     : ""},
        {"expected", finite_or_null(c.first_bad_expected)}};
  }
  return j;
}

// One case's verdict from compare_to_bounds: the fields of comparison_case_json ("tolerance" is
// the normwise bound as a relative error, so rel_error <= tolerance is the normwise criterion),
// plus the margin (worst |error| / bound), where it is reached, and the normwise margin.
inline nlohmann::json bound_case_json(std::string_view name, const Comparison& c) {
  auto finite_or_null = [](double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  nlohmann::json j = comparison_case_json(name, c.tolerance, c);
  j["margin"] = finite_or_null(c.margin);
  j["norm_margin"] = finite_or_null(c.norm_margin);
  j["bad_bounds"] = c.bad_bounds;
  j["worst"] = nullptr;
  if (c.worst != kNoIndex) {
    j["worst"] = {{"index", c.worst},
                  {"error", finite_or_null(c.worst_error)},
                  {"bound", finite_or_null(c.worst_bound)}};
  }
  return j;
}

inline nlohmann::json skipped_case_json(std::string_view name, std::string_view reason) {
  return {{"name", std::string(name)}, {"status", "SKIP"}, {"reason", std::string(reason)}};
}

inline nlohmann::json failed_case_json(std::string_view name, nlohmann::json error) {
  return {{"name", std::string(name)}, {"status", "FAIL"}, {"error", std::move(error)}};
}

// The test hook behind GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT: moves one element (in the middle,
// so neither edge handling nor the first element is what is tested) by twice (rms(ref) +
// |element|), a gross single-element fault the comparison must catch. Returns its index.
inline std::size_t corrupt_one_element(std::vector<double>& out, const std::vector<double>& ref) {
  if (out.empty()) return kNoIndex;
  double sq = 0.0;
  for (double r : ref) sq += r * r;
  const double rms = ref.empty() ? 1.0 : std::sqrt(sq / static_cast<double>(ref.size()));
  const std::size_t i = out.size() / 2 + 7 < out.size() ? out.size() / 2 + 7 : out.size() / 2;
  out[i] += 2.0 * (rms + std::fabs(out[i])) + 1.0;
  return i;
}

// Runs body(result) and turns any exception into result["error"]: the C ABI must never see one.
template <typename Body>
nlohmann::json guarded(nlohmann::json result, Body&& body) {
  try {
    body(result);
  } catch (const CudaError& e) {
    result["error"] = error_json(e);
  } catch (const std::exception& e) {
    result["error"] = exception_json(e.what());
  } catch (...) {
    result["error"] = exception_json("unknown exception");
  }
  return result;
}

// The JSON as a malloc'd C string for the ABI (released by free_c_string); nullptr only when even
// that allocation fails.
inline char* to_c_string(const nlohmann::json& j) noexcept {
  try {
    const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    char* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (out != nullptr) std::memcpy(out, text.c_str(), text.size() + 1);
    return out;
  } catch (...) {
    return nullptr;
  }
}

inline void free_c_string(char* text) noexcept { std::free(text); }

}  // namespace gpuval::probes
