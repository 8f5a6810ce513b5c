#include <gtest/gtest.h>

#include <string>

#include "tests/support/fixture_tree.hpp"
#include "validate/checks.hpp"

namespace gpuval {
namespace {

using testing::FakeCudaDriverProbe;
using testing::FakeLibraryLoader;
using testing::FixtureTree;

constexpr const char* kLibDir = "/usr/lib/x86_64-linux-gnu/";

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

struct DriverCapabilitiesCheck : ::testing::Test {
  FixtureTree tree;
  FakeLibraryLoader libs;
  FakeCudaDriverProbe cuda;
  Env env;
  Facts facts;

  void SetUp() override {
    facts.engine = "podman";
    facts.in_container = true;
    facts.injection = "legacy-hook";
    facts.gpu_nodes = 1;
  }
  void add_lib(const std::string& soname) { libs.add(soname, kLibDir + soname + ".550.54.14"); }
  // What the default utility,compute brings.
  void inject_default() {
    tree.write("/usr/bin/nvidia-smi", "#!fake");
    for (const char* so : {"libnvidia-ml.so.1", "libcuda.so.1", "libnvidia-ptxjitcompiler.so.1",
                           "libnvidia-nvvm.so.4"}) {
      add_lib(so);
    }
  }
  CheckResult run(std::optional<std::string> value = std::nullopt) {
    if (value) env.set("NVIDIA_DRIVER_CAPABILITIES", *value);
    return checks::driver_capabilities(testing::make_context(tree, env, libs, cuda), facts);
  }
};

TEST_F(DriverCapabilitiesCheck, DefaultCapabilitiesPresentPass) {
  inject_default();
  auto r = run();
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "unset (default utility,compute)"));
  EXPECT_TRUE(contains(r.message, "every verifiable capability is present"));
  EXPECT_EQ(r.metrics["mode"], "default");
  EXPECT_EQ(r.metrics["requested"], nlohmann::json::array({"utility", "compute"}));
  EXPECT_EQ(r.metrics["capabilities"]["utility"]["present"]["nvidia-smi"], "/usr/bin/nvidia-smi");
  EXPECT_EQ(r.metrics["capabilities"]["compute"]["present"]["libcuda.so.1"],
            std::string(kLibDir) + "libcuda.so.1.550.54.14");
  EXPECT_TRUE(r.metrics["capabilities"]["compute"]["missing"].empty());
}

TEST_F(DriverCapabilitiesCheck, MissingLibcudaFailsNamingCapabilityAndFile) {
  tree.write("/usr/bin/nvidia-smi");
  add_lib("libnvidia-ml.so.1");
  add_lib("libnvidia-ptxjitcompiler.so.1");
  add_lib("libnvidia-nvvm.so.4");
  auto r = run("compute,utility");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "missing compute (libcuda.so.1)"));
  EXPECT_TRUE(contains(r.hint, "-e NVIDIA_DRIVER_CAPABILITIES=compute,utility"));
  EXPECT_TRUE(contains(r.hint, "nvidia-ctk cdi generate"));
  EXPECT_EQ(r.metrics["capabilities"]["compute"]["missing"],
            nlohmann::json::array({"libcuda.so.1"}));
}

TEST_F(DriverCapabilitiesCheck, MissingNvidiaSmiFails) {
  inject_default();
  std::filesystem::remove(tree.root() / "usr/bin/nvidia-smi");
  auto r = run("utility");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "utility (nvidia-smi)"));
  EXPECT_FALSE(r.hint.empty());
}

TEST_F(DriverCapabilitiesCheck, NvidiaSmiIsFoundInTheToolkitDirAndOnPath) {
  inject_default();
  std::filesystem::remove(tree.root() / "usr/bin/nvidia-smi");
  tree.write("/usr/local/nvidia/bin/nvidia-smi");
  auto r = run();
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.metrics["capabilities"]["utility"]["present"]["nvidia-smi"],
            "/usr/local/nvidia/bin/nvidia-smi");

  std::filesystem::remove(tree.root() / "usr/local/nvidia/bin/nvidia-smi");
  tree.write("/opt/driver/bin/nvidia-smi");
  env.set("PATH", "relative/bin::/opt/driver/bin/");
  auto on_path = run();
  EXPECT_EQ(on_path.status, Status::Pass);
  EXPECT_EQ(on_path.metrics["capabilities"]["utility"]["present"]["nvidia-smi"],
            "/opt/driver/bin/nvidia-smi");
}

TEST_F(DriverCapabilitiesCheck, DirectoryNamedNvidiaSmiDoesNotCount) {
  inject_default();
  std::filesystem::remove(tree.root() / "usr/bin/nvidia-smi");
  tree.mkdir("/usr/local/bin/nvidia-smi");
  EXPECT_EQ(run().status, Status::Fail);
}

TEST_F(DriverCapabilitiesCheck, MissingNvvmOnlyWarns) {
  tree.write("/usr/bin/nvidia-smi");
  for (const char* so : {"libnvidia-ml.so.1", "libcuda.so.1", "libnvidia-ptxjitcompiler.so.1"}) {
    add_lib(so);
  }
  auto r = run();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "compute (libnvidia-nvvm.so.4)"));
  EXPECT_TRUE(contains(r.message, "older drivers"));
  EXPECT_TRUE(contains(r.hint, "older drivers"));
  EXPECT_EQ(r.metrics["capabilities"]["compute"]["optional_missing"],
            nlohmann::json::array({"libnvidia-nvvm.so.4"}));
}

TEST_F(DriverCapabilitiesCheck, VideoNeedsDecoderAndEncoder) {
  add_lib("libnvcuvid.so.1");
  auto r = run("video");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "video (libnvidia-encode.so.1)"));
  EXPECT_FALSE(contains(r.message, "libnvcuvid"));
  add_lib("libnvidia-encode.so.1");
  EXPECT_EQ(run("video").status, Status::Pass);
}

TEST_F(DriverCapabilitiesCheck, GraphicsNeedsTheVulkanIcd) {
  add_lib("libGLX_nvidia.so.0");
  add_lib("libEGL_nvidia.so.0");
  auto r = run("graphics");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "graphics (nvidia_icd.json)"));
  tree.write("/usr/share/vulkan/icd.d/nvidia_icd.json", "{}");
  auto ok = run("graphics");
  EXPECT_EQ(ok.status, Status::Pass);
  EXPECT_EQ(ok.metrics["capabilities"]["graphics"]["present"]["nvidia_icd.json"],
            "/usr/share/vulkan/icd.d/nvidia_icd.json");
}

TEST_F(DriverCapabilitiesCheck, DisplayNgxCompat32AreReportedNotVerified) {
  auto r = run("display,ngx,compat32");
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_TRUE(contains(r.message, "not verified: display, ngx, compat32"));
  EXPECT_EQ(r.metrics["not_verified"], nlohmann::json::array({"display", "ngx", "compat32"}));
  EXPECT_FALSE(r.metrics["capabilities"]["ngx"]["verified"].get<bool>());
}

TEST_F(DriverCapabilitiesCheck, AllChecksEveryVerifiableCapability) {
  inject_default();
  auto r = run("all");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(
      contains(r.message, "graphics (libGLX_nvidia.so.0, libEGL_nvidia.so.0, nvidia_icd.json)"));
  EXPECT_TRUE(contains(r.message, "video (libnvcuvid.so.1, libnvidia-encode.so.1)"));
  EXPECT_EQ(r.metrics["requested"].size(), 7u);
}

TEST_F(DriverCapabilitiesCheck, UnknownCapabilityWarnsNamingIt) {
  inject_default();
  auto r = run("compute,utility,cuda");
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_TRUE(contains(r.message, "unknown capabilities 'cuda'"));
  EXPECT_TRUE(contains(r.hint, "compute, compat32"));
  EXPECT_EQ(r.metrics["unknown"][0]["token"], "cuda");
}

TEST_F(DriverCapabilitiesCheck, NothingInjectedSkips) {
  facts.injection = "none";
  facts.gpu_nodes = 0;
  auto r = run();
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_TRUE(contains(r.message, "no driver injected (see injection)"));
  EXPECT_EQ(r.metrics["requested"].size(), 2u);
}

TEST_F(DriverCapabilitiesCheck, CdiSaysTheVariableIsIgnoredAndHintsRegenerate) {
  facts.injection = "cdi";
  tree.write("/usr/bin/nvidia-smi");
  add_lib("libnvidia-ml.so.1");
  auto r = run("compute,utility");
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.message, "the variable is ignored"));
  EXPECT_TRUE(contains(r.hint, "nvidia-ctk cdi generate"));
  EXPECT_FALSE(contains(r.hint, "-e NVIDIA_DRIVER_CAPABILITIES"));
}

TEST_F(DriverCapabilitiesCheck, BareDeviceWithoutInjectionPointsAtTheToolkit) {
  facts.injection = "none";
  auto r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.hint, "--device nvidia.com/gpu=all"));
  EXPECT_TRUE(contains(r.hint, "/dev/nvidiaN"));
}

TEST_F(DriverCapabilitiesCheck, BareMetalMissingLibraryPointsAtTheDriver) {
  facts.injection = "none";
  facts.in_container = false;
  facts.engine = "none";
  tree.write("/usr/bin/nvidia-smi");
  auto r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_TRUE(contains(r.hint, "install the NVIDIA driver"));
}

}  // namespace
}  // namespace gpuval
