// "imex" on fixture trees: NVIDIA_IMEX_CHANNELS, the driver's IMEX major in /proc/devices and
// the channel nodes under /dev/nvidia-caps-imex-channels.
#include "tests/unit/validate/container_scenario.hpp"

namespace gpuval {
namespace {

using testing::Scenario;

constexpr const char* kDevicesWithImex =
    "Character devices:\n195 nvidia\n234 nvidia-caps-imex-channels\n509 nvidia-uvm\n\n"
    "Block devices:\n8 sd\n";
constexpr const char* kDevicesWithoutImex = "Character devices:\n195 nvidia\n509 nvidia-uvm\n";

class Imex : public ::testing::Test {
 protected:
  void channel(unsigned n, unsigned major = 234) {
    s.tree.chardev("/dev/nvidia-caps-imex-channels/channel" + std::to_string(n), major, n);
  }
  CheckResult run() {
    CheckResult r = s.run(&checks::imex);
    testing::expect_well_formed(r);
    return r;
  }
  Scenario s;
};

TEST_F(Imex, NotRequestedAndNoNodesSkips) {
  s.tree.write("/proc/devices", kDevicesWithImex);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Skip) << "most jobs never need IMEX: never a warning";
  EXPECT_CONTAINS(r.message, "the driver supports them (major 234)");
  s.tree.write("/proc/devices", kDevicesWithoutImex);
  CheckResult none = run();
  EXPECT_EQ(none.status, Status::Skip);
  EXPECT_CONTAINS(none.message, "the driver exposes none");
}

TEST_F(Imex, RequestedChannelPresentAndOpenablePasses) {
  s.tree.write("/proc/devices", kDevicesWithImex);
  s.env = Env({{"NVIDIA_IMEX_CHANNELS", "0"}});
  channel(0);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass) << r.message;
  EXPECT_EQ(r.message, "IMEX channel present and openable (channel0), NVIDIA_IMEX_CHANNELS=0");
  EXPECT_EQ(r.metrics["channels"]["/dev/nvidia-caps-imex-channels/channel0"]["open"], "ok");
}

TEST_F(Imex, ChannelsInjectedByCdiWithoutTheVariablePass) {
  s.tree.write("/proc/devices", kDevicesWithImex);
  channel(0);
  channel(1);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Pass);
  EXPECT_CONTAINS(r.message, "channels present and openable (channel0, channel1)");
  EXPECT_CONTAINS(r.message, "not requested by NVIDIA_IMEX_CHANNELS");
}

TEST_F(Imex, RequestedChannelMissingFailsWithHowToCreateIt) {
  s.tree.write("/proc/devices", kDevicesWithImex);
  s.env = Env({{"NVIDIA_IMEX_CHANNELS", "0,1"}});
  channel(0);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message,
                  "IMEX channel 1 requested (NVIDIA_IMEX_CHANNELS=0,1) but "
                  "/dev/nvidia-caps-imex-channels/channel1 is missing");
  EXPECT_CONTAINS(r.hint, "mknod -m 666 /dev/nvidia-caps-imex-channels/channel1 c 234 1");
  EXPECT_CONTAINS(r.hint, "nvidia.com/imex-channel=1");
}

TEST_F(Imex, AllRequestedButNoneThereFails) {
  s.tree.write("/proc/devices", kDevicesWithImex);
  s.env = Env({{"NVIDIA_IMEX_CHANNELS", "all"}});
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message,
                  "NVIDIA_IMEX_CHANNELS=all but /dev/nvidia-caps-imex-channels has no "
                  "channel node");
}

TEST_F(Imex, RequestedOnADriverWithoutImexFails) {
  s.tree.write("/proc/devices", kDevicesWithoutImex);
  s.env = Env({{"NVIDIA_IMEX_CHANNELS", "0"}});
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "the driver exposes no IMEX channels");
  EXPECT_CONTAINS(r.hint, "R550");
}

TEST_F(Imex, CgroupDeniedChannelFails) {
  s.tree.write("/proc/devices", kDevicesWithImex);
  s.env = Env({{"NVIDIA_IMEX_CHANNELS", "0"}});
  channel(0);
  s.tree.force_open_errno("/dev/nvidia-caps-imex-channels/channel0", "EPERM");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "open(/dev/nvidia-caps-imex-channels/channel0) failed: EPERM");
  EXPECT_CONTAINS(r.hint, "device cgroup");
}

TEST_F(Imex, UnreadableChannelFails) {
  s.tree.write("/proc/devices", kDevicesWithImex);
  channel(0);
  s.tree.force_open_errno("/dev/nvidia-caps-imex-channels/channel0", "EACCES");
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.hint, "mode 0666");
}

TEST_F(Imex, AChannelOfAnotherMajorIsStale) {
  s.tree.write("/proc/devices", kDevicesWithImex);
  s.env = Env({{"NVIDIA_IMEX_CHANNELS", "0"}});
  channel(0, 235);
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "channel0 is char 235:0, not an IMEX channel (char 234:0)");
  EXPECT_CONTAINS(r.hint, "stale");
}

TEST_F(Imex, AMalformedVariableFails) {
  s.env = Env({{"NVIDIA_IMEX_CHANNELS", "zero"}});
  CheckResult r = run();
  EXPECT_EQ(r.status, Status::Fail);
  EXPECT_CONTAINS(r.message, "'zero' is not a channel number");
}

TEST_F(Imex, NoneMeansNotRequested) {
  s.tree.write("/proc/devices", kDevicesWithImex);
  s.env = Env({{"NVIDIA_IMEX_CHANNELS", "none"}});
  EXPECT_EQ(run().status, Status::Skip);
}

}  // namespace
}  // namespace gpuval
