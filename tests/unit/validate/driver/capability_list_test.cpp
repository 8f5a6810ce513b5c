#include "validate/driver/capability_list.hpp"

#include <gtest/gtest.h>

namespace gpuval {
namespace {

using Cap = DriverCapability;

TEST(DriverCapabilitiesParse, UnsetAndEmptyMeanUtilityCompute) {
  for (auto value : {std::optional<std::string>{}, std::optional<std::string>{""},
                     std::optional<std::string>{"  "}}) {
    auto p = parse_driver_capabilities(value);
    EXPECT_EQ(p.mode, DriverCapabilities::Mode::Default);
    EXPECT_EQ(p.requested, (std::vector<Cap>{Cap::Utility, Cap::Compute}));
    EXPECT_TRUE(p.unknown.empty());
  }
}

TEST(DriverCapabilitiesParse, AllExpandsToEveryCapability) {
  auto p = parse_driver_capabilities("all");
  EXPECT_EQ(p.mode, DriverCapabilities::Mode::All);
  EXPECT_EQ(p.requested, (std::vector<Cap>{Cap::Compute, Cap::Compat32, Cap::Graphics, Cap::Utility,
                                           Cap::Video, Cap::Display, Cap::Ngx}));
  auto mixed = parse_driver_capabilities("utility,all");
  EXPECT_EQ(mixed.mode, DriverCapabilities::Mode::All);
  EXPECT_EQ(mixed.requested.size(), 7u);
}

TEST(DriverCapabilitiesParse, ListKeepsOrderAndDropsRepeats) {
  auto p = parse_driver_capabilities(" compute , video,compute,");
  EXPECT_EQ(p.mode, DriverCapabilities::Mode::List);
  EXPECT_EQ(p.requested, (std::vector<Cap>{Cap::Compute, Cap::Video}));
  EXPECT_TRUE(p.has(Cap::Video));
  EXPECT_FALSE(p.has(Cap::Utility));
  EXPECT_TRUE(p.unknown.empty());
}

TEST(DriverCapabilitiesParse, UnknownNamesAreFlaggedWithAReason) {
  auto p = parse_driver_capabilities("compute,cuda,Utility");
  EXPECT_EQ(p.requested, (std::vector<Cap>{Cap::Compute}));
  ASSERT_EQ(p.unknown.size(), 2u);
  EXPECT_EQ(p.unknown[0].token, "cuda");
  EXPECT_NE(p.unknown[0].reason.find("not a driver capability"), std::string::npos);
  EXPECT_EQ(p.unknown[1].token, "Utility");
  EXPECT_NE(p.unknown[1].reason.find("lowercase"), std::string::npos);
}

TEST(DriverCapabilitiesParse, NamesRoundTrip) {
  for (Cap c : all_driver_capabilities()) {
    EXPECT_EQ(driver_capability_from_string(to_string(c)), c);
  }
  EXPECT_FALSE(driver_capability_from_string("Compute").has_value());
  EXPECT_EQ(to_string(DriverCapabilities::Mode::Default), "default");
}

}  // namespace
}  // namespace gpuval
