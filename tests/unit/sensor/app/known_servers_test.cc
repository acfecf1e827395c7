#include "sensor/app/known_servers.h"

#include <gtest/gtest.h>

namespace bw::app {
namespace {

decode::IpAddress Ip(const char* text) {
  decode::IpAddress a;
  EXPECT_TRUE(decode::IpAddress::Parse(text, a));
  return a;
}

TEST(KnownServersTest, LearnsLooksUpAndForgetsAfterTtl) {
  KnownServers known(8, 100);
  EXPECT_FALSE(known.Lookup(Ip("10.0.0.5"), 9000, 0).has_value());
  known.Learn(Ip("10.0.0.5"), 9000, storage::Provider::kS3Compatible, 10);
  EXPECT_EQ(known.Lookup(Ip("10.0.0.5"), 9000, 50), storage::Provider::kS3Compatible);
  EXPECT_FALSE(known.Lookup(Ip("10.0.0.5"), 9001, 50).has_value());  // another port
  EXPECT_FALSE(known.Lookup(Ip("::1"), 9000, 50).has_value());
  EXPECT_FALSE(known.Lookup(Ip("10.0.0.5"), 9000, 111).has_value());  // past the ttl
  EXPECT_EQ(known.size(), 0u);
}

TEST(KnownServersTest, BoundedWithLeastRecentlySeenEvicted) {
  KnownServers known(2, 1000);
  known.Learn(Ip("10.0.0.1"), 80, storage::Provider::kS3Compatible, 1);
  known.Learn(Ip("10.0.0.2"), 80, storage::Provider::kAzureBlob, 2);
  known.Learn(Ip("10.0.0.1"), 80, storage::Provider::kS3Compatible, 3);  // refreshed
  known.Learn(Ip("10.0.0.3"), 80, storage::Provider::kGcs, 4);           // evicts .2
  EXPECT_EQ(known.size(), 2u);
  EXPECT_EQ(known.evicted(), 1u);
  EXPECT_EQ(known.learned(), 3u);
  EXPECT_FALSE(known.Lookup(Ip("10.0.0.2"), 80, 5).has_value());
  EXPECT_EQ(known.Lookup(Ip("10.0.0.1"), 80, 5), storage::Provider::kS3Compatible);
  EXPECT_EQ(known.Lookup(Ip("10.0.0.3"), 80, 5), storage::Provider::kGcs);
}

TEST(KnownServersTest, ExportRestoreKeepsOrderProvidersAndTimes) {
  KnownServers known(8, 1000);
  known.Learn(Ip("10.0.0.1"), 80, storage::Provider::kS3Compatible, 1);
  known.Learn(Ip("::1"), 10000, storage::Provider::kAzureBlob, 2);
  known.Learn(Ip("10.0.0.1"), 80, storage::Provider::kS3Compatible, 3);  // now the most recent
  auto saved = known.Export();
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_EQ(saved[0].ip, Ip("::1"));  // least recently seen first
  EXPECT_EQ(saved[1].last_seen, 3);

  KnownServers restarted(2, 1000);
  restarted.Learn(Ip("10.0.0.9"), 80, storage::Provider::kGcs, 0);  // older than both: evicted
  restarted.Restore(saved);
  EXPECT_EQ(restarted.size(), 2u);
  EXPECT_EQ(restarted.learned(), 1u);  // restored servers are not this run's lessons
  EXPECT_EQ(restarted.Lookup(Ip("::1"), 10000, 500), storage::Provider::kAzureBlob);
  EXPECT_EQ(restarted.Lookup(Ip("10.0.0.1"), 80, 500), storage::Provider::kS3Compatible);
  EXPECT_FALSE(restarted.Lookup(Ip("10.0.0.9"), 80, 500).has_value());
  // The ttl counts from when the server was last seen in the earlier run.
  EXPECT_FALSE(restarted.Lookup(Ip("::1"), 10000, 1003).has_value());
}

}  // namespace
}  // namespace bw::app
