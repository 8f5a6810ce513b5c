// imex: multi-node NVLink (GB200 NVL72 and similar) shares GPU memory across nodes through IMEX
// channels: /dev/nvidia-caps-imex-channels/channelN, a character device of the driver's
// "nvidia-caps-imex-channels" major (/proc/devices, R550+). A job asks for them with
// NVIDIA_IMEX_CHANNELS (NVIDIA Container Toolkit) or the CDI device nvidia.com/imex-channel=N;
// when asked for, or when channel nodes are there, each must be a real node the process can
// open. Opened read-only, as the driver opens its capability nodes.
#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "core/errno_name.hpp"
#include "validate/checks.hpp"
#include "validate/findings.hpp"
#include "validate/parsers/cluster_parse.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

constexpr const char* kDir = "/dev/nvidia-caps-imex-channels";
constexpr const char* kMajorName = "nvidia-caps-imex-channels";

std::string create_hint(std::optional<unsigned> major, unsigned channel) {
  return fmt::format(
      "the host must have the channel node: driver option NVreg_CreateImexChannel0=1 (channel 0) "
      "or `mknod -m 666 {}/channel{} c {} {}` (the major of {} in /proc/devices); then request "
      "it with NVIDIA_IMEX_CHANNELS={} (NVIDIA Container Toolkit >= 1.16) or `--device "
      "nvidia.com/imex-channel={}` (CDI), and run nvidia-imex on every node of the NVLink domain",
      kDir, channel, major ? std::to_string(*major) : std::string("<major>"), channel, kMajorName,
      channel, channel);
}

}  // namespace

CheckResult imex(const Context& ctx, Facts& /*facts*/) {
  const Sysroot& fs = ctx.fs;
  std::optional<unsigned> major;
  if (auto devices = fs.read_file("/proc/devices")) major = char_device_major(*devices, kMajorName);
  const std::optional<std::string> env = ctx.env.get("NVIDIA_IMEX_CHANNELS");
  json metrics = {{"driver_major", major ? json(*major) : json(nullptr)},
                  {"requested", env ? json(*env) : json(nullptr)},
                  {"channels", json::object()}};
  ImexRequest request;
  if (env) {
    Parsed<ImexRequest> parsed = parse_imex_channels(*env);
    if (!parsed) {
      CheckResult r =
          make_result({}, {}, Status::Fail, parsed.error,
                      "set NVIDIA_IMEX_CHANNELS to channel numbers (0 or 0,1) or all; unset it "
                      "when the job does not span nodes over NVLink");
      r.metrics = std::move(metrics);
      return r;
    }
    request = *parsed.value;
  }
  std::vector<std::pair<unsigned, std::string>> present;  // channel, node name
  std::vector<std::string> others;
  for (const std::string& name : fs.list_dir(kDir)) {
    if (auto c = imex_channel_of(name)) {
      present.emplace_back(*c, name);
    } else {
      others.push_back(name);
    }
  }
  std::sort(present.begin(), present.end());

  if (!request.requested() && present.empty()) {
    CheckResult r = make_result(
        {}, {}, Status::Skip,
        major ? fmt::format("no IMEX channel requested (NVIDIA_IMEX_CHANNELS unset) or present; "
                            "the driver supports them (major {}): only jobs sharing memory over "
                            "multi-node NVLink need one",
                            *major)
              : std::string("no IMEX channel requested (NVIDIA_IMEX_CHANNELS unset) or present, "
                            "and the driver exposes none: IMEX does not apply"));
    r.metrics = std::move(metrics);
    return r;
  }

  Findings f;
  if (request.requested() && !major) {
    f.problem(Status::Fail,
              fmt::format("NVIDIA_IMEX_CHANNELS={} but the driver exposes no IMEX channels "
                          "(no {} in /proc/devices)",
                          *env, kMajorName),
              "IMEX channels need an R550 or newer driver on the host; check `nvidia-smi` and "
              "the host's /proc/devices");
  }
  // Requested channels that are missing.
  if (request.all && present.empty()) {
    f.problem(Status::Fail,
              fmt::format("NVIDIA_IMEX_CHANNELS=all but {} has no channel node", kDir),
              create_hint(major, 0));
  }
  for (unsigned c : request.channels) {
    const bool there =
        std::any_of(present.begin(), present.end(), [&](const auto& p) { return p.first == c; });
    if (!there) {
      f.problem(Status::Fail,
                fmt::format("IMEX channel {} requested (NVIDIA_IMEX_CHANNELS={}) but {}/channel{} "
                            "is missing",
                            c, *env, kDir, c),
                create_hint(major, c));
    }
  }
  // Every channel node there: a real node of the IMEX major that opens.
  std::size_t usable = 0;
  for (const auto& [channel, name] : present) {
    const std::string path = std::string(kDir) + "/" + name;
    const NodeInfo info = fs.stat(path);
    json cj = {{"char_device", info.is_char_device}, {"major", info.major}, {"minor", info.minor}};
    if (!info.is_char_device || (major && info.major != *major)) {
      const std::string kind = info.is_char_device
                                   ? fmt::format("char {}:{}", info.major, info.minor)
                                   : std::string(info.is_directory ? "a directory" : "a file");
      cj["problem"] = kind;
      f.problem(Status::Fail,
                fmt::format("{} is {}, not an IMEX channel ({})", path, kind,
                            major ? fmt::format("char {}:{}", *major, channel)
                                  : std::string("char device")),
                "a stale node (driver reloaded with another major?) or one made in the image: "
                "recreate it on the host and pass it with NVIDIA_IMEX_CHANNELS or CDI");
      metrics["channels"][path] = std::move(cj);
      continue;
    }
    const int err = fs.open_errno(path, O_RDONLY);
    cj["open"] = err == 0 ? std::string("ok") : errno_name(err);
    metrics["channels"][path] = std::move(cj);
    if (err == 0) {
      ++usable;
      continue;
    }
    std::string hint =
        err == EPERM
            ? "the device cgroup denies the node: pass it with NVIDIA_IMEX_CHANNELS or `--device "
              "nvidia.com/imex-channel=N` (CDI), not a bind mount"
        : err == EACCES
            ? "file mode or SELinux: the channel node must be readable by this user (mode 0666 "
              "on the host), or `--security-opt label=disable`"
            : "no driver behind the node: the NVIDIA driver on the host is not loaded or was "
              "reloaded; recreate the node and the container";
    f.problem(Status::Fail,
              fmt::format("open({}) failed: {} ({})", path, errno_name(err),
                          std::generic_category().message(err)),
              std::move(hint));
  }
  metrics["usable"] = usable;
  if (!others.empty()) {
    std::string list;
    for (const auto& o : others) list += (list.empty() ? "" : ", ") + o;
    f.note(fmt::format("ignored in {}: {}", kDir, list));
  }
  if (!f.problems().empty()) {
    CheckResult r = make_result({}, {}, f.status(), f.message(), f.hint());
    r.metrics = std::move(metrics);
    return r;
  }
  std::string names;
  for (const auto& p : present) names += (names.empty() ? "" : ", ") + p.second;
  std::string message = fmt::format("IMEX {} present and openable ({})",
                                    present.size() == 1 ? "channel" : "channels", names);
  message += env ? fmt::format(", NVIDIA_IMEX_CHANNELS={}", *env)
                 : std::string(", not requested by NVIDIA_IMEX_CHANNELS (CDI or a mount)");
  if (!f.notes().empty()) message += "; " + f.message();
  CheckResult r = make_result({}, {}, Status::Pass, message);
  r.metrics = std::move(metrics);
  return r;
}

}  // namespace gpuval::checks
