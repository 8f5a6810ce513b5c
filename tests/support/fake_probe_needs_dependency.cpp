// A probe module whose dependency (fake_probe_dependency.cpp) is missing at run time.
#include "probes/probe_abi.h"

extern "C" int gpuval_fake_probe_dependency(void);

extern "C" const gpuval_probe_module* gpuval_probe_module_v1(void) {
  return gpuval_fake_probe_dependency() == 42 ? nullptr : nullptr;
}
