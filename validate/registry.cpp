#include "validate/registry.hpp"

#include <array>
#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "validate/checks.hpp"

namespace gpuval {
namespace {

constexpr std::array kChecks = {
    CheckDef{"engine", "Container engine", "container", &checks::engine},
    CheckDef{"injection", "GPU injection", "container", &checks::injection},
    CheckDef{"device-nodes", "Device nodes", "container", &checks::device_nodes},
    CheckDef{"device-access", "Device node access", "container", &checks::device_access},
    CheckDef{"mig-caps", "MIG capability nodes", "container", &checks::mig_caps},
    CheckDef{"nvidia-visible-devices", "NVIDIA_VISIBLE_DEVICES", "container",
             &checks::nvidia_visible_devices},
    CheckDef{"cuda-visible-devices", "CUDA_VISIBLE_DEVICES", "container",
             &checks::cuda_visible_devices},
    CheckDef{"driver-capabilities", "NVIDIA_DRIVER_CAPABILITIES", "driver",
             &checks::driver_capabilities},
    CheckDef{"driver-libraries", "Driver libraries", "driver", &checks::driver_libraries},
    CheckDef{"kernel-module", "Kernel module vs libraries", "driver", &checks::kernel_module},
    CheckDef{"cuda-driver", "CUDA driver init", "driver", &checks::cuda_driver},
    CheckDef{"cuda-compat", "CUDA driver vs runtime", "driver", &checks::cuda_compat},
    // The inventory first: it ties each CUDA device to its NVML board (facts.bindings), which the
    // GPU checks after it use.
    CheckDef{"nvml", "NVML inventory", "gpu", &checks::nvml},
    CheckDef{"gpu-visibility", "GPUs seen vs requested", "gpu", &checks::gpu_visibility},
    CheckDef{"gpu-health", "GPU health", "gpu", &checks::gpu_health},
    CheckDef{"mig-devices", "MIG devices", "gpu", &checks::mig_devices},
    CheckDef{"cuda-compute", "CUDA compute", "gpu", &checks::cuda_compute},
    CheckDef{"ptx-jit", "PTX JIT", "gpu", &checks::ptx_jit},
    CheckDef{"cublas", "cuBLAS GEMM", "gpu", &checks::cublas},
    CheckDef{"cudnn", "cuDNN convolution", "gpu", &checks::cudnn},
    CheckDef{"memory-pattern", "Device memory patterns", "gpu", &checks::memory_pattern},
    // Last of the gpu group: the NVML events seen so far; judged again after the benchmarks.
    CheckDef{"gpu-events", "Xid and health events", "gpu", &checks::gpu_events},
    CheckDef{"cgroup-memory", "Memory limit", "limits", &checks::cgroup_memory},
    CheckDef{"cgroup-cpu", "CPU limit", "limits", &checks::cgroup_cpu},
    CheckDef{"shm", "/dev/shm size", "limits", &checks::shm_size},
    CheckDef{"memlock", "RLIMIT_MEMLOCK", "limits", &checks::memlock},
    CheckDef{"privileged", "Privileged", "limits", &checks::privileged},
    CheckDef{"security-label", "SELinux / AppArmor", "limits", &checks::security_label},
    CheckDef{"user-namespace", "User namespace", "limits", &checks::user_namespace},
    // Multi-GPU and multi-node readiness: links, fabric, RDMA NICs and IMEX channels.
    CheckDef{"nvlink", "NVLink links", "cluster", &checks::nvlink},
    CheckDef{"fabric", "NVLink fabric (fabric manager)", "cluster", &checks::fabric},
    CheckDef{"gpudirect-rdma", "RDMA / GPUDirect RDMA", "cluster", &checks::gpudirect_rdma},
    CheckDef{"imex", "IMEX channels", "cluster", &checks::imex},
};

// What one result may hold, so that hostile input (a 128 KiB environment value, a /proc file of
// megabytes) cannot blow up the run document: messages and hints stay short lines, metrics keep
// their shape but long strings are cut and long lists end in "... N more".
constexpr std::size_t kMaxLine = 1000;
constexpr std::size_t kMaxMetricString = 4096;
constexpr std::size_t kMaxMetricItems = 256;

// `text` cut to at most `max` bytes (at a UTF-8 character boundary), saying how much is left out.
void cut(std::string& text, std::size_t max) {
  if (text.size() <= max) return;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  const std::size_t dropped = text.size() - end;
  text.resize(end);
  text += "... (" + std::to_string(dropped) + " more bytes)";
}

void bound(nlohmann::json& value, int depth = 0) {
  if (value.is_string()) {
    cut(value.get_ref<std::string&>(), kMaxMetricString);
  } else if (value.is_array()) {
    auto& items = value.get_ref<nlohmann::json::array_t&>();
    if (items.size() > kMaxMetricItems) {
      const std::size_t more = items.size() - kMaxMetricItems;
      items.resize(kMaxMetricItems);
      items.emplace_back("... " + std::to_string(more) + " more");
    }
    if (depth < 8) {
      for (nlohmann::json& v : items) bound(v, depth + 1);
    }
  } else if (value.is_object() && depth < 8) {
    for (auto& [key, v] : value.items()) bound(v, depth + 1);
  }
}

void bound(CheckResult& r) {
  cut(r.message, kMaxLine);
  cut(r.hint, kMaxLine);
  bound(r.metrics);
}

}  // namespace

std::span<const CheckDef> all_checks() { return kChecks; }

std::vector<CheckResult> run_checks(const Context& ctx, Facts& facts) {
  std::vector<CheckResult> results;
  results.reserve(kChecks.size());
  for (const CheckDef& def : kChecks) {
    CheckResult r;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      r = def.fn(ctx, facts);
    } catch (const std::exception& e) {
      r = make_result({}, {}, Status::Fail, std::string("check crashed: ") + e.what(),
                      "please report this as a gpuval bug with the run document attached");
    }
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.id = std::string(def.id);
    r.title = std::string(def.title);
    bound(r);
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace gpuval
