// cuda-driver: does cuInit succeed and see devices? cuda-compat: can this driver run the CUDA
// runtime gpuval was built with (directly, by minor-version compatibility, or via cuda-compat)?
#include <algorithm>
#include <optional>
#include <string>

#include "validate/checks.hpp"
#include "validate/driver/cuda_errors.hpp"
#include "validate/driver/cuda_versions.hpp"

namespace gpuval::checks {
namespace {

nlohmann::json status_json(const CudaDriverStatus& s) {
  return {{"library_loaded", s.library_loaded},
          {"library_path", s.library_path},
          {"load_error", s.load_error},
          {"driver_version", s.driver_version},
          {"driver_cuda", cuda_version_string(s.driver_version)},
          {"init_code", s.init_code},
          {"init_error", s.init_error},
          {"init_message", s.init_message},
          {"device_count", s.device_count}};
}

bool has_blocker(const Facts& facts, int priority) {
  return std::any_of(facts.blockers.begin(), facts.blockers.end(),
                     [&](const Blocker& b) { return b.priority == priority; });
}

// The driver branch ("550.54.15"): the kernel module's, else the libcuda file name's.
std::string driver_branch(const Facts& facts) {
  if (!facts.kernel_module_version.empty()) return facts.kernel_module_version;
  if (facts.cuda) return library_version_suffix(facts.cuda->library_path);
  return {};
}

bool has_compat_libcuda(const Sysroot& fs) {
  for (const std::string& name : fs.list_dir("/usr/local/cuda/compat")) {
    if (name.starts_with("libcuda.so.")) return true;
  }
  return false;
}

}  // namespace

CheckResult cuda_driver(const Context& ctx, Facts& facts) {
  const CudaDriverStatus s = ctx.cuda->probe();
  facts.cuda = s;
  facts.gpu_usable = s.library_loaded && s.init_code == 0 && s.device_count > 0;
  auto result = [&](Status status, std::string message, std::string hint = {}) {
    CheckResult r = make_result({}, {}, status, std::move(message), std::move(hint));
    r.metrics = status_json(s);
    return r;
  };

  if (s.offline) {
    facts.block(blocker_priority::kOffline, "cuda-driver",
                "offline analysis of " + ctx.fs.root().string() +
                    ": the CUDA driver was not loaded, so GPU usability was not tested",
                "run gpuval without --sysroot on the machine (or in the container) itself");
    return result(Status::Skip, "offline analysis (--sysroot): " + s.load_error);
  }
  if (!s.library_loaded) {
    std::string message = "libcuda.so.1 could not be loaded, so CUDA cannot start: " +
                          (s.load_error.empty() ? std::string("no reason given") : s.load_error);
    std::string hint =
        "see driver-libraries: the CUDA driver library must come from the host (CDI spec, or "
        "NVIDIA_DRIVER_CAPABILITIES including compute with the legacy hook)";
    // driver-libraries normally owns this blocker; add it only if it did not.
    if (!has_blocker(facts, blocker_priority::kLibraryMissing)) {
      facts.block(blocker_priority::kLibraryMissing, "cuda-driver", message, hint);
    }
    return result(Status::Fail, std::move(message), std::move(hint));
  }
  if (s.init_code < 0) {
    std::string message =
        "libcuda.so.1 loaded from " +
        (s.library_path.empty() ? std::string("an unknown path") : s.library_path) +
        " but cuInit was not run: " +
        (s.load_error.empty() ? std::string("no reason given") : s.load_error);
    std::string hint =
        "libcuda.so.1 is not a working CUDA driver library: remove any libcuda copy from the "
        "image and let the host's be injected (regenerate the CDI spec)";
    facts.block(blocker_priority::kCudaInit, "cuda-driver", message, hint);
    return result(Status::Fail, std::move(message), std::move(hint));
  }
  if (s.init_code != 0) {
    std::string message = "cuInit failed: " + cuda_error_display_name(s.init_code, s.init_error) +
                          " (" + std::to_string(s.init_code) + ")";
    if (!s.init_message.empty()) message += ": " + s.init_message;
    std::string hint = cuda_init_hint(s.init_code, facts, ctx.env);
    facts.block(blocker_priority::kCudaInit, "cuda-driver", message, hint);
    return result(Status::Fail, std::move(message), std::move(hint));
  }
  if (s.device_count <= 0) {
    std::string message = "cuInit succeeded but CUDA sees 0 devices";
    auto cvd = ctx.env.get("CUDA_VISIBLE_DEVICES");
    std::string hint =
        cvd ? "CUDA_VISIBLE_DEVICES=\"" + *cvd +
                  "\" hides every GPU: unset it or list valid indices / `nvidia-smi -L` UUIDs"
            : "check which GPUs the container was given (NVIDIA_VISIBLE_DEVICES or the CDI "
              "device) and `nvidia-smi -L` on the host";
    facts.block(blocker_priority::kNoDevice, "cuda-driver", message, hint);
    return result(Status::Fail, std::move(message), std::move(hint));
  }
  return result(Status::Pass, "CUDA " + cuda_version_string(s.driver_version) + " driver, " +
                                  std::to_string(s.device_count) + " device" +
                                  (s.device_count == 1 ? "" : "s"));
}

CheckResult cuda_compat(const Context& ctx, Facts& facts) {
  if (!facts.cuda || facts.cuda->driver_version <= 0) {
    return make_result({}, {}, Status::Skip, "CUDA driver version unknown (libcuda not loaded)");
  }
  const int driver = facts.cuda->driver_version;
  const int runtime = ctx.cuda_runtime_version;
  if (runtime <= 0) {
    return make_result({}, {}, Status::Skip, "CUDA runtime version unknown");
  }
  const std::string driver_cuda = cuda_version_string(driver);
  const std::string runtime_cuda = cuda_version_string(runtime);
  const std::string branch = driver_branch(facts);
  const std::optional<DriverVersion> floor = minor_compat_floor(cuda_major(runtime));
  auto result = [&](Status status, std::string message, std::string hint = {}) {
    CheckResult r = make_result({}, {}, status, std::move(message), std::move(hint));
    r.metrics = {
        {"driver_version", driver},
        {"driver_cuda", driver_cuda},
        {"runtime_version", runtime},
        {"runtime_cuda", runtime_cuda},
        {"driver_branch", branch.empty() ? nlohmann::json(nullptr) : nlohmann::json(branch)},
        {"minor_compat_floor", floor ? nlohmann::json(floor->text) : nlohmann::json(nullptr)}};
    return r;
  };

  if (driver >= runtime) {
    std::string message = "driver supports CUDA " + driver_cuda + " >= runtime " + runtime_cuda;
    if (facts.cuda->library_path.find("/compat/") != std::string::npos) {
      message += " (via cuda-compat)";
    }
    return result(Status::Pass, std::move(message));
  }

  const std::string gap = "driver CUDA " + driver_cuda +
                          (branch.empty() ? "" : " (" + branch + ")") + " < runtime " +
                          runtime_cuda;
  if (cuda_major(driver) == cuda_major(runtime)) {
    // A driver reporting CUDA N.x is at least the first N.x driver, which is the floor for 12 and
    // 13; with the branch known, compare exactly.
    auto parsed = parse_driver_version(branch);
    bool meets = !floor || !parsed || *parsed >= *floor;
    if (meets) {
      return result(Status::Warn,
                    gap + ": minor-version compatibility: PTX newer than the driver will not JIT",
                    "ship SASS for the GPUs you run on (not only PTX), or upgrade the host driver "
                    "to one for CUDA >= " +
                        runtime_cuda);
    }
  }
  const std::string upgrade =
      floor ? "upgrade the host driver to >= " + floor->text
            : "upgrade the host driver to one supporting CUDA " + runtime_cuda;
  if (has_compat_libcuda(ctx.fs)) {
    return result(Status::Warn,
                  gap +
                      ": forward compatibility via cuda-compat (data-centre GPUs only, else "
                      "error 804)",
                  "make sure /usr/local/cuda/compat is on the library path and the GPU is a "
                  "data-centre one; otherwise " +
                      upgrade);
  }
  return result(Status::Fail, gap + ": this driver cannot run the CUDA runtime",
                upgrade + " or use an image built for CUDA <= " + driver_cuda);
}

}  // namespace gpuval::checks
