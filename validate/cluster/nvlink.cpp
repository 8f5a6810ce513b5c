// nvlink: every NVLink of every GPU this process uses, as NVML reports it (state, version, speed,
// far end). A link that should be up and is not makes collectives crawl over PCIe or hang; the
// expected count comes from the board model where gpuval knows it (SXM parts, whose links are
// all wired), else from the GPU's peers of the same model. Boards without NVLink (PCIe parts,
// NVML NOT_SUPPORTED) are not a finding.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/nvml_abi.hpp"
#include "core/nvml_cluster.hpp"
#include "core/plural.hpp"
#include "validate/checks.hpp"
#include "validate/cluster/cluster_boards.hpp"
#include "validate/findings.hpp"
#include "validate/gpu/nvml_advice.hpp"

namespace gpuval::checks {
namespace {

using nlohmann::json;

constexpr std::string_view kLinkDownHint =
    "on the host: `nvidia-smi nvlink -s` (state) and `nvidia-smi nvlink -e` (error counters) for "
    "that GPU; on NVSwitch systems check that nvidia-fabricmanager runs (same version as the "
    "driver); reset the GPU while idle (`nvidia-smi -r -i <n>`) or reboot; a link that stays down "
    "needs the vendor (reseat / RMA)";

// NVLinks every board of these SXM models has wired (HGX baseboards, NVSwitch or direct): a
// link fewer is a fault. Keyed by PCI device id (nvmlPciInfo_t.pciDeviceId >> 16), the same ids
// core/peaks uses. Other models (PCIe cards with bridges, superchips whose links go to an
// external switch) take the expected count from their peers.
struct ModelLinks {
  unsigned device_id;
  const char* model;
  unsigned links;
};
constexpr ModelLinks kModelLinks[] = {
    {0x2330, "H100 SXM5 80GB", 18},
    {0x2335, "H200 SXM 141GB", 18},
    {0x20B0, "A100 SXM4 40GB", 12},
    {0x20B2, "A100 SXM4 80GB", 12},
};

const ModelLinks* model_links(const NvmlDevice& d) {
  if (!d.pci_device_id) return nullptr;
  const unsigned id = *d.pci_device_id >> 16;
  for (const ModelLinks& m : kModelLinks) {
    if (m.device_id == id) return &m;
  }
  return nullptr;
}

struct BoardLinks {
  ClusterBoard board;
  NvmlNvLinkReport report;
  std::size_t active = 0;
};

std::string link_list(const std::vector<unsigned>& links) {
  std::string out;
  for (unsigned l : links) out += (out.empty() ? "" : ", ") + std::to_string(l);
  return out;
}

json link_json(const NvmlNvLink& l) {
  json j = {{"link", l.link}, {"active", l.active}};
  j["version"] = l.version ? json(*l.version) : json(nullptr);
  j["version_name"] = l.version ? json(nvlink_version_name(*l.version)) : json(nullptr);
  j["speed_mbps"] = l.speed_mbps ? json(*l.speed_mbps) : json(nullptr);
  j["remote"] = l.remote_type ? json(nvlink_remote_name(*l.remote_type)) : json(nullptr);
  j["remote_pci_bus_id"] = l.remote_pci_bus_id ? json(*l.remote_pci_bus_id) : json(nullptr);
  return j;
}

// "NVLink 4.0, 26.6 GB/s per link and direction" from the active links.
std::string link_summary(const std::vector<BoardLinks>& boards) {
  std::map<std::string, std::size_t> versions;
  std::optional<unsigned> speed;
  for (const BoardLinks& b : boards) {
    for (const NvmlNvLink& l : b.report.links) {
      if (!l.active) continue;
      if (l.version) ++versions[nvlink_version_name(*l.version)];
      if (l.speed_mbps && (!speed || *l.speed_mbps < *speed)) speed = *l.speed_mbps;
    }
    if (!speed && b.report.common_speed_mbps && *b.report.common_speed_mbps > 0) {
      speed = b.report.common_speed_mbps;
    }
  }
  std::string out;
  for (const auto& [name, n] : versions) {
    if (!name.empty()) out += (out.empty() ? "NVLink " : "/") + name;
  }
  if (speed && *speed > 0) {
    out += fmt::format("{}{:.1f} GB/s per link and direction", out.empty() ? "" : ", ",
                       *speed / 1000.0);
  }
  return out;
}

}  // namespace

CheckResult nvlink(const Context& ctx, Facts& facts) {
  ClusterBoards cb = cluster_boards(ctx, facts);
  if (cb.skip) return *cb.skip;

  std::vector<BoardLinks> boards;
  bool api = false;
  for (const ClusterBoard& b : cb.boards) {
    BoardLinks bl{b, read_nvlink(*cb.session, b.nvml->index), 0};
    bl.active =
        static_cast<std::size_t>(std::count_if(bl.report.links.begin(), bl.report.links.end(),
                                               [](const NvmlNvLink& l) { return l.active; }));
    api = api || bl.report.api_present;
    boards.push_back(std::move(bl));
  }
  json devices = json::array();
  Findings f;
  // Errors first: a GPU whose links NVML cannot read is not judged by its links.
  for (const BoardLinks& b : boards) {
    for (const NvmlError& e : b.report.errors) {
      const NvmlAdvice advice = nvml_advice(e.code);
      f.problem(e.code == nvml_abi::kErrorGpuIsLost ? Status::Fail : Status::Warn,
                fmt::format("{}: {}", b.board.label, e.summary()), std::string(advice.hint));
    }
  }
  if (!api) {
    CheckResult r = make_result({}, {}, Status::Skip,
                                "this NVML has no NVLink queries (nvmlDeviceGetNvLinkState): "
                                "driver too old or stripped library");
    r.metrics = {{"devices", devices}};
    return r;
  }

  // The expected count of a model without a table entry: the most links any GPU of the same
  // name has up here.
  std::map<std::string, std::size_t> peer_best;
  for (const BoardLinks& b : boards) {
    if (!b.report.supported) continue;
    std::size_t& best = peer_best[b.board.nvml->name.value_or("")];
    best = std::max(best, b.active);
  }

  std::size_t with_nvlink = 0, without = 0, all_up = 0;
  std::size_t unwired = 0;  // NVLink-capable boards with no link up and nothing expected
  for (const BoardLinks& b : boards) {
    json d = board_json(b.board);
    json links = json::array();
    for (const NvmlNvLink& l : b.report.links) links.push_back(link_json(l));
    d["links"] = links;
    d["nvlink"] = b.report.supported;
    d["active"] = b.active;
    d["present"] = b.report.links.size();
    d["link_count"] = b.report.link_count ? json(*b.report.link_count) : json(nullptr);
    d["common_speed_mbps"] =
        b.report.common_speed_mbps ? json(*b.report.common_speed_mbps) : json(nullptr);
    if (!b.report.supported) {
      ++without;
      d["expected"] = 0;
      d["expected_basis"] = "no NVLink (NVML: not supported)";
      devices.push_back(std::move(d));
      continue;
    }
    ++with_nvlink;
    const ModelLinks* model = model_links(*b.board.nvml);
    const std::size_t expected =
        model != nullptr ? model->links : peer_best[b.board.nvml->name.value_or("")];
    d["expected"] = expected;
    d["expected_basis"] = model != nullptr ? fmt::format("model ({})", model->model)
                                           : std::string("peers of the same model");
    std::vector<unsigned> down;
    for (const NvmlNvLink& l : b.report.links) {
      if (!l.active) down.push_back(l.link);
    }
    d["down"] = down;
    if (b.active >= expected) {
      if (expected == 0)
        ++unwired;
      else
        ++all_up;
    } else {
      const std::size_t missing = expected - b.active;
      std::string what =
          fmt::format("{}: {} of {} NVLinks active", b.board.label, b.active, expected);
      if (down.size() == missing) {
        what += fmt::format(", {} down: {} {}", missing, down.size() == 1 ? "link" : "links",
                            link_list(down));
      } else if (!down.empty()) {
        // More links inactive than missing (some are not wired): name every inactive one.
        what +=
            fmt::format(", inactive: {} {}", down.size() == 1 ? "link" : "links", link_list(down));
      } else {
        what += fmt::format(", {} not reported by NVML", missing);
      }
      f.problem(Status::Fail, std::move(what), std::string(kLinkDownHint));
    }
    devices.push_back(std::move(d));
  }

  json metrics = {{"devices", devices},
                  {"gpus_with_nvlink", with_nvlink},
                  {"gpus_without_nvlink", without},
                  {"not_judged", cb.not_judged}};
  if (with_nvlink == 0 && f.problems().empty()) {
    CheckResult r = make_result(
        {}, {}, Status::Skip,
        fmt::format("no NVLink on {} (NVML: not supported, e.g. PCIe boards): GPUs talk over "
                    "PCIe",
                    without == 1 ? "the GPU" : plural(without, "GPU", "GPUs")));
    r.metrics = std::move(metrics);
    return r;
  }
  if (unwired > 0) {
    f.note(
        fmt::format("{} NVLink-capable with no link up and none expected (no bridge, or "
                    "links to an external switch)",
                    plural(unwired, "GPU", "GPUs")));
  }
  if (without > 0) f.note(fmt::format("{} without NVLink", plural(without, "GPU", "GPUs")));
  if (cb.not_judged > 0) {
    f.note(fmt::format("{} not judged: not visible to CUDA here",
                       plural(cb.not_judged, "GPU", "GPUs")));
  }
  if (f.problems().empty() && all_up == 0) {
    // Only NVLink-capable boards with nothing wired (a PCIe card without its bridge): nothing
    // to judge, and nothing wrong.
    CheckResult r = make_result({}, {}, Status::Skip, "no NVLink in use: " + f.message());
    r.metrics = std::move(metrics);
    return r;
  }
  std::string message;
  if (f.problems().empty()) {
    std::string head;
    if (all_up > 0) {
      const std::string summary = link_summary(boards);
      std::size_t expected = 0;
      for (const json& d : devices) expected = std::max(expected, d.value("expected", size_t{0}));
      head = fmt::format("{}: every expected NVLink active ({} per GPU{}{})",
                         plural(all_up, "GPU", "GPUs"), expected, summary.empty() ? "" : "; ",
                         summary);
    }
    const std::string rest = f.message();
    message = head.empty() ? rest : rest.empty() ? head : head + "; " + rest;
  } else {
    message = f.message();
  }
  CheckResult r = make_result({}, {}, f.status(), message, f.hint());
  r.metrics = std::move(metrics);
  return r;
}

}  // namespace gpuval::checks
