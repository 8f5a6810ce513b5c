#include "validate/parsers/cluster_parse.hpp"

#include <gtest/gtest.h>

namespace gpuval {
namespace {

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

TEST(ClusterParse, IbPortStateAndPhysState) {
  Parsed<IbPortAttribute> active = parse_ib_port_attribute("4: ACTIVE\n");
  ASSERT_TRUE(active);
  EXPECT_EQ(active.value->code, 4u);
  EXPECT_EQ(active.value->name, "ACTIVE");
  Parsed<IbPortAttribute> phys = parse_ib_port_attribute("5: LinkUp");
  ASSERT_TRUE(phys);
  EXPECT_EQ(phys.value->name, "LinkUp");
  EXPECT_EQ(parse_ib_port_attribute("3: Disabled").value->code, 3u);
  for (const char* bad : {"", "ACTIVE", "x: ACTIVE", "4:", "4 ACTIVE"}) {
    Parsed<IbPortAttribute> p = parse_ib_port_attribute(bad);
    EXPECT_FALSE(p) << bad;
    EXPECT_CONTAINS(p.error, "expected 'N: NAME'");
  }
}

TEST(ClusterParse, IbRate) {
  EXPECT_DOUBLE_EQ(*parse_ib_rate_gbps("400 Gb/sec (4X NDR)\n").value, 400.0);
  EXPECT_DOUBLE_EQ(*parse_ib_rate_gbps("2.5 Gb/sec (1X SDR)").value, 2.5);
  EXPECT_DOUBLE_EQ(*parse_ib_rate_gbps("100 Gb/sec (2X HDR)").value, 100.0);
  EXPECT_FALSE(parse_ib_rate_gbps("fast"));
  EXPECT_FALSE(parse_ib_rate_gbps("400"));
  EXPECT_FALSE(parse_ib_rate_gbps("-1 Gb/sec"));
}

TEST(ClusterParse, CharDeviceMajorOnlyFromTheCharacterSection) {
  const char* devices =
      "Character devices:\n  1 mem\n195 nvidia\n234 nvidia-caps-imex-channels\n"
      "509 nvidia-uvm\n\nBlock devices:\n  8 sd\n259 blkext\n";
  EXPECT_EQ(char_device_major(devices, "nvidia-caps-imex-channels"), 234u);
  EXPECT_EQ(char_device_major(devices, "nvidia"), 195u);
  EXPECT_FALSE(char_device_major(devices, "sd").has_value()) << "a block device";
  EXPECT_FALSE(char_device_major(devices, "nvidia-caps").has_value()) << "whole names only";
  EXPECT_FALSE(char_device_major("", "nvidia").has_value());
  EXPECT_FALSE(char_device_major("Character devices:\nxx nvidia\n", "nvidia").has_value());
}

TEST(ClusterParse, ImexChannels) {
  EXPECT_FALSE(parse_imex_channels("").value->requested());
  EXPECT_FALSE(parse_imex_channels("none").value->requested());
  EXPECT_FALSE(parse_imex_channels(" void ").value->requested());
  Parsed<ImexRequest> all = parse_imex_channels("all");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all.value->all);
  EXPECT_TRUE(all.value->requested());
  Parsed<ImexRequest> list = parse_imex_channels("3, 0,3");
  ASSERT_TRUE(list);
  EXPECT_EQ(list.value->channels, (std::vector<unsigned>{0, 3}));
  Parsed<ImexRequest> bad = parse_imex_channels("0,x");
  EXPECT_FALSE(bad);
  EXPECT_CONTAINS(bad.error, "'x' is not a channel number");
  EXPECT_FALSE(parse_imex_channels("0,,1"));
}

TEST(ClusterParse, ImexChannelNodeNames) {
  EXPECT_EQ(imex_channel_of("channel0"), 0u);
  EXPECT_EQ(imex_channel_of("channel2047"), 2047u);
  EXPECT_FALSE(imex_channel_of("channel").has_value());
  EXPECT_FALSE(imex_channel_of("channel1a").has_value());
  EXPECT_FALSE(imex_channel_of("chan0").has_value());
}

TEST(ClusterParse, KernelRelease) {
  Parsed<KernelVersion> k = parse_kernel_release("5.15.0-91-generic\n");
  ASSERT_TRUE(k);
  EXPECT_EQ(k.value->major, 5u);
  EXPECT_EQ(k.value->minor, 15u);
  EXPECT_TRUE(k.value->at_least(5, 12));
  EXPECT_FALSE(k.value->at_least(6, 0));
  EXPECT_TRUE(parse_kernel_release("6.1").value->at_least(5, 12));
  EXPECT_FALSE(parse_kernel_release("4.18.0-553.el8").value->at_least(5, 12));
  EXPECT_FALSE(parse_kernel_release("linux"));
  EXPECT_FALSE(parse_kernel_release("5."));
}

}  // namespace
}  // namespace gpuval
