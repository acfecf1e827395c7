#include "sensor/detect/known_exposures.h"

#include <gtest/gtest.h>

namespace bw::detect {
namespace {

using storage::Provider;

constexpr TimestampNs kT0 = 1795428000LL * kNsPerSecond;

TEST(KnownExposures, RecordsABucketOnceAndKeepsItsSpan) {
  KnownExposures k;
  EXPECT_TRUE(k.Record(Provider::kS3, "", "b", kT0 + 5, 10));
  EXPECT_FALSE(k.Record(Provider::kS3, "", "b", kT0 + 9, 10));
  EXPECT_FALSE(k.Record(Provider::kS3, "", "b", kT0 + 1, 10));  // out of order: first moves back
  EXPECT_EQ(k.size(), 1u);
  EXPECT_EQ(k.started(), kT0 + 5);  // the first record, not the earliest timestamp
  ExposureInventory inv = k.Export();
  ASSERT_EQ(inv.buckets.size(), 1u);
  EXPECT_EQ(inv.buckets[0].first_seen, kT0 + 1);
  EXPECT_EQ(inv.buckets[0].last_seen, kT0 + 9);
  EXPECT_EQ(inv.started, kT0 + 5);
}

TEST(KnownExposures, ProviderAccountAndBucketAreDistinctPartsOfTheKey) {
  KnownExposures k;
  EXPECT_TRUE(k.Record(Provider::kS3, "", "ab", kT0, 10));
  EXPECT_TRUE(k.Record(Provider::kS3Compatible, "", "ab", kT0, 10));
  EXPECT_TRUE(k.Record(Provider::kAzureBlob, "a", "b", kT0, 10));  // not "" + "ab"
  EXPECT_TRUE(k.Record(Provider::kAzureBlob, "ab", "", kT0, 10));
  EXPECT_TRUE(k.Record(Provider::kAzureBlob, "", "ab", kT0, 10));
  std::string nul("x\0y", 3);
  EXPECT_TRUE(k.Record(Provider::kGcs, "", nul, kT0, 10));
  EXPECT_FALSE(k.Record(Provider::kAzureBlob, "a", "b", kT0, 10));
  EXPECT_EQ(k.size(), 6u);
  ExposureInventory inv = k.Export();  // least recently served first: a/b just moved last
  ASSERT_EQ(inv.buckets.size(), 6u);
  EXPECT_EQ(inv.buckets[2].provider, Provider::kAzureBlob);
  EXPECT_EQ(inv.buckets[2].account, "ab");
  EXPECT_EQ(inv.buckets[2].bucket, "");
  EXPECT_EQ(inv.buckets[4].bucket, nul);
  EXPECT_EQ(inv.buckets[5].provider, Provider::kAzureBlob);
  EXPECT_EQ(inv.buckets[5].account, "a");
  EXPECT_EQ(inv.buckets[5].bucket, "b");
}

TEST(KnownExposures, EvictsTheLeastRecentlyServedAtTheCapAndCountsIt) {
  KnownExposures k;
  EXPECT_TRUE(k.Record(Provider::kS3, "", "a", kT0, 2));
  EXPECT_TRUE(k.Record(Provider::kS3, "", "b", kT0 + 1, 2));
  EXPECT_FALSE(k.Record(Provider::kS3, "", "a", kT0 + 2, 2));  // a served again: b is older
  EXPECT_TRUE(k.Record(Provider::kS3, "", "c", kT0 + 3, 2));   // evicts b
  EXPECT_EQ(k.size(), 2u);
  EXPECT_EQ(k.evicted(), 1u);
  EXPECT_FALSE(k.Record(Provider::kS3, "", "a", kT0 + 4, 2));
  EXPECT_TRUE(k.Record(Provider::kS3, "", "b", kT0 + 5, 2));  // forgotten: new again
  EXPECT_EQ(k.evicted(), 2u);                                 // c went
  k.Shrink(1);
  EXPECT_EQ(k.size(), 1u);
  EXPECT_EQ(k.evicted(), 3u);
  EXPECT_EQ(k.Export().buckets[0].bucket, "b");
}

TEST(KnownExposures, RestoreTakesTheSavedInventoryWithinTheCap) {
  KnownExposures before;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(before.Record(Provider::kS3, "", "b" + std::to_string(i), kT0 + i, 100));
  }
  ExposureInventory saved = before.Export();

  KnownExposures after;
  after.Restore(saved, 3);
  EXPECT_EQ(after.size(), 3u);  // the most recently served three
  EXPECT_EQ(after.started(), kT0);
  EXPECT_FALSE(after.Record(Provider::kS3, "", "b4", kT0 + 10, 3));
  EXPECT_FALSE(after.Record(Provider::kS3, "", "b2", kT0 + 10, 3));
  EXPECT_TRUE(after.Record(Provider::kS3, "", "b0", kT0 + 10, 3));
  EXPECT_EQ(after.started(), kT0);  // learning does not restart

  // Names too long for any provider are not recorded (never cut into another bucket's key).
  std::string long_name(KnownExposures::kMaxNameBytes + 1, 'x');
  EXPECT_FALSE(after.Record(Provider::kS3, "", long_name, kT0, 3));
  ExposureInventory hostile;
  hostile.buckets.push_back({Provider::kS3, "", long_name, kT0, kT0});
  KnownExposures other;
  other.Restore(hostile, 3);
  EXPECT_EQ(other.size(), 0u);
}

}  // namespace
}  // namespace bw::detect
