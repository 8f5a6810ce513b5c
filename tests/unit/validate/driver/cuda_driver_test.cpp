#include <gtest/gtest.h>

#include <vector>

#include "tests/support/fixture_tree.hpp"
#include "validate/checks.hpp"
#include "validate/driver/cuda_errors.hpp"

namespace gpuval {
namespace {

using testing::FakeCudaDriverProbe;
using testing::FakeLibraryLoader;
using testing::FixtureTree;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

CudaDriverStatus loaded(int driver_version, int init_code, int devices,
                        std::string path = "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15") {
  CudaDriverStatus s;
  s.library_loaded = true;
  s.library_path = std::move(path);
  s.driver_version = driver_version;
  s.init_code = init_code;
  s.device_count = devices;
  return s;
}

// Healthy node facts unless a test says otherwise.
Facts node_facts() {
  Facts f;
  f.gpu_nodes = 1;
  f.ctl_node = true;
  f.uvm_node = true;
  return f;
}

struct Outcome {
  CheckResult result;
  Facts facts;
};

Outcome run_driver(CudaDriverStatus status, Facts facts = node_facts(), Env env = {}) {
  FixtureTree tree;
  FakeLibraryLoader libs;
  FakeCudaDriverProbe cuda;
  cuda.status = std::move(status);
  Context ctx = testing::make_context(tree, std::move(env), libs, cuda);
  CheckResult r = checks::cuda_driver(ctx, facts);
  return {std::move(r), std::move(facts)};
}

Outcome run_compat(const FixtureTree& tree, std::optional<CudaDriverStatus> status, int runtime,
                   std::string kernel_module = {}) {
  FakeLibraryLoader libs;
  FakeCudaDriverProbe cuda;
  Context ctx = testing::make_context(tree, Env{}, libs, cuda, runtime);
  Facts facts;
  facts.cuda = std::move(status);
  facts.kernel_module_version = std::move(kernel_module);
  CheckResult r = checks::cuda_compat(ctx, facts);
  return {std::move(r), std::move(facts)};
}

// ---- cuda-driver ----------------------------------------------------------------------------

TEST(CudaDriver, PassesWithDevices) {
  Outcome run = run_driver(loaded(12040, 0, 2));
  EXPECT_EQ(run.result.status, Status::Pass) << run.result.message;
  EXPECT_EQ(run.result.message, "CUDA 12.4 driver, 2 devices");
  EXPECT_TRUE(run.facts.gpu_usable);
  ASSERT_TRUE(run.facts.cuda.has_value());
  EXPECT_EQ(run.facts.cuda->driver_version, 12040);
  EXPECT_EQ(run.result.metrics["driver_cuda"], "12.4");
  EXPECT_EQ(run.result.metrics["device_count"], 2);
  EXPECT_TRUE(run.facts.blockers.empty());
}

TEST(CudaDriver, OneDeviceIsSingular) {
  Outcome run = run_driver(loaded(13000, 0, 1));
  EXPECT_EQ(run.result.message, "CUDA 13.0 driver, 1 device");
}

TEST(CudaDriver, LibraryNotLoadedFailsPointingAtDriverLibraries) {
  CudaDriverStatus s;
  s.load_error = "libcuda.so.1: cannot open shared object file: No such file or directory";
  Outcome run = run_driver(s);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "cannot open shared object")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "driver-libraries")) << run.result.hint;
  EXPECT_FALSE(run.facts.gpu_usable);
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kLibraryMissing);
}

TEST(CudaDriver, LibraryNotLoadedDoesNotDuplicateTheLibraryBlocker) {
  Facts facts = node_facts();
  facts.block(blocker_priority::kLibraryMissing, "driver-libraries", "x", "y");
  Outcome run = run_driver(CudaDriverStatus{}, facts);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].check_id, "driver-libraries");
}

TEST(CudaDriver, LibraryWithoutEntryPointsFails) {
  CudaDriverStatus s = loaded(0, -1, 0, "/opt/app/lib/libcuda.so.1");
  s.load_error = "libcuda.so.1 at /opt/app/lib/libcuda.so.1 lacks cuInit";
  Outcome run = run_driver(s);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message,
                  "/opt/app/lib/libcuda.so.1 but cuInit was not run: "
                  "libcuda.so.1 at /opt/app/lib/libcuda.so.1 lacks cuInit"))
      << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "remove any libcuda copy from the image")) << run.result.hint;
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kCudaInit);
}

struct InitCase {
  int code;
  const char* name;
  const char* hint_part;
};

TEST(CudaDriver, EachInitErrorHasItsNameAndHint) {
  const std::vector<InitCase> cases = {
      {100, "CUDA_ERROR_NO_DEVICE", "enumerates no GPU"},
      {35, "CUDA_ERROR_INSUFFICIENT_DRIVER", "upgrade the host driver"},
      {34, "CUDA_ERROR_STUB_LIBRARY", "stubs"},
      {46, "CUDA_ERROR_DEVICE_UNAVAILABLE", "nvidia-smi -c DEFAULT"},
      {221, "CUDA_ERROR_JIT_COMPILER_NOT_FOUND", "ptxjitcompiler"},
      {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "SASS"},
      {304, "CUDA_ERROR_OPERATING_SYSTEM", "device-access"},
      {800, "CUDA_ERROR_NOT_PERMITTED", "compute mode"},
      {801, "CUDA_ERROR_NOT_SUPPORTED", "release notes"},
      {802, "CUDA_ERROR_SYSTEM_NOT_READY", "fabricmanager"},
      {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", "reboot"},
      {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", "data-centre GPUs only"},
      {101, "CUDA_ERROR_INVALID_DEVICE", "CUDA_VISIBLE_DEVICES"},
      {999, "CUDA_ERROR_UNKNOWN", "dmesg"},
  };
  for (const InitCase& c : cases) {
    Outcome run = run_driver(loaded(12040, c.code, 0));
    EXPECT_EQ(run.result.status, Status::Fail) << c.name;
    EXPECT_TRUE(has(run.result.message, c.name)) << run.result.message;
    EXPECT_TRUE(has(run.result.message, "(" + std::to_string(c.code) + ")")) << run.result.message;
    EXPECT_TRUE(has(run.result.hint, c.hint_part)) << c.name << ": " << run.result.hint;
    EXPECT_FALSE(run.facts.gpu_usable);
    ASSERT_EQ(run.facts.blockers.size(), 1u) << c.name;
    EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kCudaInit);
    EXPECT_EQ(run.facts.blockers[0].cause, run.result.message);
  }
}

TEST(CudaDriver, UnknownErrorWithoutUvmNamesTheMissingNode) {
  Facts facts = node_facts();
  facts.uvm_node = false;
  Outcome run = run_driver(loaded(12040, 999, 0), facts);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.hint, "/dev/nvidia-uvm is missing")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "nvidia-modprobe -u -c=0")) << run.result.hint;
}

TEST(CudaDriver, NoDeviceWithoutNodesPointsAtInjection) {
  Facts facts;
  Outcome run = run_driver(loaded(12040, 100, 0), facts);
  EXPECT_TRUE(has(run.result.hint, "device-nodes")) << run.result.hint;
}

TEST(CudaDriver, NoDeviceWithCudaVisibleDevicesBlamesIt) {
  Env env;
  env.set("CUDA_VISIBLE_DEVICES", "7");
  Outcome run = run_driver(loaded(12040, 100, 0), node_facts(), env);
  EXPECT_TRUE(has(run.result.hint, "CUDA_VISIBLE_DEVICES=\"7\"")) << run.result.hint;
}

TEST(CudaDriver, DriverReportedNameAndMessageArePreferred) {
  CudaDriverStatus s = loaded(12040, 100, 0);
  s.init_error = "CUDA_ERROR_NO_DEVICE";
  s.init_message = "no CUDA-capable device is detected";
  Outcome run = run_driver(s);
  EXPECT_EQ(run.result.message,
            "cuInit failed: CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected");
  EXPECT_EQ(run.result.metrics["init_error"], "CUDA_ERROR_NO_DEVICE");
}

TEST(CudaDriver, UnknownCodeGetsAGenericHint) {
  Outcome run = run_driver(loaded(12040, 12345, 0));
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "CUresult 12345")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "nvidia-smi")) << run.result.hint;
  EXPECT_EQ(run.facts.blockers.size(), 1u);
}

TEST(CudaDriver, InitOkWithZeroDevicesFailsAndBlocks) {
  Env env;
  env.set("CUDA_VISIBLE_DEVICES", "");
  Outcome run = run_driver(loaded(12040, 0, 0), node_facts(), env);
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "0 devices")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "CUDA_VISIBLE_DEVICES=\"\"")) << run.result.hint;
  EXPECT_FALSE(run.facts.gpu_usable);
  ASSERT_EQ(run.facts.blockers.size(), 1u);
  EXPECT_EQ(run.facts.blockers[0].priority, blocker_priority::kNoDevice);
}

TEST(CudaDriver, InitOkWithZeroDevicesAndNoFilterChecksTheRequest) {
  Outcome run = run_driver(loaded(12040, 0, 0));
  EXPECT_TRUE(has(run.result.hint, "nvidia-smi -L")) << run.result.hint;
}

TEST(CudaErrors, NamesAndDisplayNames) {
  EXPECT_EQ(cuda_error_name(0), "CUDA_SUCCESS");
  EXPECT_EQ(cuda_error_name(804), "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE");
  EXPECT_EQ(cuda_error_name(-7), "");
  EXPECT_EQ(cuda_error_display_name(100, ""), "CUDA_ERROR_NO_DEVICE");
  EXPECT_EQ(cuda_error_display_name(100, "FROM_DRIVER"), "FROM_DRIVER");
  EXPECT_EQ(cuda_error_display_name(4242, ""), "CUresult 4242");
}

// ---- cuda-compat ----------------------------------------------------------------------------

TEST(CudaCompat, SkipsWithoutADriverVersion) {
  FixtureTree tree;
  EXPECT_EQ(run_compat(tree, std::nullopt, 13000).result.status, Status::Skip);
  EXPECT_EQ(run_compat(tree, CudaDriverStatus{}, 13000).result.status, Status::Skip);
  EXPECT_EQ(run_compat(tree, loaded(13000, 0, 1), 0).result.status, Status::Skip);
}

TEST(CudaCompat, DriverAtOrAboveRuntimePasses) {
  FixtureTree tree;
  Outcome same = run_compat(tree, loaded(13000, 0, 1), 13000);
  EXPECT_EQ(same.result.status, Status::Pass) << same.result.message;
  EXPECT_TRUE(has(same.result.message, "CUDA 13.0 >= runtime 13.0")) << same.result.message;
  Outcome newer = run_compat(tree, loaded(13010, 0, 1), 12040);
  EXPECT_EQ(newer.result.status, Status::Pass);
  EXPECT_EQ(newer.result.metrics["runtime_cuda"], "12.4");
}

TEST(CudaCompat, LoadedCompatLibraryIsNoted) {
  FixtureTree tree;
  Outcome run =
      run_compat(tree, loaded(12080, 0, 1, "/usr/local/cuda-12.8/compat/libcuda.so.570.86.10"),
                 12080, "535.104.05");
  EXPECT_EQ(run.result.status, Status::Pass);
  EXPECT_TRUE(has(run.result.message, "via cuda-compat")) << run.result.message;
}

TEST(CudaCompat, SameMajorAboveTheFloorIsMinorVersionCompatibility) {
  FixtureTree tree;
  Outcome run = run_compat(tree, loaded(12020, 0, 1), 12040, "535.104.05");
  EXPECT_EQ(run.result.status, Status::Warn) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "minor-version compatibility")) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "PTX newer than the driver will not JIT"))
      << run.result.message;
  EXPECT_TRUE(has(run.result.message, "535.104.05")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "SASS")) << run.result.hint;
  EXPECT_EQ(run.result.metrics["driver_branch"], "535.104.05");
  EXPECT_EQ(run.result.metrics["minor_compat_floor"], "525.60.13");
}

TEST(CudaCompat, BranchFallsBackToTheLibrarySuffix) {
  FixtureTree tree;
  Outcome run = run_compat(tree, loaded(12020, 0, 1, "/usr/lib64/libcuda.so.535.104.05"), 12040);
  EXPECT_EQ(run.result.status, Status::Warn);
  EXPECT_EQ(run.result.metrics["driver_branch"], "535.104.05");
}

TEST(CudaCompat, SameMajorBelowTheFloorFails) {
  FixtureTree tree;
  Outcome run = run_compat(tree, loaded(11000, 0, 1), 11080, "450.51.06");
  EXPECT_EQ(run.result.status, Status::Fail) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "upgrade the host driver to >= 450.80.02")) << run.result.hint;
  EXPECT_TRUE(has(run.result.hint, "an image built for CUDA <= 11.0")) << run.result.hint;
}

TEST(CudaCompat, OlderMajorFailsWithTheFloorToUpgradeTo) {
  FixtureTree tree;
  Outcome run = run_compat(tree, loaded(12040, 0, 1), 13000, "550.54.15");
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.message, "driver CUDA 12.4 (550.54.15) < runtime 13.0"))
      << run.result.message;
  EXPECT_EQ(run.result.hint,
            "upgrade the host driver to >= 580.65.06 or use an image built for CUDA <= 12.4");
}

TEST(CudaCompat, CompatLibrariesInTheImageMakeItAWarning) {
  FixtureTree tree;
  tree.write("/usr/local/cuda/compat/libcuda.so.580.65.06", "");
  tree.symlink("libcuda.so.580.65.06", "/usr/local/cuda/compat/libcuda.so.1");
  Outcome run = run_compat(tree, loaded(12040, 0, 1), 13000, "550.54.15");
  EXPECT_EQ(run.result.status, Status::Warn) << run.result.message;
  EXPECT_TRUE(has(run.result.message, "forward compatibility via cuda-compat"))
      << run.result.message;
  EXPECT_TRUE(has(run.result.message, "error 804")) << run.result.message;
  EXPECT_TRUE(has(run.result.hint, "580.65.06")) << run.result.hint;
}

TEST(CudaCompat, UnknownRuntimeMajorStillGivesAnUpgradeHint) {
  FixtureTree tree;
  Outcome run = run_compat(tree, loaded(13000, 0, 1), 14000, "580.65.06");
  EXPECT_EQ(run.result.status, Status::Fail);
  EXPECT_TRUE(has(run.result.hint, "one supporting CUDA 14.0")) << run.result.hint;
  EXPECT_TRUE(run.result.metrics["minor_compat_floor"].is_null());
}

}  // namespace
}  // namespace gpuval

namespace gpuval {
namespace {

TEST(CudaDriverOffline, SysrootAnalysisSkipsAndSaysWhyNoGpuWasTested) {
  testing::FixtureTree tree;
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  cuda.status.offline = true;
  cuda.status.load_error = "offline analysis of a sysroot: the CUDA driver is not loaded";
  Context ctx = testing::make_context(tree, Env{}, libs, cuda);
  Facts facts;
  CheckResult r = checks::cuda_driver(ctx, facts);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_NE(r.message.find("offline"), std::string::npos);
  ASSERT_EQ(facts.blockers.size(), 1u);
  EXPECT_EQ(facts.blockers[0].priority, blocker_priority::kOffline);
  EXPECT_NE(facts.blockers[0].hint.find("without --sysroot"), std::string::npos);
  EXPECT_FALSE(facts.gpu_usable);
}

}  // namespace
}  // namespace gpuval
