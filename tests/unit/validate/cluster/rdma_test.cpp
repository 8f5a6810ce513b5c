// "gpudirect-rdma" on fixture trees: NICs and ports in /sys/class/infiniband, verbs nodes in
// /dev/infiniband, nvidia_peermem / DMA-BUF and the locked-memory limit.
#include "tests/unit/validate/container_scenario.hpp"

namespace gpuval {
namespace {

using testing::Scenario;

constexpr const char* kProprietary =
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n";
constexpr const char* kOpen =
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build\n";

class Rdma : public ::testing::Test {
 protected:
  void nic(const std::string& dev, const std::string& port, const std::string& state,
           const std::string& layer = "InfiniBand",
           const std::string& rate = "400 Gb/sec (4X NDR)") {
    const std::string base = "/sys/class/infiniband/" + dev;
    s.tree.write(base + "/node_type", "1: CA\n");
    s.tree.write(base + "/fw_ver", "28.39.1002\n");
    s.tree.write(base + "/ports/" + port + "/state", state + "\n");
    s.tree.write(base + "/ports/" + port + "/phys_state",
                 state == "4: ACTIVE" ? "5: LinkUp\n" : "2: Polling\n");
    s.tree.write(base + "/ports/" + port + "/link_layer", layer + "\n");
    s.tree.write(base + "/ports/" + port + "/rate", rate + "\n");
  }
  void uverbs(int n) { s.tree.chardev("/dev/infiniband/uverbs" + std::to_string(n), 231, 192 + n); }
  void memlock(const std::string& soft) {
    s.tree.write("/proc/self/limits",
                 "Limit                     Soft Limit           Hard Limit           Units     \n"
                 "Max locked memory         " +
                     soft + "            " + soft + "            bytes     \n");
  }
  void cap_eff(const std::string& hex) {
    s.tree.write("/proc/self/status", "CapEff:\t" + hex + "\n");
  }
  // A node with a healthy RDMA setup: one ConnectX port up, its verbs node, peermem, unlimited.
  void healthy() {
    nic("mlx5_0", "1", "4: ACTIVE");
    uverbs(0);
    s.tree.mkdir("/sys/module/nvidia_peermem");
    s.tree.write("/proc/driver/nvidia/version", kProprietary);
    memlock("unlimited");
  }
  CheckResult run() {
    CheckResult r = s.run(&checks::gpudirect_rdma);
    testing::expect_well_formed(r);
    return r;
  }
  Scenario s;
};

TEST_F(Rdma, NoRdmaHardwareSkipsNeverWarns) {
  s.tree.write("/proc/driver/nvidia/version", kProprietary);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Skip);
  EXPECT_CONTAINS(r.message, "no RDMA devices");
}

TEST_F(Rdma, HealthyNodePassesWithPortRateAndPeermem) {
  healthy();
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message, "active: mlx5_0/1 InfiniBand 400 Gb/s");
  EXPECT_CONTAINS(r.message, "1 verbs node open read-write");
  EXPECT_CONTAINS(r.message, "nvidia_peermem loaded");
  EXPECT_CONTAINS(r.message, "memlock unlimited");
  EXPECT_EQ(r.metrics["devices"][0]["ports"][0]["rate_gbps"], 400.0);
  EXPECT_EQ(r.metrics["devices"][0]["fw_ver"], "28.39.1002");
  EXPECT_EQ(r.metrics["uverbs"]["/dev/infiniband/uverbs0"]["open"], "ok");
}

TEST_F(Rdma, DevicesOnTheHostButNoVerbsNodeWarnsWithTheDeviceFlag) {
  healthy();
  std::filesystem::remove_all(s.tree.root() / "dev/infiniband");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "1 RDMA device on the host (mlx5_0) but no /dev/infiniband/uverbs*");
  EXPECT_CONTAINS(r.hint, "--device /dev/infiniband");
  EXPECT_CONTAINS(r.hint, "RDMA device plugin");
}

TEST_F(Rdma, CgroupDeniedVerbsNodeFails) {
  healthy();
  s.tree.force_open_errno("/dev/infiniband/uverbs0", "EPERM");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "open(/dev/infiniband/uverbs0, O_RDWR) failed: EPERM");
  EXPECT_CONTAINS(r.message, "device cgroup denies it");
  EXPECT_CONTAINS(r.hint, "--device /dev/infiniband/uverbsN");
}

TEST_F(Rdma, PermissionDeniedVerbsNodeFails) {
  healthy();
  s.tree.force_open_errno("/dev/infiniband/uverbs0", "EACCES");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "EACCES");
  EXPECT_CONTAINS(r.hint, "SELinux");
}

TEST_F(Rdma, VerbsNodeWithoutDriverFails) {
  healthy();
  s.tree.force_open_errno("/dev/infiniband/uverbs0", "ENXIO");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "no driver behind the node");
  EXPECT_CONTAINS(r.hint, "ib_uverbs");
}

TEST_F(Rdma, AVerbsNodeThatIsAFileFails) {
  healthy();
  s.tree.write("/dev/infiniband/uverbs1", "");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "/dev/infiniband/uverbs1 is a file, not a verbs device (char 231:N)");
}

TEST_F(Rdma, NoActivePortFails) {
  healthy();
  nic("mlx5_0", "1", "1: DOWN");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "no RDMA port is ACTIVE (mlx5_0/1 DOWN/Polling)");
  EXPECT_CONTAINS(r.hint, "subnet manager");
}

TEST_F(Rdma, AnUnusedPortBesideAnActiveOneIsOnlyANote) {
  healthy();
  nic("mlx5_1", "1", "1: DOWN", "Ethernet", "25 Gb/sec (1X EDR)");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message, "not active (unused ports are normal): mlx5_1/1 DOWN");
}

TEST_F(Rdma, NoPeermemWithTheProprietaryDriverWarns) {
  healthy();
  std::filesystem::remove_all(s.tree.root() / "sys/module/nvidia_peermem");
  s.tree.write("/proc/sys/kernel/osrelease", "6.5.0-35-generic\n");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "nvidia_peermem (nv_peer_mem) not loaded");
  EXPECT_CONTAINS(r.hint, "modprobe nvidia-peermem");
}

TEST_F(Rdma, OpenKernelModulesOnANewKernelUseDmaBuf) {
  healthy();
  std::filesystem::remove_all(s.tree.root() / "sys/module/nvidia_peermem");
  s.tree.write("/proc/driver/nvidia/version", kOpen);
  s.tree.write("/proc/sys/kernel/osrelease", "6.5.0-35-generic\n");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_CONTAINS(r.message, "GPUDirect RDMA through DMA-BUF (open kernel modules on Linux 6.5)");
}

TEST_F(Rdma, OpenKernelModulesOnAnOldKernelStillNeedPeermem) {
  healthy();
  std::filesystem::remove_all(s.tree.root() / "sys/module/nvidia_peermem");
  s.tree.write("/proc/driver/nvidia/version", kOpen);
  s.tree.write("/proc/sys/kernel/osrelease", "4.18.0-553.el8_10.x86_64\n");
  EXPECT_EQ(run().status, Status::Warn);
}

TEST_F(Rdma, TheOlderNvPeerMemCounts) {
  healthy();
  std::filesystem::remove_all(s.tree.root() / "sys/module/nvidia_peermem");
  s.tree.mkdir("/sys/module/nv_peer_mem");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "nv_peer_mem loaded");
}

TEST_F(Rdma, ALowMemlockLimitWarnsUnlessCapIpcLock) {
  healthy();
  memlock("8388608");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Warn);
  EXPECT_CONTAINS(r.message, "locked-memory limit 8 MiB (no CAP_IPC_LOCK)");
  EXPECT_CONTAINS(r.hint, "--ulimit memlock=-1:-1");
  cap_eff("00000000a80465fb");  // bit 14 set
  CheckResult with_cap = run();
  EXPECT_EQ(with_cap.status, Status::Pass) << with_cap.message;
  EXPECT_EQ(with_cap.metrics["cap_ipc_lock"], true);
}

TEST_F(Rdma, AnInjectedVerbsNodeIsJudgedWithoutSysfs) {
  uverbs(0);
  s.tree.force_open_errno("/dev/infiniband/uverbs0", "EPERM");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail) << "a node that was passed in must work";
  EXPECT_CONTAINS(r.message, "EPERM");
  std::filesystem::remove(s.tree.root() / "dev/infiniband/uverbs0.errno");
  memlock("unlimited");
  CheckResult ok = run();
  EXPECT_EQ(ok.status, Status::Pass) << ok.message;
  EXPECT_CONTAINS(ok.message, "NIC and port state unknown");
}

}  // namespace
}  // namespace gpuval
