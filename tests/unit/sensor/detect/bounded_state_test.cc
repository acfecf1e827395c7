// The engine's state is bounded in bytes, not only in entries: names, user agents and server
// names of any length from the packet are stored bounded (the name-spray flood of
// tests/floods found 4 KB bucket names costing ~13 KB of state each).
#include <gtest/gtest.h>

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
  ASSERT_EQ(sink.alerts.size(), 1u);
  EXPECT_EQ(sink.alerts[0].bucket, gcs_max);
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
  EXPECT_EQ(enumeration[0].counts.distinct_keys, 20u);  // fired at min_buckets
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
  ASSERT_EQ(sink.alerts.size(), 1u);
  EXPECT_EQ(sink.alerts[0].user_agent, std::string(510, 'u'));  // cut before the sequence

  // A TLS server name past DNS limits (253) names no bucket host: nothing of it is kept.
  std::string sni = std::string(1000, 'x') + ".s3.amazonaws.com";
  engine.OnEncryptedFlow(Tls("203.0.113.10", sni, kT0 + Sec(1), kT0 + Sec(2), 1, 1 << 20, true));
  EXPECT_EQ(engine.Stats().encrypted_not_storage, 1u);
  EXPECT_EQ(engine.Stats().tracked_activities, 1u);
}

}  // namespace
}  // namespace bw::detect
