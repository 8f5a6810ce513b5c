#include "validate/parsers/mountinfo.hpp"

#include <gtest/gtest.h>

#include "tests/support/fixture_tree.hpp"

namespace gpuval {
namespace {

// Lines captured in a podman 4.3 container (cgroup v1 host, --shm-size=256m).
constexpr std::string_view kPodmanLines =
    "71 46 254:0 /tmp/rootfs / rw,relatime - ext4 /dev/vda rw,discard\n"
    "73 71 0:42 / /dev rw,nosuid,noexec - tmpfs tmpfs rw,size=65536k,mode=755\n"
    "78 73 0:39 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=262144k\n"
    "85 81 0:32 /libpod_parent/libpod-9459 /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime "
    "- cgroup cgroup rw,memory\n";

TEST(Mountinfo, ParsesEveryFieldOfARealLine) {
  MountTable t = parse_mountinfo(kPodmanLines);
  ASSERT_EQ(t.entries.size(), 4u);
  EXPECT_TRUE(t.malformed.empty());
  const MountEntry& cg = t.entries[3];
  EXPECT_EQ(cg.mount_id, 85);
  EXPECT_EQ(cg.parent_id, 81);
  EXPECT_EQ(cg.major, 0u);
  EXPECT_EQ(cg.minor, 32u);
  EXPECT_EQ(cg.root, "/libpod_parent/libpod-9459");
  EXPECT_EQ(cg.mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(cg.mount_options, "ro,nosuid,nodev,noexec,relatime");
  EXPECT_EQ(cg.fs_type, "cgroup");
  EXPECT_EQ(cg.source, "cgroup");
  EXPECT_EQ(cg.super_options, "rw,memory");
  EXPECT_TRUE(cg.has_super_option("memory"));
  EXPECT_FALSE(cg.has_super_option("cpu"));
}

TEST(Mountinfo, KeepsOptionalFields) {
  MountTable t = parse_mountinfo(
      "36 35 98:0 /mnt1 /mnt2 rw,noatime shared:1 master:2 - ext3 /dev/root rw,errors=continue\n");
  ASSERT_EQ(t.entries.size(), 1u);
  EXPECT_EQ(t.entries[0].optional_fields, (std::vector<std::string>{"shared:1", "master:2"}));
  EXPECT_EQ(t.entries[0].fs_type, "ext3");
  EXPECT_EQ(t.entries[0].super_option("errors"), "continue");
}

TEST(Mountinfo, SuperOptionGivesValueFlagOrNothing) {
  MountTable t = parse_mountinfo(kPodmanLines);
  const MountEntry* shm = t.at("/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_EQ(shm->super_option("size"), "262144k");
  EXPECT_EQ(shm->super_option("rw"), "");
  EXPECT_FALSE(shm->super_option("mode").has_value());
  EXPECT_FALSE(shm->super_option("siz").has_value());
}

TEST(Mountinfo, MissingSuperOptionsAreEmpty) {
  MountTable t = parse_mountinfo("1 0 0:1 / / rw - rootfs rootfs\n");
  ASSERT_EQ(t.entries.size(), 1u);
  EXPECT_EQ(t.entries[0].super_options, "");
  EXPECT_FALSE(t.entries[0].super_option("size").has_value());
}

TEST(Mountinfo, AtReturnsTheLastMountOnAPoint) {
  MountTable t = parse_mountinfo(
      "25 24 0:23 / /dev/shm rw - tmpfs tmpfs rw,size=1024k\n"
      "30 25 0:27 / /dev/shm rw - tmpfs tmpfs rw,size=2048k\n");
  ASSERT_NE(t.at("/dev/shm"), nullptr);
  EXPECT_EQ(t.at("/dev/shm")->mount_id, 30);
  EXPECT_EQ(t.at("/dev/sh"), nullptr);
}

TEST(Mountinfo, DecodesOctalEscapesInPaths) {
  MountTable t = parse_mountinfo("40 1 8:1 /a\\040b /mnt/my\\011dir rw - ext4 /dev/sd\\134a rw\n");
  ASSERT_EQ(t.entries.size(), 1u);
  EXPECT_EQ(t.entries[0].root, "/a b");
  EXPECT_EQ(t.entries[0].mount_point, "/mnt/my\tdir");
  EXPECT_EQ(t.entries[0].source, "/dev/sd\\a");
}

TEST(Mountinfo, MalformedEscapesAreKeptAsWritten) {
  EXPECT_EQ(unescape_mount_field("/a\\04"), "/a\\04");
  EXPECT_EQ(unescape_mount_field("/a\\9zz"), "/a\\9zz");
  EXPECT_EQ(unescape_mount_field("/a\\777"), "/a\\777");
  EXPECT_EQ(unescape_mount_field("\\"), "\\");
}

TEST(Mountinfo, CollectsMalformedLinesAndKeepsTheRest) {
  MountTable t = parse_mountinfo(
      "garbage\n"
      "x 1 0:1 / / rw - tmpfs tmpfs rw\n"     // id not a number
      "2 1 01 / /a rw - tmpfs tmpfs rw\n"     // no major:minor
      "3 1 0:1 / /b rw tmpfs tmpfs rw\n"      // no separator
      "4 1 0:1 / /c rw -\n"                   // nothing after the separator
      "5 1 0:1 rel /d rw - tmpfs tmpfs rw\n"  // root not absolute
      "6 1 0:x / /e rw - tmpfs tmpfs rw\n"    // minor not a number
      "\n"
      "7 1 0:1 / /ok rw - tmpfs tmpfs rw,size=4k\n");
  ASSERT_EQ(t.entries.size(), 1u);
  EXPECT_EQ(t.entries[0].mount_point, "/ok");
  ASSERT_EQ(t.malformed.size(), 7u);
  EXPECT_EQ(t.malformed[0], "garbage");
}

TEST(Mountinfo, CutsLongMalformedLines) {
  MountTable t = parse_mountinfo(std::string(1000, 'x'));
  ASSERT_EQ(t.malformed.size(), 1u);
  EXPECT_EQ(t.malformed[0].size(), 200u);
}

TEST(Mountinfo, EmptyInputIsAnEmptyTable) {
  MountTable t = parse_mountinfo("");
  EXPECT_TRUE(t.entries.empty());
  EXPECT_TRUE(t.malformed.empty());
  EXPECT_EQ(t.at("/"), nullptr);
}

TEST(Mountinfo, FindMountOptionMatchesWholeNames) {
  EXPECT_EQ(find_mount_option("rw,size=64k,mode=1777", "mode"), "1777");
  EXPECT_EQ(find_mount_option("rw,sizex=1,size=2", "size"), "2");
  EXPECT_EQ(find_mount_option("", "rw"), std::nullopt);
  EXPECT_EQ(find_mount_option(",,", "rw"), std::nullopt);
  EXPECT_EQ(find_mount_option("a=", "a"), "");
}

TEST(Mountinfo, ReadsThroughTheSysroot) {
  testing::FixtureTree tree;
  Sysroot fs(tree.root());
  EXPECT_FALSE(read_mountinfo(fs).has_value());
  tree.write("/proc/self/mountinfo", kPodmanLines);
  std::optional<MountTable> t = read_mountinfo(fs);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->entries.size(), 4u);
}

}  // namespace
}  // namespace gpuval
