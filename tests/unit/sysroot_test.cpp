#include "core/sysroot.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "core/sysroot_library_loader.hpp"
#include "tests/support/fixture_tree.hpp"

namespace gpuval {
namespace {

TEST(Sysroot, ReadsFilesUnderTheRoot) {
  testing::FixtureTree tree;
  tree.write("/proc/driver/nvidia/version", "NVRM version: 550.54.15\n");
  Sysroot fs(tree.root());
  EXPECT_EQ(fs.read_file("/proc/driver/nvidia/version"), "NVRM version: 550.54.15\n");
  EXPECT_FALSE(fs.read_file("/proc/nothing").has_value());
  EXPECT_TRUE(fs.exists("/proc/driver"));
  EXPECT_FALSE(fs.exists("/dev/nvidia0"));
}

TEST(Sysroot, CharDeviceSidecarMakesAFileLookLikeANode) {
  testing::FixtureTree tree;
  tree.chardev("/dev/nvidia0", 195, 0);
  tree.write("/dev/plainfile", "x");
  Sysroot fs(tree.root());
  NodeInfo n = fs.stat("/dev/nvidia0");
  EXPECT_TRUE(n.exists);
  EXPECT_TRUE(n.is_char_device);
  EXPECT_EQ(n.major, 195u);
  EXPECT_EQ(n.minor, 0u);
  EXPECT_FALSE(fs.stat("/dev/plainfile").is_char_device);
  EXPECT_FALSE(fs.stat("/dev/none").exists);
  // Sidecars are not entries of the simulated /dev.
  EXPECT_EQ(fs.list_dir("/dev"), (std::vector<std::string>{"nvidia0", "plainfile"}));
}

TEST(Sysroot, ForcedErrnoAndRealOpen) {
  testing::FixtureTree tree;
  tree.chardev("/dev/nvidia0", 195, 0);
  tree.force_open_errno("/dev/nvidia0", "EPERM");
  tree.write("/dev/nvidiactl", "");
  Sysroot fs(tree.root());
  EXPECT_EQ(fs.open_rw_errno("/dev/nvidia0"), EPERM);
  EXPECT_EQ(fs.open_rw_errno("/dev/nvidiactl"), 0);
  EXPECT_EQ(fs.open_rw_errno("/dev/nvidia-uvm"), ENOENT);
}

TEST(Sysroot, RealRootPassesPathsThrough) {
  Sysroot fs;
  EXPECT_TRUE(fs.is_real_root());
  EXPECT_EQ(fs.resolve("/proc/self/status"), "/proc/self/status");
  EXPECT_TRUE(fs.read_file("/proc/self/status").has_value());
}

TEST(SysrootLibraryLoader, FollowsSymlinkChainToTheVersionedFile) {
  testing::FixtureTree tree;
  tree.write("/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15", "ELF");
  tree.symlink("libcuda.so.550.54.15", "/usr/lib/x86_64-linux-gnu/libcuda.so.1");
  Sysroot fs(tree.root());
  Env env;
  SysrootLibraryLoader loader(fs, env);
  LibraryLoad l = loader.load("libcuda.so.1");
  ASSERT_TRUE(l.loaded) << l.error;
  EXPECT_EQ(l.resolved_path, "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15");
  LibraryLoad missing = loader.load("libnvidia-ml.so.1");
  EXPECT_FALSE(missing.loaded);
  EXPECT_NE(missing.error.find("cannot open shared object"), std::string::npos);
}

TEST(SysrootLibraryLoader, DanglingSymlinkIsReportedAndLdLibraryPathIsSearchedFirst) {
  testing::FixtureTree tree;
  tree.symlink("libcuda.so.999", "/usr/lib64/libcuda.so.1");
  tree.write("/opt/drv/libcuda.so.1", "ELF");
  Sysroot fs(tree.root());
  SysrootLibraryLoader plain(fs, Env{});
  EXPECT_NE(plain.load("libcuda.so.1").error.find("dangling"), std::string::npos);
  SysrootLibraryLoader with_path(fs, Env({{"LD_LIBRARY_PATH", "relative:/opt/drv"}}));
  EXPECT_EQ(with_path.load("libcuda.so.1").resolved_path, "/opt/drv/libcuda.so.1");
  EXPECT_EQ(with_path.search_path().front(), "/opt/drv");
}

}  // namespace
}  // namespace gpuval
