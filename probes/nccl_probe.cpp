// libgpuval_probe_nccl.so: NCCL collectives (all-reduce, all-gather, reduce-scatter) over every
// GPU this process drives, one rank per GPU, through collectives() of probes/probe_abi.h.
//
// Never a hang: the communicators are non-blocking (ncclConfig_t.blocking = 0), so no NCCL call
// waits inside the library; every wait (communicator init, a group launch, a batch on the
// streams, finalize) is a poll of ncclCommGetAsyncError and cudaStreamQuery against a deadline,
// and past it the module aborts every communicator (ncclCommAbort) and answers what it has.
// gpuval also runs the module in a worker process it kills when the heartbeat on progress_fd
// stops (probes/host/probe_worker.hpp): the last line of defence when even the abort hangs.
//
// Results are verified: known inputs (kernels/collective_pattern.cuh, exact in float32), outputs
// poisoned with NaN before the checked call, every element of every rank compared on the device.
#include <cuda_runtime_api.h>
#include <nccl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "kernels/collective_pattern.cuh"
#include "probes/probe_abi.h"
#include "probes/probe_json.hpp"

namespace gpuval::probes {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using kernels::CollectiveKind;

constexpr const char* kSchema = "gpuval.collectives/1";

const char* nccl_result_name(ncclResult_t r) {
  switch (r) {
    case ncclSuccess:
      return "ncclSuccess";
    case ncclUnhandledCudaError:
      return "ncclUnhandledCudaError";
    case ncclSystemError:
      return "ncclSystemError";
    case ncclInternalError:
      return "ncclInternalError";
    case ncclInvalidArgument:
      return "ncclInvalidArgument";
    case ncclInvalidUsage:
      return "ncclInvalidUsage";
    case ncclRemoteError:
      return "ncclRemoteError";
    case ncclInProgress:
      return "ncclInProgress";
    default:
      return "";
  }
}

[[noreturn]] void throw_nccl(ncclResult_t r, const char* call, const char* file, int line,
                             ncclComm_t comm = nullptr) {
  std::string description = ncclGetErrorString(r);
  if (const char* last = ncclGetLastError(comm); last != nullptr && last[0] != '\0') {
    description += ": ";
    description += last;
  }
  throw CudaError(CudaLibrary::Nccl, static_cast<int>(r), nccl_result_name(r), description,
                  call != nullptr ? call : "", file, line);
}

// ncclInProgress is not an error on a non-blocking communicator: the caller waits for it.
#define GPUVAL_NCCL_CHECK(call)                                              \
  do {                                                                       \
    const ncclResult_t gpuval_nccl_ = (call);                                \
    if (gpuval_nccl_ != ncclSuccess && gpuval_nccl_ != ncclInProgress) {     \
      ::gpuval::probes::throw_nccl(gpuval_nccl_, #call, __FILE__, __LINE__); \
    }                                                                        \
  } while (0)

// A wait that passed its deadline.
class NcclTimeout : public std::runtime_error {
 public:
  NcclTimeout(std::string stage, double after_s)
      : std::runtime_error("no progress for " + std::to_string(static_cast<int>(after_s)) +
                           " s in " + stage),
        stage_(std::move(stage)),
        after_s_(after_s) {}
  const std::string& stage() const { return stage_; }
  double after_s() const { return after_s_; }

 private:
  std::string stage_;
  double after_s_;
};

// The heartbeat a supervising process watches: one JSON object per line and step ({"step":
// "ready" | "warm-up" | "repetition" | "result", ...}; a "result" line carries the result object,
// so what was measured survives a kill), ignored when nobody listens.
class Progress {
 public:
  explicit Progress(int fd) : fd_(fd) {}
  void line(const json& step) const {
    if (fd_ < 0) return;
    const std::string l = step.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    [[maybe_unused]] const ssize_t n = ::write(fd_, l.data(), l.size());
  }

 private:
  int fd_;
};

// ncclGroupStart .. ncclGroupEnd; an exception between them still ends the group, so the
// thread never calls NCCL (ncclCommAbort included) with a group left open.
class Group {
 public:
  Group() { GPUVAL_NCCL_CHECK(ncclGroupStart()); }
  ~Group() {
    if (open_) (void)ncclGroupEnd();
  }
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  void end() {
    open_ = false;
    GPUVAL_NCCL_CHECK(ncclGroupEnd());
  }

 private:
  bool open_ = true;
};

// Spins briefly (a small collective completes in microseconds), then sleeps between polls.
class Poller {
 public:
  void pause() {
    if (++polls_ < 2000) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

 private:
  long polls_ = 0;
};

// The communicators of this process, one per local rank. Destroyed cleanly (finalize, then
// destroy) when asked to; aborted otherwise (an exception, a timeout) — ncclCommAbort also stops
// kernels still waiting for a peer.
class Comms {
 public:
  Comms() = default;
  ~Comms() { abort(); }
  Comms(const Comms&) = delete;
  Comms& operator=(const Comms&) = delete;

  std::vector<ncclComm_t>& handles() { return comms_; }
  bool aborted() const { return aborted_; }

  // Every communicator out of ncclInProgress, or throws: the NCCL error of one, or NcclTimeout.
  void wait(Clock::time_point deadline, double timeout_s, const std::string& stage) const {
    Poller p;
    for (;;) {
      bool pending = false;
      for (ncclComm_t c : comms_) {
        ncclResult_t state = ncclSuccess;
        const ncclResult_t rc = ncclCommGetAsyncError(c, &state);
        if (rc != ncclSuccess) throw_nccl(rc, "ncclCommGetAsyncError", __FILE__, __LINE__, c);
        if (state == ncclInProgress) {
          pending = true;
        } else if (state != ncclSuccess) {
          throw_nccl(state, ("ncclCommGetAsyncError after " + stage).c_str(), __FILE__, __LINE__,
                     c);
        }
      }
      if (!pending) return;
      if (Clock::now() > deadline) throw NcclTimeout(stage, timeout_s);
      p.pause();
    }
  }

  // Finalize and destroy within the deadline; abort what is left past it.
  void close(Clock::time_point deadline, double timeout_s) {
    if (comms_.empty()) return;
    {
      Group g;  // one thread finalizes every rank: together, or they would wait for each other
      for (ncclComm_t c : comms_) GPUVAL_NCCL_CHECK(ncclCommFinalize(c));
      g.end();
    }
    wait(deadline, timeout_s, "ncclCommFinalize");
    for (ncclComm_t& c : comms_) {
      GPUVAL_NCCL_CHECK(ncclCommDestroy(c));
      c = nullptr;
    }
    comms_.clear();
  }

  void abort() noexcept {
    for (ncclComm_t c : comms_) {
      if (c != nullptr) (void)ncclCommAbort(c);
    }
    if (!comms_.empty()) aborted_ = true;
    comms_.clear();
  }

 private:
  std::vector<ncclComm_t> comms_;
  bool aborted_ = false;
};

struct Request {
  std::vector<int> devices;
  int nranks = 0;
  int first_rank = 0;
  std::optional<ncclUniqueId> unique_id;  // from the bootstrap; else a fresh one
  std::vector<std::string> collectives;
  std::vector<std::uint64_t> sizes;
  int warmup = 5;
  int repetitions = 3;
  long min_iterations = 1;
  long max_iterations = 1000;
  double repetition_budget_s = 0.02;
  double timeout_s = 30;
  int progress_fd = -1;
  std::uint32_t flags = 0;
};

std::optional<CollectiveKind> kind_of(const std::string& name) {
  if (name == "all-reduce") return CollectiveKind::AllReduce;
  if (name == "all-gather") return CollectiveKind::AllGather;
  if (name == "reduce-scatter") return CollectiveKind::ReduceScatter;
  return std::nullopt;
}

std::string hex(const unsigned char* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xF];
  }
  return out;
}

std::optional<ncclUniqueId> unique_id_from_hex(const std::string& text) {
  ncclUniqueId id{};
  if (text.size() != 2 * sizeof id.internal) return std::nullopt;
  for (std::size_t i = 0; i < sizeof id.internal; ++i) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id.internal[i] = static_cast<char>(hi * 16 + lo);
  }
  return id;
}

// The request, or why it is not one (std::invalid_argument).
Request parse_request(const json& j) {
  Request r;
  const std::string schema = j.value("schema", "");
  if (schema.rfind("gpuval.collectives/1", 0) != 0) {
    throw std::invalid_argument("request schema '" + schema + "', this module speaks " + kSchema);
  }
  for (const json& d : j.value("devices", json::array())) r.devices.push_back(d.get<int>());
  const json bootstrap = j.value("bootstrap", json{{"kind", "local"}});
  const std::string kind = bootstrap.value("kind", "local");
  if (kind == "local") {
    r.nranks = static_cast<int>(r.devices.size());
  } else if (kind == "unique-id") {
    r.nranks = bootstrap.value("nranks", 0);
    r.first_rank = bootstrap.value("first_rank", 0);
    r.unique_id = unique_id_from_hex(bootstrap.value("unique_id", ""));
    if (!r.unique_id) throw std::invalid_argument("bootstrap unique_id: not 256 hex digits");
    if (r.first_rank < 0 || r.first_rank + static_cast<int>(r.devices.size()) > r.nranks) {
      throw std::invalid_argument(
          "bootstrap: ranks first_rank .. first_rank + devices - 1 "
          "outside nranks");
    }
  } else {
    throw std::invalid_argument("bootstrap kind '" + kind + "' unknown (local, unique-id)");
  }
  for (const json& c : j.value("collectives", json::array())) {
    const std::string name = c.get<std::string>();
    if (!kind_of(name)) throw std::invalid_argument("collective '" + name + "' unknown");
    r.collectives.push_back(name);
  }
  for (const json& s : j.value("sizes", json::array())) r.sizes.push_back(s.get<std::uint64_t>());
  r.warmup = std::max(0, j.value("warmup", 5));
  r.repetitions = std::max(1, j.value("repetitions", 3));
  r.min_iterations = std::max(1L, j.value("min_iterations", 1L));
  r.max_iterations = std::max(r.min_iterations, j.value("max_iterations", 1000L));
  r.repetition_budget_s = j.value("repetition_budget_s", 0.02);
  r.timeout_s = std::max(0.001, j.value("timeout_ms", 30000.0) / 1e3);
  r.progress_fd = j.value("progress_fd", -1);
  r.flags = j.value("flags", 0u);
  return r;
}

json library_json() {
  int version = 0;
  GPUVAL_NCCL_CHECK(ncclGetVersion(&version));
  // NCCL_VERSION(X, Y, Z): X * 10000 + Y * 100 + Z from 2.9 on.
  const int major = version / 10000, minor = (version / 100) % 100, patch = version % 100;
  return {{"name", "NCCL"},
          {"version",
           std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch)},
          {"version_code", version},
          {"header_version_code", NCCL_VERSION_CODE}};
}

// The per-rank buffers of one (collective, size) and what was asked.
struct Problem {
  CollectiveKind kind = CollectiveKind::AllReduce;
  std::size_t send_count = 0;  // floats in each rank's input
  std::size_t recv_count = 0;  // floats in each rank's output
  std::size_t chunk = 0;       // floats per rank (all-gather's input, reduce-scatter's output)
  std::uint64_t bytes = 0;     // the size as nccl-tests counts it, after rounding
};

Problem problem_for(CollectiveKind kind, std::uint64_t bytes, int nranks) {
  Problem p;
  p.kind = kind;
  const std::uint64_t floats = std::max<std::uint64_t>(1, bytes / sizeof(float));
  const auto n = static_cast<std::uint64_t>(nranks);
  switch (kind) {
    case CollectiveKind::AllReduce:
      p.send_count = p.recv_count = p.chunk = floats;
      p.bytes = floats * sizeof(float);
      break;
    case CollectiveKind::AllGather:
      p.chunk = std::max<std::uint64_t>(1, floats / n);
      p.send_count = p.chunk;
      p.recv_count = p.chunk * n;
      p.bytes = p.recv_count * sizeof(float);
      break;
    case CollectiveKind::ReduceScatter:
      p.chunk = std::max<std::uint64_t>(1, floats / n);
      p.send_count = p.chunk * n;
      p.recv_count = p.chunk;
      p.bytes = p.send_count * sizeof(float);
      break;
  }
  return p;
}

// Runs the sweep on communicators that are up; fills result["results"].
class Sweep {
 public:
  Sweep(const Request& request, Comms& comms, std::vector<cuda::Stream>& streams,
        const Progress& progress)
      : r_(request), comms_(comms), streams_(streams), progress_(progress) {}

  // One (collective, size): its result object. Throws NCCL errors and NcclTimeout (the
  // communicators are then unusable); answers a memory shortage as SKIP.
  json run(const std::string& name, std::uint64_t bytes) {
    const CollectiveKind kind = *kind_of(name);
    const Problem p = problem_for(kind, bytes, r_.nranks);
    json out = {{"collective", name},    {"bytes", p.bytes},   {"requested_bytes", bytes},
                {"count", p.recv_count}, {"dtype", "float32"}, {"warmup", r_.warmup}};
    const std::size_t local = r_.devices.size();
    // The previous size's buffers go first; these stay members until the next size, so an
    // exception leaves them allocated until the caller has aborted the communicators (freeing
    // memory a hung NCCL kernel still uses would block in cudaFree).
    send_.clear();
    recv_.clear();
    send_.resize(local);
    recv_.resize(local);
    auto& send = send_;
    auto& recv = recv_;
    for (std::size_t i = 0; i < local; ++i) {
      cuda::DeviceScope scope(r_.devices[i]);
      std::size_t free_bytes = 0, total_bytes = 0;
      GPUVAL_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
      const double need = static_cast<double>((p.send_count + p.recv_count) * sizeof(float));
      if (need > 0.8 * static_cast<double>(free_bytes)) {
        out["status"] = "SKIP";
        out["reason"] = "needs " + gib(need) + " GiB on device " + std::to_string(r_.devices[i]) +
                        ", " + gib(static_cast<double>(free_bytes)) + " GiB free";
        return out;
      }
      send[i] = cuda::DeviceBuffer<float>(p.send_count);
      recv[i] = cuda::DeviceBuffer<float>(p.recv_count);
      GPUVAL_CUDA_CHECK(kernels::launch_collective_fill(
          send[i].get(), p.send_count, static_cast<unsigned>(r_.first_rank + static_cast<int>(i)),
          streams_[i].get()));
    }
    wait_streams("filling the inputs");

    auto launch = [&](long times, const std::string& stage) {
      for (long t = 0; t < times; ++t) {
        Group g;
        for (std::size_t i = 0; i < local; ++i) enqueue(p, send[i].get(), recv[i].get(), i);
        g.end();
        comms_.wait(deadline(), r_.timeout_s, stage);
      }
    };

    // Warm-up (connections are set up lazily by the first call), then one checked call into
    // outputs poisoned with NaN.
    launch(r_.warmup, name + " warm-up");
    wait_streams(name + " warm-up");
    progress_.line({{"step", "warm-up"}, {"collective", name}, {"bytes", p.bytes}});
    for (std::size_t i = 0; i < local; ++i) {
      cuda::DeviceScope scope(r_.devices[i]);
      GPUVAL_CUDA_CHECK(
          cudaMemsetAsync(recv[i].get(), 0xFF, p.recv_count * sizeof(float), streams_[i].get()));
    }
    launch(1, name + " (checked call)");
    wait_streams(name + " (checked call)");
    out["check"] = check(p, recv);
    out["verified"] = out["check"]["bad_elements"] == 0;

    // Iterations per repetition calibrated on one timed call, then the repetitions.
    auto t0 = Clock::now();
    launch(1, name + " calibration");
    wait_streams(name + " calibration");
    const double one = std::chrono::duration<double>(Clock::now() - t0).count();
    const long iterations =
        std::clamp(static_cast<long>(std::llround(r_.repetition_budget_s / std::max(one, 1e-9))),
                   r_.min_iterations, r_.max_iterations);
    out["iterations"] = iterations;
    out["calibration_s"] = one;
    json times = json::array();
    for (int rep = 0; rep < r_.repetitions; ++rep) {
      t0 = Clock::now();
      launch(iterations, name + " timed batch");
      wait_streams(name + " timed batch");
      times.push_back(std::chrono::duration<double>(Clock::now() - t0).count() /
                      static_cast<double>(iterations));
      progress_.line({{"step", "repetition"},
                      {"collective", name},
                      {"bytes", p.bytes},
                      {"repetition", rep + 1}});
    }
    out["times_s"] = times;
    out["status"] = out["verified"].get<bool>() ? "PASS" : "FAIL";
    return out;
  }

 private:
  Clock::time_point deadline() const {
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(r_.timeout_s));
  }

  void enqueue(const Problem& p, const float* send, float* recv, std::size_t i) {
    ncclComm_t c = comms_.handles()[i];
    cudaStream_t s = streams_[i].get();
    switch (p.kind) {
      case CollectiveKind::AllReduce:
        GPUVAL_NCCL_CHECK(ncclAllReduce(send, recv, p.recv_count, ncclFloat32, ncclSum, c, s));
        break;
      case CollectiveKind::AllGather:
        GPUVAL_NCCL_CHECK(ncclAllGather(send, recv, p.send_count, ncclFloat32, c, s));
        break;
      case CollectiveKind::ReduceScatter:
        GPUVAL_NCCL_CHECK(ncclReduceScatter(send, recv, p.recv_count, ncclFloat32, ncclSum, c, s));
        break;
    }
  }

  // Every rank's stream idle, polling for asynchronous NCCL errors (a peer that failed leaves
  // the others' kernels waiting forever), or throws.
  void wait_streams(const std::string& stage) {
    const Clock::time_point until = deadline();
    Poller poll;
    for (;;) {
      bool pending = false;
      for (std::size_t i = 0; i < streams_.size(); ++i) {
        cuda::DeviceScope scope(r_.devices[i]);
        const cudaError_t e = cudaStreamQuery(streams_[i].get());
        if (e == cudaErrorNotReady) {
          pending = true;
        } else if (e != cudaSuccess) {
          GPUVAL_CUDA_CHECK(e);
        }
      }
      if (!pending) return;
      comms_.wait(until, r_.timeout_s, stage);  // throws on an asynchronous error
      if (Clock::now() > until) throw NcclTimeout(stage, r_.timeout_s);
      poll.pause();
    }
  }

  // Every element of every rank against the known result; the first bad one read back.
  json check(const Problem& p, std::vector<cuda::DeviceBuffer<float>>& recv) {
    const bool corrupt = (r_.flags & GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT) != 0;
    std::uint64_t bad_total = 0;
    json first = nullptr;
    for (std::size_t i = 0; i < recv.size(); ++i) {
      cuda::DeviceScope scope(r_.devices[i]);
      const unsigned rank = static_cast<unsigned>(r_.first_rank + static_cast<int>(i));
      if (corrupt && i + 1 == recv.size()) {
        const float wrong = -1.0f;  // inputs are positive: never a right value
        GPUVAL_CUDA_CHECK(cudaMemcpyAsync(recv[i].get() + p.recv_count / 2, &wrong, sizeof wrong,
                                          cudaMemcpyHostToDevice, streams_[i].get()));
      }
      cuda::DeviceBuffer<unsigned long long> counters(2);
      const unsigned long long initial[2] = {0ull, ~0ull};
      unsigned long long got[2] = {0, 0};
      GPUVAL_CUDA_CHECK(cudaMemcpyAsync(counters.get(), initial, sizeof initial,
                                        cudaMemcpyHostToDevice, streams_[i].get()));
      GPUVAL_CUDA_CHECK(kernels::launch_collective_check(p.kind, recv[i].get(), p.recv_count, rank,
                                                         static_cast<unsigned>(r_.nranks), p.chunk,
                                                         counters.get(), streams_[i].get()));
      GPUVAL_CUDA_CHECK(cudaMemcpyAsync(got, counters.get(), sizeof got, cudaMemcpyDeviceToHost,
                                        streams_[i].get()));
      wait_streams("checking the result");
      bad_total += got[0];
      if (got[0] != 0 && first.is_null()) {
        float value = 0;
        GPUVAL_CUDA_CHECK(
            cudaMemcpy(&value, recv[i].get() + got[1], sizeof value, cudaMemcpyDeviceToHost));
        const float want = kernels::collective_expected(
            p.kind, rank, static_cast<unsigned>(r_.nranks), p.chunk, got[1]);
        first = {{"rank", rank},
                 {"index", got[1]},
                 {"got", std::isfinite(value) ? json(value) : json(nullptr)},
                 {"got_text", std::isnan(value) ? "NaN" : ""},
                 {"expected", want}};
      }
    }
    return {{"elements", p.recv_count * recv.size()},
            {"bad_elements", bad_total},
            {"first_bad", first}};
  }

  static std::string gib(double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", bytes / (1u << 30));
    return text;
  }

  const Request& r_;
  Comms& comms_;
  std::vector<cuda::Stream>& streams_;
  const Progress& progress_;
  std::vector<cuda::DeviceBuffer<float>> send_, recv_;
};

void sweep(const Request& r, json& answer) {
  const Progress progress(r.progress_fd);
  answer["ranks"] = r.nranks;
  if (r.nranks < 2) {
    answer["status"] = "SKIP";
    answer["reason"] = "needs two or more GPUs (" + std::to_string(r.nranks) + " given)";
    return;
  }
  if (r.nranks > static_cast<int>(kernels::kMaxCollectiveRanks)) {
    answer["status"] = "SKIP";
    answer["reason"] =
        "verification covers up to " + std::to_string(kernels::kMaxCollectiveRanks) + " ranks";
    return;
  }
  int count = 0;
  GPUVAL_CUDA_CHECK(cudaGetDeviceCount(&count));
  json devices = json::array();
  for (std::size_t i = 0; i < r.devices.size(); ++i) {
    const int d = r.devices[i];
    if (d < 0 || d >= count) {
      throw std::invalid_argument("device " + std::to_string(d) + " is not visible (" +
                                  std::to_string(count) + " CUDA devices)");
    }
    cudaDeviceProp prop{};
    GPUVAL_CUDA_CHECK(cudaGetDeviceProperties(&prop, d));
    char bus[32] = {0};
    GPUVAL_CUDA_CHECK(cudaDeviceGetPCIBusId(bus, sizeof bus, d));
    devices.push_back({{"rank", r.first_rank + static_cast<int>(i)},
                       {"device", d},
                       {"name", prop.name},
                       {"pci_bus_id", bus}});
  }
  answer["devices"] = devices;

  std::vector<cuda::Stream> streams;
  for (int d : r.devices) {
    cuda::DeviceScope scope(d);
    streams.emplace_back();
  }
  Comms comms;
  json results = json::array();
  auto deadline = [&] {
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(r.timeout_s));
  };
  // What is left when the communicators are gone.
  auto not_run = [&](std::size_t from_collective, std::size_t from_size, const std::string& why) {
    for (std::size_t c = from_collective; c < r.collectives.size(); ++c) {
      for (std::size_t s = (c == from_collective ? from_size : 0); s < r.sizes.size(); ++s) {
        results.push_back(
            {{"collective", r.collectives[c]},
             {"bytes", problem_for(*kind_of(r.collectives[c]), r.sizes[s], r.nranks).bytes},
             {"requested_bytes", r.sizes[s]},
             {"status", "FAIL"},
             {"reason", why}});
      }
    }
  };
  auto timed_out = [&](const NcclTimeout& t) {
    comms.abort();
    answer["aborted"] = true;
    answer["timeout"] = {{"stage", t.stage()}, {"after_s", t.after_s()}};
  };

  // Communicators: non-blocking, one per local device, in one group.
  const auto t_init = Clock::now();
  try {
    ncclUniqueId id{};
    if (r.unique_id) {
      id = *r.unique_id;
    } else {
      GPUVAL_NCCL_CHECK(ncclGetUniqueId(&id));
    }
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    config.commName = "gpuval";
    comms.handles().assign(r.devices.size(), nullptr);
    {
      Group g;
      for (std::size_t i = 0; i < r.devices.size(); ++i) {
        GPUVAL_CUDA_CHECK(cudaSetDevice(r.devices[i]));
        GPUVAL_NCCL_CHECK(ncclCommInitRankConfig(&comms.handles()[i], r.nranks, id,
                                                 r.first_rank + static_cast<int>(i), &config));
      }
      g.end();
    }
    // A rank whose init failed at once has no handle: nothing to wait for or abort there.
    std::erase(comms.handles(), nullptr);
    if (comms.handles().size() != r.devices.size()) {
      throw std::runtime_error("ncclCommInitRankConfig gave no communicator for every rank");
    }
    comms.wait(deadline(), r.timeout_s, "communicator init");
  } catch (const NcclTimeout& t) {
    timed_out(t);
    answer["error"] = exception_json(t.what());
    not_run(0, 0, std::string("not run: ") + t.what());
    answer["results"] = results;
    answer["status"] = "FAIL";
    return;
  } catch (const CudaError& e) {
    comms.abort();
    answer["error"] = error_json(e);
    not_run(0, 0, std::string("not run: communicator init failed: ") + e.what());
    answer["results"] = results;
    answer["status"] = "FAIL";
    return;
  } catch (const std::exception& e) {
    comms.abort();
    answer["error"] = exception_json(e.what());
    not_run(0, 0, std::string("not run: communicator init failed: ") + e.what());
    answer["results"] = results;
    answer["status"] = "FAIL";
    return;
  }
  answer["init_s"] = std::chrono::duration<double>(Clock::now() - t_init).count();
  progress.line({{"step", "ready"}, {"ranks", r.nranks}, {"init_s", answer["init_s"]}});

  Sweep s(r, comms, streams, progress);
  bool failed = false;
  for (std::size_t c = 0; c < r.collectives.size(); ++c) {
    for (std::size_t z = 0; z < r.sizes.size(); ++z) {
      try {
        json one = s.run(r.collectives[c], r.sizes[z]);
        failed = failed || one.value("status", "") == "FAIL";
        progress.line({{"step", "result"}, {"result", one}});
        results.push_back(std::move(one));
      } catch (const NcclTimeout& t) {
        timed_out(t);
        results.push_back(
            {{"collective", r.collectives[c]},
             {"requested_bytes", r.sizes[z]},
             {"bytes", problem_for(*kind_of(r.collectives[c]), r.sizes[z], r.nranks).bytes},
             {"status", "FAIL"},
             {"timed_out", true},
             {"reason", t.what()}});
        not_run(c, z + 1, std::string("not run: the communicators were aborted after ") + t.what());
        answer["results"] = results;
        answer["status"] = "FAIL";
        return;
      } catch (const CudaError& e) {
        // An NCCL or CUDA error leaves the communicators in an unknown state: stop there.
        comms.abort();
        answer["aborted"] = true;
        results.push_back(
            {{"collective", r.collectives[c]},
             {"requested_bytes", r.sizes[z]},
             {"bytes", problem_for(*kind_of(r.collectives[c]), r.sizes[z], r.nranks).bytes},
             {"status", "FAIL"},
             {"error", error_json(e)}});
        not_run(c, z + 1, std::string("not run: the communicators were aborted after ") + e.what());
        answer["results"] = results;
        answer["status"] = "FAIL";
        return;
      } catch (const std::exception& e) {
        comms.abort();
        answer["aborted"] = true;
        results.push_back(
            {{"collective", r.collectives[c]},
             {"requested_bytes", r.sizes[z]},
             {"bytes", problem_for(*kind_of(r.collectives[c]), r.sizes[z], r.nranks).bytes},
             {"status", "FAIL"},
             {"error", exception_json(e.what())}});
        not_run(c, z + 1, std::string("not run: the communicators were aborted after ") + e.what());
        answer["results"] = results;
        answer["status"] = "FAIL";
        return;
      }
    }
  }
  answer["results"] = results;
  try {
    comms.close(deadline(), r.timeout_s);
  } catch (const NcclTimeout& t) {
    timed_out(t);
  } catch (const CudaError& e) {
    comms.abort();  // the results stand; the teardown's error is said
    answer["aborted"] = true;
    answer["teardown_error"] = error_json(e);
  }
  answer["status"] = failed ? "FAIL" : "PASS";
  return;
}

char* collectives(const char* request_text) noexcept {
  try {
    json answer = {
        {"probe", "nccl"}, {"schema", kSchema}, {"results", json::array()}, {"aborted", false}};
    answer = guarded(std::move(answer), [&](json& a) {
      a["library"] = library_json();
      const json j = json::parse(request_text != nullptr ? request_text : "", nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        throw std::invalid_argument("the request is not a JSON object");
      }
      const std::string op = j.value("op", "sweep");
      if (op == "unique-id") {
        ncclUniqueId id{};
        GPUVAL_NCCL_CHECK(ncclGetUniqueId(&id));
        a["unique_id"] =
            hex(reinterpret_cast<const unsigned char*>(id.internal), sizeof id.internal);
        a["status"] = "PASS";
        return;
      }
      if (op != "sweep") throw std::invalid_argument("op '" + op + "' unknown (sweep, unique-id)");
      const Request r = parse_request(j);
      sweep(r, a);
    });
    if (answer.contains("error") && !answer.contains("status")) answer["status"] = "FAIL";
    return to_c_string(answer);
  } catch (...) {
    return nullptr;
  }
}

// run(): the library version only, for the loader's and gpuval's sake (no communicator).
char* run(const gpuval_probe_request* /*request*/) noexcept {
  try {
    json result = {{"probe", "nccl"}, {"cases", json::array()}};
    result = guarded(std::move(result), [](json& r) { r["library"] = library_json(); });
    return to_c_string(result);
  } catch (...) {
    return nullptr;
  }
}

void free_result(char* text) { free_c_string(text); }

}  // namespace
}  // namespace gpuval::probes

extern "C" const gpuval_probe_module* gpuval_probe_module_v1(void) {
  static const gpuval_probe_module module{GPUVAL_PROBE_ABI_VERSION,
                                          sizeof(gpuval_probe_module),
                                          "nccl",
                                          &gpuval::probes::run,
                                          &gpuval::probes::free_result,
                                          nullptr,
                                          nullptr,
                                          nullptr,
                                          nullptr,
                                          nullptr,  // cold_start: not a library to time
                                          &gpuval::probes::collectives};
  return &module;
}
