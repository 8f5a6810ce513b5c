// Memory and CPU limits of this process's cgroup, v1 or v2. The effective limit is the smallest
// along the path from the process's cgroup up to the top of the hierarchy visible here (a
// container with its own cgroup namespace sees only its own subtree; that is where engines set
// --memory and --cpus).
//
// Where the cgroup directory is: /proc/self/cgroup names the cgroup ("4:memory:/a/b" for a v1
// controller, "0::/a/b" for v2); /proc/self/mountinfo says where that hierarchy is mounted and
// which cgroup the mount shows as its root (a podman container without a cgroup namespace
// mounts "/libpod_parent/libpod-ID" at /sys/fs/cgroup/memory), so the directory is the mount
// point plus the cgroup path below that root.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "validate/checks.hpp"
#include "validate/parsers/mountinfo.hpp"
#include "validate/parsers/proc_parse.hpp"

namespace gpuval::checks {
namespace {

constexpr uint64_t kMinMemoryBytes = uint64_t{4} << 30;
constexpr double kMinCpus = 1.0;

struct Hierarchy {
  bool v2 = false;
  std::string dir;  // this process's cgroup directory
  std::string top;  // the hierarchy's mount point: the walk up stops here
};

struct Located {
  std::optional<Hierarchy> hierarchy;
  std::string error;  // why it could not be located, naming the file
};

bool has(const std::vector<std::string>& v, std::string_view s) {
  for (const std::string& x : v) {
    if (x == s) return true;
  }
  return false;
}

std::string join_path(const std::string& base, std::string_view rel) {
  if (rel.empty() || rel == "/") return base;
  if (base == "/") return std::string(rel);
  return base + std::string(rel);
}

// The part of `path` below the mount's root, or "" when the mount does not contain it (a cgroup
// namespace shows paths relative to its own root, sometimes as "/.." when outside it).
std::string_view below_root(std::string_view path, std::string_view root) {
  if (path.find("/..") != std::string_view::npos) return {};
  if (root == "/") return path;
  if (path == root) return {};
  if (path.starts_with(root) && path.size() > root.size() && path[root.size()] == '/') {
    return path.substr(root.size());
  }
  return {};
}

// v1 when a v1 hierarchy carries `controller`, else the v2 unified hierarchy.
Located locate(const Context& ctx, std::string_view controller) {
  std::optional<std::string> text = ctx.fs.read_file("/proc/self/cgroup");
  if (!text) return {std::nullopt, "cannot read /proc/self/cgroup"};
  Parsed<std::vector<CgroupMembership>> lines = parse_proc_cgroup(*text);
  if (!lines) return {std::nullopt, "/proc/self/cgroup: " + lines.error};

  const CgroupMembership* member = nullptr;
  for (const CgroupMembership& m : *lines.value) {
    if (has(m.controllers, controller)) member = &m;
  }
  const bool v2 = member == nullptr;
  if (v2) {
    for (const CgroupMembership& m : *lines.value) {
      if (m.hierarchy == 0 && m.controllers.empty()) member = &m;
    }
  }
  if (member == nullptr) {
    return {std::nullopt,
            fmt::format("/proc/self/cgroup has no {} line and no v2 '0::' line", controller)};
  }

  const MountEntry* mount = nullptr;  // points into `mounts`, which must outlive it
  const std::optional<MountTable> mounts = read_mountinfo(ctx.fs);
  if (mounts) {
    for (const MountEntry& m : mounts->entries) {
      bool match =
          v2 ? m.fs_type == "cgroup2" : m.fs_type == "cgroup" && m.has_super_option(controller);
      // Prefer the conventional place when a hierarchy is mounted twice.
      if (match && (mount == nullptr || m.mount_point.starts_with("/sys/fs/cgroup"))) mount = &m;
    }
  }
  Hierarchy h;
  h.v2 = v2;
  if (mount != nullptr) {
    h.top = mount->mount_point;
    h.dir = join_path(h.top, below_root(member->path, mount->root));
  } else {
    // No mountinfo entry: assume the usual layout, /sys/fs/cgroup[/controllers].
    std::string base = "/sys/fs/cgroup";
    if (!v2) base += "/" + fmt::format("{}", fmt::join(member->controllers, ","));
    h.top = base;
    std::string full = join_path(base, below_root(member->path, "/"));
    h.dir = ctx.fs.exists(full) ? full : base;
  }
  if (!ctx.fs.stat(h.dir).is_directory) {
    return {std::nullopt, fmt::format("cgroup directory {} not found", h.dir)};
  }
  return {h, {}};
}

// Directories from the process's cgroup up to the top of the visible hierarchy.
std::vector<std::string> levels(const Hierarchy& h) {
  std::vector<std::string> out{h.dir};
  std::string d = h.dir;
  while (d.size() > h.top.size() && d.starts_with(h.top)) {
    d = d.substr(0, d.rfind('/'));
    if (d.size() < h.top.size()) break;
    out.push_back(d);
  }
  return out;
}

// File contents when present; an error naming the file when it exists but cannot be read.
struct LevelFile {
  std::optional<std::string> text;
  std::string error;
};
LevelFile read_level_file(const Context& ctx, const std::string& path) {
  if (!ctx.fs.exists(path)) return {};
  std::optional<std::string> text = ctx.fs.read_file(path);
  if (!text) return {std::nullopt, "cannot read " + path};
  return {std::move(text), {}};
}

CheckResult unreadable(std::string message) {
  return make_result({}, {}, Status::Warn, std::move(message),
                     "check that /proc and /sys/fs/cgroup are mounted as the engine sets them up "
                     "(gpuval reads them to report limits)");
}

}  // namespace

CheckResult cgroup_memory(const Context& ctx, Facts& facts) {
  Located loc = locate(ctx, "memory");
  if (!loc.hierarchy) return unreadable(loc.error);
  const Hierarchy& h = *loc.hierarchy;
  const char* file = h.v2 ? "memory.max" : "memory.limit_in_bytes";

  std::optional<uint64_t> limit;
  std::string source;
  for (const std::string& dir : levels(h)) {
    const std::string path = dir + "/" + file;
    LevelFile f = read_level_file(ctx, path);
    if (!f.error.empty()) return unreadable(f.error);
    if (!f.text) continue;
    Parsed<std::optional<uint64_t>> v =
        h.v2 ? parse_memory_max(*f.text) : parse_v1_memory_limit(*f.text);
    if (!v) return unreadable(fmt::format("{}: {}", path, v.error));
    if (*v.value && (!limit || **v.value < *limit)) {
      limit = **v.value;
      source = path;
    }
  }

  facts.memory_cgroup_dir = h.dir;
  facts.memory_cgroup_v2 = h.v2;
  facts.memory_limit_bytes = limit;
  CheckResult r;
  r.metrics["cgroup_version"] = h.v2 ? 2 : 1;
  r.metrics["cgroup_dir"] = h.dir;
  r.metrics["limit_bytes"] = limit ? nlohmann::json(*limit) : nlohmann::json(nullptr);
  if (limit) r.metrics["limit_file"] = source;
  if (!limit) {
    r.status = Status::Pass;
    r.message = fmt::format("unlimited (cgroup v{})", h.v2 ? 2 : 1);
    return r;
  }
  if (*limit < kMinMemoryBytes) {
    r.status = Status::Warn;
    r.message = fmt::format("memory limit {} (< {}) from {}", format_bytes(*limit),
                            format_bytes(kMinMemoryBytes), source);
    r.hint =
        "raise or remove the limit (`--memory=8g`, or drop `--memory`): pinned host buffers and "
        "the CUDA context need host memory";
    return r;
  }
  r.status = Status::Pass;
  r.message = fmt::format("memory limit {} (cgroup v{})", format_bytes(*limit), h.v2 ? 2 : 1);
  return r;
}

CheckResult cgroup_cpu(const Context& ctx, Facts&) {
  Located loc = locate(ctx, "cpu");
  if (!loc.hierarchy) return unreadable(loc.error);
  const Hierarchy& h = *loc.hierarchy;

  std::optional<CpuQuota> tightest;
  std::string source;
  for (const std::string& dir : levels(h)) {
    Parsed<CpuQuota> q;
    std::string path;
    if (h.v2) {
      path = dir + "/cpu.max";
      LevelFile f = read_level_file(ctx, path);
      if (!f.error.empty()) return unreadable(f.error);
      if (!f.text) continue;
      q = parse_cpu_max(*f.text);
    } else {
      path = dir + "/cpu.cfs_quota_us";
      const std::string period_path = dir + "/cpu.cfs_period_us";
      LevelFile quota = read_level_file(ctx, path);
      if (!quota.error.empty()) return unreadable(quota.error);
      if (!quota.text) continue;
      LevelFile period = read_level_file(ctx, period_path);
      if (!period.text) {
        return unreadable(period.error.empty() ? "cannot read " + period_path : period.error);
      }
      q = parse_cfs_quota(*quota.text, *period.text);
    }
    if (!q) return unreadable(fmt::format("{}: {}", path, q.error));
    std::optional<double> cpus = q.value->cpus();
    if (cpus && (!tightest || *cpus < *tightest->cpus())) {
      tightest = *q.value;
      source = path;
    }
  }

  CheckResult r;
  r.metrics["cgroup_version"] = h.v2 ? 2 : 1;
  r.metrics["cgroup_dir"] = h.dir;
  if (!tightest) {
    r.metrics["cpus"] = nullptr;
    r.status = Status::Pass;
    r.message = fmt::format("unlimited (no CPU quota, cgroup v{})", h.v2 ? 2 : 1);
    return r;
  }
  const double cpus = *tightest->cpus();
  r.metrics["cpus"] = cpus;
  r.metrics["quota_us"] = *tightest->quota_us;
  r.metrics["period_us"] = tightest->period_us;
  r.metrics["quota_file"] = source;
  if (cpus < kMinCpus) {
    r.status = Status::Warn;
    r.message = fmt::format("CPU quota {:.2f} CPUs (< 1) from {}", cpus, source);
    r.hint =
        "raise or remove the quota (`--cpus=2`, or drop `--cpus`): each GPU needs a host thread "
        "to launch kernels and copy data, and timings stall while the quota is exhausted";
    return r;
  }
  r.status = Status::Pass;
  r.message = fmt::format("CPU quota {:.2f} CPUs (cgroup v{})", cpus, h.v2 ? 2 : 1);
  return r;
}

}  // namespace gpuval::checks
