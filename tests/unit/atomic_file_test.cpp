#include "core/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

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

TEST(AtomicFile, DevNullIsWrittenIntoNeverReplaced) {
  // Renaming over it would turn /dev/null into a regular file for the whole machine (as root).
  write_file_atomically("/dev/null", "{\"a\": 1}\n");
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null is no longer a character device";
}

TEST(AtomicFile, AFifoGetsTheContentAndStaysAFifo) {
  testing::FixtureTree tree;
  const fs::path fifo = tree.root() / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = slurp(fifo); });
  write_file_atomically(fifo, "through the pipe");
  reader.join();
  EXPECT_EQ(got, "through the pipe");
  EXPECT_TRUE(fs::is_fifo(fifo));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tree.root())) ++entries;
  EXPECT_EQ(entries, 1) << "no temporary beside the FIFO";
}

TEST(AtomicFile, WriteNewFileNeverReplacesAndLeavesNoTemporary) {
  testing::FixtureTree tree;
  const fs::path target = tree.root() / "doc.json";
  EXPECT_TRUE(write_new_file(target, "first"));
  EXPECT_FALSE(write_new_file(target, "second"));
  EXPECT_EQ(slurp(target), "first");
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tree.root())) ++entries;
  EXPECT_EQ(entries, 1) << "temporary file left behind";
}

TEST(AtomicFile, AWriterKilledBeforePublishingLeavesNothingWhereFilesAreUnnamed) {
  testing::FixtureTree tree;
  if (!writes_unnamed_files(tree.root())) GTEST_SKIP() << "no O_TMPFILE on this filesystem";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    write_new_file(tree.root() / "doc.json", "complete", [] { std::raise(SIGKILL); });
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(fs::is_empty(tree.root())) << "a killed writer left a file";
}

}  // namespace
}  // namespace gpuval
