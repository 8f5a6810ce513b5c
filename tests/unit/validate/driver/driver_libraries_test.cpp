#include <gtest/gtest.h>

#include "tests/support/fixture_tree.hpp"
#include "validate/checks.hpp"

namespace gpuval {
namespace {

using testing::FakeCudaDriverProbe;
using testing::FakeLibraryLoader;
using testing::FixtureTree;

constexpr const char* kLibDir = "/usr/lib/x86_64-linux-gnu/";
constexpr const char* kModule550 =
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n"
    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

FakeLibraryLoader driver_libs(const std::string& cuda_version, const std::string& nvml_version) {
  FakeLibraryLoader libs;
  if (!cuda_version.empty()) {
    libs.add("libcuda.so.1", std::string(kLibDir) + "libcuda.so." + cuda_version);
  }
  if (!nvml_version.empty()) {
    libs.add("libnvidia-ml.so.1", std::string(kLibDir) + "libnvidia-ml.so." + nvml_version);
  }
  return libs;
}

struct Outcome {
  CheckResult result;
  Facts facts;
};

Outcome run_libraries(const FakeLibraryLoader& libs, Facts facts = {}) {
  FixtureTree tree;
  FakeCudaDriverProbe cuda;
  Context ctx = testing::make_context(tree, Env{}, libs, cuda);
  CheckResult r = checks::driver_libraries(ctx, facts);
  return {std::move(r), std::move(facts)};
}

Outcome run_module(const FixtureTree& tree, const FakeLibraryLoader& libs, int gpu_nodes = 1) {
  Facts facts;
  facts.gpu_nodes = gpu_nodes;
  FakeCudaDriverProbe cuda;
  Context ctx = testing::make_context(tree, Env{}, libs, cuda);
  CheckResult r = checks::kernel_module(ctx, facts);
  return {std::move(r), std::move(facts)};
}

// ---- driver-libraries -----------------------------------------------------------------------

TEST(DriverLibraries, PassesWithPathsAndVersions) {
  Outcome run = run_libraries(driver_libs("550.54.15", "550.54.15"));
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_TRUE(
      has(run.result.message, "libcuda.so.1 -> /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"))
      << run.result.message;
  EXPECT_TRUE(has(run.result.message, "libnvidia-ml.so.1")) << run.result.message;
  EXPECT_EQ(run.result.metrics["libcuda"]["version"], "550.54.15");
  EXPECT_EQ(run.result.metrics["libcuda"]["path"],
            "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15");
  EXPECT_EQ(run.result.metrics["nvml"]["version"], "550.54.15");
  EXPECT_TRUE(run.facts.blockers.empty());
}

TEST(DriverLibraries, MissingLibcudaFailsAndBlocks) {
  Outcome run = run_libraries(driver_libs("", "550.54.15"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "libcuda.so.1 not loadable")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "cannot open shared object")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "NVIDIA_DRIVER_CAPABILITIES must include compute"))
      << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "never install driver libraries in the image"))
      << run.result.hint;
  EXPECT_EQ(run.result.metrics["libcuda"]["loaded"], false);
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kLibraryMissing);
}

TEST(DriverLibraries, MissingLibcudaUnderCdiPointsAtTheSpec) {
  Facts facts;
  facts.injection = "cdi";
  Outcome run = run_libraries(driver_libs("", ""), facts);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.hint, "regenerate the CDI spec")) << run.result.hint;
  EXPECT_EQ(run.facts.blockers.size(), 1u);
}

TEST(DriverLibraries, MissingNvmlIsAWarning) {
  Outcome run = run_libraries(driver_libs("550.54.15", ""));
  EXPECT_EQ(run.result.status, Status::Warn);
  EXPECT_TRUE(has(run.result.message, "libnvidia-ml.so.1 not loadable")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "utility")) << run.result.hint;
  EXPECT_EQ(run.result.metrics["nvml"]["loaded"], false);
  EXPECT_TRUE(run.facts.blockers.empty());
}

TEST(DriverLibraries, ToolkitStubIsNotADriver) {
  FakeLibraryLoader libs;
  libs.add("libcuda.so.1", "/usr/local/cuda-12.4/targets/x86_64-linux/lib/stubs/libcuda.so");
  Outcome run = run_libraries(libs);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "stub")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "LD_LIBRARY_PATH")) << run.result.hint;
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kLibraryMissing);
}

TEST(DriverLibraries, UnversionedFileNameIsReportedAsUnknown) {
  FakeLibraryLoader libs;
  libs.add("libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1");
  libs.add("libnvidia-ml.so.1", "/usr/lib/wsl/lib/libnvidia-ml.so.1");
  Outcome run = run_libraries(libs);
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "version unknown")) << run.result.message;
  EXPECT_TRUE(run.result.metrics["libcuda"]["version"].is_null());
}

TEST(DriverLibraries, LibrariesFromTwoInstallsWarn) {
  Outcome run = run_libraries(driver_libs("550.54.15", "535.104.05"));
  EXPECT_EQ(run.result.status, Status::Warn);
  EXPECT_TRUE(has(run.result.message, "libcuda 550.54.15 vs NVML 535.104.05"))
      << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "remove driver libraries from the image")) << run.result.hint;
}

TEST(DriverLibraries, ForwardCompatLibcudaIsMarked) {
  FakeLibraryLoader libs;
  libs.add("libcuda.so.1", "/usr/local/cuda-12.8/compat/libcuda.so.570.86.10");
  libs.add("libnvidia-ml.so.1", std::string(kLibDir) + "libnvidia-ml.so.535.104.05");
  Outcome run = run_libraries(libs);
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "[cuda-compat]")) << run.result.message;
}

// ---- kernel-module --------------------------------------------------------------------------

TEST(KernelModule, MatchingVersionsPass) {
  FixtureTree tree;
  tree.write("/proc/driver/nvidia/version", kModule550);
  Outcome run = run_module(tree, driver_libs("550.54.15", "550.54.15"));
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "kernel module 550.54.15 (proprietary, x86_64)"))
      << run.result.message;
  EXPECT_TRUE(has(run.result.message, "libcuda and NVML")) << run.result.message;
  EXPECT_EQ(run.facts.kernel_module_version, "550.54.15");
  EXPECT_EQ(run.result.metrics["kernel_module"]["flavor"], "proprietary");
  EXPECT_EQ(run.result.metrics["libcuda_version"], "550.54.15");
}

TEST(KernelModule, OpenModuleOnAarch64) {
  FixtureTree tree;
  tree.write("/proc/driver/nvidia/version",
             "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  550.54.15  Release Build  "
             "(dvs-builder@U16-I3-B03-4-3)  Tue Mar  5 22:20:06 UTC 2024\n");
  Outcome run = run_module(tree, driver_libs("550.54.15", ""));
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "(open, aarch64)")) << run.result.message;
  EXPECT_EQ(run.result.metrics["kernel_module"]["arch"], "aarch64");
  EXPECT_TRUE(run.result.metrics["nvml_version"].is_null());
}

TEST(KernelModule, LibraryNewerThanModuleFailsAndBlocks) {
  FixtureTree tree;
  tree.write("/proc/driver/nvidia/version",
             "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.90.07  Fri May 31 UTC 2024\n");
  Outcome run = run_module(tree, driver_libs("550.54.15", "550.90.07"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "libcuda 550.54.15 vs kernel module 550.90.07"))
      << run.result.message;
  EXPECT_FALSE(has(run.result.message, "NVML")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "reboot")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "nvidia-ctk cdi generate")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "remove driver libs from the image")) << run.result.hint;
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kVersionMismatch);
  EXPECT_EQ(run.facts.kernel_module_version, "550.90.07");
}

TEST(KernelModule, NvmlMismatchAloneFails) {
  FixtureTree tree;
  tree.write("/proc/driver/nvidia/version", kModule550);
  Outcome run = run_module(tree, driver_libs("550.54.15", "535.104.05"));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "NVML 535.104.05 vs kernel module 550.54.15"))
      << run.result.message;
  EXPECT_EQ(run.facts.blockers.size(), 1u);
}

TEST(KernelModule, ForwardCompatLibcudaIsAWarningNotAMismatch) {
  FixtureTree tree;
  tree.write("/proc/driver/nvidia/version",
             "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 UTC 2023\n");
  FakeLibraryLoader libs;
  libs.add("libcuda.so.1", "/usr/local/cuda-12.8/compat/libcuda.so.570.86.10");
  libs.add("libnvidia-ml.so.1", std::string(kLibDir) + "libnvidia-ml.so.535.104.05");
  Outcome run = run_module(tree, libs);
  EXPECT_EQ(run.result.status, Status::Warn) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "forward compatibility")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "data-centre GPUs only")) << run.result.hint;
  EXPECT_TRUE(run.facts.blockers.empty());
}

TEST(KernelModule, OlderCompatLibcudaThanTheModuleIsAMismatch) {
  FixtureTree tree;
  tree.write("/proc/driver/nvidia/version",
             "NVRM version: NVIDIA UNIX x86_64 Kernel Module  560.35.03  Fri Aug 16 UTC 2024\n");
  FakeLibraryLoader libs;
  libs.add("libcuda.so.1", "/usr/local/cuda-12.4/compat/libcuda.so.550.54.15");
  Outcome run = run_module(tree, libs);
  EXPECT_EQ(run.result.status, Status::Fail) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "libcuda 550.54.15 vs kernel module 560.35.03"))
      << run.result.message;
  EXPECT_EQ(run.facts.blockers.size(), 1u);
}

TEST(KernelModule, AbsentFileWithoutGpuNodesSkips) {
  FixtureTree tree;
  Outcome run = run_module(tree, driver_libs("550.54.15", "550.54.15"), 0);
  EXPECT_EQ(run.result.status, Status::Skip);
  EXPECT_TRUE(has(run.result.message, "/proc/driver/nvidia/version")) << run.result.message;
  EXPECT_EQ(run.facts.kernel_module_version, "");
}

TEST(KernelModule, AbsentFileWithGpuNodesWarns) {
  FixtureTree tree;
  Outcome run = run_module(tree, driver_libs("550.54.15", "550.54.15"), 2);
  EXPECT_EQ(run.result.status, Status::Warn);
  EXPECT_TRUE(has(run.result.message, "not compared")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "/proc/driver/nvidia")) << run.result.hint;
  EXPECT_TRUE(run.facts.blockers.empty());
}

TEST(KernelModule, MalformedFileWarnsNamingTheContent) {
  FixtureTree tree;
  tree.write("/proc/driver/nvidia/version",
             "NVRM version: NVIDIA UNIX x86_64 Kernel Module  ???\n");
  Outcome run = run_module(tree, driver_libs("550.54.15", "550.54.15"));
  EXPECT_EQ(run.result.status, Status::Warn);
  EXPECT_TRUE(has(run.result.message, "cannot parse")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "???")) << run.result.message;
  EXPECT_FALSE(run.result.hint.empty());
  EXPECT_EQ(run.facts.kernel_module_version, "");
}

TEST(KernelModule, NothingToCompareSkipsButRecordsTheModule) {
  FixtureTree tree;
  tree.write("/proc/driver/nvidia/version", kModule550);
  Outcome run = run_module(tree, driver_libs("", ""));
  EXPECT_EQ(run.result.status, Status::Skip);
  EXPECT_TRUE(has(run.result.message, "550.54.15")) << run.result.message;
  EXPECT_EQ(run.facts.kernel_module_version, "550.54.15");
  EXPECT_TRUE(run.facts.blockers.empty());
}

}  // namespace
}  // namespace gpuval
