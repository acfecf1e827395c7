// new_public_exposure through the engine: the inventory of exposed buckets, its persistence
// through ExportExposures/RestoreExposures, its bound, the learning period and the allowlists.
// The rule alone is in rules/rules_test.cc, the inventory alone in known_exposures_test.cc.

#include <gtest/gtest.h>

#include "sensor/detect/detection_engine.h"
#include "tests/unit/sensor/detect/test_util.h"

namespace bw::detect {
namespace {

using storage::AuthClass;
using storage::Operation;
using storage::Outcome;
using storage::Provider;
using namespace bw::detect::testing;

constexpr const char* kRule = "new_public_exposure";

storage::StorageEvent Head(const std::string& bucket, const std::string& key,
                           Outcome outcome = Outcome::kSuccess,
                           AuthClass auth = AuthClass::kAnonymous) {
  auto e = Event(Operation::kHeadObject, bucket, outcome, auth);
  e.key = key;
  return e;
}

TEST(NewPublicExposure, FiresOncePerBucketOnItsFirstAnonymousSuccess) {
  Recorder sink;
  DetectionEngine engine(config::DetectionConfig{}, sink);
  // Failures and authenticated successes do not expose a bucket.
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0),
                        Read("private", "k", 10, AuthClass::kAnonymous, Outcome::kDenied));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("private", "k", 10, AuthClass::kSigned));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Head("private", "k", Outcome::kNotFound));
  EXPECT_TRUE(sink.ByRule(kRule).empty());
  // A HEAD is enough: the bucket answered without credentials.
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(1)), Head("leaky", "a.csv"));
  // Later requests, other clients and operations, days later: nothing new.
  engine.OnStorageEvent(Ctx("198.51.100.7", kT0 + Sec(2)), Read("leaky", "a.csv", 100));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(3)), List("leaky", 3));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(3 * 86400)), Read("leaky", "b", 1));
  // Another bucket, and the same name at another provider, are other exposures.
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(4)), List("other", 3));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(5)),
                        Event(Operation::kListBlobs, "leaky", Outcome::kSuccess,
                              AuthClass::kAnonymous, Provider::kAzureBlob, "acct"));

  auto alerts = sink.ByRule(kRule);
  ASSERT_EQ(alerts.size(), 3u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.dedup_key, "new_public_exposure/s3//leaky");
  EXPECT_EQ(a.summary,
            "s3://leaky answered an anonymous request for the first time seen: HeadObject of "
            "a.csv to 203.0.113.9");
  EXPECT_EQ(a.source_ip, "203.0.113.9");
  EXPECT_EQ(a.bucket, "leaky");
  EXPECT_EQ(a.auth_class, "anonymous");
  EXPECT_EQ(a.timestamp, kT0 + Sec(1) + kNsPerMillisecond);
  EXPECT_EQ(alerts[1].dedup_key, "new_public_exposure/s3//other");
  EXPECT_EQ(alerts[2].dedup_key, "new_public_exposure/azure_blob/acct/leaky");
  EXPECT_EQ(engine.Stats().tracked_exposures, 3u);
  EXPECT_EQ(engine.Stats().alerts[static_cast<size_t>(Rule::kNewPublicExposure)]
                                 [static_cast<size_t>(Severity::kHigh)],
            3u);
}

TEST(NewPublicExposure, TheInventorySurvivesARestartWithoutAlertingAgain) {
  Recorder first;
  ExposureInventory saved;
  std::vector<DedupRecord> dedup;
  {
    DetectionEngine engine(config::DetectionConfig{}, first);
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("leaky", "a", 10));
    saved = engine.ExportExposures();
    dedup = engine.ExportDedup();
  }
  ASSERT_EQ(first.ByRule(kRule).size(), 1u);
  ASSERT_EQ(saved.buckets.size(), 1u);
  EXPECT_EQ(saved.started, kT0 + kNsPerMillisecond);

  // Two days later (every dedup window has passed): the restored inventory alone keeps it quiet.
  Recorder second;
  DetectionEngine restarted(config::DetectionConfig{}, second);
  restarted.RestoreDedup(dedup);
  restarted.RestoreExposures(saved);
  restarted.OnStorageEvent(Ctx("198.51.100.7", kT0 + Sec(2 * 86400)), Read("leaky", "b", 10));
  EXPECT_TRUE(second.ByRule(kRule).empty());
  EXPECT_EQ(second.ByRule("anonymous_read").size(), 1u);  // the hourly rule pages again
  restarted.OnStorageEvent(Ctx("198.51.100.7", kT0 + Sec(2 * 86400)), Read("new", "b", 10));
  EXPECT_EQ(second.ByRule(kRule).size(), 1u);

  // Control: without the inventory the same read is a new exposure.
  Recorder fresh_sink;
  DetectionEngine fresh(config::DetectionConfig{}, fresh_sink);
  fresh.OnStorageEvent(Ctx("198.51.100.7", kT0 + Sec(2 * 86400)), Read("leaky", "b", 10));
  EXPECT_EQ(fresh_sink.ByRule(kRule).size(), 1u);
}

TEST(NewPublicExposure, AnEvictedBucketAlertsAgainAfterTheDedupWindow) {
  auto cfg = config::DetectionConfig{};
  cfg.new_public_exposure.max_buckets = 2;
  cfg.new_public_exposure.dedup_window = 3600 * kNsPerSecond;
  Recorder sink;
  DetectionEngine engine(cfg, sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("a", "k", 1));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(1)), Read("b", "k", 1));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(2)), Read("c", "k", 1));  // evicts a
  EXPECT_EQ(engine.Stats().tracked_exposures, 2u);
  EXPECT_EQ(engine.Stats().evicted_exposures, 1u);
  // Within the dedup window a is suppressed (it is recorded again, evicting b)...
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(3)), Read("a", "k", 1));
  EXPECT_EQ(sink.ByRule(kRule).size(), 3u);
  EXPECT_EQ(engine.Stats().suppressed[static_cast<size_t>(Rule::kNewPublicExposure)], 1u);
  // ...after it, b, forgotten, alerts again.
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(7200)), Read("b", "k", 1));
  auto alerts = sink.ByRule(kRule);
  ASSERT_EQ(alerts.size(), 4u);
  EXPECT_EQ(alerts[3].dedup_key, "new_public_exposure/s3//b");
  EXPECT_EQ(engine.Stats().evicted_exposures, 3u);
  // A smaller cap on SIGHUP evicts at once.
  cfg.new_public_exposure.max_buckets = 1;
  engine.Reconfigure(cfg);
  EXPECT_EQ(engine.Stats().tracked_exposures, 1u);
  EXPECT_EQ(engine.Stats().evicted_exposures, 4u);
}

TEST(NewPublicExposure, LearningPeriodRecordsSilentlyFromTheFirstRecordAcrossRestarts) {
  auto cfg = config::DetectionConfig{};
  cfg.new_public_exposure.learning_period = 3600 * kNsPerSecond;
  Recorder sink;
  ExposureInventory saved;
  {
    DetectionEngine engine(cfg, sink);
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("old-1", "k", 1));
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(600)), Read("old-2", "k", 1));
    EXPECT_EQ(engine.Stats().learned_exposures, 2u);
    saved = engine.ExportExposures();
  }
  EXPECT_TRUE(sink.ByRule(kRule).empty());
  EXPECT_EQ(sink.ByRule("anonymous_read").size(), 2u);  // the other rules do not learn
  // A restart inside the hour goes on learning; it does not start a new hour.
  DetectionEngine restarted(cfg, sink);
  restarted.RestoreExposures(saved);
  restarted.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(3000)), Read("old-3", "k", 1));
  EXPECT_TRUE(sink.ByRule(kRule).empty());
  restarted.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(3601)), Read("new", "k", 1));
  restarted.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(3602)), Read("old-1", "k", 1));
  auto alerts = sink.ByRule(kRule);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].bucket, "new");
}

TEST(NewPublicExposure, AllowlistsDisablingAndUnnamedBucketsRecordNothing) {
  auto cfg = config::DetectionConfig{};
  cfg.allowlist.public_buckets = {"s3//www.example.com"};
  cfg.allowlist.trusted_cidrs = {"10.0.0.0/8"};
  Recorder sink;
  DetectionEngine engine(cfg, sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Head("www.example.com", "index.html"));
  engine.OnStorageEvent(Ctx("10.1.2.3", kT0), Read("internal", "k", 1));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0),
                        Event(Operation::kListBuckets, "", Outcome::kSuccess));
  EXPECT_TRUE(sink.ByRule(kRule).empty());
  EXPECT_EQ(engine.Stats().tracked_exposures, 0u);

  // Taken off the allowlist, the public bucket is a new exposure.
  cfg.allowlist.public_buckets.clear();
  engine.Reconfigure(cfg);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(1)), Head("www.example.com", "index.html"));
  EXPECT_EQ(sink.ByRule(kRule).size(), 1u);

  cfg.new_public_exposure.enabled = false;
  engine.Reconfigure(cfg);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(2)), Read("elsewhere", "k", 1));
  EXPECT_EQ(sink.ByRule(kRule).size(), 1u);
  EXPECT_EQ(engine.Stats().tracked_exposures, 1u);  // disabled: not recorded either
}

TEST(NewPublicExposure, AKnownCrawlerLowersItsSeverity) {
  auto cfg = config::DetectionConfig{};
  cfg.allowlist.crawler_user_agents = {"GrayhatWarfare"};
  Recorder sink;
  DetectionEngine engine(cfg, sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0, "GrayhatWarfare/1.0"), List("leaky", 1));
  auto alerts = sink.ByRule(kRule);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].severity, Severity::kMedium);
  EXPECT_TRUE(alerts[0].downgraded);
}

}  // namespace
}  // namespace bw::detect
