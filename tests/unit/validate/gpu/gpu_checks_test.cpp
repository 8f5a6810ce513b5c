// The GPU checks on a machine without a GPU: every one SKIPs when no GPU is usable; the cublas and
// cudnn checks load their module, and every way that can fail is a SKIP naming the package that
// brings the library; a loadable (fake) module's results are mapped per device.
#include "validate/gpu/gpu_checks.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/fixture_tree.hpp"
#include "validate/checks.hpp"
#include "validate/gpu/gpu_outcome.hpp"
#include "probes/host/probe_loader.hpp"
#include "validate/registry.hpp"

namespace gpuval {
namespace {

namespace fs = std::filesystem;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const std::string kFakeDir = GPUVAL_FAKE_PROBE_DIR;

// Facts as cuda-driver records them when CUDA initialised and sees `devices` GPUs.
Facts usable_facts(int devices) {
  Facts facts;
  CudaDriverStatus s;
  s.library_loaded = true;
  s.init_code = 0;
  s.device_count = devices;
  facts.cuda = s;
  facts.gpu_usable = true;
  return facts;
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

struct World {
  testing::FixtureTree tree;
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  Context context(const std::string& probe_dir) {
    Env env;
    if (!probe_dir.empty()) env.set("GPUVAL_PROBE_DIR", probe_dir);
    return testing::make_context(tree, env, libs, cuda, 13000);
  }
};

TEST(GpuChecks, EverySkipsWithoutAUsableGpu) {
  World w;
  const Context ctx = w.context(kFakeDir + "/ok");
  for (auto fn : {&checks::cuda_compute, &checks::ptx_jit, &checks::cublas, &checks::cudnn,
                  &checks::memory_pattern}) {
    Facts facts;  // gpu_usable = false
    const CheckResult r = fn(ctx, facts);
    EXPECT_EQ(r.status, Status::Skip);
    EXPECT_EQ(r.message, "no usable GPU (see verdict)");
    EXPECT_TRUE(r.metrics.is_object());
  }
}

TEST(GpuChecks, AreRegisteredAfterCudaCompatInTheGpuGroup) {
  std::vector<std::string_view> ids;
  for (const CheckDef& def : all_checks()) {
    if (def.group == "gpu") ids.push_back(def.id);
  }
  for (const char* id : {"cuda-compute", "ptx-jit", "cublas", "cudnn", "memory-pattern"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  }
  std::size_t compat = 0, compute = 0;
  for (std::size_t i = 0; i < all_checks().size(); ++i) {
    if (all_checks()[i].id == "cuda-compat") compat = i;
    if (all_checks()[i].id == "cuda-compute") compute = i;
  }
  EXPECT_LT(compat, compute) << "GPU checks read facts.gpu_usable, set by cuda-driver";
}

TEST(ProbeLoader, SearchesOnlyGpuvalProbeDirWhenSet) {
  const Env env{{"GPUVAL_PROBE_DIR", "/a:/b/::/a"}};
  EXPECT_EQ(probe_search_dirs(env), (std::vector<std::string>{"/a", "/b/"}));
}

TEST(ProbeLoader, DefaultsToLibBesideTheExecutablesBin) {
  const std::vector<std::string> dirs = probe_search_dirs(Env{});
  ASSERT_FALSE(dirs.empty());
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  EXPECT_EQ(dirs.back(), (exe.parent_path().parent_path() / "lib").lexically_normal().string());
}

TEST(ProbeLoader, NonexistentDirectoryIsNotInstalled) {
  const ProbeLoad load = load_probe_module(kCudnnProbe, {"/nonexistent/gpuval/lib"});
  EXPECT_EQ(load.status, ProbeLoadStatus::NotInstalled);
  EXPECT_EQ(load.module, nullptr);
  EXPECT_TRUE(has(load.error, "libgpuval_probe_cudnn.so not found"));
}

TEST(ProbeLoader, BogusSharedObjectIsUnloadable) {
  testing::FixtureTree tree;
  tree.write("/lib/libgpuval_probe_cublas.so", "this is not an ELF file\n");
  const ProbeLoad load = load_probe_module(kCublasProbe, {(tree.root() / "lib").string()});
  EXPECT_EQ(load.status, ProbeLoadStatus::Unloadable) << load.error;
  EXPECT_FALSE(load.error.empty());
}

TEST(ProbeLoader, MissingDependencyIsRecognised) {
  const ProbeLoad load = load_probe_module(kCudnnProbe, {kFakeDir + "/missing_dep"});
  EXPECT_EQ(load.status, ProbeLoadStatus::DependencyMissing) << load.error;
  EXPECT_TRUE(has(load.error, "libgpuval_fake_probe_dependency.so")) << load.error;
}

TEST(ProbeLoader, LoadsAModuleWithTheRightAbi) {
  const ProbeLoad load = load_probe_module(kCublasProbe, {"/nonexistent", kFakeDir + "/ok"});
  ASSERT_EQ(load.status, ProbeLoadStatus::Loaded) << load.error;
  ASSERT_NE(load.module, nullptr);
  EXPECT_STREQ(load.module->name, "cublas");
  EXPECT_EQ(load.path, kFakeDir + "/ok/libgpuval_probe_cublas.so");
}

TEST(ProbeLoader, RefusesAnotherAbiVersion) {
  ScopedEnv abi("GPUVAL_FAKE_PROBE_ABI", "2");
  const ProbeLoad load = load_probe_module(kCublasProbe, {kFakeDir + "/ok"});
  EXPECT_EQ(load.status, ProbeLoadStatus::AbiMismatch);
  EXPECT_TRUE(has(load.error, "probe ABI version 2")) << load.error;
  EXPECT_EQ(load.module, nullptr);
}

TEST(ProbeLoader, RefusesANullEntryPoint) {
  ScopedEnv null_entry("GPUVAL_FAKE_PROBE_NULL", "entry");
  const ProbeLoad load = load_probe_module(kCublasProbe, {kFakeDir + "/ok"});
  EXPECT_EQ(load.status, ProbeLoadStatus::NoEntryPoint);
}

TEST(ProbeLoader, PackageHintsNameTheImageAndPackage) {
  EXPECT_EQ(probe_package_hint(kCudnnProbe, 13000),
            "cuDNN not found: use an nvidia/cuda:13.0.x-cudnn-runtime-* image or install "
            "libcudnn9-cuda-13");
  EXPECT_EQ(probe_package_hint(kCublasProbe, 12040),
            "cuBLAS not found: use an nvidia/cuda:12.4.x-runtime-* image (the -base images have "
            "no cuBLAS) or install libcublas-12-4");
}

TEST(ProbeChecks, NonexistentProbeDirSkipsWithThePackageHint) {
  World w;
  Facts facts = usable_facts(1);
  const CheckResult r = checks::cudnn(w.context("/nonexistent/gpuval/lib"), facts);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_TRUE(has(r.message, "libgpuval_probe_cudnn.so not found in /nonexistent/gpuval/lib"))
      << r.message;
  EXPECT_TRUE(has(r.hint, "libcudnn9-cuda-13")) << r.hint;
  EXPECT_TRUE(has(r.hint, "cudnn-runtime")) << r.hint;
  EXPECT_EQ(r.metrics["load_status"], "not-installed");
}

TEST(ProbeChecks, BogusModuleSkipsWithThePackageHint) {
  World w;
  w.tree.write("/lib/libgpuval_probe_cublas.so",
               "\x7f"
               "ELF but not really");
  Facts facts = usable_facts(1);
  const CheckResult r = checks::cublas(w.context((w.tree.root() / "lib").string()), facts);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_TRUE(has(r.message, "could not be used (unloadable)")) << r.message;
  EXPECT_TRUE(has(r.hint, "libcublas-13-0")) << r.hint;
}

TEST(ProbeChecks, MissingLibrarySkipsNamingItAndThePackage) {
  World w;
  Facts facts = usable_facts(1);
  const CheckResult r = checks::cudnn(w.context(kFakeDir + "/missing_dep"), facts);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_TRUE(has(r.message, "cuDNN is not loadable here")) << r.message;
  EXPECT_TRUE(has(r.message, "cannot open shared object file")) << r.message;
  EXPECT_EQ(r.hint, probe_package_hint(kCudnnProbe, 13000));
}

TEST(ProbeChecks, RunsTheModuleOnEveryDeviceWithTheRequest) {
  World w;
  ScopedEnv json(
      "GPUVAL_FAKE_PROBE_JSON",
      R"({"probe":"cublas","device":{"index":$DEVICE},"cases":[)"
      R"({"name":"fp32","status":"PASS","tolerance":1e-5,"rel_error":1e-7,"flags":$FLAGS}]})");
  Facts facts = usable_facts(2);
  checks::GpuCheckOptions options;
  options.seed = 1234;
  CheckResult r = checks::run_cublas(w.context(kFakeDir + "/ok"), facts, options);
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_TRUE(has(r.message, "2 devices: fp32 within tolerance")) << r.message;
  ASSERT_EQ(r.metrics["devices"].size(), 2u);
  EXPECT_EQ(r.metrics["devices"][1]["device"]["index"], 1);
  EXPECT_EQ(r.metrics["devices"][1]["seed"], 1235);
  EXPECT_EQ(r.metrics["devices"][0]["cases"][0]["flags"], 0);

  options.corrupt_one_element = true;
  r = checks::run_cublas(w.context(kFakeDir + "/ok"), facts, options);
  EXPECT_EQ(r.metrics["devices"][0]["cases"][0]["flags"], GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT);
}

TEST(ProbeChecks, AFailingDeviceDecidesAndIsNamed) {
  World w;
  ScopedEnv json("GPUVAL_FAKE_PROBE_JSON",
                 R"({"cases":[{"name":"conv2d-fwd-fp32","status":"$DEVICE","tolerance":1e-4,)"
                 R"("rel_error":0.5,"elements":10,"bad_elements":3,"non_finite":0}]})");
  Facts facts = usable_facts(2);
  // Device 0 reports status "0" (malformed), device 1 "1": both FAIL, device 0 speaks first.
  const CheckResult r = checks::cudnn(w.context(kFakeDir + "/ok"), facts);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(has(r.message, "device 0: ")) << r.message;
  EXPECT_FALSE(r.hint.empty());
}

TEST(ProbeChecks, ANullResultIsAFail) {
  World w;
  ScopedEnv null_run("GPUVAL_FAKE_PROBE_NULL", "run");
  Facts facts = usable_facts(1);
  const CheckResult r = checks::cublas(w.context(kFakeDir + "/ok"), facts);
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(has(r.message, "returned no result")) << r.message;
}

TEST(GpuOutcome, RollUpShowsTheWorstDevice) {
  std::vector<DeviceOutcome> outcomes = {
      {0, Status::Pass, "fine", "", nlohmann::json::object()},
      {1, Status::Fail, "3 words wrong", "check ECC", {{"mismatches", 3}}},
      {2, Status::Warn, "meh", "later", nlohmann::json::object()}};
  const CheckResult r = roll_up(outcomes, {{"profile", "quick"}});
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_EQ(r.message, "device 1: 3 words wrong");
  EXPECT_EQ(r.hint, "check ECC");
  EXPECT_EQ(r.metrics["profile"], "quick");
  EXPECT_EQ(r.metrics["devices"][1]["mismatches"], 3);
  EXPECT_EQ(r.metrics["devices"][2]["status"], "WARN");
}

TEST(GpuOutcome, NoDevicesIsAFail) {
  const CheckResult r = roll_up({});
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_FALSE(r.hint.empty());
}

TEST(GpuOutcome, ACudaErrorBecomesAFailWithNameAndHint) {
  Facts facts = usable_facts(2);
  auto outcomes = for_each_device(facts, [](int d) -> DeviceOutcome {
    if (d == 1) {
      throw CudaError(CudaLibrary::Runtime, 209, "cudaErrorNoKernelImageForDevice",
                      "no kernel image is available for execution on the device",
                      "launch_fma_checksum(...)", "gpu_compute.cpp", 1);
    }
    return DeviceOutcome{d, Status::Pass, "ok", "", nlohmann::json::object()};
  });
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[1].status, Status::Fail);
  EXPECT_TRUE(has(outcomes[1].message, "cudaErrorNoKernelImageForDevice (209)"));
  EXPECT_TRUE(has(outcomes[1].hint, "CMAKE_CUDA_ARCHITECTURES"));
  EXPECT_EQ(outcomes[1].metrics["error"]["name"], "cudaErrorNoKernelImageForDevice");
}

TEST(GpuOutcome, SeedsAreFreshUnlessGiven) {
  EXPECT_EQ(pick_seed(42), 42u);
  EXPECT_NE(pick_seed(0), 0u);
}

}  // namespace
}  // namespace gpuval
