#include "tests/unit/validate/container_scenario.hpp"

namespace gpuval {
namespace {

using testing::Scenario;

void caps(Scenario& s, const std::string& cap_eff, const std::string& last_cap = "40") {
  s.tree.write("/proc/self/status",
               "Name:\tgpuval\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\n"
               "CapEff:\t" +
                   cap_eff + "\nCapBnd:\t" + cap_eff + "\n");
  s.tree.write("/proc/sys/kernel/cap_last_cap", last_cap + "\n");
}

CheckResult run(Scenario& s, CheckResult (*check)(const Context&, Facts&)) {
  CheckResult r = s.run(check);
  testing::expect_well_formed(r);
  return r;
}

// --- privileged ---

TEST(PrivilegedCheck, FullSetInAContainerWarns) {
  Scenario s;
  s.in_container("podman");
  caps(s, "000001ffffffffff");
  CheckResult r = run(s, &checks::privileged);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "privileged container: every host device and capability");
  EXPECT_CONTAINS(r.message, "41 of 41");
  EXPECT_EQ(r.hint, "drop --privileged; pass only the GPUs: --device nvidia.com/gpu=all");
  EXPECT_TRUE(s.facts.privileged);
  EXPECT_EQ(r.metrics["cap_eff"], "000001ffffffffff");
}

TEST(PrivilegedCheck, PrivilegedWithANonRootUserIsSeenInTheBoundingSet) {
  // `podman run --privileged --user 1000`: no effective capabilities, full bounding set.
  Scenario s;
  s.in_container("podman");
  s.tree.write("/proc/self/status",
               "Name:\tgpuval\nUid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000000000\n"
               "CapBnd:\t000001ffffffffff\n");
  s.tree.write("/proc/sys/kernel/cap_last_cap", "40\n");
  CheckResult r = run(s, &checks::privileged);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "41 of 41 capabilities in the bounding set");
  EXPECT_TRUE(s.facts.privileged);
  EXPECT_EQ(r.metrics["cap_eff"], "0000000000000000");
  EXPECT_EQ(r.metrics["cap_bnd"], "000001ffffffffff");
}

TEST(PrivilegedCheck, PrivilegedUnderASandboxThatWithholdsOneCapability) {
  // `podman run --privileged` on the build machine, whose sandbox withholds CAP_SYS_RESOURCE.
  Scenario s;
  s.in_container("podman");
  caps(s, "000001fffeffffff");
  CheckResult r = run(s, &checks::privileged);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "missing only CAP_SYS_RESOURCE");
  EXPECT_EQ(r.metrics["missing"][0], "CAP_SYS_RESOURCE");
  EXPECT_TRUE(s.facts.privileged);
}

TEST(PrivilegedCheck, OlderRuntimeMissingNewestCapabilitiesIsStillPrivileged) {
  Scenario s;
  s.in_container("docker");
  caps(s, "0000003fffffffff");  // CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE unknown to runc
  CheckResult r = run(s, &checks::privileged);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_EQ(r.hint, "drop --privileged; pass only the GPUs: --gpus all");
}

TEST(PrivilegedCheck, KubernetesHint) {
  Scenario s;
  s.in_container("kubernetes");
  caps(s, "000001ffffffffff");
  CheckResult r = run(s, &checks::privileged);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.hint, "securityContext.privileged: false");
}

TEST(PrivilegedCheck, DefaultContainerCapabilitiesPass) {
  Scenario s;
  s.in_container("podman");
  caps(s, "00000000a80425fb");  // podman's default set, captured
  CheckResult r = run(s, &checks::privileged);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "not privileged (14 of 41 capabilities in the bounding set)");
  EXPECT_FALSE(s.facts.privileged);
}

TEST(PrivilegedCheck, ManyCapabilitiesWithoutSysAdminAreNotPrivileged) {
  Scenario s;
  s.in_container("podman");
  caps(s, "000001ffffdfffff");  // everything but CAP_SYS_ADMIN
  CheckResult r = run(s, &checks::privileged);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_FALSE(s.facts.privileged);
}

TEST(PrivilegedCheck, BareMetalRootPasses) {
  Scenario s;
  caps(s, "000001ffffffffff");
  CheckResult r = run(s, &checks::privileged);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "bare metal with the full capability set");
  EXPECT_FALSE(s.facts.privileged);
}

TEST(PrivilegedCheck, UnreadableOrMalformedInputsWarnNamingTheFile) {
  Scenario missing;
  missing.in_container("podman");
  CheckResult r1 = run(missing, &checks::privileged);
  EXPECT_EQ(r1.status, Status::Warn);
  EXPECT_EQ(r1.message, "cannot read /proc/self/status");

  Scenario bad_caps;
  caps(bad_caps, "zzzz");
  CheckResult r2 = run(bad_caps, &checks::privileged);
  EXPECT_EQ(r2.status, Status::Warn);
  EXPECT_CONTAINS(r2.message, "/proc/self/status");
  EXPECT_CONTAINS(r2.message, "'zzzz'");

  Scenario no_last;
  caps(no_last, "00000000a80425fb");
  std::filesystem::remove(no_last.tree.root() / "proc/sys/kernel/cap_last_cap");
  CheckResult r3 = run(no_last, &checks::privileged);
  EXPECT_EQ(r3.status, Status::Warn);
  EXPECT_EQ(r3.message, "cannot read /proc/sys/kernel/cap_last_cap");

  for (const char* bad : {"forty", "64", ""}) {
    Scenario bad_last;
    caps(bad_last, "00000000a80425fb", bad);
    CheckResult r4 = run(bad_last, &checks::privileged);
    EXPECT_EQ(r4.status, Status::Warn) << bad;
    EXPECT_CONTAINS(r4.message, "cap_last_cap is not a capability number");
  }
}

// --- security label ---

TEST(SecurityLabelCheck, ContainerTypeEnforcingWarns) {
  Scenario s;
  s.in_container("podman");
  s.tree.write("/proc/self/attr/current",
               std::string("system_u:system_r:container_t:s0:c1,c2\0", 39));
  s.tree.write("/sys/fs/selinux/enforce", "1");
  CheckResult r = run(s, &checks::security_label);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "system_u:system_r:container_t:s0:c1,c2 (enforcing)");
  EXPECT_CONTAINS(r.hint, "--security-opt label=disable");
  EXPECT_CONTAINS(r.hint, "setsebool -P container_use_devices on");
  EXPECT_EQ(r.metrics["type"], "container_t");
  EXPECT_EQ(r.metrics["enforcing"], true);
}

TEST(SecurityLabelCheck, ContainerTypeWithHiddenEnforceModeWarns) {
  Scenario s;
  s.tree.write("/proc/self/attr/current", "system_u:system_r:container_t:s0:c1,c2\n");
  CheckResult r = run(s, &checks::security_label);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "enforce mode not visible");
  EXPECT_TRUE(r.metrics["enforcing"].is_null());
}

TEST(SecurityLabelCheck, PermissivePasses) {
  Scenario s;
  s.tree.write("/proc/self/attr/current", "system_u:system_r:container_t:s0:c1,c2");
  s.tree.write("/sys/fs/selinux/enforce", "0\n");
  CheckResult r = run(s, &checks::security_label);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "(permissive)");
}

TEST(SecurityLabelCheck, UsableGpuMeansThePolicyAllowsIt) {
  Scenario s;
  s.facts.gpu_usable = true;
  s.tree.write("/proc/self/attr/current", "system_u:system_r:container_t:s0:c1,c2");
  s.tree.write("/sys/fs/selinux/enforce", "1");
  CheckResult r = run(s, &checks::security_label);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "the GPU is usable");
}

TEST(SecurityLabelCheck, SpcTIsUnconfined) {
  Scenario s;
  s.tree.write("/proc/self/attr/current", "system_u:system_r:spc_t:s0");
  s.tree.write("/sys/fs/selinux/enforce", "1");
  CheckResult r = run(s, &checks::security_label);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "not confined (label=disable or --privileged)");
}

TEST(SecurityLabelCheck, AppArmorProfiles) {
  Scenario a;
  a.tree.write("/proc/self/attr/current", "docker-default (enforce)\n");
  CheckResult r1 = run(a, &checks::security_label);
  EXPECT_EQ(r1.status, Status::Pass);
  EXPECT_EQ(r1.message, "AppArmor profile docker-default (enforce)");
  EXPECT_EQ(r1.metrics["lsm"], "apparmor");

  Scenario b;
  b.tree.write("/proc/self/attr/apparmor/current", "unconfined\n");
  CheckResult r2 = run(b, &checks::security_label);
  EXPECT_EQ(r2.message, "AppArmor: unconfined");
}

TEST(SecurityLabelCheck, NoLabelPasses) {
  Scenario s;
  CheckResult r = run(s, &checks::security_label);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "no SELinux or AppArmor label");
  EXPECT_EQ(r.metrics["lsm"], "none");
}

TEST(SecurityLabelCheck, OtherLabelsAreReported) {
  Scenario s;
  s.tree.write("/proc/self/attr/current", "_\n");  // Smack's floor label
  CheckResult r = run(s, &checks::security_label);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "security label '_'");
}

TEST(SecurityLabelCheck, NonPrintableLabelWarns) {
  Scenario s;
  s.tree.write("/proc/self/attr/current", "abc\x01\x02xyz");
  CheckResult r = run(s, &checks::security_label);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "unrecognised security label 'abc??xyz'");
}

// --- user namespace ---

TEST(UserNamespaceCheck, IdentityMapMeansNoUserNamespace) {
  Scenario s;
  s.tree.write("/proc/self/uid_map", "         0          0 4294967295\n");
  CheckResult r = run(s, &checks::user_namespace);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "no user namespace (uid map is the identity)");
  ASSERT_TRUE(s.facts.rootless.has_value());
  EXPECT_FALSE(*s.facts.rootless);
}

TEST(UserNamespaceCheck, RootlessPodmanMapping) {
  Scenario s;
  s.in_container("podman");
  s.tree.write("/proc/self/uid_map",
               "         0       1000          1\n         1     100000      65536\n");
  CheckResult r = run(s, &checks::user_namespace);
  EXPECT_EQ(r.status, Status::Pass);
  ASSERT_TRUE(s.facts.rootless.has_value());
  EXPECT_TRUE(*s.facts.rootless);
  EXPECT_CONTAINS(r.message, "rootless (uid 0 is host uid 1000, 65537 ids mapped)");
  EXPECT_CONTAINS(r.message, "no-cgroups = true");
  EXPECT_EQ(r.metrics["root_maps_to"], 1000);
  EXPECT_EQ(r.metrics["uid_map"][1][1], 100000);
}

TEST(UserNamespaceCheck, UserNamespaceWithHostRoot) {
  Scenario s;
  s.tree.write("/proc/self/uid_map", "0 0 65536\n");
  CheckResult r = run(s, &checks::user_namespace);
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_EQ(r.message, "user namespace (uid 0 is host uid 0, 65536 ids mapped)");
  EXPECT_FALSE(*s.facts.rootless);
}

TEST(UserNamespaceCheck, UnmappedRootIsRootless) {
  Scenario s;
  s.tree.write("/proc/self/uid_map", "1000 1000 1\n");
  CheckResult r = run(s, &checks::user_namespace);
  EXPECT_CONTAINS(r.message, "uid 0 is not mapped");
  EXPECT_TRUE(*s.facts.rootless);
}

TEST(UserNamespaceCheck, EmptyMapWarns) {
  Scenario s;
  s.tree.write("/proc/self/uid_map", "");
  CheckResult r = run(s, &checks::user_namespace);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "empty uid map");
  EXPECT_CONTAINS(r.hint, "/etc/subuid");
}

TEST(UserNamespaceCheck, MalformedMapWarnsNamingTheLine) {
  Scenario s;
  s.tree.write("/proc/self/uid_map", "0 x 1\n");
  CheckResult r = run(s, &checks::user_namespace);
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "/proc/self/uid_map");
  EXPECT_CONTAINS(r.message, "'0 x 1'");
}

TEST(UserNamespaceCheck, MissingMapSkips) {
  Scenario s;
  CheckResult r = run(s, &checks::user_namespace);
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_FALSE(s.facts.rootless.has_value());
}

}  // namespace
}  // namespace gpuval
