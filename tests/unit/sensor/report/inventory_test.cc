#include "sensor/report/inventory.h"

#include <gtest/gtest.h>

#include "report_test_util.h"

namespace bw::report {
namespace {

using testing::Line;

TimestampNs T(int64_t s) { return (1'763'900'000 + s) * kNsPerSecond; }

void Add(InventoryBuilder& b, const Line& l) {
  LedgerEntry e;
  ASSERT_TRUE(ParseLedgerEntry(l.Json(), e)) << l.Json();
  b.Add(e);
}

TEST(InventoryBuilder, OneRowPerBucketThatServedAnonymously) {
  InventoryBuilder b(InventoryLimits{});
  Line l;
  // Not exposures: an anonymous denial, an anonymous miss, signed reads of another bucket.
  l.ts = T(0), l.bucket = "private", l.outcome = "denied", l.status = 403, l.key = "k";
  Add(b, l);
  l.outcome = "not_found", l.status = 404;
  Add(b, l);
  l = Line{};
  l.bucket = "private", l.auth = "signed", l.key = "k";
  Add(b, l);
  // public-data: a listing, reads of two objects (one twice, one ranged) by two clients, a HEAD,
  // a denial (not counted), seen by two sensors and once by a ledger without observer.name.
  l = Line{};
  l.ts = T(50), l.operation = "ListObjectsV2", l.list_keys = 2, l.observer = "tap-b";
  Add(b, l);
  l = Line{};
  l.ts = T(20), l.key = "a.csv", l.bytes = 500, l.observer = "tap-a";
  Add(b, l);
  l = Line{};
  l.ts = T(30), l.key = "a.csv", l.bytes = 50, l.status = 206, l.range = true,
  l.ip = "198.51.100.7", l.observer = "tap-a";
  Add(b, l);
  l = Line{};
  l.ts = T(40), l.key = "b.csv", l.bytes = 7;
  Add(b, l);
  l = Line{};
  l.ts = T(45), l.key = "c.csv", l.operation = "HeadObject", l.method = "HEAD", l.bytes = 0,
  l.observer = "tap-b";
  Add(b, l);
  l = Line{};
  l.ts = T(99), l.key = "secret", l.outcome = "denied", l.status = 403, l.ip = "192.0.2.99";
  Add(b, l);
  // An Azure container of the same name is another row; account-level requests name no bucket.
  l = Line{};
  l.ts = T(60), l.provider = "azure_blob", l.account = "acct", l.operation = "ListBlobs",
  l.list_keys = 1;
  Add(b, l);
  l = Line{};
  l.ts = T(61), l.bucket = "", l.operation = "ListBuckets";
  Add(b, l);

  const InventoryCounters& c = b.counters();
  EXPECT_EQ(c.entries, 11u);
  EXPECT_EQ(c.anonymous_successes, 7u);
  EXPECT_EQ(c.no_bucket, 1u);
  EXPECT_EQ(c.past_bucket_limit, 0u);

  std::vector<InventoryRow> rows = b.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(InventoryKey(rows[0]), "azure_blob/acct/public-data");
  const InventoryRow& r = rows[1];
  EXPECT_EQ(InventoryKey(r), "s3//public-data");
  EXPECT_EQ(r.first_success, T(20));  // out of order in the ledger
  EXPECT_EQ(r.last_success, T(50));
  EXPECT_EQ(r.anonymous_successes, 5u);
  EXPECT_EQ(r.operations, (std::map<std::string, uint64_t>{
                              {"GetObject", 3}, {"HeadObject", 1}, {"ListObjectsV2", 1}}));
  EXPECT_EQ(r.operations_other, 0u);
  EXPECT_EQ(r.clients, 2u);  // 192.0.2.99 was only denied
  EXPECT_FALSE(r.clients_lower_bound);
  EXPECT_EQ(r.objects, 2u);  // a.csv and b.csv; c.csv was only HEADed
  EXPECT_EQ(r.object_reads, 3u);
  EXPECT_EQ(r.object_bytes, 557u);
  EXPECT_EQ(r.sensors, (std::vector<std::string>{"tap-a", "tap-b"}));
  EXPECT_FALSE(r.sensors_truncated);
  EXPECT_EQ(r.unattributed, 1u);
}

TEST(InventoryBuilder, CapsMakeCountsLowerBoundsAndCountWhatTheyLeaveOut) {
  InventoryLimits limits;
  limits.max_buckets = 2;
  limits.max_operations = 1;
  limits.max_sensors = 1;
  limits.max_clients_per_bucket = 3;
  limits.max_objects_per_bucket = 100;
  limits.max_distinct_total = 8;
  InventoryBuilder b(limits);
  Line l;
  for (int i = 0; i < 10; ++i) {
    l = Line{};
    l.ts = T(i), l.bucket = "a", l.key = "k" + std::to_string(i % 4),
    l.ip = "203.0.113." + std::to_string(i), l.observer = "tap-" + std::to_string(i % 2);
    Add(b, l);
  }
  l = Line{};
  l.bucket = "a", l.operation = "ListObjectsV2", l.list_keys = 0;
  Add(b, l);
  l = Line{};
  l.bucket = "b", l.key = "x";
  Add(b, l);
  l.bucket = "c";  // past max_buckets
  Add(b, l);
  Add(b, l);

  std::vector<InventoryRow> rows = b.Rows();
  ASSERT_EQ(rows.size(), 2u);
  const InventoryRow& a = rows[0];
  EXPECT_EQ(a.anonymous_successes, 11u);
  EXPECT_EQ(a.operations, (std::map<std::string, uint64_t>{{"GetObject", 10}}));
  EXPECT_EQ(a.operations_other, 1u);
  EXPECT_EQ(a.clients, 3u);  // 10 distinct addresses, 3 remembered
  EXPECT_TRUE(a.clients_lower_bound);
  EXPECT_EQ(a.objects, 4u);  // 3 client hashes + 4 key hashes of the budget of 8
  EXPECT_FALSE(a.objects_lower_bound);
  EXPECT_EQ(a.object_reads, 10u);
  EXPECT_EQ(a.sensors, (std::vector<std::string>{"tap-0"}));
  EXPECT_TRUE(a.sensors_truncated);
  const InventoryRow& r = rows[1];
  EXPECT_EQ(r.bucket, "b");
  EXPECT_EQ(r.clients, 1u);  // the 8th hash
  EXPECT_FALSE(r.clients_lower_bound);
  EXPECT_EQ(r.objects, 0u);  // the budget is spent: a lower bound
  EXPECT_TRUE(r.objects_lower_bound);
  EXPECT_EQ(b.counters().distinct_budget_spent, 1u);
  EXPECT_EQ(b.counters().past_bucket_limit, 2u);
}

}  // namespace
}  // namespace bw::report
