// cublas / cudnn: load the probe module (probes/probe_abi.h) and run it on every device. A module
// that cannot be loaded SKIPs with the package or image that brings the library; a module that
// runs reports PASS or FAIL per device (validate/gpu/probe_outcome.cpp).
#include <memory>
#include <string>

#include "validate/checks.hpp"
#include "validate/gpu/gpu_checks.hpp"
#include "validate/gpu/gpu_outcome.hpp"
#include "probes/host/probe_loader.hpp"
#include "validate/gpu/probe_outcome.hpp"

namespace gpuval::checks {
namespace {

std::string join_dirs(const std::vector<std::string>& dirs) {
  std::string out;
  for (const std::string& d : dirs) out += (out.empty() ? "" : ", ") + d;
  return out.empty() ? std::string("(no directory: /proc/self/exe unreadable)") : out;
}

CheckResult load_failure(const ProbeModuleSpec& spec, const ProbeLoad& load, const Context& ctx) {
  const std::string package = probe_package_hint(spec, ctx.cuda_runtime_version);
  std::string message;
  std::string hint;
  switch (load.status) {
    case ProbeLoadStatus::DependencyMissing:
      message = std::string(spec.library) + " is not loadable here: " + load.error;
      hint = package;
      break;
    case ProbeLoadStatus::NotInstalled:
      message = std::string(spec.file) + " not found in " + join_dirs(load.searched);
      hint = "install gpuval's lib/ beside its bin/ (or point GPUVAL_PROBE_DIR at it); " + package;
      break;
    default:
      message = std::string(spec.file) + " could not be used (" +
                std::string(to_string(load.status)) + "): " + load.error;
      hint = "reinstall gpuval so bin/ and lib/ come from one build; if " +
             std::string(spec.library) + " itself is broken: " + package;
      break;
  }
  CheckResult r = make_result({}, {}, Status::Skip, std::move(message), std::move(hint));
  r.metrics = {{"module", std::string(spec.file)},
               {"load_status", std::string(to_string(load.status))},
               {"load_error", load.error},
               {"module_path", load.path},
               {"searched", load.searched}};
  return r;
}

DeviceOutcome run_module(const ProbeModuleSpec& spec, const gpuval_probe_module& module, int device,
                         std::uint64_t seed, bool corrupt) {
  gpuval_probe_request request{};
  request.struct_size = sizeof(request);
  request.device = device;
  request.flags = corrupt ? GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT : 0u;
  request.seed = seed + static_cast<std::uint64_t>(device);
  std::unique_ptr<char, void (*)(char*)> text(module.run(&request), module.free_result);
  if (text == nullptr) {
    return DeviceOutcome{device, Status::Fail, std::string(spec.file) + " returned no result",
                         "the probe module could not allocate its result: out of host memory?",
                         nlohmann::json::object()};
  }
  DeviceOutcome o = interpret_probe_result(spec, device, text.get());
  o.metrics["seed"] = request.seed;
  return o;
}

CheckResult run_probe(const ProbeModuleSpec& spec, const Context& ctx, Facts& facts,
                      const GpuCheckOptions& options) {
  if (gpu_unusable(facts)) return skip_no_gpu();
  const ProbeLoad load = load_probe_module(spec, probe_search_dirs(ctx.env));
  if (load.status != ProbeLoadStatus::Loaded) return load_failure(spec, load, ctx);
  const std::uint64_t seed = pick_seed(options.seed);
  auto outcomes = for_each_device(facts, [&](int d) {
    return run_module(spec, *load.module, d, seed, options.corrupt_one_element);
  });
  return roll_up(outcomes, {{"module_path", load.path}});
}

}  // namespace

CheckResult run_cublas(const Context& ctx, Facts& facts, const GpuCheckOptions& options) {
  return run_probe(kCublasProbe, ctx, facts, options);
}

CheckResult run_cudnn(const Context& ctx, Facts& facts, const GpuCheckOptions& options) {
  return run_probe(kCudnnProbe, ctx, facts, options);
}

CheckResult cublas(const Context& ctx, Facts& facts) {
  return run_cublas(ctx, facts, GpuCheckOptions{});
}

CheckResult cudnn(const Context& ctx, Facts& facts) {
  return run_cudnn(ctx, facts, GpuCheckOptions{});
}

}  // namespace gpuval::checks
