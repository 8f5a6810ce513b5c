#include "core/errno_name.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace gpuval {
namespace {

TEST(ErrnoName, NamesTheErrorsOfOpeningADeviceNode) {
  EXPECT_EQ(errno_name(EPERM), "EPERM");
  EXPECT_EQ(errno_name(EACCES), "EACCES");
  EXPECT_EQ(errno_name(ENXIO), "ENXIO");
  EXPECT_EQ(errno_name(EBUSY), "EBUSY");
  EXPECT_EQ(errno_name(EROFS), "EROFS");
  EXPECT_EQ(errno_name(ENOSPC), "errno " + std::to_string(ENOSPC));
}

TEST(ErrnoName, EveryNameReadsBackAsItsErrno) {
  for (int err : {EPERM, EACCES, ENXIO, ENODEV, ENOENT, EBUSY, EIO, EROFS}) {
    EXPECT_EQ(errno_from_name(errno_name(err)), err) << errno_name(err);
  }
  EXPECT_EQ(errno_from_name("EPERM\n"), EPERM);  // a fixture's sidecar file ends in a newline
  EXPECT_EQ(errno_from_name(" ENXIO "), ENXIO);
  EXPECT_FALSE(errno_from_name("errno 28").has_value());
  EXPECT_FALSE(errno_from_name("").has_value());
  EXPECT_FALSE(errno_from_name("eperm").has_value());
}

}  // namespace
}  // namespace gpuval
