// Per-container process limits that bite GPU workloads: the /dev/shm size (podman and docker
// default to 64 MiB; NCCL and PyTorch DataLoader workers put buffers there) and RLIMIT_MEMLOCK
// (pinned-memory registration for GPUDirect RDMA / NCCL).
#include <fmt/format.h>

#include <string>

#include "validate/checks.hpp"
#include "validate/parsers/mountinfo.hpp"
#include "validate/parsers/proc_parse.hpp"

namespace gpuval::checks {
namespace {

constexpr uint64_t kMinShmBytes = uint64_t{1} << 30;
constexpr uint64_t kMinMemlockBytes = uint64_t{64} << 20;
constexpr std::string_view kShmHint =
    "run with `--shm-size=1g` (or larger; NCCL and PyTorch DataLoader workers use /dev/shm)";

std::optional<uint64_t> mem_total(const Context& ctx) {
  std::optional<std::string> text = ctx.fs.read_file("/proc/meminfo");
  if (!text) return std::nullopt;
  return parse_mem_total(*text).value;
}

std::string memlock_hint(const std::string& engine) {
  if (engine == "none") {
    return "raise the limit: `ulimit -l unlimited`, or `* - memlock unlimited` in "
           "/etc/security/limits.conf (LimitMEMLOCK=infinity for systemd services)";
  }
  if (engine == "kubernetes") {
    return "pods inherit the container runtime's limit: set LimitMEMLOCK=infinity for the "
           "containerd / cri-o service on the node";
  }
  if (engine == "docker") return "run with `--ulimit memlock=-1:-1`";
  return "run with `--ulimit memlock=-1:-1` (on podman also pass `--ulimit nofile=...` and "
         "`--ulimit nproc=...` again: one --ulimit replaces the configured defaults)";
}

}  // namespace

CheckResult shm_size(const Context& ctx, Facts&) {
  std::optional<MountTable> mounts = read_mountinfo(ctx.fs);
  if (!mounts) {
    return make_result({}, {}, Status::Warn,
                       "cannot read /proc/self/mountinfo: /dev/shm size unknown",
                       std::string(kShmHint));
  }
  const MountEntry* shm = mounts->at("/dev/shm");
  if (shm == nullptr) {
    return make_result({}, {}, Status::Warn,
                       "no filesystem mounted on /dev/shm: POSIX shared memory lands on the "
                       "container's root filesystem or fails",
                       std::string(kShmHint));
  }

  CheckResult r;
  r.metrics["fs_type"] = shm->fs_type;
  r.metrics["source"] = shm->source;
  r.metrics["super_options"] = shm->super_options;
  std::optional<std::string> size_opt = shm->super_option("size");
  std::optional<uint64_t> ram = mem_total(ctx);
  uint64_t bytes = 0;
  std::string how;
  if (size_opt) {
    Parsed<uint64_t> size = parse_tmpfs_size(*size_opt, ram);
    if (!size) {
      r.status = Status::Warn;
      r.message =
          fmt::format("/dev/shm size option unreadable in /proc/self/mountinfo: {}", size.error);
      r.hint = std::string(kShmHint);
      return r;
    }
    bytes = *size.value;
    how = "size=" + *size_opt;
  } else if (shm->fs_type == "tmpfs" && ram) {
    bytes = *ram / 2;  // tmpfs without size= gets half of RAM
    how = "tmpfs default: half of RAM";
  } else {
    r.status = Status::Pass;
    r.message = fmt::format("/dev/shm is {} with no size limit option", shm->fs_type);
    r.metrics["size_bytes"] = nullptr;
    return r;
  }
  r.metrics["size_bytes"] = bytes;
  if (bytes < kMinShmBytes) {
    r.status = Status::Warn;
    r.message = fmt::format("/dev/shm is {} ({}), below {}", format_bytes(bytes), how,
                            format_bytes(kMinShmBytes));
    r.hint = std::string(kShmHint);
    return r;
  }
  r.status = Status::Pass;
  r.message = fmt::format("/dev/shm is {} ({})", format_bytes(bytes), how);
  return r;
}

CheckResult memlock(const Context& ctx, Facts& facts) {
  const std::string hint = memlock_hint(facts.engine);
  std::optional<std::string> text = ctx.fs.read_file("/proc/self/limits");
  if (!text) {
    return make_result({}, {}, Status::Warn,
                       "cannot read /proc/self/limits: RLIMIT_MEMLOCK unknown", hint);
  }
  Parsed<ResourceLimit> lim = parse_resource_limit(*text, "Max locked memory");
  if (!lim) {
    return make_result({}, {}, Status::Warn, "/proc/self/limits: " + lim.error, hint);
  }
  CheckResult r;
  const ResourceLimit& l = *lim.value;
  r.metrics["soft_bytes"] = l.soft ? nlohmann::json(*l.soft) : nlohmann::json(nullptr);
  r.metrics["hard_bytes"] = l.hard ? nlohmann::json(*l.hard) : nlohmann::json(nullptr);
  auto text_of = [](const std::optional<uint64_t>& v) {
    return v ? format_bytes(*v) : std::string("unlimited");
  };
  if (l.soft && *l.soft < kMinMemlockBytes) {
    r.status = Status::Warn;
    r.message = fmt::format(
        "locked-memory limit {} (hard {}), below {}: GPUDirect RDMA / NCCL memory registration "
        "can fail",
        text_of(l.soft), text_of(l.hard), format_bytes(kMinMemlockBytes));
    r.hint = hint;
    return r;
  }
  r.status = Status::Pass;
  r.message = fmt::format("locked-memory limit {} (hard {})", text_of(l.soft), text_of(l.hard));
  return r;
}

}  // namespace gpuval::checks
