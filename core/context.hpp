// What every check receives: the inputs it may read (Context) and the facts earlier checks found
// (Facts), which later checks and the verdict use. Checks run in registry order.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/device_inventory.hpp"
#include "core/driver_probe.hpp"
#include "core/environment.hpp"
#include "core/nvml.hpp"
#include "core/sysroot.hpp"

namespace gpuval {

class NvmlEventWatch;  // core/nvml_events.hpp

struct Context {
  Sysroot fs;
  Env env;
  const LibraryLoader* libraries = nullptr;  // never null when checks run
  const CudaDriverProbe* cuda = nullptr;     // never null when checks run
  int cuda_runtime_version = 0;              // the CUDA runtime gpuval was built with, e.g. 13000
  std::string profile =
      {};  // "quick" | "full" (gpuval run), "" otherwise: GPU checks size their work
  // NVML library to dlopen (the nvml check); tests point it at the fake. With a sysroot other than
  // "/" the default soname is not loaded: this machine's NVML says nothing about the tree.
  std::string nvml_library = std::string(kNvmlSoname);
  // The NVML event watch of the run (cli/pipeline.cpp), or null: gpu-events reads it.
  const NvmlEventWatch* events = nullptr;
};

// A reason no GPU is usable here; the verdict reports the one with the lowest priority number,
// so the most fundamental cause comes first (no injection before a bad library version).
struct Blocker {
  int priority = 100;
  std::string check_id;
  std::string cause;  // one line, e.g. "no NVIDIA device nodes: ..."
  std::string hint;   // the fix
};

namespace blocker_priority {
inline constexpr int kVisibleDevicesNone =
    5;  // GPUs deliberately not requested (NVIDIA_VISIBLE_DEVICES=none/void,
        // CUDA_VISIBLE_DEVICES="")
inline constexpr int kNoInjection = 10;      // no device nodes at all
inline constexpr int kNodeAccess = 20;       // nodes there but not openable
inline constexpr int kLibraryMissing = 30;   // libcuda not injected / not loadable
inline constexpr int kVersionMismatch = 40;  // library vs kernel module
inline constexpr int kCudaInit = 50;         // cuInit failed
inline constexpr int kNoDevice = 60;         // init ok but zero devices
inline constexpr int kOffline = 90;          // --sysroot analysis: CUDA deliberately not loaded
}  // namespace blocker_priority

// One MIG capability (mig-caps check): a line of /proc/driver/nvidia-caps/mig-minors and the
// node /dev/nvidia-caps/nvidia-cap<minor> guarding it, or a node the table does not name.
struct MigCapNode {
  std::string name;  // "gpu0/gi1/ci0/access", "config", "monitor"; "" when not in the table
  unsigned minor = 0;
  int gpu = -1, gpu_instance = -1, compute_instance = -1;  // -1 where the kind has none
  std::string path;                                        // "" when there is no node for it
  int open_errno = -1;  // open(O_RDONLY): 0 ok, an errno, -1 not tried (no node)
  std::string problem;  // why the node is not the one it should be; "" if fine
};

struct Facts {
  // engine
  std::string engine =
      "none";  // podman | docker | kubernetes | containerd | lxc | unknown-container | none
  std::string engine_version;  // e.g. "4.3.1" when the engine says (podman --privileged), else ""
  bool in_container = false;
  std::optional<bool> rootless;  // user namespace with a non-identity uid map
  bool privileged = false;       // full capability set
  // injection
  std::string injection = "none";  // cdi | legacy-hook | none
  // device nodes
  int gpu_nodes = 0;      // /dev/nvidia[0-9]+ char devices seen
  bool ctl_node = false;  // /dev/nvidiactl
  bool uvm_node = false;  // /dev/nvidia-uvm
  // driver
  std::string kernel_module_version;  // from /proc/driver/nvidia/version, "" if absent
  std::optional<CudaDriverStatus> cuda;
  bool gpu_usable = false;  // cuInit succeeded and at least one device is visible
  // Device inventory, one JSON object per GPU as CUDA numbers them (core/device_inventory.hpp:
  // index = CUDA ordinal, the bound NVML board's fields, "peaks"), filled by the nvml check; goes
  // into the run document's "devices" unchanged.
  nlohmann::json devices = nlohmann::json::array();
  // CUDA ordinal -> NVML index, by PCI bus id (nvml check); empty when CUDA enumerated nothing.
  std::vector<DeviceBinding> bindings;
  // MIG capabilities and their nodes (mig-caps check); mig_minors_read: the table was there.
  std::vector<MigCapNode> mig_caps;
  bool mig_minors_read = false;
  // CUDA MIG devices -> their NVML MIG device, by UUID (nvml check); empty without MIG.
  std::vector<MigBinding> mig_bindings;
  // What NVML enumerated (nvml check), typed, for the GPU checks after it; nullopt when NVML
  // could not be loaded or initialised.
  std::optional<NvmlInventory> nvml;

  // The memory cgroup of this process (cgroup-memory check): where later messages read what
  // was measured (a failed pinned allocation says which limit it ran into).
  std::string memory_cgroup_dir;  // "" when not located
  bool memory_cgroup_v2 = false;
  std::optional<std::uint64_t> memory_limit_bytes;  // tightest limit up the hierarchy; empty: none

  std::vector<Blocker> blockers;
  void block(int priority, std::string check_id, std::string cause, std::string hint) {
    blockers.push_back(Blocker{priority, std::move(check_id), std::move(cause), std::move(hint)});
  }
};

}  // namespace gpuval
