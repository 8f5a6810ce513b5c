#include "validate/driver/cuda_versions.hpp"

#include <gtest/gtest.h>

namespace gpuval {
namespace {

TEST(CudaVersions, ParsesDriverVersions) {
  auto v = parse_driver_version("535.104.05");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->major, 535);
  EXPECT_EQ(v->minor, 104);
  EXPECT_EQ(v->patch, 5);
  EXPECT_EQ(v->text, "535.104.05");
  auto two = parse_driver_version("550.54");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->patch, 0);
}

TEST(CudaVersions, RejectsMalformedDriverVersions) {
  for (const char* bad : {"", "1", "550", "a.b", "550..15", "550.54.15.1", "550.54.x", ".54.15",
                          "550.54.", "-1.2", "12345678901.1"}) {
    EXPECT_FALSE(parse_driver_version(bad).has_value()) << bad;
  }
}

TEST(CudaVersions, ComparesNumericallyNotTextually) {
  EXPECT_LT(*parse_driver_version("535.104.05"), *parse_driver_version("550.54.15"));
  EXPECT_LT(*parse_driver_version("550.54.15"), *parse_driver_version("550.90.07"));
  EXPECT_LT(*parse_driver_version("450.80.02"), *parse_driver_version("450.102.04"));
  EXPECT_EQ(*parse_driver_version("550.54.15"), *parse_driver_version("550.54.15"));
  EXPECT_GE(*parse_driver_version("525.60.13"), *parse_driver_version("525.60.13"));
}

TEST(CudaVersions, LibraryVersionSuffix) {
  EXPECT_EQ(library_version_suffix("/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"), "550.54.15");
  EXPECT_EQ(library_version_suffix("/usr/lib64/libnvidia-ml.so.535.104.05"), "535.104.05");
  EXPECT_EQ(library_version_suffix("libcuda.so.570.86.10"), "570.86.10");
  // No driver version in the name: WSL's libcuda.so.1, a bare .so, not a library at all.
  EXPECT_EQ(library_version_suffix("/usr/lib/wsl/lib/libcuda.so.1"), "");
  EXPECT_EQ(library_version_suffix("/usr/lib/libcuda.so"), "");
  EXPECT_EQ(library_version_suffix("/usr/lib/libcuda.so.550.54.15-custom"), "");
  EXPECT_EQ(library_version_suffix(""), "");
  EXPECT_EQ(library_version_suffix("/opt/x.so.1/libfoo"), "");
}

TEST(CudaVersions, KernelModuleProprietaryX86) {
  auto p = parse_kernel_module_version(
      "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n"
      "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n");
  ASSERT_TRUE(p.info.has_value()) << p.error;
  EXPECT_EQ(p.info->version, "550.54.15");
  EXPECT_EQ(p.info->flavor, "proprietary");
  EXPECT_EQ(p.info->arch, "x86_64");
}

TEST(CudaVersions, KernelModuleOpenVariant) {
  auto p = parse_kernel_module_version(
      "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.90.07  Release Build  "
      "(dvs-builder@U16-I3-B03-4-3)  Fri May 31 09:30:47 UTC 2024\n");
  ASSERT_TRUE(p.info.has_value()) << p.error;
  EXPECT_EQ(p.info->version, "550.90.07");
  EXPECT_EQ(p.info->flavor, "open");
  EXPECT_EQ(p.info->arch, "x86_64");
}

TEST(CudaVersions, KernelModuleAarch64) {
  auto open = parse_kernel_module_version(
      "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  535.104.05  Release Build  "
      "(dvs-builder@U16-T02-35-3)  Sat Aug 19 01:13:55 UTC 2023\n");
  ASSERT_TRUE(open.info.has_value()) << open.error;
  EXPECT_EQ(open.info->version, "535.104.05");
  EXPECT_EQ(open.info->arch, "aarch64");
  auto prop = parse_kernel_module_version(
      "NVRM version: NVIDIA UNIX aarch64 Kernel Module  470.82.01  Wed Oct 27 04:31:06 UTC 2021\n");
  ASSERT_TRUE(prop.info.has_value()) << prop.error;
  EXPECT_EQ(prop.info->version, "470.82.01");
  EXPECT_EQ(prop.info->flavor, "proprietary");
  EXPECT_EQ(prop.info->arch, "aarch64");
}

TEST(CudaVersions, KernelModuleLineNeedNotBeFirst) {
  auto p = parse_kernel_module_version("\nNVRM version: 550.54.15\n");
  ASSERT_TRUE(p.info.has_value()) << p.error;
  EXPECT_EQ(p.info->version, "550.54.15");
  EXPECT_EQ(p.info->flavor, "");
  EXPECT_EQ(p.info->arch, "");
}

TEST(CudaVersions, KernelModuleMalformedNamesTheBadLine) {
  auto none = parse_kernel_module_version("garbage here\nmore\n");
  EXPECT_FALSE(none.info.has_value());
  EXPECT_NE(none.error.find("garbage here"), std::string::npos) << none.error;
  auto binary = parse_kernel_module_version(std::string("\x01\xff junk\0x", 9));
  EXPECT_FALSE(binary.info.has_value());
  EXPECT_NE(binary.error.find("?? junk?x"), std::string::npos) << binary.error;
  auto empty = parse_kernel_module_version("");
  EXPECT_FALSE(empty.info.has_value());
  EXPECT_FALSE(empty.error.empty());
  auto no_version =
      parse_kernel_module_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  xx.yy\n");
  EXPECT_FALSE(no_version.info.has_value());
  EXPECT_NE(no_version.error.find("xx.yy"), std::string::npos) << no_version.error;
}

TEST(CudaVersions, CudaVersionIntegers) {
  EXPECT_EQ(cuda_version_string(12040), "12.4");
  EXPECT_EQ(cuda_version_string(13000), "13.0");
  EXPECT_EQ(cuda_version_string(11080), "11.8");
  EXPECT_EQ(cuda_version_string(12090), "12.9");
  EXPECT_EQ(cuda_version_string(0), "unknown");
  EXPECT_EQ(cuda_version_string(-5), "unknown");
  EXPECT_EQ(cuda_major(12040), 12);
  EXPECT_EQ(cuda_minor(12040), 4);
}

TEST(CudaVersions, MinorCompatFloors) {
  EXPECT_EQ(minor_compat_floor(11)->text, "450.80.02");
  EXPECT_EQ(minor_compat_floor(12)->text, "525.60.13");
  EXPECT_EQ(minor_compat_floor(13)->text, "580.65.06");
  EXPECT_FALSE(minor_compat_floor(10).has_value());
  EXPECT_FALSE(minor_compat_floor(14).has_value());
}

}  // namespace
}  // namespace gpuval
