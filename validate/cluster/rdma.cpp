// gpudirect-rdma: can multi-node NCCL use the host's RDMA NICs from this container? The NICs and
// their ports (/sys/class/infiniband: state, link layer, rate), the verbs device nodes in the
// container (/dev/infiniband/uverbs*, opened read-write as rdma-core does), the host module that
// lets the NIC read GPU memory directly (nvidia_peermem, or the older nv_peer_mem; not needed
// with DMA-BUF: the open kernel modules on Linux 5.12 and later) and the locked-memory limit
// verbs registration is charged to. No RDMA hardware and no verbs node: SKIP, nothing to say.
#include <fcntl.h>
#include <fmt/format.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "core/errno_name.hpp"
#include "core/plural.hpp"
#include "validate/checks.hpp"
#include "validate/findings.hpp"
#include "validate/parsers/cluster_parse.hpp"
#include "validate/parsers/proc_parse.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

constexpr unsigned kInfinibandVerbsMajor = 231;  // /dev/infiniband/uverbsN (minor 192 + N)
constexpr unsigned kIbPortActive = 4;            // "4: ACTIVE"
constexpr int kCapIpcLock = 14;
// Below this, NCCL's registration of its host buffers (proxy, and the bounce buffers without
// GPUDirect) fails with "ibv_reg_mr failed"; RDMA guides ask for unlimited.
constexpr uint64_t kMinRdmaMemlockBytes = uint64_t{1} << 30;

constexpr std::string_view kPassDevicesHint =
    "pass the verbs devices into the container: podman/docker `--device /dev/infiniband` (with "
    "`--ulimit memlock=-1:-1`), a CDI spec listing /dev/infiniband/uverbs*, or on Kubernetes an "
    "RDMA device plugin resource (k8s-rdma-shared-dev-plugin, NVIDIA Network Operator)";

struct Port {
  std::string device;
  std::string port;
  std::string state;  // "ACTIVE", "DOWN", ...
  unsigned state_code = 0;
  std::string phys_state;  // "LinkUp", "Polling", "Disabled", ...
  std::string link_layer;  // "InfiniBand", "Ethernet"
  std::optional<double> rate_gbps;
  bool active() const { return state_code == kIbPortActive; }
};

std::string trimmed(std::optional<std::string> text) {
  if (!text) return {};
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::vector<Port> read_ports(const Sysroot& fs, const std::string& device) {
  std::vector<Port> out;
  const std::string base = "/sys/class/infiniband/" + device + "/ports";
  for (const std::string& port : fs.list_dir(base)) {
    const std::string dir = base + "/" + port;
    Port p;
    p.device = device;
    p.port = port;
    if (auto text = fs.read_file(dir + "/state")) {
      if (auto a = parse_ib_port_attribute(*text)) {
        p.state = a.value->name;
        p.state_code = a.value->code;
      } else {
        p.state = "unreadable (" + a.error + ")";
      }
    } else {
      p.state = "unknown";
    }
    if (auto text = fs.read_file(dir + "/phys_state")) {
      if (auto a = parse_ib_port_attribute(*text)) p.phys_state = a.value->name;
    }
    p.link_layer = trimmed(fs.read_file(dir + "/link_layer"));
    if (auto text = fs.read_file(dir + "/rate")) {
      if (auto rate = parse_ib_rate_gbps(*text)) p.rate_gbps = *rate.value;
    }
    out.push_back(std::move(p));
  }
  return out;
}

// What to do about a verbs node that does not open.
std::string open_hint(int err) {
  switch (err) {
    case EPERM:
      return "the container's device cgroup denies the node (it was bind-mounted, or the CDI "
             "spec grants it without \"rw\"): pass it with `--device /dev/infiniband/uverbsN` or "
             "a CDI deviceNodes entry with permissions rw";
    case EACCES:
      return "file mode or SELinux: the node must be rw for this user (rdma-core's udev rules "
             "make uverbs 0666), or `--security-opt label=disable` on SELinux hosts";
    case ENXIO:
    case ENODEV:
      return "no driver behind the node: on the host load ib_uverbs and the NIC driver "
             "(`modprobe ib_uverbs mlx5_ib`), check `ibv_devices`, then recreate the container";
    default:
      return "check `ibv_devinfo` on the host and recreate the container";
  }
}

// GPUDirect RDMA without nvidia_peermem: the open kernel modules export GPU memory as DMA-BUF
// (Linux 5.12+), which NCCL 2.19+ and rdma-core use instead.
std::optional<std::string> dmabuf_capable(const Sysroot& fs) {
  const std::optional<std::string> version = fs.read_file("/proc/driver/nvidia/version");
  if (!version || version->find("Open Kernel Module") == std::string::npos) return std::nullopt;
  const std::optional<std::string> release = fs.read_file("/proc/sys/kernel/osrelease");
  if (!release) return std::nullopt;
  const Parsed<KernelVersion> k = parse_kernel_release(*release);
  if (!k || !k.value->at_least(5, 12)) return std::nullopt;
  return fmt::format("open kernel modules on Linux {}.{}", k.value->major, k.value->minor);
}

}  // namespace

CheckResult gpudirect_rdma(const Context& ctx, Facts& /*facts*/) {
  const Sysroot& fs = ctx.fs;
  const std::vector<std::string> devices = fs.list_dir("/sys/class/infiniband");
  std::vector<std::string> nodes;
  for (const std::string& n : fs.list_dir("/dev/infiniband")) {
    if (n.starts_with("uverbs")) nodes.push_back(n);
  }
  json metrics = {{"devices", json::array()}, {"uverbs", json::object()}};
  if (devices.empty() && nodes.empty()) {
    CheckResult r = make_result({}, {}, Status::Skip,
                                "no RDMA devices (/sys/class/infiniband is empty, no "
                                "/dev/infiniband/uverbs*): GPUDirect RDMA does not apply");
    r.metrics = std::move(metrics);
    return r;
  }

  Findings f;
  // The NICs and their ports.
  std::vector<Port> ports;
  for (const std::string& d : devices) {
    json dj = {{"name", d}, {"ports", json::array()}};
    dj["node_type"] = trimmed(fs.read_file("/sys/class/infiniband/" + d + "/node_type"));
    dj["fw_ver"] = trimmed(fs.read_file("/sys/class/infiniband/" + d + "/fw_ver"));
    for (Port& p : read_ports(fs, d)) {
      dj["ports"].push_back({{"port", p.port},
                             {"state", p.state},
                             {"phys_state", p.phys_state},
                             {"link_layer", p.link_layer},
                             {"rate_gbps", p.rate_gbps ? json(*p.rate_gbps) : json(nullptr)}});
      ports.push_back(std::move(p));
    }
    metrics["devices"].push_back(std::move(dj));
  }
  std::vector<std::string> active, inactive;
  for (const Port& p : ports) {
    std::string name = p.device + "/" + p.port;
    if (p.active()) {
      std::string what = name + " " + (p.link_layer.empty() ? "" : p.link_layer + " ");
      if (p.rate_gbps) what += fmt::format("{:g} Gb/s", *p.rate_gbps);
      while (!what.empty() && what.back() == ' ') what.pop_back();
      active.push_back(std::move(what));
    } else {
      inactive.push_back(name + " " + p.state + (p.phys_state.empty() ? "" : "/" + p.phys_state));
    }
  }
  auto joined = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
  };
  if (!devices.empty()) {
    if (active.empty()) {
      f.problem(Status::Fail,
                fmt::format("no RDMA port is ACTIVE ({})",
                            inactive.empty() ? "no ports listed" : joined(inactive)),
                "check the cable and the switch port (`ibstat` on the host); an InfiniBand port "
                "stays INIT without a subnet manager (opensm or the switch's), a RoCE port needs "
                "its Ethernet link up");
    } else if (!inactive.empty()) {
      f.note(fmt::format("not active (unused ports are normal): {}", joined(inactive)));
    }
  } else {
    f.note("no /sys/class/infiniband in this container: NIC and port state unknown");
  }

  // The verbs nodes in the container.
  std::size_t open_ok = 0;
  for (const std::string& n : nodes) {
    const std::string path = "/dev/infiniband/" + n;
    const NodeInfo info = fs.stat(path);
    json nj = {{"char_device", info.is_char_device}, {"major", info.major}, {"minor", info.minor}};
    if (!info.is_char_device || info.major != kInfinibandVerbsMajor) {
      const std::string kind = info.is_char_device
                                   ? fmt::format("char {}:{}", info.major, info.minor)
                                   : std::string(info.is_directory ? "a directory" : "a file");
      nj["problem"] = kind;
      f.problem(Status::Fail,
                fmt::format("{} is {}, not a verbs device (char {}:N)", path, kind,
                            kInfinibandVerbsMajor),
                "never create /dev/infiniband nodes in the image: pass the host's with "
                "`--device /dev/infiniband` or a CDI spec");
      metrics["uverbs"][path] = std::move(nj);
      continue;
    }
    const int err = fs.open_errno(path, O_RDWR);
    nj["open"] = err == 0 ? std::string("ok") : errno_name(err);
    metrics["uverbs"][path] = std::move(nj);
    if (err == 0) {
      ++open_ok;
      continue;
    }
    std::string what = fmt::format("open({}, O_RDWR) failed: {} ({})", path, errno_name(err),
                                   std::generic_category().message(err));
    if (err == EPERM) what += ": the device cgroup denies it";
    if (err == ENXIO || err == ENODEV) what += ": no driver behind the node";
    f.problem(Status::Fail, std::move(what), open_hint(err));
  }
  if (!devices.empty() && nodes.empty()) {
    f.problem(Status::Warn,
              fmt::format("{} on the host ({}) but no /dev/infiniband/uverbs* in the container: "
                          "NCCL falls back to TCP sockets between nodes",
                          plural(devices.size(), "RDMA device", "RDMA devices"), joined(devices)),
              std::string(kPassDevicesHint));
  }
  metrics["uverbs_open"] = open_ok;

  // GPUDirect: the NIC reads and writes GPU memory directly.
  const bool peermem = fs.stat("/sys/module/nvidia_peermem").exists;
  const bool nv_peer_mem = fs.stat("/sys/module/nv_peer_mem").exists;
  const bool nvidia_driver = fs.exists("/proc/driver/nvidia/version");
  metrics["nvidia_peermem"] = peermem;
  metrics["nv_peer_mem"] = nv_peer_mem;
  const std::optional<std::string> dmabuf = dmabuf_capable(fs);
  metrics["dmabuf"] = dmabuf ? json(*dmabuf) : json(nullptr);
  std::string gdr;
  if (peermem || nv_peer_mem) {
    gdr = std::string(peermem ? "nvidia_peermem" : "nv_peer_mem") + " loaded";
  } else if (dmabuf) {
    gdr = "GPUDirect RDMA through DMA-BUF (" + *dmabuf + ")";
  } else if (!nvidia_driver) {
    f.note("no NVIDIA driver here (/proc/driver/nvidia/version): GPUDirect RDMA not judged");
  } else if (!devices.empty()) {
    f.problem(Status::Warn,
              "nvidia_peermem (nv_peer_mem) not loaded on the host and no DMA-BUF support: no "
              "GPUDirect RDMA, NCCL stages every transfer through host memory",
              "on the host: `modprobe nvidia-peermem` (ships with the driver; list it in "
              "/etc/modules-load.d to load at boot), or use the open GPU kernel modules on Linux "
              ">= 5.12 for DMA-BUF");
  }

  // Locked memory: verbs registration pins pages against RLIMIT_MEMLOCK unless CAP_IPC_LOCK.
  std::optional<std::string> memlock_text;
  if (auto limits = fs.read_file("/proc/self/limits")) {
    const Parsed<ResourceLimit> lim = parse_resource_limit(*limits, "Max locked memory");
    bool ipc_lock = false;
    if (auto status = fs.read_file("/proc/self/status")) {
      if (auto caps = parse_capability_field(*status, "CapEff")) {
        ipc_lock = ((*caps.value >> kCapIpcLock) & 1u) != 0;
      }
    }
    metrics["cap_ipc_lock"] = ipc_lock;
    if (lim) {
      const std::optional<uint64_t> soft = lim.value->soft;
      metrics["memlock_soft_bytes"] = soft ? json(*soft) : json(nullptr);
      memlock_text = soft ? format_bytes(*soft) : std::string("unlimited");
      if (soft && *soft < kMinRdmaMemlockBytes && !ipc_lock && !nodes.empty()) {
        f.problem(Status::Warn,
                  fmt::format("locked-memory limit {} (no CAP_IPC_LOCK): RDMA memory "
                              "registration (ibv_reg_mr) fails beyond it",
                              *memlock_text),
                  "run with `--ulimit memlock=-1:-1` (podman: also pass `--ulimit nofile=...` and "
                  "`--ulimit nproc=...` again); on Kubernetes LimitMEMLOCK=infinity for the "
                  "container runtime");
      }
    }
  }

  if (!f.problems().empty()) {
    CheckResult r = make_result({}, {}, f.status(), f.message(), f.hint());
    r.metrics = std::move(metrics);
    return r;
  }
  std::vector<std::string> parts;
  if (!active.empty()) parts.push_back("active: " + joined(active));
  if (!nodes.empty())
    parts.push_back(
        fmt::format("{} open read-write", plural(open_ok, "verbs node", "verbs nodes")));
  if (!gdr.empty()) parts.push_back(gdr);
  if (memlock_text) parts.push_back("memlock " + *memlock_text);
  std::string message;
  for (const auto& p : parts) message += (message.empty() ? "" : "; ") + p;
  if (!f.notes().empty()) message += "; " + f.message();
  CheckResult r = make_result({}, {}, Status::Pass, message);
  r.metrics = std::move(metrics);
  return r;
}

}  // namespace gpuval::checks
