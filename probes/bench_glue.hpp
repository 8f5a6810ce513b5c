// The C side of a probe module's benchmark functions (probes/probe_abi.h, "Benchmarks") around a
// C++ BenchSession: request validation, the session handle, and exceptions turned into JSON, so
// no exception ever crosses the C ABI. CUDA-free (the CUDA work is in the sessions), so it is
// unit-tested with a stand-in session. Header-only: each module is its own shared library.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "probes/probe_abi.h"
#include "probes/probe_json.hpp"

namespace gpuval::probes {

// One prepared benchmark problem. start() enqueues and returns; finish() waits, checks and
// returns {"status", "time_ms", "iterations", "verified", "check"}. Both may throw.
class BenchSession {
 public:
  virtual ~BenchSession() = default;
  virtual void start(int iterations, int warmup) = 0;
  virtual nlohmann::json finish() = 0;
};

}  // namespace gpuval::probes

// The opaque handle of the ABI: a session and what its last start() left behind.
struct gpuval_probe_bench {
  std::unique_ptr<gpuval::probes::BenchSession> session;
  nlohmann::json start_error;  // null, or the error object of the failed start()
  bool started = false;
};

namespace gpuval::probes {

// bench_open: `open(request, result)` fills `result` (library, problem, ...) and returns the
// session, or returns null after setting result["status"] = "SKIP" and result["reason"]. An
// exception becomes status FAIL with its error object.
template <typename Open>
char* open_bench(const char* probe, const gpuval_probe_bench_request* request,
                 gpuval_probe_bench** out, Open&& open) noexcept {
  try {
    if (out != nullptr) *out = nullptr;
    nlohmann::json result = {{"probe", probe}, {"status", "FAIL"}};
    if (out == nullptr || request == nullptr ||
        request->struct_size < sizeof(gpuval_probe_bench_request)) {
      result["error"] = exception_json("invalid benchmark request (null or from an older gpuval)");
      return to_c_string(result);
    }
    std::unique_ptr<BenchSession> session;
    result = guarded(std::move(result), [&](nlohmann::json& r) { session = open(*request, r); });
    if (result.contains("error")) {
      result["status"] = "FAIL";
    } else if (session != nullptr) {
      result["status"] = "READY";
      auto handle = std::make_unique<gpuval_probe_bench>();
      handle->session = std::move(session);
      *out = handle.release();  // owned by the caller until bench_close
    } else if (result.value("status", "") != "SKIP") {
      result["status"] = "FAIL";
      result["error"] = exception_json("the benchmark could not be prepared (no reason given)");
    }
    return to_c_string(result);
  } catch (...) {
    return nullptr;
  }
}

inline int32_t start_bench(gpuval_probe_bench* bench, int32_t iterations, int32_t warmup) noexcept {
  if (bench == nullptr) return -1;
  try {
    bench->started = false;
    bench->start_error = nullptr;
    if (iterations < 1 || warmup < 0) {
      bench->start_error = exception_json("bench_start needs iterations >= 1 and warmup >= 0");
      return -1;
    }
    nlohmann::json r = guarded(nlohmann::json::object(),
                               [&](nlohmann::json&) { bench->session->start(iterations, warmup); });
    if (r.contains("error")) {
      bench->start_error = r["error"];
      return -1;
    }
    bench->started = true;
    return 0;
  } catch (...) {
    return -1;
  }
}

inline char* finish_bench(gpuval_probe_bench* bench) noexcept {
  try {
    nlohmann::json result = {{"status", "FAIL"}, {"verified", false}};
    if (bench == nullptr) {
      result["error"] = exception_json("bench_finish on a null session");
    } else if (!bench->start_error.is_null()) {
      result["error"] = bench->start_error;
      bench->start_error = nullptr;
    } else if (!bench->started) {
      result["error"] = exception_json("bench_finish without a successful bench_start");
    } else {
      bench->started = false;
      result = guarded(std::move(result),
                       [&](nlohmann::json& r) { r.update(bench->session->finish()); });
      if (result.contains("error")) {
        result["status"] = "FAIL";
        result["verified"] = false;
      }
    }
    return to_c_string(result);
  } catch (...) {
    return nullptr;
  }
}

inline void close_bench(gpuval_probe_bench* bench) noexcept {
  std::unique_ptr<gpuval_probe_bench> owned(bench);  // the session's destructor frees its memory
}

}  // namespace gpuval::probes
