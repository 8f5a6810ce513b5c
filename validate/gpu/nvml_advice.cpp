#include "validate/gpu/nvml_advice.hpp"

#include <array>

#include "core/context.hpp"
#include "core/nvml_abi.hpp"

namespace gpuval {
namespace {

namespace abi = nvml_abi;
namespace bp = blocker_priority;

constexpr std::string_view kGpuvalBug =
    "a gpuval bug (NVML rejected how it was called): please report it with the run document";

constexpr std::array kTable = {
    NvmlAdvice{abi::kErrorUninitialized, Status::Fail, "NVML was used before nvmlInit", kGpuvalBug},
    NvmlAdvice{abi::kErrorInvalidArgument, Status::Fail, "NVML rejected an argument", kGpuvalBug},
    NvmlAdvice{abi::kErrorNotSupported, Status::Warn,
               "the call is not supported on this GPU or driver",
               "expected on GeForce and vGPU parts; on a data-centre GPU upgrade the host driver"},
    NvmlAdvice{
        abi::kErrorNoPermission, Status::Fail, "no permission to use the GPU device nodes",
        "make /dev/nvidiactl and /dev/nvidia[0-9]* read-write for this user: rootless podman "
        "needs --group-add keep-groups (or CDI); after `systemctl daemon-reload` on the host "
        "the cgroup device rules are lost (recreate the container or use CDI); SELinux: "
        "--security-opt label=disable",
        bp::kNodeAccess},
    NvmlAdvice{abi::kErrorAlreadyInitialized, Status::Fail, "NVML was initialised twice",
               kGpuvalBug},
    NvmlAdvice{abi::kErrorNotFound, Status::Fail, "NVML found no such GPU",
               "pass the GPUs into the container (--device nvidia.com/gpu=all); on the host list "
               "them with `nvidia-smi -L`",
               bp::kNoDevice},
    NvmlAdvice{abi::kErrorInsufficientSize, Status::Fail, "a buffer gpuval passed was too small",
               kGpuvalBug},
    NvmlAdvice{abi::kErrorInsufficientPower, Status::Fail,
               "a GPU's external power cables are not properly attached",
               "on the host: seat the GPU's auxiliary power connectors and check the power supply "
               "(`nvidia-smi -q` names the board)",
               bp::kNoDevice},
    NvmlAdvice{abi::kErrorDriverNotLoaded, Status::Fail,
               "the NVIDIA kernel driver is not loaded, or /dev/nvidiactl is not in the container",
               "on the host run `nvidia-smi` (load the driver: `modprobe nvidia` or "
               "`nvidia-modprobe -u -c=0`); in the container request the GPUs (--device "
               "nvidia.com/gpu=all) so /dev/nvidiactl is present",
               bp::kNoInjection},
    NvmlAdvice{abi::kErrorTimeout, Status::Fail, "a GPU did not answer in time",
               "the GPU may be hung: look for XID errors in the host's `dmesg`, reset the GPU "
               "(`nvidia-smi -r -i <n>`) or reboot",
               bp::kNoDevice},
    NvmlAdvice{abi::kErrorIrqIssue, Status::Fail,
               "the kernel driver saw an interrupt problem with a GPU",
               "check the host's `dmesg` (MSI/MSI-X, IOMMU settings) and reboot; if it recurs "
               "check the slot or riser",
               bp::kNoDevice},
    NvmlAdvice{abi::kErrorLibraryNotFound, Status::Fail,
               "NVML could not load a driver library it needs",
               "the utility capability was not injected completely: add `utility` to "
               "NVIDIA_DRIVER_CAPABILITIES (or use CDI, which injects it) and take any CUDA "
               "`stubs` directory off LD_LIBRARY_PATH",
               bp::kLibraryMissing},
    NvmlAdvice{abi::kErrorFunctionNotFound, Status::Fail,
               "this libnvidia-ml lacks a function gpuval needs",
               "the host driver is too old: upgrade it (R450 or later)"},
    NvmlAdvice{abi::kErrorCorruptedInforom, Status::Warn, "a GPU's infoROM is corrupted",
               "ECC and page-retirement records may be unreliable: update the board's "
               "VBIOS/infoROM, or RMA it"},
    NvmlAdvice{abi::kErrorGpuIsLost, Status::Fail,
               "a GPU has fallen off the bus or is otherwise inaccessible (XID 79)",
               "drain the node: look for XID 79 / PCIe AER errors in the host's `dmesg`, reset "
               "the GPU or reboot; reseat or RMA it if it happens again",
               bp::kNoDevice},
    NvmlAdvice{abi::kErrorResetRequired, Status::Fail, "a GPU needs a reset before it can be used",
               "reset it on the host while idle (`nvidia-smi -r -i <n>`) or reboot", bp::kNoDevice},
    NvmlAdvice{abi::kErrorOperatingSystem, Status::Fail,
               "the GPU control device is blocked by the operating system or cgroups",
               "device cgroup rules: recreate the container (lost after `systemctl "
               "daemon-reload`) or use CDI; SELinux: --security-opt label=disable or setsebool "
               "container_use_devices on",
               bp::kNodeAccess},
    NvmlAdvice{abi::kErrorLibRmVersionMismatch, Status::Fail,
               "driver/library version mismatch: libnvidia-ml differs from the loaded kernel "
               "module",
               "the host driver was upgraded without a reboot, or the CDI spec / image carries "
               "stale driver libraries: reboot the host (or reload the nvidia modules), "
               "regenerate the CDI spec (`nvidia-ctk cdi generate`), never bake driver libraries "
               "into the image",
               bp::kVersionMismatch},
    NvmlAdvice{abi::kErrorInUse, Status::Warn, "the GPU is busy with an exclusive operation",
               "retry when the GPU is idle (another process is resetting it or holds it "
               "exclusively)"},
    NvmlAdvice{abi::kErrorMemory, Status::Fail, "the driver ran out of host memory",
               "raise the container's memory limit (--memory) and check the host's free memory"},
    NvmlAdvice{abi::kErrorNoData, Status::Warn, "NVML has no data for this query yet",
               "retry later; nothing to do unless it persists"},
    NvmlAdvice{abi::kErrorVgpuEccNotSupported, Status::Warn,
               "the vGPU operation is unavailable because ECC is enabled",
               "disable ECC on the host for this vGPU profile, or ignore"},
    NvmlAdvice{abi::kErrorInsufficientResources, Status::Fail,
               "the driver ran out of a critical resource",
               "free GPU/driver resources (other processes, MIG instances) or reboot the host"},
    NvmlAdvice{abi::kErrorFreqNotSupported, Status::Warn, "the requested frequency is unsupported",
               "nothing to do for validation"},
    NvmlAdvice{abi::kErrorArgumentVersionMismatch, Status::Fail,
               "the driver does not know the structure version gpuval passed",
               "the host driver is older than this NVML call: upgrade it"},
    NvmlAdvice{abi::kErrorDeprecated, Status::Warn, "the call is deprecated in this driver",
               "please report it to gpuval; the result is not affected"},
    NvmlAdvice{abi::kErrorNotReady, Status::Fail, "the system is not ready",
               "the driver is still initialising: on NVSwitch systems check `systemctl status "
               "nvidia-fabricmanager` on the host, then retry",
               bp::kCudaInit},
    NvmlAdvice{abi::kErrorGpuNotFound, Status::Fail, "NVML found no GPU",
               "pass the GPUs into the container (--device nvidia.com/gpu=all); on the host list "
               "them with `nvidia-smi -L`",
               bp::kNoDevice},
    NvmlAdvice{abi::kErrorInvalidState, Status::Fail, "a GPU is in an invalid state",
               "reset the GPU (`nvidia-smi -r -i <n>`) or reboot the host", bp::kNoDevice},
    NvmlAdvice{abi::kErrorUnknown, Status::Fail, "an internal driver error occurred",
               "look for XID errors in the host's `dmesg` and run `nvidia-smi` on the host; "
               "reboot if the driver is wedged; in a container check /dev/nvidiactl and "
               "/dev/nvidia-uvm are present",
               bp::kCudaInit},
};

}  // namespace

std::span<const NvmlAdvice> nvml_advice_table() { return kTable; }

NvmlAdvice nvml_advice(int code) {
  for (const NvmlAdvice& a : kTable) {
    if (a.code == code) return a;
  }
  return NvmlAdvice{code, Status::Fail, "an NVML return code gpuval does not know",
                    "the driver is newer than gpuval: check `nvidia-smi` on the host and report "
                    "the code to gpuval"};
}

}  // namespace gpuval
