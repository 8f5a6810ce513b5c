// The NVIDIA capability tables MIG relies on, as text in, values out (no I/O):
//   /proc/driver/nvidia-caps/mig-minors  one "name minor" line per capability: "config 1",
//       "monitor 2", "gpu0/gi1/access 12", "gpu0/gi1/ci0/access 13" (gpuN: the GPU's device
//       minor, the N of /dev/nvidiaN); the node guarding it is /dev/nvidia-caps/nvidia-cap<minor>.
//   /proc/devices  "236 nvidia-caps" among the character devices: the nodes' major.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval {

enum class MigCapKind {
  Config,           // "config": create and destroy MIG instances (nvidia-smi mig -cgi)
  Monitor,          // "monitor": see every MIG instance (nvidia-smi, DCGM on the host)
  GpuInstance,      // "gpuN/giG/access": use GPU instance G of GPU N
  ComputeInstance,  // "gpuN/giG/ciC/access": use compute instance C in it
};

struct MigCap {
  MigCapKind kind = MigCapKind::Config;
  std::string name;  // as written, "gpu0/gi1/ci0/access"
  unsigned minor = 0;
  int gpu = -1, gpu_instance = -1, compute_instance = -1;  // -1 where the kind has none
};

struct MigMinors {
  std::vector<MigCap> caps;
  std::vector<std::string> bad_lines;  // lines that are not "<name> <minor>" of a known name
};

MigMinors parse_mig_minors(std::string_view text);

// The capability `minor` names, or null.
const MigCap* mig_cap_by_minor(const MigMinors& m, unsigned minor);
// The capability of GPU instance (gi) or, with ci >= 0, compute instance, or null.
const MigCap* mig_cap_for(const MigMinors& m, int gpu, int gi, int ci = -1);

// The major number /proc/devices gives the character device `name`, or nullopt.
std::optional<unsigned> proc_devices_major(std::string_view proc_devices, std::string_view name);

}  // namespace gpuval
