// mig-devices: MIG slices as devices of their own. For every MIG-enabled GPU NVML enumerates: its
// MIG devices (profile, GPU/compute instance, SMs, share of the memory slices); which of them CUDA
// enumerates here and whether that is what the request allows; each CUDA MIG device bound to
// its NVML MIG device by UUID (so its peaks are the slice's); and, for a requested MIG device CUDA
// does not enumerate, why (its capability nodes from mig-caps, the driver's enumeration rule).
//
// CUDA's enumeration rule (MIG user guide, "CUDA Device Enumeration"): with R450-R565 drivers a
// process enumerates one MIG device in all, and no whole GPU besides it; from R570 one compute
// instance per GPU instance (at most 64), whole GPUs too.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "core/device_inventory.hpp"
#include "core/nvml_mig.hpp"
#include "core/plural.hpp"
#include "validate/checks.hpp"
#include "validate/findings.hpp"
#include "validate/parsers/device_list.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

constexpr int kPerGiEnumerationDriver = 570;  // R570: one CI per GPU instance
constexpr std::size_t kCudaMigLimit = 64;

// The driver's major version ("570.86.15" -> 570), from NVML or the kernel module.
std::optional<int> driver_major(const Facts& facts) {
  std::string v = facts.nvml && facts.nvml->driver_version ? *facts.nvml->driver_version
                                                           : facts.kernel_module_version;
  int major = 0;
  std::size_t i = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])) != 0) {
    major = major * 10 + (v[i] - '0');
    if (++i > 4) return std::nullopt;
  }
  if (i == 0) return std::nullopt;
  return major;
}

struct Slice {
  const NvmlDevice* board = nullptr;
  const NvmlMigDevice* mig = nullptr;
};

std::string describe(const Slice& s) {
  return fmt::format(
      "{} {}", s.mig->profile.value_or("MIG device"),
      s.mig->uuid.value_or(fmt::format("(GPU {} slot {})", s.board->index, s.mig->index)));
}

// A requested MIG device: "MIG-<uuid>", or the older "MIG-GPU-<uuid>/<gi>/<ci>".
const Slice* find_requested(const std::vector<Slice>& slices, const std::string& token) {
  const std::string body = uuid_body(token);
  if (body.starts_with("gpu-")) {
    // MIG-GPU-<uuid>/<gi>/<ci>
    const auto slash = body.find('/');
    const auto slash2 = slash == std::string::npos ? slash : body.find('/', slash + 1);
    if (slash2 == std::string::npos) return nullptr;
    const std::string gpu = body.substr(4, slash - 4);
    const int gi = std::atoi(body.substr(slash + 1, slash2 - slash - 1).c_str());
    const int ci = std::atoi(body.substr(slash2 + 1).c_str());
    for (const Slice& s : slices) {
      if (s.board->uuid && uuid_body(*s.board->uuid) == gpu && s.mig->gpu_instance_id &&
          static_cast<int>(*s.mig->gpu_instance_id) == gi && s.mig->compute_instance_id &&
          static_cast<int>(*s.mig->compute_instance_id) == ci) {
        return &s;
      }
    }
    return nullptr;
  }
  for (const Slice& s : slices) {
    if (s.mig->uuid && uuid_body(*s.mig->uuid) == body) return &s;
  }
  return nullptr;
}

// The capability nodes (from mig-caps) a slice needs, and what is wrong with them; "" when all
// open or nothing is known about them.
std::string caps_problem(const Facts& facts, const Slice& s) {
  // On bare metal the driver creates missing nodes on first use.
  if (!facts.in_container || !facts.mig_minors_read || !s.board->mig.minor_number ||
      !s.mig->gpu_instance_id || !s.mig->compute_instance_id) {
    return {};
  }
  const int gpu = static_cast<int>(*s.board->mig.minor_number);
  const int gi = static_cast<int>(*s.mig->gpu_instance_id);
  const int ci = static_cast<int>(*s.mig->compute_instance_id);
  std::vector<std::string> wrong;
  for (const int want_ci : {-1, ci}) {
    const auto it = std::find_if(facts.mig_caps.begin(), facts.mig_caps.end(), [&](auto& n) {
      return n.gpu == gpu && n.gpu_instance == gi && n.compute_instance == want_ci;
    });
    const std::string name = want_ci < 0 ? fmt::format("gpu{}/gi{}/access", gpu, gi)
                                         : fmt::format("gpu{}/gi{}/ci{}/access", gpu, gi, ci);
    if (it == facts.mig_caps.end()) {
      wrong.push_back(name + " not in mig-minors");
    } else if (it->path.empty()) {
      wrong.push_back(fmt::format("{} (nvidia-cap{}) has no node", name, it->minor));
    } else if (it->open_errno != 0 || !it->problem.empty()) {
      wrong.push_back(fmt::format("{} does not open (see mig-caps)", it->path));
    }
  }
  std::string out;
  for (const std::string& w : wrong) out += (out.empty() ? "" : ", ") + w;
  return out;
}

}  // namespace

CheckResult mig_devices(const Context& ctx, Facts& facts) {
  std::vector<Slice> slices;
  json boards = json::array();
  std::size_t mig_boards = 0;
  if (facts.nvml) {
    for (const NvmlDevice& d : facts.nvml->devices) {
      if (!d.mig_enabled.value_or(false)) continue;
      ++mig_boards;
      json list = json::array();
      for (const NvmlMigDevice& m : d.mig.devices) {
        slices.push_back({&d, &m});
        list.push_back(nvml_mig_device_json(d, m));
      }
      boards.push_back({{"nvml_index", d.index},
                        {"uuid", d.uuid ? json(*d.uuid) : json(nullptr)},
                        {"name", d.name ? json(*d.name) : json(nullptr)},
                        {"max_devices", d.mig.max_devices ? json(*d.mig.max_devices) : json()},
                        {"mig_devices", list}});
    }
  }
  std::vector<const CudaDeviceInfo*> cuda_mig;
  std::size_t cuda_whole = 0;
  if (facts.cuda && facts.cuda->init_code == 0) {
    for (const CudaDeviceInfo& c : facts.cuda->devices) {
      if (c.mig) {
        cuda_mig.push_back(&c);
      } else {
        ++cuda_whole;
      }
    }
  }
  // Requested MIG devices: by UUID in either variable (NVIDIA_VISIBLE_DEVICES only in a container,
  // where the runtime reads it).
  std::vector<std::string> requested;
  if (facts.in_container) {
    for (const DeviceId& e :
         parse_nvidia_visible_devices(ctx.env.get("NVIDIA_VISIBLE_DEVICES")).entries) {
      const DeviceIdKind k =
          e.kind == DeviceIdKind::CdiName && e.cdi_target ? *e.cdi_target : e.kind;
      if (k == DeviceIdKind::MigUuid) {
        requested.push_back(e.kind == DeviceIdKind::CdiName ? e.cdi_device : e.token);
      }
    }
  }
  const CudaVisibleDevices cvd = parse_cuda_visible_devices(ctx.env.get("CUDA_VISIBLE_DEVICES"));
  std::vector<std::string> cuda_listed;
  for (const DeviceId& e : cvd.effective) {
    if (e.kind == DeviceIdKind::MigUuid) cuda_listed.push_back(e.token);
  }
  for (const std::string& t : cuda_listed) {
    if (std::find(requested.begin(), requested.end(), t) == requested.end()) requested.push_back(t);
  }

  const std::optional<int> drv = driver_major(facts);
  json metrics = {{"boards", boards},
                  {"cuda_mig_devices", cuda_mig.size()},
                  {"cuda_whole_gpus", cuda_whole},
                  {"requested", requested},
                  {"driver_major", drv ? json(*drv) : json(nullptr)}};
  auto result = [&metrics](Status s, std::string message, std::string hint = {}) {
    CheckResult r = make_result({}, {}, s, std::move(message), std::move(hint));
    r.metrics = std::move(metrics);
    return r;
  };
  if (mig_boards == 0 && cuda_mig.empty() && requested.empty()) {
    return result(Status::Skip, facts.nvml ? "no GPU has MIG enabled and no MIG device is requested"
                                           : "NVML inventory not available and no MIG device "
                                             "in use (see nvml)");
  }

  Findings f;
  for (const json& b : boards) {
    std::string names;
    for (const json& m : b["mig_devices"]) {
      names += (names.empty() ? "" : ", ") +
               (m["profile"].is_string() ? m["profile"].get<std::string>() : std::string("?"));
    }
    f.note(fmt::format("GPU {}: MIG on, {}{}", b["nvml_index"].get<unsigned>(),
                       plural(b["mig_devices"].size(), "MIG device", "MIG devices"),
                       names.empty() ? "" : " (" + names + ")"));
  }

  // The slices requested by name must exist, and CUDA must enumerate them if the rule allows.
  std::vector<const Slice*> wanted;
  for (const std::string& t : requested) {
    const Slice* s = find_requested(slices, t);
    if (s == nullptr) {
      f.problem(Status::Fail,
                fmt::format("requested {} is not among the MIG devices NVML lists{}", t,
                            slices.empty() ? " (none)" : ""),
                "check the UUID on the host with `nvidia-smi -L` (MIG UUIDs change when the "
                "instances are re-created), and that its capability nodes were injected (see "
                "mig-caps)");
      continue;
    }
    wanted.push_back(s);
  }
  auto enumerated = [&](const Slice& s) {
    return std::any_of(cuda_mig.begin(), cuda_mig.end(), [&](const CudaDeviceInfo* c) {
      return s.mig->uuid && uuid_body(c->uuid) == uuid_body(*s.mig->uuid);
    });
  };
  const bool per_gi = drv && *drv >= kPerGiEnumerationDriver;
  const std::string rule =
      per_gi ? fmt::format("R{}: one compute instance per GPU instance", *drv)
             : fmt::format("{}: one MIG device per process",
                           drv ? fmt::format("R{}", *drv) : std::string("driver < R570"));
  metrics["rule"] = rule;
  // The GPU instances CUDA already uses a compute instance of.
  std::set<std::pair<unsigned, unsigned>> used_gis;
  for (const Slice& s : slices) {
    if (enumerated(s) && s.mig->gpu_instance_id) {
      used_gis.insert({s.board->index, *s.mig->gpu_instance_id});
    }
  }
  for (const Slice* s : wanted) {
    if (enumerated(*s)) continue;
    const std::string caps = caps_problem(facts, *s);
    const bool gi_taken =
        s->mig->gpu_instance_id && used_gis.count({s->board->index, *s->mig->gpu_instance_id}) > 0;
    if (!caps.empty()) {
      f.problem(Status::Fail,
                fmt::format("CUDA does not enumerate requested {}: {}", describe(*s), caps),
                "inject the MIG device's capability nodes (see mig-caps): request it by MIG "
                "UUID (CDI --device nvidia.com/gpu=MIG-<uuid>, or NVIDIA_VISIBLE_DEVICES)");
    } else if ((!per_gi && !cuda_mig.empty()) || (per_gi && gi_taken)) {
      f.problem(
          Status::Warn,
          fmt::format("CUDA does not enumerate requested {}: {} ({} already enumerated)",
                      describe(*s), rule, plural(cuda_mig.size(), "MIG device", "MIG devices")),
          per_gi ? "list one compute instance per GPU instance in CUDA_VISIBLE_DEVICES"
                 : "run one process per MIG device (CUDA_VISIBLE_DEVICES=MIG-<uuid> each), "
                   "or update the driver to R570+ (one compute instance per GPU instance)");
    } else if (facts.cuda && facts.cuda->init_code == 0) {
      f.problem(Status::Fail, fmt::format("CUDA does not enumerate requested {}", describe(*s)),
                "compare `nvidia-smi -L` inside the container with CUDA_VISIBLE_DEVICES; a MIG "
                "device needs a compute instance (`nvidia-smi mig -lci` on the host)");
    }
  }

  // What CUDA enumerates against what the rule allows for the slices visible here.
  if (facts.cuda && facts.cuda->init_code == 0) {
    std::set<std::pair<unsigned, unsigned>> gis;
    for (const Slice& s : slices) {
      if (s.mig->gpu_instance_id) gis.insert({s.board->index, *s.mig->gpu_instance_id});
    }
    const std::size_t allowed = slices.empty() ? 0
                                : per_gi       ? std::min(gis.size(), kCudaMigLimit)
                                               : std::size_t{1};
    metrics["cuda_allowed"] = allowed;
    if (!slices.empty() && cuda_mig.empty() && cvd.all_devices() &&
        (!requested.empty() || cuda_whole == 0)) {
      f.problem(Status::Fail,
                fmt::format("NVML lists {}, CUDA enumerates none of them",
                            plural(slices.size(), "MIG device", "MIG devices")),
                "CUDA needs the MIG devices' capability nodes (see mig-caps); on the host check "
                "that each GPU instance has a compute instance (`nvidia-smi mig -lci`)");
    } else if (!cuda_mig.empty()) {
      f.note(fmt::format(
          "CUDA enumerates {} ({}{})", plural(cuda_mig.size(), "MIG device", "MIG devices"), rule,
          !per_gi && cuda_whole == 0 && facts.nvml && facts.nvml->device_count > mig_boards
              ? "; whole GPUs are hidden while a MIG device is enumerated"
              : ""));
    }
    if (!per_gi && cuda_mig.size() < slices.size() && requested.size() <= 1 && !slices.empty() &&
        !cuda_mig.empty()) {
      f.note(fmt::format("{} visible here, CUDA uses one per process before R570",
                         plural(slices.size(), "MIG device is", "MIG devices are")));
    }
  }

  // Every CUDA MIG device tied to its NVML MIG device: its profile and memory share known.
  json bound = json::array();
  for (const CudaDeviceInfo* c : cuda_mig) {
    const NvmlMigDevice* m =
        mig_device_for(facts.mig_bindings, facts.nvml ? &*facts.nvml : nullptr, c->ordinal);
    std::string how;
    for (const MigBinding& b : facts.mig_bindings) {
      if (b.cuda_ordinal == c->ordinal) how = b.how;
    }
    bound.push_back({{"cuda_ordinal", c->ordinal},
                     {"uuid", c->uuid},
                     {"profile", m != nullptr && m->profile ? json(*m->profile) : json(nullptr)},
                     {"binding", how}});
    if (m == nullptr) {
      f.note(
          fmt::format("CUDA device {} ({}) not tied to an NVML MIG device ({}): its DRAM "
                      "bandwidth has no peak",
                      c->ordinal, c->uuid, how.empty() ? "no NVML" : how));
    } else {
      f.note(fmt::format("CUDA device {} is {} {}", c->ordinal, m->profile.value_or("MIG device"),
                         c->uuid));
    }
  }
  metrics["cuda_bindings"] = bound;
  return result(f.status(), f.message(), f.hint());
}

}  // namespace gpuval::checks
