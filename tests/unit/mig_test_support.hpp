// MIG scenarios for the fake NVML (tests/fake_nvml/fake_nvml_mig.cpp) and the CUDA driver's view
// of a MIG device: an H100 80GB with MIG on, its GPU instance profiles as R535+ report them, and
// slices of the common profiles.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/driver_probe.hpp"
#include "tests/unit/nvml_test_support.hpp"

namespace gpuval::testing {

// "MIG-2b3c4d5e-0000-4000-8000-0000000000<gpu><slot>"
inline std::string mig_uuid(int gpu, int slot) {
  return "MIG-2b3c4d5e-0000-4000-8000-0000000000" + std::to_string(gpu) + std::to_string(slot);
}

// `nvidia-smi mig -lgip` of an H100 80GB HBM3 (R535): query index, profile id, name, compute
// slices, instances, SMs, memory (MiB).
inline nlohmann::json h100_profiles() {
  struct Row {
    int index, id;
    const char* name;
    int slices, instances, sm;
    unsigned long long mib;
  };
  const Row rows[] = {
      {0, 19, "MIG 1g.10gb", 1, 7, 16, 9984},  {1, 14, "MIG 2g.20gb", 2, 3, 32, 20096},
      {2, 9, "MIG 3g.40gb", 3, 2, 60, 40448},  {3, 5, "MIG 4g.40gb", 4, 1, 64, 40448},
      {4, 0, "MIG 7g.80gb", 7, 1, 132, 81152}, {7, 20, "MIG 1g.10gb+me", 1, 1, 16, 9984},
      {9, 15, "MIG 1g.20gb", 1, 4, 26, 20096}};
  nlohmann::json out = nlohmann::json::array();
  for (const Row& r : rows) {
    out.push_back({{"index", r.index},
                   {"id", r.id},
                   {"name", r.name},
                   {"slices", r.slices},
                   {"instances", r.instances},
                   {"sm", r.sm},
                   {"memory_mib", r.mib},
                   {"copy_engines", r.slices}});
  }
  return out;
}

struct MigSlice {
  int gi_slices;  // 1 (1g), 3 (3g), ...
  int ci_slices;  // == gi_slices for a whole GPU instance; fewer for "1c.3g.40gb"
  unsigned long long memory_mib;
  int sm;
  int gpu_instance_id;
  int compute_instance_id;
};
inline constexpr MigSlice k1g10gb{1, 1, 9984, 16, 9, 0};
inline constexpr MigSlice k1g20gb{1, 1, 20096, 26, 11, 0};
inline constexpr MigSlice k3g40gb{3, 3, 40448, 60, 2, 0};
inline constexpr MigSlice k1c3g40gb{3, 1, 40448, 20, 1, 0};

inline nlohmann::json mig_device_json(int gpu, int slot, const MigSlice& s) {
  return {{"slot", slot},
          {"uuid", mig_uuid(gpu, slot)},
          {"gpu_instance_id", s.gpu_instance_id},
          {"compute_instance_id", s.compute_instance_id},
          {"attributes",
           {{"sm", s.sm},
            {"gi_slices", s.gi_slices},
            {"ci_slices", s.ci_slices},
            {"memory_mib", s.memory_mib},
            {"copy_engines", s.gi_slices}}}};
}

// healthy_h100(gpu) with MIG on and the given slices in MIG slots 0, 1, ...
inline nlohmann::json mig_h100(int gpu, const std::vector<MigSlice>& slices) {
  nlohmann::json d = healthy_h100(gpu);
  d["mig"] = {{"current", 1}, {"pending", 1}};
  d["minor_number"] = gpu;
  d["mig_max_devices"] = 7;
  d["gpu_instance_profiles"] = h100_profiles();
  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < slices.size(); ++i) {
    list.push_back(mig_device_json(gpu, static_cast<int>(i), slices[i]));
  }
  d["mig_devices"] = list;
  return d;
}

// The CUDA driver's view of MIG slot `slot` of `board` (a mig_h100 entry): the parent's PCI bus
// id, the slice's SMs and memory, and the slice's UUID bytes spelled "GPU-" as a probe that
// only has cuDeviceGetUuid_v2 spells them (mark_mig_devices corrects it).
inline CudaDeviceInfo cuda_view_of_slice(const nlohmann::json& board, int slot, int ordinal) {
  CudaDeviceInfo d = cuda_view(board, ordinal);
  const nlohmann::json& m = board["mig_devices"][static_cast<std::size_t>(slot)];
  d.uuid = "GPU-" + m["uuid"].get<std::string>().substr(4);
  d.sm_count = m["attributes"]["sm"].get<unsigned>();
  d.total_memory_bytes = m["attributes"]["memory_mib"].get<unsigned long long>() << 20;
  d.name += " MIG";
  return d;
}

}  // namespace gpuval::testing
