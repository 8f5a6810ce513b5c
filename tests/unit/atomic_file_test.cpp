#include "core/atomic_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/support/fixture_tree.hpp"

namespace gpuval {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AtomicFile, WritesContentAndLeavesNoTemporary) {
  testing::FixtureTree tree;
  const fs::path target = tree.root() / "run.json";
  write_file_atomically(target, "{\"a\": 1}\n");
  EXPECT_EQ(slurp(target), "{\"a\": 1}\n");
  write_file_atomically(target, "second");
  EXPECT_EQ(slurp(target), "second");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tree.root())) ++entries;
  EXPECT_EQ(entries, 1) << "temporary file left behind";
}

TEST(AtomicFile, MissingDirectoryIsAWriteErrorNamingThePath) {
  testing::FixtureTree tree;
  const fs::path target = tree.root() / "nope" / "run.json";
  try {
    write_file_atomically(target, "x");
    FAIL() << "expected WriteError";
  } catch (const WriteError& e) {
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(target));
}

TEST(AtomicFile, ReadOnlyDirectoryKeepsOldFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  testing::FixtureTree tree;
  const fs::path target = tree.root() / "run.json";
  write_file_atomically(target, "old");
  fs::permissions(tree.root(), fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(write_file_atomically(target, "new"), WriteError);
  fs::permissions(tree.root(), fs::perms::owner_all);
  EXPECT_EQ(slurp(target), "old");
}

}  // namespace
}  // namespace gpuval
