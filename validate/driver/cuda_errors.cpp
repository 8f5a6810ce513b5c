#include "validate/driver/cuda_errors.hpp"

#include <utility>

namespace gpuval {
namespace {

constexpr std::pair<int, std::string_view> kNames[] = {
    {0, "CUDA_SUCCESS"},
    {1, "CUDA_ERROR_INVALID_VALUE"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY"},
    {3, "CUDA_ERROR_NOT_INITIALIZED"},
    {4, "CUDA_ERROR_DEINITIALIZED"},
    {34, "CUDA_ERROR_STUB_LIBRARY"},
    // 35 is the runtime's cudaErrorInsufficientDriver; the driver API has no CUresult 35, but
    // the same situation reaches users under this name, so the table speaks for both.
    {35, "CUDA_ERROR_INSUFFICIENT_DRIVER"},
    {46, "CUDA_ERROR_DEVICE_UNAVAILABLE"},
    {100, "CUDA_ERROR_NO_DEVICE"},
    {101, "CUDA_ERROR_INVALID_DEVICE"},
    {102, "CUDA_ERROR_DEVICE_NOT_LICENSED"},
    {221, "CUDA_ERROR_JIT_COMPILER_NOT_FOUND"},
    {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"},
    {303, "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED"},
    {304, "CUDA_ERROR_OPERATING_SYSTEM"},
    {800, "CUDA_ERROR_NOT_PERMITTED"},
    {801, "CUDA_ERROR_NOT_SUPPORTED"},
    {802, "CUDA_ERROR_SYSTEM_NOT_READY"},
    {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"},
    {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"},
    {805, "CUDA_ERROR_MPS_CONNECTION_FAILED"},
    {999, "CUDA_ERROR_UNKNOWN"},
};

std::string cuda_visible_devices_text(const Env& env) {
  auto v = env.get("CUDA_VISIBLE_DEVICES");
  return v ? "CUDA_VISIBLE_DEVICES=\"" + *v + "\"" : std::string();
}

}  // namespace

std::string_view cuda_error_name(int code) {
  for (const auto& [c, name] : kNames) {
    if (c == code) return name;
  }
  return {};
}

std::string cuda_error_display_name(int code, std::string_view reported_name) {
  if (!reported_name.empty()) return std::string(reported_name);
  if (auto name = cuda_error_name(code); !name.empty()) return std::string(name);
  return "CUresult " + std::to_string(code);
}

std::string cuda_init_hint(int code, const Facts& facts, const Env& env) {
  const std::string cvd = cuda_visible_devices_text(env);
  switch (code) {
    case 100:
      if (facts.gpu_nodes == 0) {
        return "no /dev/nvidia[0-9]* node in the container: fix GPU injection first (see "
               "device-nodes)";
      }
      if (!cvd.empty()) {
        return cvd + " may hide every GPU: unset it or list valid indices / `nvidia-smi -L` UUIDs";
      }
      return "GPU nodes are present but the driver enumerates no GPU: run `nvidia-smi` on the "
             "host and check device-access and `dmesg` for NVRM/Xid errors";
    case 101:
      return (cvd.empty() ? std::string("CUDA_VISIBLE_DEVICES") : cvd) +
             " names a device that does not exist: use indices 0..N-1 or `nvidia-smi -L` UUIDs, "
             "or unset it";
    case 35:
      return "the host driver is older than this CUDA runtime: upgrade the host driver or use an "
             "image built for an older CUDA (see cuda-compat)";
    case 34:
      return "libcuda.so.1 is the CUDA toolkit's stub (lib64/stubs): remove the stubs directory "
             "from LD_LIBRARY_PATH / ld.so.conf; the real libcuda comes from the host driver";
    case 46:
      return "the GPU is in exclusive-process or prohibited compute mode and taken: stop the other "
             "process or run `nvidia-smi -c DEFAULT` on the host";
    case 221:
      return "libnvidia-ptxjitcompiler.so.1 was not injected: add `compute` to "
             "NVIDIA_DRIVER_CAPABILITIES (legacy hook) or regenerate the CDI spec";
    case 222:
      return "PTX from a newer CUDA than this driver cannot be JIT-compiled: upgrade the host "
             "driver or ship SASS for this GPU (-gencode arch=compute_XX,code=sm_XX)";
    case 304:
      return "an OS call inside the driver failed: check device-access (cgroup/SELinux denials), "
             "that /dev/nvidia-uvm exists, and `dmesg` on the host";
    case 800:
      return "the driver refused this process: check the compute mode (`nvidia-smi -q -d "
             "COMPUTE`), MIG/MPS access (/dev/nvidia-caps), and device-access";
    case 801:
      return "not supported on this GPU / driver combination (e.g. a GPU this driver branch "
             "dropped, or vGPU limits): check the driver release notes and `nvidia-smi` on the "
             "host";
    case 802:
      return "NVSwitch system not ready: start the fabric manager on the host (`systemctl start "
             "nvidia-fabricmanager`, same version as the driver)";
    case 803:
      return "libcuda does not match the kernel module: reboot the host after a driver upgrade, "
             "regenerate the CDI spec, and never ship driver libraries in the image";
    case 804:
      return "forward-compatibility libcuda (cuda-compat) is loaded on a GPU that does not "
             "support it (data-centre GPUs only): drop /usr/local/cuda/compat from the library "
             "path or upgrade the host driver";
    case 999:
      if (!facts.uvm_node) {
        return "/dev/nvidia-uvm is missing: on the host run `nvidia-modprobe -u -c=0`, then "
               "regenerate the CDI spec and recreate the container";
      }
      return "unknown driver failure: check `dmesg` on the host for NVRM/Xid errors and that "
             "every /dev/nvidia* node opens (device-access)";
    default:
      return "run `nvidia-smi` on the host and check `dmesg` for NVRM/Xid errors; compare the "
             "driver and library versions (kernel-module)";
  }
}

}  // namespace gpuval
