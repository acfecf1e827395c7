#include "sensor/report/object_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace bw::report {
namespace {

struct Read {
  std::string bucket, key, reader;
  TimestampNs ts;
  uint64_t bytes;
  bool partial;
};

std::vector<Read> RandomReads(size_t n, size_t objects, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Read> out;
  for (size_t i = 0; i < n; ++i) {
    size_t o = rng() % objects;
    Read r;
    r.bucket = "s3//b" + std::to_string(o % 3);
    // Keys with the characters the spill format escapes.
    r.key = "k" + std::to_string(o) + (o % 7 == 0 ? "\ttab\\slash\nnl" : "") +
            (o % 5 == 0 ? " space" : "");
    r.reader = "10.0.0." + std::to_string(rng() % 20);
    r.ts = static_cast<TimestampNs>(rng() % 1000000);
    r.bytes = rng() % 1000;
    r.partial = rng() % 4 == 0;
    out.push_back(r);
  }
  return out;
}

std::vector<ObjectRow> Collect(const std::vector<Read>& reads, size_t max_in_memory,
                               uint64_t* spills = nullptr) {
  ObjectStore store(max_in_memory, std::filesystem::temp_directory_path().string());
  for (const auto& r : reads) {
    EXPECT_TRUE(store.Add(r.bucket, r.key, r.ts, r.reader, r.bytes, r.partial));
  }
  EXPECT_TRUE(store.Finish()) << store.error();
  std::vector<ObjectRow> rows;
  ObjectRow row;
  while (store.Next(row)) rows.push_back(row);
  EXPECT_EQ(store.error(), "");
  if (spills) *spills = store.spills();
  return rows;
}

void ExpectSame(const std::vector<ObjectRow>& a, const std::vector<ObjectRow>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].bucket_id, b[i].bucket_id);
    EXPECT_EQ(a[i].key, b[i].key);
    EXPECT_EQ(a[i].first_read, b[i].first_read);
    EXPECT_EQ(a[i].last_read, b[i].last_read);
    EXPECT_EQ(a[i].reads, b[i].reads);
    EXPECT_EQ(a[i].full_reads, b[i].full_reads);
    EXPECT_EQ(a[i].range_reads, b[i].range_reads);
    EXPECT_EQ(a[i].bytes, b[i].bytes);
    EXPECT_EQ(a[i].readers, b[i].readers) << a[i].key;
    EXPECT_EQ(a[i].readers_truncated, b[i].readers_truncated);
  }
}

TEST(ObjectStore, MergesReadsPerObjectInKeyOrder) {
  ObjectStore store(100, std::filesystem::temp_directory_path().string());
  ASSERT_TRUE(store.Add("s3//b", "z", 50, "10.0.0.2", 10, false));
  ASSERT_TRUE(store.Add("s3//b", "a", 70, "10.0.0.1", 5, true));
  ASSERT_TRUE(store.Add("s3//b", "z", 20, "10.0.0.1", 30, true));
  ASSERT_TRUE(store.Add("s3//a", "z", 90, "10.0.0.1", 1, false));
  ASSERT_TRUE(store.Finish());
  ObjectRow r;
  ASSERT_TRUE(store.Next(r));
  EXPECT_EQ(r.bucket_id + " " + r.key, "s3//a z");
  ASSERT_TRUE(store.Next(r));
  EXPECT_EQ(r.bucket_id + " " + r.key, "s3//b a");
  EXPECT_EQ(r.range_reads, 1u);
  ASSERT_TRUE(store.Next(r));
  EXPECT_EQ(r.key, "z");
  EXPECT_EQ(r.first_read, 20);
  EXPECT_EQ(r.last_read, 50);
  EXPECT_EQ(r.reads, 2u);
  EXPECT_EQ(r.full_reads, 1u);
  EXPECT_EQ(r.range_reads, 1u);
  EXPECT_EQ(r.bytes, 40u);
  EXPECT_EQ(r.readers, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_FALSE(store.Next(r));
  EXPECT_EQ(store.spills(), 0u);
}

TEST(ObjectStore, SpillingGivesTheSameTableAsMemory) {
  auto reads = RandomReads(5000, 700, 1);
  auto in_memory = Collect(reads, 1'000'000);
  for (size_t cap : {1u, 2u, 13u, 100u, 699u}) {
    uint64_t spills = 0;
    auto spilled = Collect(reads, cap, &spills);
    EXPECT_GT(spills, 0u) << cap;
    ExpectSame(in_memory, spilled);
  }
}

TEST(ObjectStore, MergesMoreRunsThanTheFanIn) {
  auto reads = RandomReads(3000, 400, 2);
  uint64_t spills = 0;
  auto spilled = Collect(reads, 3, &spills);
  EXPECT_GT(spills, kMaxFanIn * 2);
  ExpectSame(Collect(reads, 1'000'000), spilled);
}

TEST(ObjectStore, ReadersAreCappedAndFlagged) {
  for (size_t cap : {1000u, 2u}) {  // in memory and across spills
    ObjectStore store(cap, std::filesystem::temp_directory_path().string());
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(store.Add("s3//b", "k", i, "10.0.0." + std::to_string(i % 20), 1, false));
      ASSERT_TRUE(store.Add("s3//b", "other" + std::to_string(i), i, "x", 1, false));
    }
    ASSERT_TRUE(store.Finish());
    ObjectRow r;
    ASSERT_TRUE(store.Next(r));
    EXPECT_EQ(r.key, "k");
    EXPECT_EQ(r.reads, 40u);
    EXPECT_EQ(r.readers.size(), kMaxReaders);
    EXPECT_TRUE(r.readers_truncated);
  }
}

TEST(ObjectStore, UnwritableTempDirIsAnError) {
  ObjectStore store(1, "/nonexistent-bucketwatch-dir");
  ASSERT_TRUE(store.Add("s3//b", "a", 1, "x", 1, false));
  EXPECT_FALSE(store.Add("s3//b", "b", 1, "x", 1, false));
  EXPECT_NE(store.error().find("temporary"), std::string::npos);
}

}  // namespace
}  // namespace bw::report
