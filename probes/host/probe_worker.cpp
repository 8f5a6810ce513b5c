#include "probes/host/probe_worker.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>

extern char** environ;

namespace gpuval {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kErrTail = 8192;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A pipe whose ends close on destruction; both ends close-on-exec (posix_spawn's dup2 clears
// the flag on the copies the worker keeps).
class Pipe {
 public:
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read_ = fds[0];
    write_ = fds[1];
    return true;
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe() = default;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int read_end() const { return read_; }
  int write_end() const { return write_; }
  void close_read() {
    if (read_ >= 0) ::close(read_);
    read_ = -1;
  }
  void close_write() {
    if (write_ >= 0) ::close(write_);
    write_ = -1;
  }

 private:
  int read_ = -1;
  int write_ = -1;
};

std::string signal_name(int sig) {
  switch (sig) {
    case SIGBUS:
      return "SIGBUS";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGKILL:
      return "SIGKILL";
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGILL:
      return "SIGILL";
    case SIGFPE:
      return "SIGFPE";
    default:
      return "signal " + std::to_string(sig);
  }
}

std::vector<std::string> child_environment(const WorkerRequest& request) {
  std::map<std::string, std::string> env;
  std::vector<std::string> order;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = entry.substr(0, eq);
    if (env.emplace(key, entry.substr(eq + 1)).second) order.push_back(key);
  }
  for (const std::string& key : request.env_unset) env.erase(key);
  for (const auto& [key, value] : request.env_set) {
    if (env.find(key) == env.end()) order.push_back(key);
    env[key] = value;
  }
  std::vector<std::string> out;
  for (const std::string& key : order) {
    if (auto it = env.find(key); it != env.end()) out.push_back(key + "=" + it->second);
  }
  return out;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

}  // namespace

std::optional<std::string> find_probe_worker(const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    const std::string path = (std::filesystem::path(dir) / kProbeWorkerFile).string();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(path.c_str(), X_OK) == 0) {
      return path;
    }
  }
  return std::nullopt;
}

WorkerResult run_worker(const WorkerRequest& request) {
  WorkerResult r;
  const auto start = Clock::now();
  Pipe in, out, err, progress;
  if (!in.open() || !out.open() || !err.open() || !progress.open()) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, in.read_end(), 0);
  posix_spawn_file_actions_adddup2(&actions, out.write_end(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write_end(), 2);
  posix_spawn_file_actions_adddup2(&actions, progress.write_end(), kWorkerProgressFd);
  // Its own process group: killed as a whole, and a Ctrl-C on the terminal reaches gpuval,
  // which then kills it, instead of both at once.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env_strings = child_environment(request);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string worker = request.worker;
  std::string module = request.module_path;
  char* argv[] = {worker.data(), module.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, worker.c_str(), &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    r.error = "cannot start " + request.worker + ": " + std::strerror(rc);
    return r;
  }
  in.close_read();
  out.close_write();
  err.close_write();
  progress.close_write();
  set_nonblocking(in.write_end());
  set_nonblocking(out.read_end());
  set_nonblocking(err.read_end());
  set_nonblocking(progress.read_end());

  std::size_t written = 0;
  if (request.input.empty()) in.close_write();
  std::string partial_progress;
  auto last_beat = Clock::now();
  bool killed = false;
  Clock::time_point killed_at;
  auto kill_worker = [&](WorkerEnd why, std::string text) {
    if (killed) return;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    killed = true;
    killed_at = Clock::now();
    r.end = why;
    r.timeout = std::move(text);
  };

  bool out_open = true, err_open = true, progress_open = true;
  char buf[65536];
  while (out_open || err_open || progress_open) {
    std::vector<pollfd> fds;
    if (in.write_end() >= 0) fds.push_back({in.write_end(), POLLOUT, 0});
    if (out_open) fds.push_back({out.read_end(), POLLIN, 0});
    if (err_open) fds.push_back({err.read_end(), POLLIN, 0});
    if (progress_open) fds.push_back({progress.read_end(), POLLIN, 0});
    const int ready = ::poll(fds.data(), fds.size(), 100);
    if (ready < 0 && errno != EINTR) break;
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in.write_end()) {
        if ((p.revents & (POLLERR | POLLHUP)) != 0) {
          in.close_write();
          continue;
        }
        const ssize_t n =
            ::write(p.fd, request.input.data() + written, request.input.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == request.input.size()) {
          in.close_write();
        }
        continue;
      }
      const ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      const bool eof = n <= 0;
      if (p.fd == out.read_end()) {
        if (eof)
          out_open = false;
        else
          r.out.append(buf, static_cast<std::size_t>(n));
      } else if (p.fd == err.read_end()) {
        if (eof) {
          err_open = false;
        } else {
          r.err_tail.append(buf, static_cast<std::size_t>(n));
          if (r.err_tail.size() > kErrTail) r.err_tail.erase(0, r.err_tail.size() - kErrTail);
        }
      } else if (p.fd == progress.read_end()) {
        if (eof) {
          progress_open = false;
        } else {
          partial_progress.append(buf, static_cast<std::size_t>(n));
          for (auto nl = partial_progress.find('\n'); nl != std::string::npos;
               nl = partial_progress.find('\n')) {
            std::string line = partial_progress.substr(0, nl);
            partial_progress.erase(0, nl + 1);
            last_beat = Clock::now();
            if (request.on_progress) request.on_progress(line);
            r.progress.push_back(std::move(line));
          }
        }
      }
    }
    if (killed) {
      // Drain until the pipes close; a descendant that escaped the group and holds them open
      // does not keep gpuval here.
      if (seconds_since(killed_at) > 5) break;
      continue;
    }
    if (request.cancelled && request.cancelled()) {
      kill_worker(WorkerEnd::Cancelled, "cancelled");
    } else if (seconds_since(last_beat) > request.idle_timeout_s) {
      kill_worker(WorkerEnd::TimedOut,
                  "no heartbeat for " + std::to_string(static_cast<long>(request.idle_timeout_s)) +
                      " s" +
                      (r.progress.empty() ? std::string(" (none at all)")
                                          : " (last: " + r.progress.back() + ")"));
    } else if (seconds_since(start) > request.total_timeout_s) {
      kill_worker(
          WorkerEnd::TimedOut,
          "over the " + std::to_string(static_cast<long>(request.total_timeout_s)) + " s limit");
    }
  }
  // The pipes are closed: the worker exited (or a grandchild keeps them open no longer). Reap it,
  // killing it if it lingers (stuck in teardown after answering).
  int status = 0;
  const auto reap_start = Clock::now();
  bool lingered = false;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (!lingered && seconds_since(reap_start) > 10) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      lingered = true;
    }
    ::usleep(10000);
  }
  r.wall_s = seconds_since(start);
  if (killed) return r;
  if (WIFEXITED(status)) {
    r.end = WorkerEnd::Exited;
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.end = WorkerEnd::Signaled;
    r.signal = WTERMSIG(status);
  }
  return r;
}

std::string describe(const WorkerResult& r) {
  switch (r.end) {
    case WorkerEnd::Exited:
      return "exited with " + std::to_string(r.exit_code);
    case WorkerEnd::Signaled:
      return "killed by " + signal_name(r.signal);
    case WorkerEnd::TimedOut:
      return "killed: " + r.timeout;
    case WorkerEnd::Cancelled:
      return "killed: the run was interrupted";
    case WorkerEnd::SpawnFailed:
      return "not started: " + r.error;
  }
  return "unknown";
}

}  // namespace gpuval
