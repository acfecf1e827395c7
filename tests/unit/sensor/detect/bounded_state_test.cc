// The engine's state is bounded in bytes, not only in entries: names, user agents and server
// names of any length from the packet are stored bounded (the name-spray flood of
// tests/floods found 4 KB bucket names costing ~13 KB of state each).
#include <gtest/gtest.h>
#include <malloc.h>

#include <set>
#include <string>

#include "sensor/detect/detection_engine.h"
#include "tests/unit/sensor/detect/test_util.h"

namespace bw::detect {
namespace {

using storage::Outcome;
using namespace bw::detect::testing;

std::string LongName(char fill, size_t n, const std::string& tail) {
  return std::string(n - tail.size(), fill) + tail;
}

TEST(BoundedState, LongBucketNamesAreCutWithAHashAndStayDistinct) {
  Recorder sink;
  DetectionEngine engine(config::DetectionConfig{}, sink);
  // Two 5000-byte names that differ only after the kept prefix.
  const std::string a = LongName('b', 5000, "-one");
  const std::string b = LongName('b', 5000, "-two");
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List(a, 3));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(1)), List(b, 3));
  auto lists = sink.ByRule("anonymous_list");
  ASSERT_EQ(lists.size(), 2u);  // distinct names: distinct dedup keys
  EXPECT_NE(lists[0].bucket, lists[1].bucket);
  EXPECT_NE(lists[0].dedup_key, lists[1].dedup_key);
  for (const auto& alert : lists) {
    EXPECT_LE(alert.bucket.size(), 256u);
    EXPECT_EQ(alert.bucket.substr(0, 200), std::string(200, 'b'));
    EXPECT_EQ(alert.bucket.substr(200, 4), "...#");
    EXPECT_EQ(alert.bucket.size(), 220u);  // 200 + "...#" + 16 hex digits
    EXPECT_LE(alert.summary.size(), 400u);
    EXPECT_LE(alert.dedup_key.size(), 300u);
  }
  // The same long name again is the same activity: its repeat is suppressed.
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(2)), List(a, 3));
  EXPECT_EQ(sink.ByRule("anonymous_list").size(), 2u);
  EXPECT_EQ(engine.Stats().suppressed[static_cast<size_t>(Rule::kAnonymousList)], 1u);
  EXPECT_EQ(engine.Stats().tracked_activities, 2u);
}

TEST(BoundedState, NamesWithinProviderLimitsAreKeptWhole) {
  Recorder sink;
  DetectionEngine engine(config::DetectionConfig{}, sink);
  const std::string gcs_max(222, 'g');  // the longest bucket name any provider allows
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List(gcs_max, 1));
  ASSERT_EQ(sink.alerts.size(), 2u);  // anonymous_list and new_public_exposure
  for (const Alert& a : sink.alerts) EXPECT_EQ(a.bucket, gcs_max);
  EXPECT_EQ(engine.ExportExposures().buckets.at(0).bucket, gcs_max);
}

TEST(BoundedState, LongNameProbesCountAsDistinctBucketNames) {
  Recorder sink;
  config::DetectionConfig cfg;
  DetectionEngine engine(cfg, sink);
  // 25 probes of 3000-byte names sharing their first 2900 bytes: each a distinct name.
  for (int i = 0; i < 25; ++i) {
    auto ev = List(LongName('p', 3000, "-" + std::to_string(i)), 0, Outcome::kNotFound);
    engine.OnStorageEvent(Ctx("203.0.113.77", kT0 + Sec(i)), ev);
  }
  auto enumeration = sink.ByRule("bucket_enumeration");
  ASSERT_EQ(enumeration.size(), 1u);
  EXPECT_EQ(enumeration[0].counts.distinct_buckets, 20u);  // fired at min_buckets
  std::set<std::string> samples(enumeration[0].sample_keys.begin(),
                                enumeration[0].sample_keys.end());
  EXPECT_EQ(samples.size(), enumeration[0].sample_keys.size());
  for (const auto& name : enumeration[0].sample_keys) EXPECT_LE(name.size(), 256u + 8u);
}

TEST(BoundedState, UserAgentIsCutAtACharacterBoundary) {
  Recorder sink;
  DetectionEngine engine(config::DetectionConfig{}, sink);
  std::string ua(8000, 'u');
  ua.replace(510, 3, "\xE2\x82\xAC");  // a 3-byte UTF-8 sequence across the 512-byte cut
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0, ua), List("ua-bucket", 1));
  ASSERT_EQ(sink.alerts.size(), 2u);  // anonymous_list and new_public_exposure
  for (const Alert& a : sink.alerts) {
    EXPECT_EQ(a.user_agent, std::string(510, 'u'));  // cut before the sequence
  }

  // A TLS server name past DNS limits (253) names no bucket host: nothing of it is kept.
  std::string sni = std::string(1000, 'x') + ".s3.amazonaws.com";
  engine.OnEncryptedFlow(Tls("203.0.113.10", sni, kT0 + Sec(1), kT0 + Sec(2), 1, 1 << 20, true));
  EXPECT_EQ(engine.Stats().encrypted_not_storage, 1u);
  EXPECT_EQ(engine.Stats().tracked_activities, 1u);
}

// --- the byte budget (detection.memory_mib) --------------------------------------------------

// A name spray from many clients: every event adds an activity, a client and a probed name.
void Spray(DetectionEngine& engine, int names, int clients) {
  for (int i = 0; i < names; ++i) {
    std::string client = "10.1." + std::to_string((i % clients) / 250) + "." +
                         std::to_string((i % clients) % 250 + 1);
    auto ev = List("guess-" + std::to_string(i) + "-corp-backups", 0, Outcome::kNotFound);
    engine.OnStorageEvent(Ctx(client, kT0 + i * kNsPerMillisecond), ev);
  }
}

TEST(MemoryBudget, HoldsTheStateUnderTheBudgetByEvictingTheLeastRecentlyUsed) {
  Recorder sink;
  config::DetectionConfig cfg;
  cfg.memory_bytes = 4u << 20;
  DetectionEngine engine(cfg, sink);
  Spray(engine, 40000, 2000);
  DetectionStats s = engine.Stats();
  EXPECT_LE(s.memory_bytes, cfg.memory_bytes);
  EXPECT_GT(s.memory_bytes, cfg.memory_bytes * 9 / 10);  // the budget is used, not wasted
  EXPECT_GT(s.evicted_memory, 0u);
  // The entry caps (100k) never bound: every eviction came from the byte budget.
  EXPECT_EQ(s.evicted_memory,
            s.evicted_activities + s.evicted_clients + s.evicted_dedup + s.evicted_flows);
  EXPECT_LT(s.tracked_activities, 40000u);
  // Detection still works at the budget: the most recent client keeps probing and is flagged.
  size_t before = sink.ByRule("bucket_enumeration").size();
  for (int i = 0; i < 30; ++i) {
    auto ev = List("late-probe-" + std::to_string(i), 0, Outcome::kNotFound);
    engine.OnStorageEvent(Ctx("192.0.2.200", kT0 + Sec(100) + i), ev);
  }
  auto enumeration = sink.ByRule("bucket_enumeration");
  ASSERT_EQ(enumeration.size(), before + 1);
  EXPECT_EQ(enumeration.back().source_ip, "192.0.2.200");
  EXPECT_LE(engine.Stats().memory_bytes, cfg.memory_bytes);
}

TEST(MemoryBudget, ShrinksOnReconfigure) {
  Recorder sink;
  config::DetectionConfig cfg;
  DetectionEngine engine(cfg, sink);
  Spray(engine, 20000, 500);
  uint64_t held = engine.Stats().memory_bytes;
  ASSERT_GT(held, 2u << 20);
  EXPECT_EQ(engine.Stats().evicted_memory, 0u);
  cfg.memory_bytes = held / 2;
  engine.Reconfigure(cfg);
  EXPECT_LE(engine.Stats().memory_bytes, held / 2);
  EXPECT_GT(engine.Stats().evicted_memory, 0u);
}

TEST(MemoryBudget, ReleasesEverythingWhenStateExpires) {
  Recorder sink;
  DetectionEngine engine(config::DetectionConfig{}, sink);
  Spray(engine, 5000, 100);
  for (int i = 0; i < 50; ++i) {
    engine.OnStorageEvent(Ctx("10.9.0.1", kT0 + Sec(1) + i),
                          Read("open-bucket", "obj/" + std::to_string(i), 4096));
  }
  EXPECT_GT(engine.Stats().memory_bytes, 0u);
  // Past every window and dedup period: the accounting returns to exactly zero, so no charge is
  // lost or counted twice on any path (expiry, sweep, erase).
  engine.Advance(kT0 + Sec(3 * 3600));
  engine.Advance(kT0 + Sec(4 * 3600));
  engine.Advance(kT0 + Sec(2 * 86400));  // new_public_exposure's dedup window is a day
  DetectionStats s = engine.Stats();
  EXPECT_EQ(s.tracked_activities + s.tracked_clients + s.tracked_dedup + s.tracked_flows, 0u);
  EXPECT_EQ(s.memory_bytes, 0u);
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && !defined(__has_feature)
#define BW_PLAIN_MALLOC 1
#elif defined(__has_feature)
#if !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer)
#define BW_PLAIN_MALLOC 1
#endif
#endif

#ifdef BW_PLAIN_MALLOC
// The estimate is what glibc malloc really spends: within 25% of the heap's growth.
TEST(MemoryBudget, EstimateMatchesTheHeap) {
  Recorder sink;
  auto engine = std::make_unique<DetectionEngine>(config::DetectionConfig{}, sink);
  size_t before = mallinfo2().uordblks;
  Spray(*engine, 30000, 300);
  for (int i = 0; i < 3000; ++i) {
    engine->OnStorageEvent(
        Ctx("10.9.0." + std::to_string(i % 200 + 1), kT0 + Sec(60) + i),
        Read("bucket-" + std::to_string(i % 500), "k/" + std::to_string(i), 1024));
  }
  sink.alerts.clear();
  sink.alerts.shrink_to_fit();
  double grown = static_cast<double>(mallinfo2().uordblks - before);
  double estimated = static_cast<double>(engine->Stats().memory_bytes);
  EXPECT_GT(estimated, grown * 0.75) << "heap grew " << grown;
  RecordProperty("estimate_to_heap_percent", static_cast<int>(100 * estimated / grown));
  EXPECT_LT(estimated, grown * 1.25) << "heap grew " << grown;
}
#endif

}  // namespace
}  // namespace bw::detect
