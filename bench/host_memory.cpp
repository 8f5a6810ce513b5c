#include "bench/host_memory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string_view>

namespace gpuval::bench {
namespace {

std::optional<std::uint64_t> leading_number(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return v;
}

std::string gib(std::uint64_t bytes) {
  return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1ull << 30));
}

}  // namespace

HostMemoryNow read_host_memory(const Sysroot& fs, const Facts& facts) {
  HostMemoryNow m;
  m.cgroup_limit_bytes = facts.memory_limit_bytes;
  if (!facts.memory_cgroup_dir.empty()) {
    const std::string file =
        facts.memory_cgroup_dir +
        (facts.memory_cgroup_v2 ? "/memory.current" : "/memory.usage_in_bytes");
    if (auto text = fs.read_file(file)) m.cgroup_usage_bytes = leading_number(*text);
  }
  if (auto text = fs.read_file("/proc/meminfo")) {
    const std::string_view all(*text);
    const std::size_t at = all.find("MemAvailable:");
    if (at != std::string_view::npos) {
      if (auto kib = leading_number(all.substr(at + 13))) m.mem_available_bytes = *kib * 1024;
    }
  }
  return m;
}

PinnedFailure pinned_allocation_failure(std::size_t bytes, const std::string& error,
                                        const HostMemoryNow& now) {
  const auto want = static_cast<std::uint64_t>(bytes);
  std::string measured;
  if (now.cgroup_limit_bytes) {
    measured = "container memory limit " + gib(*now.cgroup_limit_bytes);
    if (now.cgroup_usage_bytes) measured += ", " + gib(*now.cgroup_usage_bytes) + " in use";
  } else {
    measured = "no container memory limit";
  }
  if (now.mem_available_bytes) measured += "; host MemAvailable " + gib(*now.mem_available_bytes);
  PinnedFailure f;
  f.message =
      fmt::format("pinned host allocation of {} failed ({}): {}", gib(want), error, measured);
  const bool cgroup_short =
      now.cgroup_limit_bytes &&
      (*now.cgroup_limit_bytes < want ||
       (now.cgroup_usage_bytes &&
        *now.cgroup_limit_bytes - std::min(*now.cgroup_limit_bytes, *now.cgroup_usage_bytes) <
            want + want / 10));
  const bool host_short = now.mem_available_bytes && *now.mem_available_bytes < want + want / 10;
  if (cgroup_short) {
    f.hint = fmt::format(
        "pinned pages are charged to the container's memory cgroup: raise its limit by at least "
        "{} (--memory=..., Kubernetes resources.limits.memory) or use --quick",
        gib(want));
  } else if (host_short) {
    f.hint =
        "the host is short of free RAM for pinned pages: free memory on the host or use "
        "--quick";
  } else {
    f.hint =
        "neither the memory limit nor free RAM explains it (cudaMallocHost is not limited by "
        "RLIMIT_MEMLOCK): look for NVRM errors in the host's dmesg and rerun";
  }
  return f;
}

}  // namespace gpuval::bench
