// Version arithmetic for the NVIDIA driver and CUDA: driver versions ("550.54.15"), the version
// suffix of a resolved driver library, /proc/driver/nvidia/version, CUDA version integers (12040),
// and the minor-version compatibility floors. Pure functions, no I/O.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace gpuval {

// A Linux driver version: "550.54.15", "535.104.05", "470.82.01" (two or three numeric parts).
struct DriverVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  std::string text;  // as written ("535.104.05" keeps its leading zero)

  friend bool operator==(const DriverVersion& a, const DriverVersion& b) {
    return a.major == b.major && a.minor == b.minor && a.patch == b.patch;
  }
  friend std::strong_ordering operator<=>(const DriverVersion& a, const DriverVersion& b) {
    if (auto c = a.major <=> b.major; c != 0) return c;
    if (auto c = a.minor <=> b.minor; c != 0) return c;
    return a.patch <=> b.patch;
  }
};

// nullopt unless s is 2 or 3 dot-separated runs of digits.
std::optional<DriverVersion> parse_driver_version(std::string_view s);

// "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15" -> "550.54.15"; "" when the file name carries
// no driver version (e.g. "libcuda.so.1", as on WSL, or a path that is not a shared object).
std::string library_version_suffix(std::string_view path);

// Parsed /proc/driver/nvidia/version, first line, e.g.
//   "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024"
//   "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  550.54.15  Release Build  (...)"
struct KernelModuleInfo {
  std::string version;  // "550.54.15"
  std::string flavor;   // "open" | "proprietary"
  std::string arch;     // "x86_64", "aarch64", "ppc64le", or "" when not stated
};
struct KernelModuleParse {
  std::optional<KernelModuleInfo> info;
  std::string error;  // why it did not parse, naming the bad line
};
KernelModuleParse parse_kernel_module_version(std::string_view file_text);

// CUDA version integers as cuDriverGetVersion / cudaRuntimeGetVersion report them.
inline int cuda_major(int v) { return v / 1000; }
inline int cuda_minor(int v) { return (v % 1000) / 10; }
std::string cuda_version_string(int v);  // 12040 -> "12.4"; 0 or negative -> "unknown"

// The lowest driver that runs any CUDA <major>.x runtime under minor-version compatibility
// (11 -> 450.80.02, 12 -> 525.60.13, 13 -> 580.65.06); nullopt for majors gpuval does not know.
std::optional<DriverVersion> minor_compat_floor(int cuda_major_version);

}  // namespace gpuval
