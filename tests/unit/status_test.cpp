#include "core/status.hpp"

#include <gtest/gtest.h>

namespace gpuval {

TEST(Status, RoundTripsThroughItsName) {
  for (Status s : {Status::Pass, Status::Warn, Status::Fail, Status::Skip}) {
    auto back = status_from_string(to_string(s));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(status_from_string("pass").has_value());
  EXPECT_FALSE(status_from_string("").has_value());
}

TEST(Status, WorstOrdersFailWarnPassSkip) {
  EXPECT_EQ(worst(Status::Pass, Status::Fail), Status::Fail);
  EXPECT_EQ(worst(Status::Warn, Status::Pass), Status::Warn);
  EXPECT_EQ(worst(Status::Skip, Status::Pass), Status::Pass);
  EXPECT_EQ(worst(Status::Fail, Status::Warn), Status::Fail);
}

}  // namespace gpuval
