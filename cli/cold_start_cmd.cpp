#include "cli/cold_start_cmd.hpp"

#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "bench/cold_start.hpp"
#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "core/dynamic_library.hpp"
#include "core/environment.hpp"
#include "core/exit_codes.hpp"
#include "core/gpu_error_hints.hpp"
#include "kernels/latency.cuh"
#include "probes/host/probe_answers.hpp"
#include "probes/host/probe_loader.hpp"

namespace gpuval::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The driver API entry points the steps use (CUresult and CUdevice are ints, CUcontext a
// pointer), resolved from libcuda.so.1 like everywhere in gpuval (never linked).
using CuInitFn = int (*)(unsigned);
using CuDeviceGetFn = int (*)(int*, int);
using CuCtxRetainFn = int (*)(void**, int);
using CuCtxSetCurrentFn = int (*)(void*);
using CuErrorNameFn = int (*)(int, const char**);

constexpr int kCudaErrorDeviceUnavailable = 46;  // exclusive-process mode, GPU held

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

class Child {
 public:
  Child(std::string step, int device) : step_(std::move(step)), device_(device) {
    const auto loading = Env::from_process().get("CUDA_MODULE_LOADING");
    out_ = {{"schema", "gpuval.cold-start/1"},
            {"step", step_},
            {"device", device_},
            {"ok", false},
            {"timings_ms", json::object()},
            {"cuda_module_loading", loading ? json(*loading) : json(nullptr)}};
  }

  int run(std::size_t last) {
    for (std::size_t k = 0; k <= last; ++k) {
      const std::optional<int> rc = run_step(bench::kColdStartSteps[k].name);
      if (rc) return *rc;
    }
    out_["ok"] = true;
    return print(exit_code::kPass);
  }

 private:
  // Empty when the step ran; the exit code (after printing the line) when it could not.
  std::optional<int> run_step(std::string_view name) {
    try {
      if (name == "cuinit") return cuinit();
      if (name == "context") return context();
      if (name == "kernel") return kernel();
      if (name == "cublas") return library(kCublasProbe, "cublas");
      return library(kCudnnProbe, "cudnn");
    } catch (const CudaError& e) {
      return fail(std::string(name), "fail", e.what(), gpu_error_hint(e.name()),
                  exit_code::kFailed);
    } catch (const std::exception& e) {
      return fail(std::string(name), "fail", e.what(),
                  "please report this as a gpuval bug with the line above", exit_code::kFailed);
    }
  }

  std::optional<int> cuinit() {
    auto t = Clock::now();
    cuda_ = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);  // never closed (libcuda's rule)
    timings()["dlopen_libcuda"] = ms_since(t);
    if (cuda_ == nullptr) {
      return fail("cuinit", "fail", "libcuda.so.1 not loadable: " + last_dl_error(),
                  "see the driver-libraries and cuda-driver checks", exit_code::kNoGpu);
    }
    const auto init = reinterpret_cast<CuInitFn>(dlsym(cuda_, "cuInit"));
    error_name_ = reinterpret_cast<CuErrorNameFn>(dlsym(cuda_, "cuGetErrorName"));
    if (init == nullptr) {
      return fail("cuinit", "fail", "libcuda.so.1 has no cuInit", "see driver-libraries",
                  exit_code::kNoGpu);
    }
    t = Clock::now();
    const int rc = init(0);
    timings()["cuinit"] = ms_since(t);
    if (rc != 0) {
      return fail("cuinit", "fail", "cuInit: " + cu_name(rc), gpu_error_hint(cu_name(rc)),
                  exit_code::kNoGpu);
    }
    return std::nullopt;
  }

  std::optional<int> context() {
    const auto get = reinterpret_cast<CuDeviceGetFn>(dlsym(cuda_, "cuDeviceGet"));
    auto retain = reinterpret_cast<CuCtxRetainFn>(dlsym(cuda_, "cuDevicePrimaryCtxRetain"));
    const auto set = reinterpret_cast<CuCtxSetCurrentFn>(dlsym(cuda_, "cuCtxSetCurrent"));
    if (get == nullptr || retain == nullptr || set == nullptr) {
      return fail("context", "fail", "libcuda.so.1 lacks the primary-context entry points",
                  "see driver-libraries", exit_code::kFailed);
    }
    const auto t = Clock::now();
    int dev = 0;
    void* ctx = nullptr;
    int rc = get(&dev, device_);
    if (rc == 0) rc = retain(&ctx, dev);
    if (rc == 0) rc = set(ctx);
    timings()["context"] = ms_since(t);
    if (rc == kCudaErrorDeviceUnavailable) {
      return fail("context", "skip",
                  "the GPU is in exclusive-process compute mode and the gpuval run holds its "
                  "context: a second process cannot create one (" +
                      cu_name(rc) + ")",
                  "to measure cold starts set the compute mode to DEFAULT (`nvidia-smi -c 0` on "
                  "the host)",
                  exit_code::kPass);
    }
    if (rc != 0) {
      return fail("context", "fail", "primary context: " + cu_name(rc), gpu_error_hint(cu_name(rc)),
                  exit_code::kFailed);
    }
    return std::nullopt;
  }

  std::optional<int> kernel() {
    const auto t = Clock::now();
    GPUVAL_CUDA_CHECK(cudaSetDevice(device_));
    cuda::Stream stream;
    GPUVAL_CUDA_CHECK(kernels::launch_empty(stream.get()));
    stream.synchronize();
    timings()["kernel"] = ms_since(t);
    return std::nullopt;
  }

  std::optional<int> library(const ProbeModuleSpec& spec, const std::string& step) {
    const auto t = Clock::now();
    const ProbeLoad load = load_probe_module(spec, probe_search_dirs(Env::from_process()));
    timings()[step + "_load"] = ms_since(t);
    if (load.status != ProbeLoadStatus::Loaded || load.module == nullptr) {
      return fail(step, "skip",
                  std::string(spec.library) + " module not loadable (" +
                      std::string(to_string(load.status)) + "): " + load.error,
                  probe_package_hint(spec, CUDART_VERSION), exit_code::kPass);
    }
    if (gpuval_probe_module_has_cold_start(load.module) == 0) {
      return fail(step, "skip",
                  std::string(spec.library) + " module " + load.path +
                      " predates the cold-start entry point",
                  "install the probe modules of this gpuval build", exit_code::kPass);
    }
    gpuval_probe_request request{};
    request.struct_size = sizeof request;
    request.device = device_;
    char* text = load.module->cold_start(&request);
    const json answer =
        text == nullptr ? json(nullptr) : json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (text != nullptr) load.module->free_result(text);
    if (!answer.is_object()) {
      return fail(step, "fail", std::string(spec.library) + " module gave no cold-start answer",
                  "please report this as a gpuval bug", exit_code::kFailed);
    }
    if (answer.value("status", "") != "PASS" || !answer.contains("handle_ms")) {
      const json error = answer.value("error", json::object());
      return fail(step, "fail", std::string(spec.library) + ": " + probe_error_text(error),
                  gpu_error_hint(error.value("name", "")), exit_code::kFailed);
    }
    double ms = answer["handle_ms"].get<double>();
    if (answer.contains("first_call_ms") && answer["first_call_ms"].is_number()) {
      ms += answer["first_call_ms"].get<double>();
      timings()[step + "_first_call"] = answer["first_call_ms"];
    }
    timings()[step + "_handle"] = answer["handle_ms"];
    timings()[step] = ms;
    return std::nullopt;
  }

  json& timings() { return out_["timings_ms"]; }

  std::string cu_name(int rc) const {
    const char* name = nullptr;
    if (error_name_ != nullptr && error_name_(rc, &name) == 0 && name != nullptr) return name;
    return "CUresult " + std::to_string(rc);
  }

  int fail(std::string step, std::string kind, std::string message, std::string hint, int rc) {
    out_["error"] = {{"step", std::move(step)},
                     {"kind", std::move(kind)},
                     {"message", std::move(message)},
                     {"hint", std::move(hint)}};
    return print(rc);
  }

  int print(int rc) {
    std::cout << out_.dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
    return rc;
  }

  std::string step_;
  int device_;
  json out_;
  void* cuda_ = nullptr;
  CuErrorNameFn error_name_ = nullptr;
};

}  // namespace

int run_cold_start_child(const std::string& step, int device) {
  const std::optional<std::size_t> last = bench::cold_start_step(step);
  if (!last) {
    std::cerr << "gpuval __cold-start: unknown step '" << step
              << "' (cuinit, context, kernel, cublas, cudnn)\n";
    return exit_code::kBadInput;
  }
  if (device < 0) {
    std::cerr << "gpuval __cold-start: --device must be a CUDA ordinal (0, 1, ...)\n";
    return exit_code::kBadInput;
  }
  return Child(step, device).run(*last);
}

}  // namespace gpuval::cli
