#include "bench/cold_start.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "bench/entry.hpp"
#include "core/interrupt.hpp"
#include "core/run_clock.hpp"

extern char** environ;

namespace gpuval::bench {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxOut = 1 << 20;  // a child's stdout kept, at most
constexpr std::size_t kErrTail = 2000;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGKILL:
      return "SIGKILL";
    case SIGBUS:
      return "SIGBUS";
    case SIGILL:
      return "SIGILL";
    case SIGFPE:
      return "SIGFPE";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "signal " + std::to_string(sig);
  }
}

// Reads what is there; false at EOF or on an error other than "try again".
bool drain(int fd, std::string& into, std::size_t cap) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      if (into.size() < cap)
        into.append(buf, std::min(static_cast<std::size_t>(n), cap - into.size()));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EINTR;
  }
}

// The child's JSON line: its last non-empty stdout line when that is a cold-start object.
std::optional<json> child_line(const ChildRun& c) {
  std::string_view out = c.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) {
    out.remove_suffix(1);
  }
  const auto nl = out.rfind('\n');
  const std::string_view last = nl == std::string_view::npos ? out : out.substr(nl + 1);
  json j = json::parse(last, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("schema") || !j["schema"].is_string() ||
      !j["schema"].get<std::string>().starts_with("gpuval.cold-start/")) {
    return std::nullopt;
  }
  return j;
}

// Why a child gave no line: crash, timeout, spawn failure or an exit without output.
std::string no_line_reason(const ChildRun& c) {
  std::string why;
  if (!c.started) {
    why = "could not start: " + c.spawn_error;
  } else if (c.timed_out) {
    why = fmt::format("did not finish within its timeout ({:.0f} s): killed", c.wall_s);
  } else if (c.signal != 0) {
    why = "crashed (" + signal_name(c.signal) + ")";
  } else {
    why = fmt::format("exited with code {} without its JSON line", c.exit_code);
  }
  std::string tail = c.err_tail;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  if (const auto nl = tail.rfind('\n'); nl != std::string::npos) tail = tail.substr(nl + 1);
  if (!tail.empty()) why += "; stderr: " + tail;
  return why;
}

struct Failure {
  std::string kind;  // "fail" or "skip"
  std::string message, hint;
};

}  // namespace

std::optional<std::size_t> cold_start_step(std::string_view name) {
  for (std::size_t i = 0; i < kColdStartSteps.size(); ++i) {
    if (name == kColdStartSteps[i].name) return i;
  }
  return std::nullopt;
}

ChildRun run_child(const std::vector<std::string>& argv, double timeout_s) {
  ChildRun r;
  if (argv.empty()) {
    r.spawn_error = "no command";
    return r;
  }
  int out_fds[2] = {-1, -1}, err_fds[2] = {-1, -1};
  if (::pipe2(out_fds, O_CLOEXEC) != 0) {
    r.spawn_error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  Fd out_read(out_fds[0]), out_write(out_fds[1]);
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    r.spawn_error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  Fd err_read(err_fds[0]), err_write(err_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group (a timeout kills it and whatever it started); default signal actions
  // and an empty mask whatever gpuval set for itself.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGHUP}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  std::vector<std::string> storage = argv;
  std::vector<char*> args;
  for (std::string& a : storage) args.push_back(a.data());
  args.push_back(nullptr);
  const auto t0 = Clock::now();
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, storage[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  out_write.reset();
  err_write.reset();
  if (rc != 0) {
    r.spawn_error = storage[0] + ": " + std::strerror(rc);
    return r;
  }
  r.started = true;
  for (const Fd* fd : {&out_read, &err_read}) {
    ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  }
  const auto deadline =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  auto kill_group = [&] {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  };
  bool out_open = true, err_open = true, killed = false;
  std::string err;
  while ((out_open || err_open) && !killed) {
    if (Clock::now() >= deadline) {
      r.timed_out = true;
      kill_group();
      killed = true;
      break;
    }
    if (interrupted()) {
      kill_group();
      killed = true;
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (out_open) fds[n++] = pollfd{out_read.get(), POLLIN, 0};
    if (err_open) fds[n++] = pollfd{err_read.get(), POLLIN, 0};
    const int ready = ::poll(fds, n, 50);
    if (ready < 0 && errno != EINTR) break;
    if (out_open) out_open = drain(out_read.get(), r.out, kMaxOut);
    if (err_open) err_open = drain(err_read.get(), err, kMaxOut);
  }
  // Both streams closed: the child is exiting (or closed them and lingers: wait, up to the
  // deadline).
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, killed ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (!killed && (Clock::now() >= deadline || interrupted())) {
      r.timed_out = Clock::now() >= deadline;
      kill_group();
      killed = true;
      continue;
    }
    if (!killed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.err_tail = err.size() > kErrTail ? err.substr(err.size() - kErrTail) : err;
  return r;
}

std::vector<ChildRun> run_cold_start_children(const std::string& last_step,
                                              const ColdStartOptions& o) {
  std::vector<ChildRun> out;
  const auto t0 = Clock::now();
  for (int i = 0; i < o.samples; ++i) {
    if (interrupted()) break;
    if (i > 0 && std::chrono::duration<double>(Clock::now() - t0).count() > o.budget_s) break;
    out.push_back(
        run_child({o.exe, "__cold-start", last_step, "--device", std::to_string(o.device)},
                  o.child_timeout_s));
  }
  return out;
}

json cold_start_entries(const std::vector<BenchSpec>& specs, const std::vector<ChildRun>& children,
                        const ColdStartOptions& o) {
  std::vector<std::optional<json>> lines;
  for (const ChildRun& c : children) lines.push_back(child_line(c));
  json out = json::array();
  for (const BenchSpec& spec : specs) {
    const std::string step = spec.params.value("step", "");
    const std::size_t k = cold_start_step(step).value_or(0);
    std::vector<RepetitionSample> samples;
    std::vector<Failure> failures;
    json side = json::array();  // per child: the step's neighbours (loads, dlopen)
    for (std::size_t i = 0; i < children.size(); ++i) {
      if (!lines[i]) {
        failures.push_back({"fail", "a child " + no_line_reason(children[i]),
                            "run `gpuval __cold-start " + step +
                                "` by hand: a fresh CUDA process that crashes or hangs points "
                                "at the driver or the container (host `dmesg`, NVRM lines)"});
        continue;
      }
      const json& line = *lines[i];
      const json t = line.value("timings_ms", json::object());
      if (t.contains(step) && t[step].is_number()) {
        samples.push_back(RepetitionSample{t[step].get<double>(), std::nullopt, std::nullopt});
        json extra = json::object();
        for (const char* key : {"dlopen_libcuda", "cublas_load", "cudnn_load"}) {
          if (t.contains(key)) extra[key] = t[key];
        }
        side.push_back(extra);
        continue;
      }
      const json e = line.value("error", json::object());
      const std::size_t failed_at = cold_start_step(e.value("step", "")).value_or(0);
      if (failed_at <= k) {
        failures.push_back(
            {e.value("kind", "fail"), e.value("message", "the child failed"), e.value("hint", "")});
      }
    }
    Outcome outcome;
    outcome.verified = !samples.empty();
    const auto bad = std::find_if(failures.begin(), failures.end(),
                                  [](const Failure& f) { return f.kind != "skip"; });
    if (bad != failures.end()) {
      const std::size_t n = static_cast<std::size_t>(std::count_if(
          failures.begin(), failures.end(), [](const Failure& f) { return f.kind != "skip"; }));
      outcome.status = "FAIL";
      outcome.message = fmt::format("{} of {} fresh processes failed before finishing {}: {}", n,
                                    children.size(), step, bad->message);
      outcome.hint =
          bad->hint.empty() ? "run `gpuval __cold-start " + step + "` by hand" : bad->hint;
    } else if (samples.empty()) {
      outcome.status = "SKIP";
      outcome.message = failures.empty() ? "no fresh process ran (interrupted, or no sample asked)"
                                         : failures.front().message;
      outcome.hint = failures.empty() ? "" : failures.front().hint;
    }
    outcome.details = {
        {"children", children.size()},
        {"samples_requested", o.samples},
        {"mode", o.in_container ? "container" : "baremetal"},
        {"cuda_module_loading",
         o.cuda_module_loading.empty() ? json(nullptr) : json(o.cuda_module_loading)},
        {"module_loading", o.cuda_module_loading.empty() ? "driver default (LAZY since CUDA 12.2)"
                                                         : o.cuda_module_loading},
        {"steps_in_order", json::array()},
        {"per_sample", side}};
    for (const ColdStartStep& s : kColdStartSteps)
      outcome.details["steps_in_order"].push_back(s.name);
    if (static_cast<int>(children.size()) < o.samples) {
      outcome.details["samples_cut"] = fmt::format(
          "{} of {} children: the phase reached its {:.0f} s budget or was "
          "interrupted",
          children.size(), o.samples, o.budget_s);
    }
    out.push_back(make_entry(spec, samples, std::nullopt, outcome));
  }
  return out;
}

json run_cold_start(const std::vector<BenchSpec>& specs, const ColdStartOptions& o) {
  std::size_t last = 0;
  for (const BenchSpec& s : specs) {
    last = std::max(last, cold_start_step(s.params.value("step", "")).value_or(0));
  }
  const double start = run_clock_s();
  const std::vector<ChildRun> children =
      specs.empty() ? std::vector<ChildRun>{}
                    : run_cold_start_children(kColdStartSteps[last].name, o);
  const double end = run_clock_s();
  json entries = cold_start_entries(specs, children, o);
  for (json& e : entries) {
    e["wall_s"] = end - start;
    e["run_window_s"] = {start, end};
  }
  return entries;
}

}  // namespace gpuval::bench
