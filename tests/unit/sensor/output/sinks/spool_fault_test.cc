// The spool when the disk cannot take a record: the alert is held in memory (counted), can be
// read back and delivered, and leaves no file behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sensor/output/sinks/spool.h"

namespace bw::output::sinks {
namespace {

namespace fs = std::filesystem;

TEST(SpoolFault, UnwritableDirectoryKeepsAlertsInMemoryUntilDelivered) {
  char tmpl[] = "/tmp/bw-spool-fault-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  std::string dir = root + "/spool";
  Spool spool(dir, 100, 1 << 20, {"a", "b"});
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  fs::remove_all(dir);  // the disk is gone: every create fails (even for root)

  uint64_t first = spool.Append("{\"n\":1}");
  uint64_t second = spool.Append("{\"n\":2}");
  ASSERT_NE(first, 0u);
  ASSERT_GT(second, first);
  SpoolStats st = spool.Stats();
  EXPECT_EQ(st.memory_only, 2u);
  EXPECT_EQ(st.write_errors, 2u);
  EXPECT_EQ(st.alerts, 2u);
  EXPECT_EQ(spool.PendingCount(0), 2u);
  EXPECT_EQ(spool.Pending(1, 0, 10), (std::vector<uint64_t>{first, second}));
  auto json = spool.Read(first);
  ASSERT_NE(json, nullptr);
  EXPECT_EQ(*json, "{\"n\":1}");

  EXPECT_TRUE(spool.MarkDelivered(first, 0));
  EXPECT_TRUE(spool.Contains(first));  // sink b still owes it
  EXPECT_TRUE(spool.MarkDelivered(first, 1));
  EXPECT_FALSE(spool.Contains(first));
  EXPECT_EQ(spool.Stats().write_errors, 2u) << "no marker or unlink attempted for memory-only";
  EXPECT_EQ(spool.PendingCount(0), 1u);
  EXPECT_FALSE(fs::exists(dir));
  fs::remove_all(root);
}

TEST(SpoolFault, MemoryOnlyAlertsStayWithinTheBounds) {
  char tmpl[] = "/tmp/bw-spool-fault-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  Spool spool(root + "/spool", 3, 1 << 20, {"a"});
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  fs::remove_all(root + "/spool");
  std::vector<uint64_t> evicted;
  for (int i = 0; i < 5; ++i) ASSERT_NE(spool.Append("{}", &evicted), 0u);
  EXPECT_EQ(spool.Stats().alerts, 3u);
  EXPECT_EQ(spool.Stats().evicted, 2u);
  EXPECT_EQ(evicted.size(), 2u);
  fs::remove_all(root);
}

}  // namespace
}  // namespace bw::output::sinks
