// cuDNN's first use in a fresh process: cudnnCreate (which loads cuDNN's engine libraries).
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/cuda_error.hpp"
#include "probes/cold_start_probe.hpp"
#include "probes/cudnn_objects.hpp"
#include "probes/probe_json.hpp"

namespace gpuval::probes {

char* cudnn_cold_start(const gpuval_probe_request* request) {
  nlohmann::json out = {
      {"probe", "cudnn"}, {"op", "cold-start"}, {"status", "FAIL"}, {"verified", false}};
  try {
    if (request == nullptr || request->struct_size < sizeof(gpuval_probe_request)) {
      out["error"] = exception_json("invalid probe request (null or from an older gpuval)");
      return to_c_string(out);
    }
    GPUVAL_CUDA_CHECK(cudaSetDevice(request->device));
    const auto t = std::chrono::steady_clock::now();
    CudnnHandle handle;
    GPUVAL_CUDNN_CHECK(cudnnCreate(handle.out()));
    out["handle_ms"] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    out["library"] = cudnn_library_json();
    out["status"] = "PASS";
    out["verified"] = true;  // a handle is the whole step: nothing computed to check
  } catch (const CudaError& e) {
    out["error"] = error_json(e);
  } catch (const std::exception& e) {
    out["error"] = exception_json(e.what());
  }
  return to_c_string(out);
}

}  // namespace gpuval::probes
