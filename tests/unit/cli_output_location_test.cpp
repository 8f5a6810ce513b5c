#include "cli/output_location.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/fixture_tree.hpp"

namespace gpuval {
namespace {

// Captured with Podman 4.3.1 (root, runc, Debian 12): the container's root and its /results line,
// for each way of running the image.
constexpr std::string_view kRoot =
    "76 51 0:41 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containers/storage/overlay/"
    "l/MFU4GLHLWLR2ADJV7ZBOTDY5JT,upperdir=/var/lib/containers/storage/overlay/85e5cfb0a952/diff\n"
    "79 76 0:45 / /dev rw,nosuid,noexec - tmpfs tmpfs rw,size=65536k,mode=755\n"
    "84 79 0:40 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=64000k\n";
// -v /tmp/mi-test/anon:/results:Z
constexpr std::string_view kBind =
    "77 76 254:0 /tmp/mi-test/anon /results rw,relatime - ext4 /dev/vda rw,discard\n";
// podman volume create gpuval-results; -v gpuval-results:/results
constexpr std::string_view kNamed =
    "80 76 254:0 /var/lib/containers/storage/volumes/gpuval-results/_data /results "
    "rw,nosuid,nodev,relatime - ext4 /dev/vda rw,discard\n";
// No -v: the image's VOLUME /results gets an anonymous volume.
constexpr std::string_view kAnonymous =
    "80 76 254:0 /var/lib/containers/storage/volumes/"
    "e4e990979cbcd15912fd490b359f220e6a9e6650204f45217c447c15685ff1d5/_data /results "
    "rw,nosuid,nodev,relatime - ext4 /dev/vda rw,discard\n";
// --tmpfs /results
constexpr std::string_view kTmpfs =
    "78 76 0:44 / /results rw,nosuid,nodev,relatime - tmpfs tmpfs rw\n";

OutputLocation classify(std::string_view results_line, std::string_view path) {
  return classify_output_location(parse_mountinfo(std::string(kRoot) + std::string(results_line)),
                                  path);
}

TEST(OutputLocation, BindMountIsKeptAndNamesTheHostDirectory) {
  const OutputLocation where = classify(kBind, "/results/gpuval-run-x.json");
  EXPECT_EQ(where.place, OutputPlace::BindMount);
  EXPECT_EQ(where.mount_point, "/results");
  EXPECT_EQ(where.source, "/tmp/mi-test/anon");
  EXPECT_EQ(unkept_output_note(where, "/results/gpuval-run-x.json", "/results", 1000), "");
}

TEST(OutputLocation, NamedVolumeIsKept) {
  const OutputLocation where = classify(kNamed, "/results/run.json");
  EXPECT_EQ(where.place, OutputPlace::NamedVolume);
  EXPECT_EQ(where.source, "gpuval-results");
  EXPECT_EQ(unkept_output_note(where, "/results/run.json", "/results", 1000), "");
}

TEST(OutputLocation, AnonymousVolumeIsNotKeptAndTheNoteSaysHowToKeepIt) {
  const OutputLocation where = classify(kAnonymous, "/results/run.json");
  EXPECT_EQ(where.place, OutputPlace::AnonymousVolume);
  EXPECT_EQ(where.source, "e4e990979cbcd15912fd490b359f220e6a9e6650204f45217c447c15685ff1d5");
  const std::string note = unkept_output_note(where, "/results/run.json", "/results", 1000);
  EXPECT_NE(note.find("NOT kept"), std::string::npos) << note;
  EXPECT_NE(note.find("anonymous volume"), std::string::npos) << note;
  EXPECT_NE(note.find("-v ./results:/results:Z"), std::string::npos) << note;
  EXPECT_NE(note.find("--json"), std::string::npos) << note;
  EXPECT_NE(note.find("uid 1000"), std::string::npos) << note;
  EXPECT_EQ(note.back(), '\n');
}

TEST(OutputLocation, NoMountMeansTheContainersOwnFilesystem) {
  // --image-volume=ignore: /results is the image's directory.
  const OutputLocation where = classify("", "/results/run.json");
  EXPECT_EQ(where.place, OutputPlace::ContainerFilesystem);
  EXPECT_EQ(where.mount_point, "/");
  const std::string note = unkept_output_note(where, "/results/run.json", "/results", 1000);
  EXPECT_NE(note.find("/results is not a mounted volume"), std::string::npos) << note;
  EXPECT_NE(note.find("-v ./results:/results:Z"), std::string::npos) << note;
}

TEST(OutputLocation, TmpfsIsNotKept) {
  const OutputLocation where = classify(kTmpfs, "/results/run.json");
  EXPECT_EQ(where.place, OutputPlace::Tmpfs);
  EXPECT_NE(unkept_output_note(where, "/results/run.json", "/results", 1000).find("tmpfs"),
            std::string::npos);
}

TEST(OutputLocation, ABindMountFromAHostTmpfsIsABindMount) {
  const OutputLocation where =
      classify("90 76 0:30 /gpuval/results /results rw - tmpfs tmpfs rw\n", "/results/a.json");
  EXPECT_EQ(where.place, OutputPlace::BindMount);
  EXPECT_EQ(where.source, "/gpuval/results");
}

TEST(OutputLocation, TheLongestMountPointThatIsAParentWins) {
  // /results2 is not a parent of /results/...; /results/sub is more specific than /results.
  const std::string lines = std::string(kAnonymous) +
                            "91 76 254:0 /srv/other /results2 rw - ext4 /dev/vda rw\n"
                            "92 80 254:0 /srv/sub /results/sub rw - ext4 /dev/vda rw\n";
  EXPECT_EQ(classify(lines, "/results/run.json").place, OutputPlace::AnonymousVolume);
  EXPECT_EQ(classify(lines, "/results/sub/run.json").place, OutputPlace::BindMount);
  EXPECT_EQ(classify(lines, "/results2/run.json").source, "/srv/other");
  EXPECT_EQ(classify(lines, "/home/gpuval/run.json").place, OutputPlace::ContainerFilesystem);
}

TEST(OutputLocation, ALaterMountAtTheSamePointCoversTheEarlierOne) {
  const std::string lines = std::string(kAnonymous) + std::string(kBind);
  EXPECT_EQ(classify(lines, "/results/run.json").place, OutputPlace::BindMount);
}

TEST(OutputLocation, DockerVolumesAndEscapedPathsAreRecognised) {
  const std::string docker =
      "600 580 8:1 /var/lib/docker/volumes/"
      "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9/_data /results rw - "
      "ext4 /dev/sda1 rw\n";
  EXPECT_EQ(classify(docker, "/results/run.json").place, OutputPlace::AnonymousVolume);
  // A host directory with a space ("my results") is a bind mount, kept.
  const OutputLocation spaced = classify(
      "93 76 254:0 /home/u/my\\040results /results rw - ext4 /dev/vda rw\n", "/results/run.json");
  EXPECT_EQ(spaced.place, OutputPlace::BindMount);
  EXPECT_EQ(spaced.source, "/home/u/my results");
  // A directory merely called volumes/x/_data elsewhere in a name is not a volume.
  EXPECT_EQ(classify("94 76 254:0 /srv/myvolumes/x/_data /results rw - ext4 /dev/vda rw\n",
                     "/results/run.json")
                .place,
            OutputPlace::BindMount);
}

TEST(OutputLocation, NothingKnownIsNotReportedAsLost) {
  const OutputLocation where = classify_output_location(MountTable{}, "/results/run.json");
  EXPECT_EQ(where.place, OutputPlace::Unknown);
  EXPECT_EQ(unkept_output_note(where, "/results/run.json", "/results", 1000), "");
}

TEST(OutputLocation, ReadsMountinfoThroughTheSysrootOnlyInAContainer) {
  testing::FixtureTree tree;
  tree.write("/proc/self/mountinfo", std::string(kRoot) + std::string(kAnonymous));
  const Sysroot fs(tree.root());
  const Env env;
  EXPECT_EQ(unkept_output_note(fs, env, false, "/results/run.json"), "");
  EXPECT_NE(unkept_output_note(fs, env, true, "/results/run.json").find("anonymous volume"),
            std::string::npos);
  testing::FixtureTree empty;
  EXPECT_EQ(unkept_output_note(Sysroot(empty.root()), env, true, "/results/run.json"), "");
}

TEST(OutputLocation, TheContainersOwnFilesystemIsReportedOnlyForTheResultsDirectory) {
  // A file in a long-lived development container's home stays with it: nothing to say.
  const OutputLocation home = classify("", "/home/dev/run.json");
  EXPECT_EQ(home.place, OutputPlace::ContainerFilesystem);
  EXPECT_EQ(unkept_output_note(home, "/home/dev/run.json", "/results", 1000), "");
  // The entrypoint's directory moved with GPUVAL_RESULTS_DIR: that one is reported.
  const OutputLocation out = classify("", "/out/run.json");
  const std::string note = unkept_output_note(out, "/out/run.json", "/out", 1000);
  EXPECT_NE(note.find("/out is not a mounted volume"), std::string::npos) << note;
  EXPECT_NE(note.find("-v ./results:/out:Z"), std::string::npos) << note;
  // Through the environment, as gpuval reads it.
  testing::FixtureTree tree;
  tree.write("/proc/self/mountinfo", std::string(kRoot));
  const Sysroot fs(tree.root());
  EXPECT_EQ(unkept_output_note(fs, Env{}, true, "/out/run.json"), "");
  EXPECT_NE(unkept_output_note(fs, Env{{"GPUVAL_RESULTS_DIR", "/out/"}}, true, "/out/run.json")
                .find("NOT kept"),
            std::string::npos);
}

}  // namespace
}  // namespace gpuval
