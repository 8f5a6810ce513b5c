// A stand-in probe module for unit tests of the loader and of the cublas/cudnn checks without a
// GPU. Built as libgpuval_probe_cublas.so and libgpuval_probe_cudnn.so in a test directory; what
// it does comes from the process environment, read on every call:
//   GPUVAL_FAKE_PROBE_JSON  the result text, "$DEVICE" and "$FLAGS" replaced by the request's
//   GPUVAL_FAKE_PROBE_ABI   the ABI version to claim (default: the real one)
//   GPUVAL_FAKE_PROBE_NULL  "entry": the entry point returns null; "run": run() returns null
#include <cstdlib>
#include <cstring>
#include <string>

#include "probes/probe_abi.h"

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string(fallback);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

char* run(const gpuval_probe_request* request) {
  if (env_or("GPUVAL_FAKE_PROBE_NULL", "") == "run") return nullptr;
  std::string text = env_or("GPUVAL_FAKE_PROBE_JSON", "{}");
  replace_all(text, "$DEVICE", std::to_string(request->device));
  replace_all(text, "$FLAGS", std::to_string(request->flags));
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out != nullptr) std::memcpy(out, text.c_str(), text.size() + 1);
  return out;
}

void free_result(char* text) { std::free(text); }

gpuval_probe_module g_module{GPUVAL_PROBE_ABI_VERSION, sizeof(gpuval_probe_module),
                             GPUVAL_FAKE_PROBE_NAME, &run, &free_result};

}  // namespace

extern "C" const gpuval_probe_module* gpuval_probe_module_v1(void) {
  if (env_or("GPUVAL_FAKE_PROBE_NULL", "") == "entry") return nullptr;
  g_module.abi_version =
      static_cast<uint32_t>(std::strtoul(env_or("GPUVAL_FAKE_PROBE_ABI", "").c_str(), nullptr, 10));
  if (g_module.abi_version == 0) g_module.abi_version = GPUVAL_PROBE_ABI_VERSION;
  return &g_module;
}
