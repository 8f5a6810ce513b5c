// Parsers for the two variables that select GPUs: NVIDIA_VISIBLE_DEVICES (read by the container
// runtime / nvidia-container-toolkit before the container starts) and CUDA_VISIBLE_DEVICES (read by
// the CUDA runtime inside the process). Pure functions over the value, no I/O, so the checks and
// the GPU probe (requested vs seen UUIDs) share them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval {

enum class DeviceIdKind {
  Index,     // "0"
  GpuUuid,   // "GPU-8f6c3f2d-5d1b-1c3e-9f2a-6b5a3d2c1e0f"; a unique prefix selects the GPU too
  MigUuid,   // "MIG-<uuid>" or the older "MIG-GPU-<uuid>/<gi>/<ci>"
  MigIndex,  // "0:1": GPU 0, MIG device 1
  PciBusId,  // "00000000:3B:00.0" (nvidia-container-cli accepts it; CUDA does not)
  CdiName,   // "nvidia.com/gpu=0", "nvidia.com/gpu=all"
};
std::string_view to_string(DeviceIdKind kind);

struct DeviceId {
  DeviceIdKind kind = DeviceIdKind::Index;
  std::string token;   // as written, surrounding whitespace removed
  int index = -1;      // Index: the index; MigIndex: the GPU index
  int mig_index = -1;  // MigIndex: the MIG device index
  // CdiName only: the kind ("nvidia.com/gpu") and the device name ("all", "0", "GPU-...").
  std::string cdi_kind;
  std::string cdi_device;
  // CdiName only: what the device name denotes when it is itself a device id; nullopt for "all"
  // and for spec-defined names gpuval cannot interpret.
  std::optional<DeviceIdKind> cdi_target;
};

struct InvalidToken {
  std::string token;
  std::string reason;
};

// nvidia-container-toolkit semantics: Unset, Empty and Void make the runtime inject nothing
// (the container behaves as under plain runc); None injects the driver but no GPU. Like
// nvidia-container-cli, "all" (any case) anywhere in a list selects every GPU, and empty entries
// ("0,,1") are skipped.
enum class NvidiaDevicesMode { Unset, Empty, Void, None, All, List };
std::string_view to_string(NvidiaDevicesMode mode);

struct NvidiaVisibleDevices {
  NvidiaDevicesMode mode = NvidiaDevicesMode::Unset;
  std::optional<std::string> raw;
  std::vector<DeviceId> entries;        // valid entries, first occurrence of each, in order
  std::vector<InvalidToken> invalid;    // rejected tokens with the reason
  std::vector<std::string> duplicates;  // tokens that repeat an earlier entry

  // "all", or a list holding a CDI "<kind>=all" entry.
  bool requests_all() const;
  // Whole-GPU entries (indices, GPU UUIDs, CDI names of those) and MIG entries, counted apart:
  // several MIG devices may live on one GPU, so they do not map to device nodes one to one.
  std::size_t whole_gpu_count() const;
  std::size_t mig_count() const;
  // CDI names whose device name is spec-defined ("nvidia.com/gpu=gpu0"): not countable here.
  std::size_t opaque_count() const;
};

NvidiaVisibleDevices parse_nvidia_visible_devices(const std::optional<std::string>& value);

// CUDA runtime semantics: unset = every device; "" = none; otherwise the devices listed, up to
// the first invalid or repeated entry, which silently drops it and everything after it.
struct CudaVisibleDevices {
  std::optional<std::string> raw;
  std::vector<DeviceId> effective;          // what the CUDA runtime will enumerate, in order
  std::optional<std::string> truncated_at;  // the token that ended the list, if any
  std::size_t truncated_position = 0;       // its 0-based position among the tokens
  std::string truncation_reason;
  std::size_t dropped = 0;  // tokens lost from the truncating one on (itself included)

  bool all_devices() const { return !raw.has_value(); }
};

CudaVisibleDevices parse_cuda_visible_devices(const std::optional<std::string>& value);

// Whether s is "GPU-" followed by a complete 8-4-4-4-12 hex UUID (any case).
bool is_full_gpu_uuid(std::string_view s);

}  // namespace gpuval
