// CUDA-side helpers shared by the probe modules: the device description, random operands, and the
// request/JSON plumbing of the C entry point. Header-only: each module is its own shared library.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/cuda_error.hpp"
#include "probes/probe_abi.h"
#include "probes/probe_json.hpp"

namespace gpuval::probes {

struct DeviceInfo {
  std::string name;
  int cc = 0;  // major * 10 + minor
  nlohmann::json to_json(int index) const {
    return {{"index", index},
            {"name", name},
            {"cc", std::to_string(cc / 10) + "." + std::to_string(cc % 10)}};
  }
};

inline DeviceInfo device_info(int device) {
  cudaDeviceProp prop{};
  GPUVAL_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return DeviceInfo{prop.name, prop.major * 10 + prop.minor};
}

// n values with magnitudes uniform in [0.25, 1] and random signs: never zero, never denormal in
// any type the probes use (FP8 E4M3 included), and sums with cancellation like real data.
inline std::vector<double> random_operand(std::size_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> magnitude(0.25, 1.0);
  std::bernoulli_distribution negative(0.5);
  std::vector<double> v(n);
  for (double& x : v) x = negative(rng) ? -magnitude(rng) : magnitude(rng);
  return v;
}

// The body of a module's run(): validates the request, fills "probe" and "device", runs
// body(request, result) guarded, and hands back a malloc'd C string.
template <typename Body>
char* run_request(const char* probe, const gpuval_probe_request* request, Body&& body) noexcept {
  try {
    nlohmann::json result = {{"probe", probe}, {"cases", nlohmann::json::array()}};
    if (request == nullptr || request->struct_size < sizeof(gpuval_probe_request)) {
      result["error"] = exception_json("invalid probe request (null or from an older gpuval)");
      return to_c_string(result);
    }
    result = guarded(std::move(result), [&](nlohmann::json& r) {
      GPUVAL_CUDA_CHECK(cudaSetDevice(request->device));
      r["device"] = device_info(request->device).to_json(request->device);
      body(*request, r);
    });
    return to_c_string(result);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace gpuval::probes
