#include "core/driver_probe.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace gpuval {
namespace {

TEST(DriverProbe, LoadsLibcAndResolvesTheRealFile) {
  DlopenLibraryLoader loader;
  LibraryLoad libc = loader.load("libc.so.6");
  ASSERT_TRUE(libc.loaded) << libc.error;
  EXPECT_TRUE(libc.error.empty());
  std::filesystem::path p(libc.resolved_path);
  EXPECT_TRUE(p.is_absolute()) << libc.resolved_path;
  EXPECT_TRUE(std::filesystem::exists(p)) << libc.resolved_path;
  // Symlinks are resolved: the path names the file itself.
  EXPECT_FALSE(std::filesystem::is_symlink(p)) << libc.resolved_path;
}

TEST(DriverProbe, NonexistentSonameFailsWithTheLoadersMessage) {
  DlopenLibraryLoader loader;
  LibraryLoad missing = loader.load("libgpuval-does-not-exist.so.42");
  EXPECT_FALSE(missing.loaded);
  EXPECT_TRUE(missing.resolved_path.empty());
  EXPECT_NE(missing.error.find("libgpuval-does-not-exist.so.42"), std::string::npos)
      << missing.error;
}

// Holds on this CI machine (no libcuda.so.1) and on a GPU machine alike.
TEST(DriverProbe, RealCudaProbeIsConsistent) {
  DlopenCudaDriverProbe probe;
  CudaDriverStatus s = probe.probe();
  if (!s.library_loaded) {
    EXPECT_FALSE(s.load_error.empty());
    EXPECT_EQ(s.init_code, -1);
    EXPECT_EQ(s.driver_version, 0);
    EXPECT_EQ(s.device_count, 0);
    return;
  }
  EXPECT_TRUE(std::filesystem::path(s.library_path).is_absolute()) << s.library_path;
  EXPECT_GT(s.driver_version, 0);
  if (s.init_code == 0) {
    EXPECT_TRUE(s.init_error.empty());
    EXPECT_GE(s.device_count, 0);
  } else if (s.init_code > 0) {
    EXPECT_FALSE(s.init_error.empty()) << "cuGetErrorName gave no name for " << s.init_code;
    EXPECT_EQ(s.device_count, 0);
  }
}

TEST(DriverProbe, LoaderAndProbeAgreeOnLibcuda) {
  DlopenLibraryLoader loader;
  DlopenCudaDriverProbe probe;
  LibraryLoad lib = loader.load("libcuda.so.1");
  CudaDriverStatus s = probe.probe();
  EXPECT_EQ(lib.loaded, s.library_loaded);
  if (lib.loaded) {
    EXPECT_EQ(lib.resolved_path, s.library_path);
  } else {
    EXPECT_NE(lib.error.find("libcuda.so.1"), std::string::npos) << lib.error;
  }
}

}  // namespace
}  // namespace gpuval
