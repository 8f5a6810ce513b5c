// driver-libraries: do libcuda.so.1 and libnvidia-ml.so.1 load, from where, which version?
// kernel-module: does the loaded user-space driver match the kernel module it talks to?
#include <string>
#include <vector>

#include "validate/checks.hpp"
#include "validate/driver/cuda_versions.hpp"

namespace gpuval::checks {
namespace {

constexpr const char* kLibcuda = "libcuda.so.1";
constexpr const char* kNvml = "libnvidia-ml.so.1";

struct Library {
  LibraryLoad load;
  std::string version;  // from the resolved file name; "" unknown
};

Library load_library(const Context& ctx, const char* soname) {
  Library lib{ctx.libraries->load(soname), {}};
  if (lib.load.loaded) lib.version = library_version_suffix(lib.load.resolved_path);
  return lib;
}

nlohmann::json library_json(const Library& lib) {
  nlohmann::json j = {{"loaded", lib.load.loaded}};
  if (lib.load.loaded) {
    j["path"] = lib.load.resolved_path;
    j["version"] = lib.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(lib.version);
  } else {
    j["error"] = lib.load.error;
  }
  return j;
}

std::string describe(const char* soname, const Library& lib) {
  std::string s = std::string(soname) + " -> " + lib.load.resolved_path;
  s += lib.version.empty() ? " (version unknown)" : " (" + lib.version + ")";
  return s;
}

// The toolkit ships a link-only stub libcuda; found at run time it makes cuInit fail with
// CUDA_ERROR_STUB_LIBRARY.
bool is_stub(const std::string& path) { return path.find("/stubs/") != std::string::npos; }

// cuda-compat installs a newer libcuda under /usr/local/cuda*/compat/ on purpose (forward
// compatibility), so a version above the kernel module's is expected there.
bool is_forward_compat(const std::string& path) {
  return path.find("/compat/") != std::string::npos;
}

bool newer_than(const std::string& a, const std::string& b) {
  auto va = parse_driver_version(a);
  auto vb = parse_driver_version(b);
  return va && vb && *va > *vb;
}

std::string missing_libcuda_hint(const Facts& facts) {
  if (facts.injection == "cdi") {
    return "compute capability not injected: regenerate the CDI spec (`nvidia-ctk cdi generate "
           "--output=/etc/cdi/nvidia.yaml`); never install driver libraries in the image";
  }
  return "compute capability not injected: NVIDIA_DRIVER_CAPABILITIES must include compute "
         "(legacy hook) or regenerate the CDI spec; never install driver libraries in the image";
}

}  // namespace

CheckResult driver_libraries(const Context& ctx, Facts& facts) {
  Library cuda = load_library(ctx, kLibcuda);
  Library nvml = load_library(ctx, kNvml);
  nlohmann::json metrics = {{"libcuda", library_json(cuda)}, {"nvml", library_json(nvml)}};
  auto result = [&](Status status, std::string message, std::string hint = {}) {
    CheckResult r = make_result({}, {}, status, std::move(message), std::move(hint));
    r.metrics = std::move(metrics);
    return r;
  };

  if (!cuda.load.loaded) {
    std::string message = std::string(kLibcuda) + " not loadable: " + cuda.load.error;
    std::string hint = missing_libcuda_hint(facts);
    facts.block(blocker_priority::kLibraryMissing, "driver-libraries", message, hint);
    return result(Status::Fail, std::move(message), std::move(hint));
  }
  if (is_stub(cuda.load.resolved_path)) {
    std::string message = std::string(kLibcuda) + " resolves to the CUDA toolkit's stub " +
                          cuda.load.resolved_path + " (cuInit fails with CUDA_ERROR_STUB_LIBRARY)";
    std::string hint =
        "remove the stubs directory from LD_LIBRARY_PATH / ld.so.conf; the real libcuda comes "
        "from the host driver via CDI or the NVIDIA hook";
    facts.block(blocker_priority::kLibraryMissing, "driver-libraries", message, hint);
    return result(Status::Fail, std::move(message), std::move(hint));
  }

  std::string found = describe(kLibcuda, cuda);
  if (is_forward_compat(cuda.load.resolved_path)) found += " [cuda-compat]";
  if (!nvml.load.loaded) {
    return result(Status::Warn,
                  found + "; " + kNvml +
                      " not loadable (nvidia-smi and NVML checks unavailable): " + nvml.load.error,
                  "utility capability not injected: add `utility` to NVIDIA_DRIVER_CAPABILITIES "
                  "(legacy hook) or regenerate the CDI spec");
  }
  found += ", " + describe(kNvml, nvml);
  if (!cuda.version.empty() && !nvml.version.empty() && cuda.version != nvml.version &&
      !is_forward_compat(cuda.load.resolved_path)) {
    return result(Status::Warn,
                  "driver libraries from two installs: libcuda " + cuda.version + " vs NVML " +
                      nvml.version + " (" + found + ")",
                  "remove driver libraries from the image (they must come from the host at run "
                  "time) and regenerate the CDI spec");
  }
  return result(Status::Pass, std::move(found));
}

CheckResult kernel_module(const Context& ctx, Facts& facts) {
  constexpr const char* kPath = "/proc/driver/nvidia/version";
  auto text = ctx.fs.read_file(kPath);
  if (!text) {
    if (facts.gpu_nodes == 0) {
      return make_result({}, {}, Status::Skip,
                         std::string("no NVIDIA kernel module visible (no ") + kPath + ")");
    }
    return make_result(
        {}, {}, Status::Warn,
        std::string(kPath) +
            " unreadable although GPU nodes exist: library vs kernel module versions not compared",
        "check that /proc/driver/nvidia is not masked (e.g. a custom --security-opt mask) and "
        "run `cat /proc/driver/nvidia/version` on the host");
  }
  KernelModuleParse parsed = parse_kernel_module_version(*text);
  if (!parsed.info) {
    return make_result({}, {}, Status::Warn,
                       std::string("cannot parse ") + kPath + ": " + parsed.error,
                       "compare `cat /proc/driver/nvidia/version` with `nvidia-smi` on the host; "
                       "report the file's content as a gpuval bug if the driver is healthy");
  }
  const KernelModuleInfo& km = *parsed.info;
  facts.kernel_module_version = km.version;

  Library cuda = load_library(ctx, kLibcuda);
  Library nvml = load_library(ctx, kNvml);
  nlohmann::json metrics = {
      {"kernel_module", {{"version", km.version}, {"flavor", km.flavor}, {"arch", km.arch}}},
      {"libcuda_version",
       cuda.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(cuda.version)},
      {"nvml_version",
       nvml.version.empty() ? nlohmann::json(nullptr) : nlohmann::json(nvml.version)}};
  auto result = [&](Status status, std::string message, std::string hint = {}) {
    CheckResult r = make_result({}, {}, status, std::move(message), std::move(hint));
    r.metrics = std::move(metrics);
    return r;
  };

  std::string module = "kernel module " + km.version;
  if (!km.flavor.empty()) {
    module += " (" + km.flavor + (km.arch.empty() ? "" : ", " + km.arch) + ")";
  }

  std::vector<std::string> mismatches;
  std::vector<std::string> matches;
  bool forward_compat = false;
  auto compare = [&](const char* label, const Library& lib, bool compat_allowed) {
    if (lib.version.empty()) return;
    if (lib.version == km.version) {
      matches.push_back(label);
    } else if (compat_allowed && is_forward_compat(lib.load.resolved_path) &&
               newer_than(lib.version, km.version)) {
      // Only a newer compat libcuda is forward compatibility; an older one is a stale image
      // (CUDA_ERROR_SYSTEM_DRIVER_MISMATCH).
      forward_compat = true;
    } else {
      mismatches.push_back(std::string(label) + " " + lib.version + " vs " + module);
    }
  };
  compare("libcuda", cuda, true);
  compare("NVML", nvml, false);

  if (!mismatches.empty()) {
    std::string message = mismatches.front();
    for (std::size_t i = 1; i < mismatches.size(); ++i) message += "; " + mismatches[i];
    std::string hint =
        "host driver was upgraded without reboot, or the image ships its own driver libraries, or "
        "the CDI spec is stale: reboot / `nvidia-ctk cdi generate` / remove driver libs from the "
        "image";
    facts.block(blocker_priority::kVersionMismatch, "kernel-module", message, hint);
    return result(Status::Fail, std::move(message), std::move(hint));
  }
  if (forward_compat) {
    return result(
        Status::Warn,
        "libcuda " + cuda.version + " from cuda-compat on " + module + ": forward compatibility",
        "works on data-centre GPUs only (else CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE, "
        "804); upgrading the host driver removes the need");
  }
  if (matches.empty()) {
    return result(Status::Skip, module + "; no driver library version to compare with");
  }
  std::string with = matches.front();
  for (std::size_t i = 1; i < matches.size(); ++i) with += " and " + matches[i];
  return result(Status::Pass, module + " matches " + with);
}

}  // namespace gpuval::checks
