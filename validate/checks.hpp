// Every validation check, one function each. A check reads only the Context (filesystem through
// the sysroot, environment, injected probes), may read Facts earlier checks recorded, records its
// own facts, and returns one CheckResult. The order they run in is the table in registry.cpp.
#pragma once

#include "core/check_result.hpp"
#include "core/context.hpp"

namespace gpuval::checks {

// engine.cpp, injection.cpp
CheckResult engine(const Context& ctx, Facts& facts);
CheckResult injection(const Context& ctx, Facts& facts);
// device_nodes.cpp
CheckResult device_nodes(const Context& ctx, Facts& facts);
CheckResult device_access(const Context& ctx, Facts& facts);
// mig_caps.cpp
CheckResult mig_caps(const Context& ctx, Facts& facts);
// visible_devices.cpp
CheckResult nvidia_visible_devices(const Context& ctx, Facts& facts);
CheckResult cuda_visible_devices(const Context& ctx, Facts& facts);
// capabilities.cpp
CheckResult driver_capabilities(const Context& ctx, Facts& facts);
// driver_libraries.cpp
CheckResult driver_libraries(const Context& ctx, Facts& facts);
CheckResult kernel_module(const Context& ctx, Facts& facts);
// cuda_driver.cpp
CheckResult cuda_driver(const Context& ctx, Facts& facts);
CheckResult cuda_compat(const Context& ctx, Facts& facts);
// gpu_compute.cpp, gpu_probes.cpp, gpu_memory.cpp (options for tests: gpu_checks.hpp)
CheckResult cuda_compute(const Context& ctx, Facts& facts);
CheckResult ptx_jit(const Context& ctx, Facts& facts);
CheckResult cublas(const Context& ctx, Facts& facts);
CheckResult cudnn(const Context& ctx, Facts& facts);
CheckResult memory_pattern(const Context& ctx, Facts& facts);
// nvml_checks.cpp, gpu_visibility.cpp, gpu_health.cpp
CheckResult nvml(const Context& ctx, Facts& facts);
CheckResult gpu_visibility(const Context& ctx, Facts& facts);
CheckResult gpu_health(const Context& ctx, Facts& facts);
// mig_devices.cpp
CheckResult mig_devices(const Context& ctx, Facts& facts);
// gpu_events.cpp (evaluated again after the benchmarks: gpu_events.hpp)
CheckResult gpu_events(const Context& ctx, Facts& facts);
// limits_cgroup.cpp
CheckResult cgroup_memory(const Context& ctx, Facts& facts);
CheckResult cgroup_cpu(const Context& ctx, Facts& facts);
// limits_process.cpp
CheckResult shm_size(const Context& ctx, Facts& facts);
CheckResult memlock(const Context& ctx, Facts& facts);
// limits_security.cpp
CheckResult privileged(const Context& ctx, Facts& facts);
CheckResult security_label(const Context& ctx, Facts& facts);
CheckResult user_namespace(const Context& ctx, Facts& facts);
// cluster/: nvlink.cpp, fabric.cpp, rdma.cpp, imex.cpp
CheckResult nvlink(const Context& ctx, Facts& facts);
CheckResult fabric(const Context& ctx, Facts& facts);
CheckResult gpudirect_rdma(const Context& ctx, Facts& facts);
CheckResult imex(const Context& ctx, Facts& facts);

}  // namespace gpuval::checks
