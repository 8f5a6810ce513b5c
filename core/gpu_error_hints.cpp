#include "core/gpu_error_hints.hpp"

#include <utility>

namespace gpuval {
namespace {

constexpr std::string_view kKernelFault =
    "a GPU kernel faulted and the CUDA context is lost for the rest of this process: check `dmesg` "
    "on the host for NVRM Xid errors (13, 31, 43, 48, 63, 64, 79, 94, 95) and rerun; a repeat on "
    "the same GPU means the GPU or its driver needs attention";
constexpr std::string_view kOutOfMemory =
    "the GPU ran out of memory: other processes may hold it (`nvidia-smi`), or the MIG slice is "
    "too small; free the GPU and rerun";

// Exact names first, then prefixes (cuDNN 9 refines a status with suffixes such as
// CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH).
constexpr std::pair<std::string_view, std::string_view> kExact[] = {
    {"cudaErrorMemoryAllocation", kOutOfMemory},
    {"cudaErrorInsufficientDriver",
     "the host driver is older than this CUDA runtime: upgrade the host driver or use an image "
     "built for an older CUDA (see cuda-compat)"},
    {"cudaErrorStubLibrary",
     "libcuda.so.1 is the toolkit's stub: remove lib64/stubs from LD_LIBRARY_PATH / ld.so.conf"},
    {"cudaErrorNoDevice",
     "CUDA sees no GPU: check NVIDIA_VISIBLE_DEVICES / CUDA_VISIBLE_DEVICES and device-nodes"},
    {"cudaErrorDevicesUnavailable",
     "the GPU is in exclusive-process mode and another process holds it: stop it, or run with "
     "the default compute mode"},
    {"cudaErrorNoKernelImageForDevice",
     "gpuval has no machine code or PTX for this GPU: rebuild with CMAKE_CUDA_ARCHITECTURES "
     "including this GPU's compute capability (or its PTX)"},
    {"cudaErrorECCUncorrectable",
     "an uncorrectable ECC error: check `nvidia-smi -q -d ECC`, drain the GPU and have it reset or "
     "replaced"},
    {"cudaErrorNvlinkUncorrectable",
     "an uncorrectable NVLink error: check `nvidia-smi nvlink -s` and `dmesg` on the host"},
    {"cudaErrorInvalidPtx",
     "the driver's PTX JIT rejected the module: check that libnvidia-ptxjitcompiler.so.1 is the "
     "same version as libcuda.so.1 (kernel-module, driver-libraries)"},
    {"cudaErrorJitCompilerNotFound",
     "libnvidia-ptxjitcompiler.so.1 was not injected: add `compute` to "
     "NVIDIA_DRIVER_CAPABILITIES (legacy hook) or regenerate the CDI spec"},
    {"cudaErrorUnsupportedPtxVersion",
     "the PTX is newer than this driver can JIT: upgrade the host driver or ship SASS for this "
     "GPU (-gencode arch=compute_XX,code=sm_XX)"},
    {"cudaErrorJitCompilationDisabled",
     "PTX JIT is disabled (CUDA_DISABLE_PTX_JIT is set?): unset it or ship SASS for this GPU"},
    {"cudaErrorContained",
     "the GPU contained an uncorrectable error (Xid 94/95): the process must restart; if it "
     "repeats, drain the GPU for a reset"},
    {"cudaErrorIllegalAddress", kKernelFault},
    {"cudaErrorLaunchFailure", kKernelFault},
    {"cudaErrorHardwareStackError", kKernelFault},
    {"cudaErrorIllegalInstruction", kKernelFault},
    {"cudaErrorMisalignedAddress", kKernelFault},
    {"cudaErrorLaunchTimeout",
     "a kernel ran into the display watchdog: run on a GPU without a display attached, or "
     "disable the X server's timeout"},
    {"cudaErrorSystemDriverMismatch",
     "libcuda does not match the kernel module: reboot the host after a driver upgrade and "
     "regenerate the CDI spec; never ship driver libraries in the image"},
    {"cudaErrorCompatNotSupportedOnDevice",
     "cuda-compat's libcuda is loaded on a GPU that does not support forward compatibility: drop "
     "/usr/local/cuda/compat from the library path or upgrade the host driver"},
    {"cudaErrorUnknown",
     "unknown driver failure: check that /dev/nvidia-uvm exists (`nvidia-modprobe -u -c=0` on "
     "the host) and `dmesg` for Xid errors"},
    {"CUBLAS_STATUS_NOT_INITIALIZED",
     "cuBLAS could not initialise: the CUDA context failed (see cuda-compute) or libcublasLt does "
     "not match libcublas; install matching cuBLAS libraries for this CUDA"},
    {"CUBLAS_STATUS_ALLOC_FAILED", kOutOfMemory},
    {"CUBLAS_STATUS_ARCH_MISMATCH",
     "this cuBLAS has no kernels for this GPU: use a cuBLAS from a CUDA release that supports "
     "its compute capability"},
    {"CUBLAS_STATUS_NOT_SUPPORTED",
     "this cuBLAS offers no kernel for this precision on this GPU: upgrade cuBLAS (FP8 needs "
     "cuBLASLt from CUDA >= 12.0 on compute capability >= 8.9)"},
    {"CUBLAS_STATUS_EXECUTION_FAILED", kKernelFault},
    {"CUBLAS_STATUS_INTERNAL_ERROR",
     "cuBLAS failed internally: check `dmesg` for Xid errors and that libcublas and libcublasLt "
     "come from the same CUDA release"},
    {"CUBLAS_STATUS_INVALID_VALUE",
     "cuBLAS rejected gpuval's arguments: please report this as a gpuval bug with the run "
     "document"},
    {"CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED",
     "cuDNN could not load its sub-libraries (libcudnn_cnn, libcudnn_engines_*): install the "
     "complete cuDNN package (libcudnn9-cuda-13) or use an nvidia/cuda:*-cudnn-runtime image"},
    {"CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH",
     "cuDNN's libraries come from different versions: reinstall one cuDNN release"},
    {"CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER",
     "this cuDNN needs a newer CUDA driver: upgrade the host driver or use an older cuDNN image"},
    {"CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART",
     "this cuDNN was built for another CUDA major version: install the cuDNN for this CUDA "
     "(libcudnn9-cuda-13)"},
    {"CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH",
     "this cuDNN does not support this GPU's compute capability: use a cuDNN release that does"},
};

constexpr std::pair<std::string_view, std::string_view> kPrefix[] = {
    {"CUDNN_STATUS_NOT_INITIALIZED",
     "cuDNN could not initialise: the CUDA context failed (see cuda-compute) or cuDNN does not "
     "match this CUDA; install the cuDNN for this CUDA major version"},
    {"CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED", kOutOfMemory},
    {"CUDNN_STATUS_EXECUTION_FAILED", kKernelFault},
    {"CUDNN_STATUS_NOT_SUPPORTED",
     "cuDNN offers no engine for this convolution on this GPU: upgrade cuDNN"},
    {"CUDNN_STATUS_INTERNAL_ERROR",
     "cuDNN failed internally: check `dmesg` for Xid errors and that all cuDNN libraries come "
     "from one release"},
    {"CUDNN_STATUS_BAD_PARAM",
     "cuDNN rejected gpuval's arguments: please report this as a gpuval bug with the run "
     "document"},
};

}  // namespace

std::string gpu_error_hint(std::string_view error_name) {
  for (const auto& [name, hint] : kExact) {
    if (name == error_name) return std::string(hint);
  }
  for (const auto& [prefix, hint] : kPrefix) {
    if (error_name.substr(0, prefix.size()) == prefix) return std::string(hint);
  }
  return "run `nvidia-smi` and check `dmesg` on the host for Xid errors; rerun with "
         "CUDA_LAUNCH_BLOCKING=1 to pin the failing call";
}

}  // namespace gpuval
