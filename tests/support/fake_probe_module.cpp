// A stand-in probe module for unit tests of the loader, of the cublas/cudnn checks and of the
// module benchmarks without a GPU. Built as libgpuval_probe_cublas.so and libgpuval_probe_cudnn.so
// in a test directory; what it does comes from the process environment, read on every call:
//   GPUVAL_FAKE_PROBE_JSON  the result text, "$DEVICE" and "$FLAGS" replaced by the request's
//   GPUVAL_FAKE_PROBE_ABI   the ABI version to claim (default: the real one)
//   GPUVAL_FAKE_PROBE_NULL  "entry": the entry point returns null; "run": run() returns null;
//                           "bench": bench_open and bench_finish return null
//   GPUVAL_FAKE_PROBE_SIZE  "base": claim the first ABI 1 struct size (a module built before the
//                           benchmark functions; their pointers stay set and must be ignored);
//                           "bench": the size up to the benchmark functions (no cold start)
//   GPUVAL_FAKE_PROBE_COLD_START    cold_start's answer (default: PASS, handle_ms 1.5,
//                                   first_call_ms 0.5, verified); "$DEVICE" replaced
//   GPUVAL_FAKE_PROBE_BENCH_OPEN    bench_open's answer (default {"status": "READY"}); a session
//                                   is handed out when it contains "READY"
//   GPUVAL_FAKE_PROBE_BENCH_RESULT  bench_finish's answer (default: PASS, time_ms 2.5 per call,
//                                   verified); "$ITERATIONS" and "$WARMUP" are the batch's
//   GPUVAL_FAKE_PROBE_BENCH_START   "fail": bench_start returns -1
//   GPUVAL_FAKE_PROBE_BENCH_LOG     a file: one line appended per call ("open fp16 m=.. ...",
//                                   "start 5 2", "finish", "close")
// In the bench texts "$DEVICE", "$OP", "$PRECISION", "$M", "$N", "$K", "$CONV", "$SEED" and
// "$FLAGS" are replaced by the request's values.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "probes/probe_abi.h"

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string(fallback);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

char* to_c_string(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out != nullptr) std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

char* run(const gpuval_probe_request* request) {
  if (env_or("GPUVAL_FAKE_PROBE_NULL", "") == "run") return nullptr;
  std::string text = env_or("GPUVAL_FAKE_PROBE_JSON", "{}");
  replace_all(text, "$DEVICE", std::to_string(request->device));
  replace_all(text, "$FLAGS", std::to_string(request->flags));
  return to_c_string(text);
}

void free_result(char* text) { std::free(text); }

void log_call(const std::string& line) {
  const std::string path = env_or("GPUVAL_FAKE_PROBE_BENCH_LOG", "");
  if (path.empty()) return;
  if (std::FILE* f = std::fopen(path.c_str(), "a")) {
    std::fprintf(f, "%s\n", line.c_str());
    std::fclose(f);
  }
}

}  // namespace

// The fake's session: the request it was opened with and the last batch asked for.
struct gpuval_probe_bench {
  gpuval_probe_bench_request request;
  std::string precision;
  int iterations = 0;
  int warmup = 0;
};

namespace {

std::string with_request(std::string text, const gpuval_probe_bench_request& r,
                         const std::string& precision) {
  replace_all(text, "$DEVICE", std::to_string(r.device));
  replace_all(text, "$OP", std::to_string(r.op));
  replace_all(text, "$PRECISION", precision);
  replace_all(text, "$M", std::to_string(r.m));
  replace_all(text, "$N", std::to_string(r.n));
  replace_all(text, "$K", std::to_string(r.k));
  replace_all(text, "$CONV",
              std::to_string(r.conv_n) + "," + std::to_string(r.conv_c) + "," +
                  std::to_string(r.conv_h) + "," + std::to_string(r.conv_w) + "," +
                  std::to_string(r.conv_k) + "," + std::to_string(r.conv_r) + "," +
                  std::to_string(r.conv_s) + "," + std::to_string(r.conv_pad) + "," +
                  std::to_string(r.conv_stride));
  replace_all(text, "$SEED", std::to_string(r.seed));
  replace_all(text, "$FLAGS", std::to_string(r.flags));
  return text;
}

char* bench_open(const gpuval_probe_bench_request* request, gpuval_probe_bench** session) {
  *session = nullptr;
  if (env_or("GPUVAL_FAKE_PROBE_NULL", "") == "bench") return nullptr;
  const std::string precision = request->precision != nullptr ? request->precision : "(null)";
  log_call("open " + precision + " m=" + std::to_string(request->m) +
           " n=" + std::to_string(request->n) + " k=" + std::to_string(request->k));
  const std::string text = with_request(
      env_or("GPUVAL_FAKE_PROBE_BENCH_OPEN", "{\"status\": \"READY\"}"), *request, precision);
  if (text.find("READY") != std::string::npos) {
    // Owned by the caller until bench_close.
    *session = std::make_unique<gpuval_probe_bench>(*request, precision, 0, 0).release();
  }
  return to_c_string(text);
}

int32_t bench_start(gpuval_probe_bench* session, int32_t iterations, int32_t warmup) {
  log_call("start " + std::to_string(iterations) + " " + std::to_string(warmup));
  if (env_or("GPUVAL_FAKE_PROBE_BENCH_START", "") == "fail") return -1;
  session->iterations = iterations;
  session->warmup = warmup;
  return 0;
}

char* bench_finish(gpuval_probe_bench* session) {
  log_call("finish");
  if (env_or("GPUVAL_FAKE_PROBE_NULL", "") == "bench") return nullptr;
  std::string text = env_or(
      "GPUVAL_FAKE_PROBE_BENCH_RESULT",
      "{\"status\": \"PASS\", \"time_ms\": $TIME, \"iterations\": $ITERATIONS, \"verified\": "
      "true, \"check\": {\"name\": \"$PRECISION\", \"status\": \"PASS\"}}");
  replace_all(text, "$TIME", std::to_string(2.5 * session->iterations));
  replace_all(text, "$ITERATIONS", std::to_string(session->iterations));
  replace_all(text, "$WARMUP", std::to_string(session->warmup));
  return to_c_string(with_request(text, session->request, session->precision));
}

void bench_close(gpuval_probe_bench* session) {
  log_call("close");
  std::unique_ptr<gpuval_probe_bench> owned(session);
}

char* cold_start(const gpuval_probe_request* request) {
  std::string text = env_or("GPUVAL_FAKE_PROBE_COLD_START",
                            "{\"probe\": \"" GPUVAL_FAKE_PROBE_NAME
                            "\", \"op\": \"cold-start\", \"status\": \"PASS\", "
                            "\"handle_ms\": 1.5, \"first_call_ms\": 0.5, \"verified\": true}");
  replace_all(text, "$DEVICE", std::to_string(request->device));
  log_call("cold-start " + std::to_string(request->device));
  return to_c_string(text);
}

gpuval_probe_module g_module{GPUVAL_PROBE_ABI_VERSION,
                             sizeof(gpuval_probe_module),
                             GPUVAL_FAKE_PROBE_NAME,
                             &run,
                             &free_result,
                             &bench_open,
                             &bench_start,
                             &bench_finish,
                             &bench_close,
                             &cold_start};

}  // namespace

extern "C" const gpuval_probe_module* gpuval_probe_module_v1(void) {
  if (env_or("GPUVAL_FAKE_PROBE_NULL", "") == "entry") return nullptr;
  g_module.abi_version =
      static_cast<uint32_t>(std::strtoul(env_or("GPUVAL_FAKE_PROBE_ABI", "").c_str(), nullptr, 10));
  if (g_module.abi_version == 0) g_module.abi_version = GPUVAL_PROBE_ABI_VERSION;
  const std::string size = env_or("GPUVAL_FAKE_PROBE_SIZE", "");
  g_module.struct_size = size == "base"    ? static_cast<uint32_t>(GPUVAL_PROBE_MODULE_BASE_SIZE)
                         : size == "bench" ? static_cast<uint32_t>(GPUVAL_PROBE_MODULE_BENCH_SIZE)
                                           : static_cast<uint32_t>(sizeof(gpuval_probe_module));
  return &g_module;
}
