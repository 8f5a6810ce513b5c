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
//
// collectives() (the NCCL module's entry point) answers a synthetic sweep of its request: every
// (collective, size) PASS at 10 us + bytes / 100 GB/s per call (SHM: / 10 GB/s) when
// NCCL_P2P_DISABLE=1), heartbeat lines on the request's progress_fd, and NCCL-like INFO lines in
// NCCL_DEBUG_FILE (%h and %p expanded) naming P2P or SHM by NCCL_P2P_DISABLE. Scripted by:
//   GPUVAL_FAKE_PROBE_COLLECTIVES       the answer text instead ("$RANKS" replaced)
//   GPUVAL_FAKE_PROBE_COLLECTIVES_MODE  "hang": heartbeats, then sleeps forever; "hang-after=N":
//                                       hangs after N results; "bus-error": raises SIGBUS;
//                                       "shm-fail": with NCCL_P2P_DISABLE=1, fails communicator
//                                       init the way NCCL does on a full /dev/shm; "wrong": the
//                                       second size's check finds 3 bad elements
//   GPUVAL_FAKE_PROBE_BENCH_LOG         one line "collectives p2p_disable=<value> <request>"
// Only the "nccl" build has collectives(); GPUVAL_FAKE_PROBE_COLLECTIVES_ENTRY=0 takes it away
// (a module built before it).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

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

void heartbeat(int fd, const nlohmann::json& step) {
  if (fd < 0) return;
  const std::string line = step.dump() + "\n";
  [[maybe_unused]] const ssize_t n = ::write(fd, line.data(), line.size());
}

// NCCL_DEBUG_FILE with %h (host) and %p (pid) expanded, as NCCL does.
std::string debug_file() {
  std::string path = env_or("NCCL_DEBUG_FILE", "");
  replace_all(path, "%h", "fakehost");
  replace_all(path, "%p", std::to_string(::getpid()));
  return path;
}

char* collectives(const char* request_text) {
  using nlohmann::json;
  const json request = json::parse(request_text != nullptr ? request_text : "", nullptr, false);
  const std::string p2p_disable = env_or("NCCL_P2P_DISABLE", "");
  log_call("collectives p2p_disable=" + p2p_disable + " " +
           (request_text != nullptr ? request_text : ""));
  const std::string mode = env_or("GPUVAL_FAKE_PROBE_COLLECTIVES_MODE", "");
  const int fd = request.is_object() ? request.value("progress_fd", -1) : -1;
  const int ranks =
      request.is_object() ? static_cast<int>(request.value("devices", json::array()).size()) : 0;
  const bool shm = p2p_disable == "1";
  if (const std::string path = debug_file(); !path.empty()) {
    std::ofstream log(path);
    log << "fakehost:1:1 [0] NCCL INFO NCCL version 2.28.9+cuda13.0\n";
    log << "fakehost:1:1 [0] NCCL INFO Pattern 4, crossNic 0, nChannels 2, bw 40.000000/40.000000, "
        << "type " << (shm ? "SYS" : "NVL") << "/PIX, sameChannels 1\n";
    for (int r = 0; r < ranks; ++r) {
      log << "fakehost:1:1 [" << r << "] NCCL INFO Channel 00/0 : " << r << "[" << r << "] -> "
          << (r + 1) % ranks << "[" << (r + 1) % ranks << "] "
          << (shm ? "via SHM/direct/direct" : "via P2P/CUMEM/read") << "\n";
    }
    if (!shm) log << "fakehost:1:1 [0] NCCL INFO NVLS multicast support is available on dev 0\n";
    if (shm && mode == "shm-fail") {
      log << "fakehost:1:1 [0] shmutils.cc:94 NCCL WARN Error: failed to extend "
          << "/dev/shm/nccl-AbCdEf to 9637892 bytes, error: No space left on device (28)\n";
    }
  }
  if (std::getenv("GPUVAL_FAKE_PROBE_COLLECTIVES") != nullptr) {
    std::string text = env_or("GPUVAL_FAKE_PROBE_COLLECTIVES", "");
    replace_all(text, "$RANKS", std::to_string(ranks));
    return to_c_string(text);
  }
  if (mode == "bus-error") {
    ::signal(SIGBUS, SIG_DFL);  // a sanitizer's handler would turn the crash into an exit
    ::raise(SIGBUS);
  }
  json answer = {{"probe", "nccl"},
                 {"schema", "gpuval.collectives/1"},
                 {"library", {{"name", "NCCL"}, {"version", "2.28.9"}, {"version_code", 22809}}},
                 {"ranks", ranks},
                 {"aborted", false},
                 {"results", json::array()}};
  if (shm && mode == "shm-fail") {
    answer["status"] = "FAIL";
    answer["error"] = {{"library", "NCCL"},
                       {"code", 2},
                       {"name", "ncclSystemError"},
                       {"description", "unhandled system error: failed to extend /dev/shm"},
                       {"call", "ncclCommGetAsyncError after communicator init"},
                       {"where", "nccl_probe.cpp:1"}};
    return to_c_string(answer.dump());
  }
  heartbeat(fd, {{"step", "ready"}, {"ranks", ranks}, {"init_s", 0.5}});
  answer["init_s"] = 0.5;
  if (mode == "hang") {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  const long hang_after = mode.rfind("hang-after=", 0) == 0 ? std::stol(mode.substr(11)) : -1;
  long done = 0;
  int index = 0;
  for (const json& c : request.value("collectives", json::array())) {
    for (const json& b : request.value("sizes", json::array())) {
      if (done == hang_after) {
        for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
      }
      const double bytes = b.get<double>();
      const double per_call = 10e-6 + bytes / (shm ? 10e9 : 100e9);
      json times = json::array();
      for (int r = 0; r < request.value("repetitions", 3); ++r) {
        times.push_back(per_call * (1.0 + 0.001 * r));
      }
      const bool wrong = mode == "wrong" && index == 1;
      json result = {{"collective", c},
                     {"bytes", b},
                     {"requested_bytes", b},
                     {"count", b.get<std::uint64_t>() / 4},
                     {"status", wrong ? "FAIL" : "PASS"},
                     {"iterations", 20},
                     {"warmup", request.value("warmup", 0)},
                     {"times_s", times},
                     {"verified", !wrong},
                     {"check",
                      {{"elements", 100},
                       {"bad_elements", wrong ? 3 : 0},
                       {"first_bad", wrong ? json{{"rank", 1},
                                                  {"index", 7},
                                                  {"got", nullptr},
                                                  {"got_text", "NaN"},
                                                  {"expected", 12.0}}
                                           : json(nullptr)}}}};
      heartbeat(fd, {{"step", "result"}, {"result", result}});
      answer["results"].push_back(std::move(result));
      ++done;
      ++index;
    }
  }
  answer["status"] = mode == "wrong" ? "FAIL" : "PASS";
  return to_c_string(answer.dump());
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
                             &cold_start,
                             nullptr};

}  // namespace

extern "C" const gpuval_probe_module* gpuval_probe_module_v1(void) {
  if (env_or("GPUVAL_FAKE_PROBE_NULL", "") == "entry") return nullptr;
  g_module.abi_version =
      static_cast<uint32_t>(std::strtoul(env_or("GPUVAL_FAKE_PROBE_ABI", "").c_str(), nullptr, 10));
  if (g_module.abi_version == 0) g_module.abi_version = GPUVAL_PROBE_ABI_VERSION;
  g_module.collectives = std::string(GPUVAL_FAKE_PROBE_NAME) == "nccl" &&
                                 env_or("GPUVAL_FAKE_PROBE_COLLECTIVES_ENTRY", "1") != "0"
                             ? &collectives
                             : nullptr;
  const std::string size = env_or("GPUVAL_FAKE_PROBE_SIZE", "");
  g_module.struct_size = size == "base"    ? static_cast<uint32_t>(GPUVAL_PROBE_MODULE_BASE_SIZE)
                         : size == "bench" ? static_cast<uint32_t>(GPUVAL_PROBE_MODULE_BENCH_SIZE)
                                           : static_cast<uint32_t>(sizeof(gpuval_probe_module));
  return &g_module;
}
