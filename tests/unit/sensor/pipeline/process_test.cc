#include "sensor/pipeline/process.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>

namespace bw::pipeline {
namespace {

// ctest runs each test in its own process, so lowering the limit here touches no other test.
TEST(RaiseOpenFileLimit, RaisesTheSoftLimitToTheHardOne) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  if (before.rlim_max != RLIM_INFINITY && before.rlim_max <= 128) {
    GTEST_SKIP() << "hard open file limit " << before.rlim_max << " leaves nothing to raise";
  }
  rlimit low{64, before.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  const rlim_t expected = before.rlim_max == RLIM_INFINITY
                              ? kOpenFileTarget
                              : std::min<rlim_t>(before.rlim_max, kOpenFileTarget);
  EXPECT_EQ(RaiseOpenFileLimit(), expected);
  rlimit after{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, expected);
  EXPECT_EQ(after.rlim_max, before.rlim_max);
  // Already there: nothing changes.
  EXPECT_EQ(RaiseOpenFileLimit(), expected);
  setrlimit(RLIMIT_NOFILE, &before);
}

}  // namespace
}  // namespace bw::pipeline
