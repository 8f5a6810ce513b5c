#include "tests/unit/validate/container_scenario.hpp"

namespace gpuval {
namespace {

using testing::Scenario;

CheckResult run_engine(Scenario& s) {
  CheckResult r = s.run(&checks::engine);
  testing::expect_well_formed(r);
  EXPECT_EQ(r.status, Status::Pass);  // engine detection never fails
  return r;
}

TEST(EngineCheck, BareMetal) {
  Scenario s;
  s.tree.write("/proc/1/cgroup", "0::/init.scope\n");
  CheckResult r = run_engine(s);
  EXPECT_EQ(r.message, "bare metal (no container detected)");
  EXPECT_EQ(s.facts.engine, "none");
  EXPECT_FALSE(s.facts.in_container);
  EXPECT_EQ(r.metrics["engine"], "none");
  EXPECT_TRUE(r.metrics["engine_version"].is_null());
}

TEST(EngineCheck, PrivilegedPodmanContainerenvGivesVersionAndRootless) {
  Scenario s;
  // Written by podman 4.3.1 for `podman run --privileged` (captured on the build machine).
  s.tree.write("/run/.containerenv",
               "engine=\"podman-4.3.1\"\nname=\"amazing_torvalds\"\nid=\"3e4bafd8\"\nimage=\"\"\n"
               "imageid=\"\"\nrootless=1\n");
  CheckResult r = run_engine(s);
  EXPECT_EQ(s.facts.engine, "podman");
  EXPECT_EQ(s.facts.engine_version, "4.3.1");
  EXPECT_TRUE(s.facts.in_container);
  ASSERT_TRUE(s.facts.rootless.has_value());
  EXPECT_TRUE(*s.facts.rootless);
  EXPECT_EQ(r.metrics["engine_version"], "4.3.1");
  EXPECT_EQ(r.metrics["containerenv"]["name"], "amazing_torvalds");
  EXPECT_CONTAINS(r.message, "podman 4.3.1");
  EXPECT_CONTAINS(r.message, "(rootless)");
}

TEST(EngineCheck, UnprivilegedPodmanHasAnEmptyContainerenv) {
  Scenario s;
  s.tree.write("/run/.containerenv", "");
  s.env.set("container", "podman");
  CheckResult r = run_engine(s);
  EXPECT_EQ(s.facts.engine, "podman");
  EXPECT_EQ(s.facts.engine_version, "");
  EXPECT_FALSE(s.facts.rootless.has_value());
  EXPECT_CONTAINS(r.message, "/run/.containerenv exists");
  EXPECT_CONTAINS(r.message, "$container=podman");
}

TEST(EngineCheck, ContainerenvRootlessZeroMeansRootful) {
  Scenario s;
  s.tree.write("/run/.containerenv", "engine=\"podman-5.2.1\"\nrootless=0\n");
  run_engine(s);
  ASSERT_TRUE(s.facts.rootless.has_value());
  EXPECT_FALSE(*s.facts.rootless);
  EXPECT_EQ(s.facts.engine_version, "5.2.1");
}

TEST(EngineCheck, MalformedContainerenvLinesAreReportedNotFatal) {
  Scenario s;
  s.tree.write("/run/.containerenv", "engine=\"podman-4.3.1\"\n\x01garbage\n=x\n");
  CheckResult r = run_engine(s);
  EXPECT_EQ(s.facts.engine, "podman");
  EXPECT_EQ(r.metrics["containerenv"]["malformed_lines"].size(), 2u);
}

TEST(EngineCheck, PodmanFromLibpodCgroup) {
  Scenario s;
  s.tree.write("/proc/1/cgroup",
               "4:memory:/libpod_parent/libpod-9459\n0::/libpod_parent/libpod-9459\n");
  CheckResult r = run_engine(s);
  EXPECT_EQ(s.facts.engine, "podman");
  EXPECT_CONTAINS(r.message, "libpod");
}

TEST(EngineCheck, DockerFromDockerenv) {
  Scenario s;
  s.tree.write("/.dockerenv", "");
  CheckResult r = run_engine(s);
  EXPECT_EQ(s.facts.engine, "docker");
  EXPECT_TRUE(s.facts.in_container);
  EXPECT_CONTAINS(r.message, "/.dockerenv");
}

TEST(EngineCheck, DockerFromCgroupPathOrOverlayRoot) {
  Scenario a;
  a.tree.write("/proc/self/cgroup", "12:memory:/docker/0123abcd\n");
  run_engine(a);
  EXPECT_EQ(a.facts.engine, "docker");

  Scenario b;
  b.tree.write(
      "/proc/self/mountinfo",
      "500 400 0:50 / / rw - overlay overlay "
      "rw,lowerdir=/var/lib/docker/overlay2/l/ABC,upperdir=/var/lib/docker/overlay2/x/diff\n");
  CheckResult r = run_engine(b);
  EXPECT_EQ(b.facts.engine, "docker");
  EXPECT_CONTAINS(r.message, "root filesystem in docker storage");
}

TEST(EngineCheck, KubernetesWinsAndNamesTheRuntime) {
  Scenario s;
  s.env.set("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  s.tree.write("/proc/1/cgroup",
               "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/"
               "cri-containerd-abc.scope\n");
  CheckResult r = run_engine(s);
  EXPECT_EQ(s.facts.engine, "kubernetes");
  EXPECT_EQ(r.metrics["runtime"], "containerd");
  EXPECT_CONTAINS(r.message, "kubernetes (runtime containerd)");
}

TEST(EngineCheck, KubernetesOnCriOWithContainerenv) {
  Scenario s;
  s.tree.mkdir("/run/secrets/kubernetes.io/serviceaccount");
  s.tree.write("/run/.containerenv", "");
  s.tree.write("/proc/1/cgroup", "0::/kubepods/besteffort/pod1/crio-abc.scope\n");
  CheckResult r = run_engine(s);
  EXPECT_EQ(s.facts.engine, "kubernetes");
  EXPECT_EQ(r.metrics["runtime"], "cri-o");
  EXPECT_EQ(s.facts.engine_version, "");
}

TEST(EngineCheck, Lxc) {
  Scenario s;
  s.env.set("container", "lxc");
  run_engine(s);
  EXPECT_EQ(s.facts.engine, "lxc");
}

TEST(EngineCheck, ContainerdFromOverlayRoot) {
  Scenario s;
  s.tree.write("/proc/self/mountinfo",
               "500 400 0:50 / / rw - overlay overlay rw,lowerdir=/var/lib/containerd/"
               "io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs\n");
  run_engine(s);
  EXPECT_EQ(s.facts.engine, "containerd");
}

TEST(EngineCheck, OtherContainerManagersAreUnknownContainers) {
  Scenario s;
  s.tree.write("/run/systemd/container", "systemd-nspawn\n");
  CheckResult r = run_engine(s);
  EXPECT_EQ(s.facts.engine, "unknown-container");
  EXPECT_TRUE(s.facts.in_container);
  EXPECT_EQ(r.metrics["container_name"], "systemd-nspawn");
  EXPECT_CONTAINS(r.message, "container (systemd-nspawn)");
}

TEST(EngineCheck, MalformedCgroupAndMountinfoAreIgnored) {
  Scenario s;
  s.tree.write("/proc/1/cgroup", "not a cgroup line\n");
  s.tree.write("/proc/self/mountinfo", "garbage\n");
  CheckResult r = run_engine(s);
  EXPECT_EQ(s.facts.engine, "none");
  EXPECT_EQ(r.message, "bare metal (no container detected)");
}

}  // namespace
}  // namespace gpuval
