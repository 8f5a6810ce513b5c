// NVIDIA_DRIVER_CAPABILITIES: for each requested capability, are the files it brings really in
// the container? The variable only says what the runtime was asked to mount; this check looks.
#include <fmt/format.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "validate/driver/capability_list.hpp"
#include "validate/checks.hpp"

namespace gpuval::checks {
namespace {

enum class Source { Library, Binary, VulkanIcd };

struct Piece {
  std::string_view name;  // soname, binary or file name
  Source source;
  bool optional;  // absent on older drivers: WARN, not FAIL
};

// What each capability brings, as far as gpuval can verify it.
std::vector<Piece> pieces_of(DriverCapability cap) {
  switch (cap) {
    case DriverCapability::Utility:
      return {{"nvidia-smi", Source::Binary, false}, {"libnvidia-ml.so.1", Source::Library, false}};
    case DriverCapability::Compute:
      return {{"libcuda.so.1", Source::Library, false},
              {"libnvidia-ptxjitcompiler.so.1", Source::Library, false},
              {"libnvidia-nvvm.so.4", Source::Library, true}};
    case DriverCapability::Video:
      return {{"libnvcuvid.so.1", Source::Library, false},
              {"libnvidia-encode.so.1", Source::Library, false}};
    case DriverCapability::Graphics:
      return {{"libGLX_nvidia.so.0", Source::Library, false},
              {"libEGL_nvidia.so.0", Source::Library, false},
              {"nvidia_icd.json", Source::VulkanIcd, false}};
    case DriverCapability::Display:
    case DriverCapability::Ngx:
    case DriverCapability::Compat32:
      return {};  // not verified (no single file says it works)
  }
  return {};
}

std::optional<std::string> first_file(const Context& ctx, const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    NodeInfo n = ctx.fs.stat(p);
    if (n.exists && !n.is_directory) return p;
  }
  return std::nullopt;
}

std::optional<std::string> find_binary(const Context& ctx, std::string_view name) {
  std::vector<std::string> dirs = {"/usr/bin", "/usr/local/bin", "/usr/local/nvidia/bin"};
  if (auto path = ctx.env.get("PATH")) {
    std::string_view rest = *path;
    for (;;) {
      auto colon = rest.find(':');
      std::string dir(rest.substr(0, colon));
      // Relative and empty entries mean "the current directory": not where a runtime mounts.
      if (!dir.empty() && dir.front() == '/') dirs.push_back(dir);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  std::vector<std::string> candidates;
  std::set<std::string> seen;
  for (auto& dir : dirs) {
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (seen.insert(dir).second) candidates.push_back(dir + "/" + std::string(name));
  }
  return first_file(ctx, candidates);
}

std::optional<std::string> locate(const Context& ctx, const Piece& piece) {
  switch (piece.source) {
    case Source::Binary:
      return find_binary(ctx, piece.name);
    case Source::VulkanIcd:
      return first_file(
          ctx, {"/etc/vulkan/icd.d/nvidia_icd.json", "/usr/share/vulkan/icd.d/nvidia_icd.json"});
    case Source::Library: {
      LibraryLoad load = ctx.libraries->load(std::string(piece.name));
      if (!load.loaded) return std::nullopt;
      return load.resolved_path.empty() ? std::string(piece.name) : load.resolved_path;
    }
  }
  return std::nullopt;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

std::string missing_hint(const Facts& facts, const DriverCapabilities& caps) {
  if (facts.injection == "cdi") {
    return "with CDI the spec decides what is mounted (NVIDIA_DRIVER_CAPABILITIES is ignored): "
           "regenerate it on the host with `nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`";
  }
  if (facts.injection == "none" && facts.in_container) {
    return "no driver injection seen: pass the GPU through the NVIDIA toolkit "
           "(--device nvidia.com/gpu=all with CDI, or --gpus all) rather than bare "
           "--device /dev/nvidiaN, so the driver files are mounted";
  }
  if (facts.injection == "none") {
    return "install the NVIDIA driver's user-space libraries and tools on this machine";
  }
  std::vector<std::string> names;
  for (auto c : caps.requested) names.emplace_back(to_string(c));
  return "add it: -e NVIDIA_DRIVER_CAPABILITIES=" + join(names, ",") +
         " (legacy hook); with CDI the spec decides — regenerate it with `nvidia-ctk cdi "
         "generate`";
}

}  // namespace

CheckResult driver_capabilities(const Context& ctx, Facts& facts) {
  const DriverCapabilities caps =
      parse_driver_capabilities(ctx.env.get("NVIDIA_DRIVER_CAPABILITIES"));

  nlohmann::json per_cap = nlohmann::json::object();
  std::vector<std::string> missing;           // "compute (libcuda.so.1, ...)"
  std::vector<std::string> optional_missing;  // "compute (libnvidia-nvvm.so.4)"
  std::vector<std::string> not_verified;
  std::vector<std::string> requested;
  bool anything_present = false;
  for (DriverCapability cap : caps.requested) {
    const std::string name(to_string(cap));
    requested.push_back(name);
    const std::vector<Piece> pieces = pieces_of(cap);
    nlohmann::json entry = {{"verified", !pieces.empty()},
                            {"present", nlohmann::json::object()},
                            {"missing", nlohmann::json::array()},
                            {"optional_missing", nlohmann::json::array()}};
    if (pieces.empty()) not_verified.push_back(name);
    std::vector<std::string> lacking;
    std::vector<std::string> lacking_optional;
    for (const Piece& piece : pieces) {
      const std::string file(piece.name);
      if (auto where = locate(ctx, piece)) {
        anything_present = true;
        entry["present"][file] = *where;
      } else if (piece.optional) {
        entry["optional_missing"].push_back(file);
        lacking_optional.push_back(file);
      } else {
        entry["missing"].push_back(file);
        lacking.push_back(file);
      }
    }
    if (!lacking.empty()) missing.push_back(name + " (" + join(lacking, ", ") + ")");
    if (!lacking_optional.empty()) {
      optional_missing.push_back(name + " (" + join(lacking_optional, ", ") + ")");
    }
    per_cap[name] = std::move(entry);
  }

  nlohmann::json unknown = nlohmann::json::array();
  std::vector<std::string> unknown_notes;
  for (const auto& u : caps.unknown) {
    unknown.push_back({{"token", u.token}, {"reason", u.reason}});
    unknown_notes.push_back(fmt::format("'{}' ({})", u.token, u.reason));
  }

  CheckResult r;
  const std::string shown = caps.mode == DriverCapabilities::Mode::Default
                                ? "NVIDIA_DRIVER_CAPABILITIES " +
                                      std::string(caps.raw ? "empty" : "unset") +
                                      " (default utility,compute)"
                                : "NVIDIA_DRIVER_CAPABILITIES=" + caps.raw.value_or("");
  if (facts.injection == "none" && facts.gpu_nodes == 0 && !anything_present) {
    r = make_result({}, {}, Status::Skip,
                    "no driver injected (see injection): none of the requested capabilities' "
                    "files are present");
  } else {
    std::vector<std::string> notes;
    Status status = Status::Pass;
    std::string hint;
    if (!missing.empty()) {
      status = Status::Fail;
      notes.push_back("missing " + join(missing, ", "));
      hint = missing_hint(facts, caps);
    }
    if (!optional_missing.empty()) {
      notes.push_back("missing " + join(optional_missing, ", ") +
                      " (older drivers do not ship it)");
      if (status == Status::Pass) {
        status = Status::Warn;
        hint =
            "fine on older drivers; on a driver that ships it, update nvidia-container-toolkit "
            "or regenerate the CDI spec (`nvidia-ctk cdi generate`) so it is mounted";
      }
    }
    if (!unknown_notes.empty()) {
      notes.push_back("unknown capabilities " + join(unknown_notes, ", "));
      if (status == Status::Pass) {
        status = Status::Warn;
        hint = "use names from: compute, compat32, graphics, utility, video, display, ngx, all";
      }
    }
    if (status == Status::Pass) notes.push_back("every verifiable capability is present");
    if (!not_verified.empty()) notes.push_back("not verified: " + join(not_verified, ", "));
    std::string message = shown + ": " + join(notes, "; ");
    if (facts.injection == "cdi") {
      message += " (injection is CDI: the spec decides what is mounted, the variable is ignored)";
    }
    r = make_result({}, {}, status, std::move(message), std::move(hint));
  }

  r.metrics = {{"raw", caps.raw ? nlohmann::json(*caps.raw) : nlohmann::json(nullptr)},
               {"mode", std::string(to_string(caps.mode))},
               {"requested", requested},
               {"unknown", unknown},
               {"capabilities", per_cap},
               {"not_verified", not_verified},
               {"injection", facts.injection}};
  return r;
}

}  // namespace gpuval::checks
