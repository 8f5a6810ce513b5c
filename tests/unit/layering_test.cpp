// The layout rules of README.md "Layout" and validate/README.md, checked on the sources so they
// cannot erode: bench/ and validate/ never include each other; validate/ holds checks in group
// folders, shared parsers in parsers/, and only the registry's files at its top.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace gpuval {
namespace {

namespace fs = std::filesystem;
const fs::path kRoot = GPUVAL_SOURCE_DIR;

// "file:line: #include ..." for every include of `prefix` in the sources under `dir`.
std::vector<std::string> includes_of(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string ext = e.path().extension().string();
    if (ext != ".cpp" && ext != ".hpp" && ext != ".cu" && ext != ".cuh" && ext != ".h") continue;
    std::ifstream in(e.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.rfind("#include \"" + prefix, 0) == 0) {
        out.push_back(fs::relative(e.path(), kRoot).string() + ":" + std::to_string(n) + ": " +
                      line);
      }
    }
  }
  return out;
}

TEST(Layering, BenchNeverIncludesValidateNorValidateBench) {
  ASSERT_TRUE(fs::is_directory(kRoot / "bench"));
  for (const std::string& hit : includes_of(kRoot / "bench", "validate/")) ADD_FAILURE() << hit;
  for (const std::string& hit : includes_of(kRoot / "validate", "bench/")) ADD_FAILURE() << hit;
  // The shared probe-module host side depends on neither.
  for (const char* other : {"validate/", "bench/"}) {
    for (const std::string& hit : includes_of(kRoot / "probes/host", other)) ADD_FAILURE() << hit;
  }
}

TEST(Layering, ValidateHoldsGroupFoldersAndOnlyTheRegistryAtItsTop) {
  const std::set<std::string> top = {"CMakeLists.txt", "README.md",    "checks.hpp",
                                     "findings.hpp",   "registry.cpp", "registry.hpp"};
  const std::set<std::string> groups = {"container", "driver",  "gpu",
                                        "limits",    "cluster", "parsers"};
  std::size_t group_files = 0;
  for (const auto& e : fs::directory_iterator(kRoot / "validate")) {
    const std::string name = e.path().filename().string();
    if (e.is_directory()) {
      EXPECT_TRUE(groups.count(name))
          << "validate/" << name << ": not a check group (add it to validate/README.md)";
      for (const auto& f : fs::directory_iterator(e.path())) {
        EXPECT_TRUE(f.is_regular_file()) << f.path();
        ++group_files;
      }
    } else {
      EXPECT_TRUE(top.count(name))
          << "validate/" << name << ": checks and their helpers go into a group folder";
    }
  }
  EXPECT_GE(group_files, 30u);
}

TEST(Layering, ParsersIncludeNoCheckCode) {
  for (const std::string& hit : includes_of(kRoot / "validate/parsers", "validate/")) {
    if (hit.find("validate/parsers/") == std::string::npos) ADD_FAILURE() << hit;
  }
}

}  // namespace
}  // namespace gpuval
