#include "sensor/report/exposure.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "report_test_util.h"

namespace bw::report {
namespace {

using testing::Line;

class ExposureTest : public ::testing::Test {
 protected:
  ExposureTest() { limits_.temp_dir = std::filesystem::temp_directory_path().string(); }

  void Add(ExposureAggregator& agg, const Line& l) {
    LedgerEntry e;
    ASSERT_TRUE(ParseLedgerEntry(l.Json(), e));
    ASSERT_TRUE(agg.Add(e));
  }
  static TimestampNs T(int64_t s) { return (1'763'900'000 + s) * kNsPerSecond; }

  ExposureLimits limits_;
};

TEST_F(ExposureTest, AccountsForAnExposedBucket) {
  ExposureAggregator agg(limits_);
  Line l;
  // A denied probe, a listing, two reads (one ranged) by two clients, a HEAD, a
  // miss, authenticated traffic, and an unrelated private bucket.
  l.ts = T(0), l.operation = "GetObject", l.key = "secret", l.outcome = "denied", l.status = 403,
  l.error_code = "AccessDenied";
  Add(agg, l);
  l = Line{};
  l.ts = T(10), l.operation = "ListObjectsV2", l.list_keys = 2, l.truncated = true,
  l.query = "list-type=2";
  Add(agg, l);
  l = Line{};
  l.ts = T(20), l.key = "a.csv", l.bytes = 500;
  Add(agg, l);
  l = Line{};
  l.ts = T(30), l.key = "a.csv", l.bytes = 50, l.status = 206, l.ip = "198.51.100.7",
  l.ua = "python-requests";
  Add(agg, l);
  l = Line{};
  l.ts = T(40), l.key = "b.csv", l.operation = "HeadObject", l.method = "HEAD";
  Add(agg, l);
  l = Line{};
  l.ts = T(50), l.key = "gone", l.outcome = "not_found", l.status = 404;
  Add(agg, l);
  l = Line{};
  l.ts = T(5), l.key = "a.csv", l.auth = "signed", l.access_key = "AKIA1", l.bytes = 700;
  Add(agg, l);
  l = Line{};
  l.ts = T(60), l.bucket = "private", l.auth = "signed", l.access_key = "AKIA1";
  Add(agg, l);
  ASSERT_TRUE(agg.Finish());

  ASSERT_EQ(agg.buckets().size(), 2u);
  const BucketReport& b = agg.buckets().at("s3//public-data");
  EXPECT_TRUE(b.exposed());
  EXPECT_EQ(b.exposure_first, T(10));
  EXPECT_EQ(b.exposure_last, T(40));
  EXPECT_EQ(b.anonymous.requests, 6u);
  EXPECT_EQ(b.anonymous.success, 4u);
  EXPECT_EQ(b.anonymous.denied, 1u);
  EXPECT_EQ(b.anonymous.not_found, 1u);
  EXPECT_EQ(b.anon_operations.at("GetObject").requests, 4u);
  EXPECT_EQ(b.anon_operations.at("GetObject").success, 2u);
  EXPECT_EQ(b.anon_operations.at("HeadObject").success, 1u);
  ASSERT_EQ(b.clients.size(), 2u);
  auto clients = b.SortedClients();
  EXPECT_EQ(clients[0]->ip, "192.0.2.10");
  EXPECT_EQ(clients[0]->requests, 5u);
  EXPECT_EQ(clients[0]->listings, 1u);
  EXPECT_EQ(clients[0]->reads, 1u);
  EXPECT_EQ(clients[0]->denied, 1u);
  EXPECT_EQ(clients[1]->user_agent, "python-requests");
  EXPECT_EQ(b.listing_pages, 1u);
  EXPECT_EQ(b.listed_keys, 2u);
  EXPECT_EQ(b.truncated_pages, 1u);
  ASSERT_EQ(b.listings.size(), 1u);
  EXPECT_EQ(b.listings[0].query, "list-type=2");
  ASSERT_EQ(b.denied_rows.size(), 1u);
  EXPECT_EQ(b.denied_rows[0].key, "secret");
  EXPECT_EQ(b.denied_rows[0].error_code, "AccessDenied");
  EXPECT_EQ(b.object_reads, 2u);
  EXPECT_EQ(b.range_reads, 1u);
  EXPECT_EQ(b.authenticated.outcomes.requests, 1u);
  EXPECT_EQ(b.authenticated.bytes, 700u);
  EXPECT_EQ(b.authenticated.by_class.at("signed"), 1u);
  EXPECT_EQ(b.authenticated.access_key_ids, (std::set<std::string>{"AKIA1"}));

  const BucketReport& p = agg.buckets().at("s3//private");
  EXPECT_FALSE(p.exposed());
  EXPECT_EQ(p.anonymous.requests, 0u);

  ObjectRow row;
  ASSERT_TRUE(agg.objects().Next(row));
  EXPECT_EQ(row.bucket_id, "s3//public-data");
  EXPECT_EQ(row.key, "a.csv");
  EXPECT_EQ(row.reads, 2u);
  EXPECT_EQ(row.full_reads, 1u);
  EXPECT_EQ(row.range_reads, 1u);
  EXPECT_EQ(row.bytes, 550u);
  EXPECT_EQ(row.first_read, T(20));
  EXPECT_EQ(row.readers, (std::vector<std::string>{"192.0.2.10", "198.51.100.7"}));
  EXPECT_FALSE(agg.objects().Next(row));  // the HEAD and the miss are not reads
}

TEST_F(ExposureTest, TablesStopAtTheirCapsAndCount) {
  limits_.max_buckets = 2;
  limits_.max_clients_per_bucket = 3;
  limits_.max_listing_rows = 2;
  limits_.max_denied_rows = 1;
  limits_.max_operations_per_bucket = 2;
  limits_.max_access_keys = 1;
  ExposureAggregator agg(limits_);
  Line l;
  for (int i = 0; i < 10; ++i) {
    l = Line{};
    l.ip = "10.0.0." + std::to_string(i);
    l.operation = "ListObjectsV2";
    l.list_keys = 1;
    Add(agg, l);
    l.list_keys = -1;
    l.outcome = "denied";
    l.operation = "Op" + std::to_string(i);
    Add(agg, l);
    l = Line{};
    l.auth = "signed";
    l.access_key = "K" + std::to_string(i);
    Add(agg, l);
    l = Line{};
    l.bucket = "other" + std::to_string(i);
    Add(agg, l);
  }
  ASSERT_TRUE(agg.Finish());
  EXPECT_EQ(agg.buckets().size(), 2u);
  EXPECT_EQ(agg.counters().buckets_overflow, 9u);
  const BucketReport& b = agg.buckets().at("s3//public-data");
  EXPECT_EQ(b.clients.size(), 3u);
  EXPECT_EQ(b.clients_overflow, 14u);
  EXPECT_EQ(b.other_clients.requests, 14u);
  EXPECT_EQ(b.listings.size(), 2u);
  EXPECT_EQ(b.listings_overflow, 8u);
  EXPECT_EQ(b.listing_pages, 10u);
  EXPECT_EQ(b.denied_rows.size(), 1u);
  EXPECT_EQ(b.denied_overflow, 9u);
  EXPECT_EQ(b.anon_operations.size(), 2u);
  EXPECT_EQ(b.operations_overflow, 9u);
  EXPECT_EQ(b.authenticated.access_key_ids.size(), 1u);
  EXPECT_TRUE(b.authenticated.access_keys_truncated);
}

TEST_F(ExposureTest, GlobalCapsBoundAllBucketsTogether) {
  limits_.max_clients_total = 3;
  limits_.max_listing_rows_total = 2;
  limits_.max_denied_rows_total = 1;
  ExposureAggregator agg(limits_);
  for (const char* bucket : {"a", "b"}) {
    for (int i = 0; i < 2; ++i) {
      Line l;
      l.bucket = bucket;
      l.ip = "10.0.0." + std::to_string(i);
      l.operation = "ListObjectsV2";
      l.list_keys = 1;
      Add(agg, l);
      l.list_keys = -1;
      l.outcome = "denied";
      Add(agg, l);
    }
  }
  ASSERT_TRUE(agg.Finish());
  const BucketReport& a = agg.buckets().at("s3//a");
  const BucketReport& b = agg.buckets().at("s3//b");
  EXPECT_EQ(a.clients.size() + b.clients.size(), 3u);
  EXPECT_EQ(b.clients_overflow, 2u);
  EXPECT_EQ(a.listings.size() + b.listings.size(), 2u);
  EXPECT_EQ(b.listings_overflow, 2u);
  EXPECT_EQ(a.denied_rows.size() + b.denied_rows.size(), 1u);
  EXPECT_EQ(a.denied_overflow + b.denied_overflow, 3u);
  EXPECT_EQ(b.listing_pages, 2u);  // totals stay exact past the row caps
}

TEST_F(ExposureTest, TimelineRebinsInsteadOfGrowing) {
  limits_.max_timeline_bins = 8;
  ExposureAggregator agg(limits_);
  Line l;
  for (int i = 0; i < 1000; ++i) {
    l.ts = T(i * 7);
    Add(agg, l);
  }
  ASSERT_TRUE(agg.Finish());
  const BucketReport& b = agg.buckets().begin()->second;
  EXPECT_LE(b.timeline.size(), 8u);
  EXPECT_LE(b.timeline.rbegin()->first - b.timeline.begin()->first + 1, 8);
  uint64_t total = 0;
  for (const auto& [i, bin] : b.timeline) total += bin.anon_requests;
  EXPECT_EQ(total, 1000u);
  EXPECT_GE(b.bin_width, 7000 * kNsPerSecond / 8);
}

}  // namespace
}  // namespace bw::report
