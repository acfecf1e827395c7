#include "sensor/detect/detection_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/unit/sensor/detect/test_util.h"

namespace bw::detect {
namespace {

using storage::AuthClass;
using storage::Operation;
using storage::OperationKind;
using storage::Outcome;
using storage::Provider;
using namespace bw::detect::testing;

// The rules of this file alone: new_public_exposure, which fires beside them on a bucket's first
// anonymous success, has its own file (new_public_exposure_test.cc).
config::DetectionConfig Defaults() {
  config::DetectionConfig c;
  c.new_public_exposure.enabled = false;
  return c;
}

// --- anonymous_list ----------------------------------------------------------------------

TEST(AnonymousList, FiresOnTheFirstSuccessfulAnonymousListing) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("contracts-2022", 48));
  ASSERT_EQ(sink.alerts.size(), 1u);
  const Alert& a = sink.alerts[0];
  EXPECT_EQ(a.rule, Rule::kAnonymousList);
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.summary,
            "anonymous ListObjectsV2 of s3://contracts-2022 from 203.0.113.9 succeeded "
            "(1 page, 48 keys)");
  EXPECT_EQ(a.source_ip, "203.0.113.9");
  EXPECT_EQ(a.destination_ip, "198.51.100.20");
  EXPECT_EQ(a.destination_port, 443);
  EXPECT_EQ(a.provider, "s3");
  EXPECT_EQ(a.bucket, "contracts-2022");
  EXPECT_EQ(a.auth_class, "anonymous");
  EXPECT_EQ(a.counts.pages, 1u);
  EXPECT_EQ(a.counts.listed_keys, 48u);
  EXPECT_EQ(a.counts.distinct_keys, 0u);  // no object read yet; listed names are samples
  EXPECT_EQ(a.sample_keys.size(), 20u);   // capped at sample_keys
  EXPECT_EQ(a.dedup_key, "anonymous_list/203.0.113.9/s3//contracts-2022");
  EXPECT_EQ(a.timestamp, kT0 + kNsPerMillisecond);
  EXPECT_EQ(a.user_agent, "curl/7.88.1");
  EXPECT_FALSE(a.encrypted);
  EXPECT_FALSE(a.downgraded);
  ASSERT_EQ(a.operations.size(), 1u);
  EXPECT_EQ(a.operations[0].first, "ListObjectsV2");
}

TEST(AnonymousList, DedupSuppressesRepeatsAndCarriesTheirCount) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  for (int page = 0; page < 5; ++page) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(page)), List("contracts-2022", 48));
  }
  ASSERT_EQ(sink.alerts.size(), 1u);
  EXPECT_EQ(engine.Stats().suppressed[0], 4u);
  // Still inside the hour: suppressed.
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(3599)), List("contracts-2022", 48));
  EXPECT_EQ(sink.alerts.size(), 1u);
  // After the hour: a new alert carrying the 5 suppressed repeats and the cumulative counts.
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(3601)), List("contracts-2022", 48));
  ASSERT_EQ(sink.alerts.size(), 2u);
  EXPECT_EQ(sink.alerts[1].counts.suppressed, 5u);
  EXPECT_EQ(sink.alerts[1].counts.pages, 2u);  // the activity idled out after 10 min
  EXPECT_EQ(engine.Stats().alerts[0][static_cast<size_t>(Severity::kHigh)], 2u);
}

TEST(AnonymousList, DedupSurvivesARestartThroughExportAndRestore) {
  Recorder first;
  std::vector<DedupRecord> saved;
  {
    DetectionEngine engine(Defaults(), first);
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("contracts-2022", 48));
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(1)), List("contracts-2022", 48));
    saved = engine.ExportDedup();
  }
  ASSERT_EQ(first.alerts.size(), 1u);
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].key, "anonymous_list/203.0.113.9/s3//contracts-2022");
  EXPECT_EQ(saved[0].fired, kT0 + kNsPerMillisecond);
  EXPECT_EQ(saved[0].suppressed, 1u);

  // The restarted engine: 6 minutes later the same listing is a repeat, not a page.
  Recorder second;
  DetectionEngine restarted(Defaults(), second);
  restarted.RestoreDedup(saved);
  EXPECT_EQ(restarted.Stats().tracked_dedup, 1u);
  restarted.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(360)), List("contracts-2022", 48));
  EXPECT_TRUE(second.alerts.empty());
  // Past the hour it fires, carrying the repeats of both runs.
  restarted.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(3601)), List("contracts-2022", 48));
  ASSERT_EQ(second.alerts.size(), 1u);
  EXPECT_EQ(second.alerts[0].counts.suppressed, 2u);

  // An engine without the state pages at once (the control).
  Recorder fresh_sink;
  DetectionEngine fresh(Defaults(), fresh_sink);
  fresh.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(360)), List("contracts-2022", 48));
  EXPECT_EQ(fresh_sink.alerts.size(), 1u);
}

TEST(AnonymousList, RestoredDedupIsBoundedByMaxDedupKeys) {
  auto cfg = Defaults();
  cfg.max_dedup_keys = 2;
  Recorder sink;
  DetectionEngine engine(cfg, sink);
  std::vector<DedupRecord> saved;
  for (int i = 0; i < 5; ++i) {
    saved.push_back({"k" + std::to_string(i), kT0 + Sec(i), 3600 * kNsPerSecond, 0});
  }
  saved.push_back({"no-window", kT0, 0, 0});  // refused: a window of 0 never suppresses
  engine.RestoreDedup(saved);
  auto kept = engine.ExportDedup();
  ASSERT_EQ(kept.size(), 2u);  // the most recent two, oldest first
  EXPECT_EQ(kept[0].key, "k3");
  EXPECT_EQ(kept[1].key, "k4");
  EXPECT_EQ(engine.Stats().evicted_dedup, 3u);
}

TEST(AnonymousList, PagesAccumulateWhileTheActivityLives) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.anonymous_list.dedup_window = 60 * kNsPerSecond;
  DetectionEngine engine(cfg, sink);
  for (int page = 0; page < 5; ++page) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(page)), List("contracts-2022", 48));
  }
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(61)), List("contracts-2022", 48));
  ASSERT_EQ(sink.alerts.size(), 2u);
  EXPECT_EQ(sink.alerts[1].summary,
            "anonymous ListObjectsV2 of s3://contracts-2022 from 203.0.113.9 succeeded "
            "(6 pages, 288 keys)");
  EXPECT_EQ(sink.alerts[1].counts.suppressed, 4u);
}

TEST(AnonymousList, DedupKeyIsPerClientAndBucket) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("a", 1));
  engine.OnStorageEvent(Ctx("203.0.113.10", kT0), List("a", 1));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("b", 1));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("a", 1));
  EXPECT_EQ(sink.ByRule("anonymous_list").size(), 3u);
}

TEST(AnonymousList, DeniedNotFoundAndSignedNeverFire) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  auto denied = List("private", 0, Outcome::kDenied);
  denied.error_code = "AccessDenied";
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), denied);
  auto azure = Event(Operation::kListBlobs, "private", Outcome::kDenied, AuthClass::kAnonymous,
                     Provider::kAzureBlob, "acct");
  azure.error_code = "PublicAccessNotPermitted";
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), azure);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("gone", 0, Outcome::kNotFound));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0),
                        List("mine", 10, Outcome::kSuccess, AuthClass::kSigned));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0),
                        List("mine", 10, Outcome::kSuccess, AuthClass::kPresigned));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0),
                        Read("private", "x", 10, AuthClass::kAnonymous, Outcome::kDenied));
  EXPECT_TRUE(sink.alerts.empty());
  auto st = engine.Stats();
  EXPECT_EQ(st.denied, 3u);
  EXPECT_EQ(st.denied_anonymous, 3u);
  EXPECT_EQ(st.not_found, 1u);
  EXPECT_EQ(st.evaluated[0], 0u);
}

TEST(AnonymousList, ListBucketsAndAzureAndGcsForms) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  auto lb = Event(Operation::kListBuckets, "", Outcome::kSuccess);
  lb.list_keys = 3;
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), lb);
  auto az = Event(Operation::kListBlobs, "records", Outcome::kSuccess, AuthClass::kAnonymous,
                  Provider::kAzureBlob, "bluebleed");
  az.list_keys = 5000;
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), az);
  auto gs = Event(Operation::kGcsObjectsList, "media", Outcome::kSuccess, AuthClass::kAnonymous,
                  Provider::kGcs);
  gs.list_keys = 2;
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), gs);
  ASSERT_EQ(sink.alerts.size(), 3u);
  EXPECT_EQ(sink.alerts[0].summary,
            "anonymous ListBuckets of s3:// from 203.0.113.9 succeeded (1 page, 3 keys)");
  EXPECT_EQ(sink.alerts[1].summary,
            "anonymous ListBlobs of az://bluebleed/records from 203.0.113.9 succeeded "
            "(1 page, 5000 keys)");
  EXPECT_EQ(sink.alerts[1].account, "bluebleed");
  EXPECT_EQ(sink.alerts[1].provider, "azure_blob");
  EXPECT_EQ(sink.alerts[2].summary,
            "anonymous objects.list of gs://media from 203.0.113.9 succeeded (1 page, 2 keys)");
}

// --- anonymous_read ----------------------------------------------------------------------

TEST(AnonymousRead, FiresOncePerBucketAcrossClients) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("contracts-2022", "a.pdf", 2048));
  engine.OnStorageEvent(Ctx("203.0.113.77", kT0 + Sec(1)), Read("contracts-2022", "b.pdf", 10));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(2)), Read("other", "c.pdf", 10));
  auto reads = sink.ByRule("anonymous_read");
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].dedup_key, "anonymous_read/s3//contracts-2022");
  EXPECT_EQ(reads[0].summary,
            "anonymous GetObject of s3://contracts-2022/a.pdf served to 203.0.113.9 without "
            "credentials (1 object, 2.0 KiB)");
  EXPECT_EQ(reads[0].counts.objects, 1u);
  EXPECT_EQ(reads[0].counts.bytes, 2048u);
  ASSERT_EQ(reads[0].sample_keys.size(), 1u);
  EXPECT_EQ(reads[0].sample_keys[0], "a.pdf");
  EXPECT_EQ(reads[1].bucket, "other");
  EXPECT_EQ(engine.Stats().suppressed[1], 1u);
}

TEST(AnonymousRead, SignedPresignedHeadAndFailedReadsDoNotFire) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("b", "k", 1, AuthClass::kSigned));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("b", "k", 1, AuthClass::kPresigned));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("b", "k", 1, AuthClass::kBearer));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0),
                        Read("b", "k", 1, AuthClass::kAnonymous, Outcome::kNotFound));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0),
                        Read("b", "k", 1, AuthClass::kAnonymous, Outcome::kNoResponse));
  auto head = Event(Operation::kHeadObject, "b", Outcome::kSuccess);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), head);
  EXPECT_TRUE(sink.alerts.empty());
}

// --- allowlists --------------------------------------------------------------------------

TEST(Allowlists, PublicBucketsSkipAnonymousRulesButNotBulk) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.allowlist.public_buckets = {"s3/*/www.example.com", "azure_blob/cdnacct/*"};
  cfg.bulk_exfiltration.min_objects = 3;
  DetectionEngine engine(cfg, sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("www.example.com", 5));
  for (int i = 0; i < 3; ++i) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(i)),
                          Read("www.example.com", "i" + std::to_string(i), 100));
  }
  auto az = Event(Operation::kGetBlob, "assets", Outcome::kSuccess, AuthClass::kAnonymous,
                  Provider::kAzureBlob, "cdnacct");
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), az);
  EXPECT_TRUE(sink.ByRule("anonymous_list").empty());
  EXPECT_TRUE(sink.ByRule("anonymous_read").empty());
  EXPECT_EQ(sink.ByRule("bulk_exfiltration").size(), 1u);
  EXPECT_EQ(engine.Stats().allowlisted_public_bucket, 5u);
  // A bucket not on the list still fires.
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("www.example.org", 5));
  EXPECT_EQ(sink.ByRule("anonymous_list").size(), 1u);
}

TEST(Allowlists, TrustedCidrsSkipEveryRule) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.allowlist.trusted_cidrs = {"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"};
  DetectionEngine engine(cfg, sink);
  engine.OnStorageEvent(Ctx("10.1.2.3", kT0), List("x", 1));
  engine.OnStorageEvent(Ctx("2001:db8:1::5", kT0), List("x", 1));
  engine.OnStorageEvent(Ctx("192.0.2.7", kT0), Read("x", "k", 1));
  engine.OnEncryptedFlow(Tls("10.9.9.9", "x.s3.amazonaws.com", kT0, kT0, 100, 1 << 20, true));
  EXPECT_TRUE(sink.alerts.empty());
  EXPECT_EQ(engine.Stats().allowlisted_cidr, 4u);
  engine.OnStorageEvent(Ctx("192.0.2.8", kT0), List("x", 1));
  engine.OnStorageEvent(Ctx("2001:db9::1", kT0), List("x", 1));
  EXPECT_EQ(sink.alerts.size(), 2u);
}

TEST(Allowlists, CrawlerUserAgentsDowngradeOneLevel) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.allowlist.crawler_user_agents = {"GrayhatWarfare", "*bucket-stream/*"};
  cfg.anonymous_read.severity = Severity::kInfo;
  DetectionEngine engine(cfg, sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0, "Mozilla/5.0 (grayhatwarfare crawler)"),
                        List("a", 1));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0, "python bucket-stream/1.2"), Read("b", "k", 1));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0, "curl/8"), List("c", 1));
  ASSERT_EQ(sink.alerts.size(), 3u);
  EXPECT_EQ(sink.alerts[0].severity, Severity::kMedium);
  EXPECT_TRUE(sink.alerts[0].downgraded);
  EXPECT_EQ(sink.alerts[1].severity, Severity::kInfo);  // already the lowest
  EXPECT_TRUE(sink.alerts[1].downgraded);
  EXPECT_EQ(sink.alerts[2].severity, Severity::kHigh);
  EXPECT_FALSE(sink.alerts[2].downgraded);
  EXPECT_EQ(engine.Stats().crawler_downgraded, 2u);
}

// --- bucket_enumeration -------------------------------------------------------------------

void Probe(DetectionEngine& engine, const std::string& client, int i, TimestampNs ts,
           Outcome outcome) {
  engine.OnStorageEvent(Ctx(client, ts),
                        List("guess-" + std::to_string(i), 0, outcome, AuthClass::kAnonymous));
}

TEST(BucketEnumeration, FiresAtTheTwentiethDistinctMostlyMissingName) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  for (int i = 0; i < 19; ++i) Probe(engine, "203.0.113.9", i, kT0 + Sec(i), Outcome::kNotFound);
  // Repeating a name does not add a distinct one.
  Probe(engine, "203.0.113.9", 3, kT0 + Sec(19), Outcome::kNotFound);
  EXPECT_TRUE(sink.ByRule("bucket_enumeration").empty());
  Probe(engine, "203.0.113.9", 19, kT0 + Sec(20), Outcome::kDenied);
  auto e = sink.ByRule("bucket_enumeration");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].counts.distinct_buckets, 20u);
  EXPECT_EQ(e[0].counts.requests, 21u);
  EXPECT_EQ(e[0].counts.not_found, 20u);
  EXPECT_EQ(e[0].counts.denied, 1u);
  EXPECT_EQ(e[0].severity, Severity::kMedium);
  EXPECT_EQ(e[0].dedup_key, "bucket_enumeration/203.0.113.9");
  EXPECT_EQ(e[0].sample_keys.front(), "s3://guess-19");
  EXPECT_EQ(e[0].sample_keys.size(), 20u);
  EXPECT_EQ(e[0].summary,
            "203.0.113.9 probed 20 bucket names in 5 min (20 not found, denied or unanswered; "
            "21 requests)");
  EXPECT_EQ(e[0].first_seen, kT0 + kNsPerMillisecond);
  // Further probes are suppressed repeats.
  Probe(engine, "203.0.113.9", 20, kT0 + Sec(21), Outcome::kNotFound);
  EXPECT_EQ(sink.ByRule("bucket_enumeration").size(), 1u);
  EXPECT_EQ(engine.Stats().suppressed[2], 1u);
}

TEST(BucketEnumeration, NamesOutsideTheWindowDoNotCount) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  // One probe every 16 s: 20 names span 304 s > 300 s, so at most 19 are ever in the window.
  for (int i = 0; i < 40; ++i) {
    Probe(engine, "203.0.113.9", i, kT0 + Sec(16 * i), Outcome::kNotFound);
  }
  EXPECT_TRUE(sink.ByRule("bucket_enumeration").empty());
  // One every 15 s: 20 names within 285 s fire (packet time continues after the first run).
  for (int i = 0; i < 20; ++i) {
    Probe(engine, "203.0.113.10", i, kT0 + Sec(1000 + 15 * i), Outcome::kNotFound);
  }
  EXPECT_EQ(sink.ByRule("bucket_enumeration").size(), 1u);
}

// Issue 17 item 1: a name spray split by a restart still adds up to one alert.
TEST(BucketEnumeration, ASprayInProgressContinuesAfterARestart) {
  Recorder first;
  OpenWindows saved;
  {
    DetectionEngine engine(Defaults(), first);
    for (int i = 0; i < 12; ++i) Probe(engine, "203.0.113.9", i, kT0 + Sec(i), Outcome::kNotFound);
    saved = engine.ExportWindows(1 << 20);
  }
  ASSERT_EQ(saved.probes.size(), 1u);
  EXPECT_EQ(saved.probes[0].names.size(), 12u);
  Recorder second;
  DetectionEngine restarted(Defaults(), second);
  restarted.RestoreWindows(saved);
  for (int i = 12; i < 19; ++i) {
    Probe(restarted, "203.0.113.9", i, kT0 + Sec(60 + i), Outcome::kNotFound);
  }
  Probe(restarted, "203.0.113.9", 3, kT0 + Sec(80), Outcome::kNotFound);  // not a new name
  EXPECT_TRUE(second.ByRule("bucket_enumeration").empty());
  Probe(restarted, "203.0.113.9", 19, kT0 + Sec(81), Outcome::kNotFound);
  auto e = second.ByRule("bucket_enumeration");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].counts.distinct_buckets, 20u);
  EXPECT_EQ(e[0].counts.requests, 21u);
  EXPECT_EQ(e[0].first_seen, kT0 + kNsPerMillisecond);
}

TEST(BucketEnumeration, MostlyExistingBucketsDoNotFire) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  // One name in three missing: never half.
  for (int i = 0; i < 30; ++i) {
    Probe(engine, "203.0.113.9", i, kT0 + Sec(i),
          i % 3 == 0 ? Outcome::kNotFound : Outcome::kSuccess);
  }
  // 20 names, 9 missing: 9 < 0.5 * 20.
  for (int i = 0; i < 20; ++i) {
    Probe(engine, "203.0.113.10", i, kT0 + Sec(40 + i),
          i < 9 ? Outcome::kNotFound : Outcome::kSuccess);
  }
  EXPECT_TRUE(sink.ByRule("bucket_enumeration").empty());
  // Ratio edge (>=): 20 names, exactly 10 missing.
  for (int i = 0; i < 20; ++i) {
    Probe(engine, "203.0.113.11", i, kT0 + Sec(70 + i),
          i % 2 ? Outcome::kNotFound : Outcome::kSuccess);
  }
  auto e = sink.ByRule("bucket_enumeration");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].source_ip, "203.0.113.11");
}

TEST(BucketEnumeration, ThresholdsAreConfigurable) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.bucket_enumeration.min_buckets = 3;
  cfg.bucket_enumeration.min_failure_ratio = 1.0;
  cfg.bucket_enumeration.severity = Severity::kCritical;
  DetectionEngine engine(cfg, sink);
  Probe(engine, "203.0.113.9", 0, kT0, Outcome::kNotFound);
  Probe(engine, "203.0.113.9", 1, kT0, Outcome::kSuccess);
  Probe(engine, "203.0.113.9", 2, kT0, Outcome::kNotFound);
  EXPECT_TRUE(sink.ByRule("bucket_enumeration").empty());
  Probe(engine, "203.0.113.11", 0, kT0, Outcome::kNoResponse);  // unanswered vhost probes count
  Probe(engine, "203.0.113.11", 1, kT0, Outcome::kNotFound);
  Probe(engine, "203.0.113.11", 2, kT0, Outcome::kDenied);
  auto e = sink.ByRule("bucket_enumeration");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].severity, Severity::kCritical);
}

TEST(BucketEnumeration, TlsServerNamesOfDistinctBucketsCount) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  for (int i = 0; i < 20; ++i) {
    std::string sni = "corp-backup-" + std::to_string(i) + ".s3.us-east-1.amazonaws.com";
    engine.OnEncryptedFlow(
        Tls("203.0.113.9", sni, kT0 + Sec(i), kT0 + Sec(i), 1, 300, true, 50000 + i));
  }
  auto e = sink.ByRule("bucket_enumeration");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].encrypted);
  EXPECT_EQ(e[0].counts.distinct_buckets, 20u);
  EXPECT_EQ(e[0].sample_keys.front(), "s3://corp-backup-19");
  EXPECT_EQ(e[0].server_name, "corp-backup-19.s3.us-east-1.amazonaws.com");
  // Non-storage names are counted and ignored.
  engine.OnEncryptedFlow(Tls("203.0.113.9", "www.example.com", kT0, kT0, 1, 1, true));
  EXPECT_EQ(engine.Stats().encrypted_not_storage, 1u);
}

// --- bulk_exfiltration ---------------------------------------------------------------------

TEST(BulkExfiltration, FiftyObjectsWithinTenMinutes) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  // One read every 12 s: the 50th comes 588 s after the first.
  for (int i = 0; i < 49; ++i) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(12 * i)),
                          Read("data-lake", "o" + std::to_string(i), 1000, AuthClass::kSigned));
  }
  EXPECT_TRUE(sink.ByRule("bulk_exfiltration").empty());
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(12 * 49)),
                        Read("data-lake", "o49", 1000, AuthClass::kSigned));
  auto b = sink.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].counts.objects, 50u);
  EXPECT_EQ(b[0].counts.distinct_keys, 50u);
  // Object bytes count; the messages that carried them (heads included) are kept apart.
  EXPECT_EQ(b[0].counts.bytes, 50000u);
  EXPECT_EQ(b[0].counts.message_bytes, 50000u + 50 * kResponseHeadBytes);
  EXPECT_EQ(b[0].counts.tls_wire_bytes, 0u);
  EXPECT_EQ(b[0].auth_class, "signed");
  EXPECT_EQ(b[0].dedup_key, "bulk_exfiltration/203.0.113.9/s3//data-lake");
  EXPECT_EQ(b[0].summary,
            "203.0.113.9 read 50 objects (48.8 KiB) from s3://data-lake within 10 min (signed)");
  EXPECT_EQ(b[0].sample_keys.size(), 20u);
}

TEST(BulkExfiltration, SlowReadsSlideOutOfTheWindow) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  // One read every 13 s: any 10 min holds at most 47 of them.
  for (int i = 0; i < 200; ++i) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(13 * i)),
                          Read("data-lake", "o" + std::to_string(i), 1000, AuthClass::kSigned));
  }
  EXPECT_TRUE(sink.ByRule("bulk_exfiltration").empty());
}

TEST(BulkExfiltration, OneGibibyteFiresWithFewObjects) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0),
                        Read("data-lake", "big1", (1ull << 29), AuthClass::kSigned));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(5)),
                        Read("data-lake", "big2", (1ull << 29) - 1, AuthClass::kSigned));
  EXPECT_TRUE(sink.ByRule("bulk_exfiltration").empty());
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(6)),
                        Read("data-lake", "big3", 1, AuthClass::kSigned));
  auto b = sink.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].counts.bytes, 1ull << 30);
}

TEST(BulkExfiltration, PerClientAndBucketWithDedup) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.bulk_exfiltration.min_objects = 5;
  cfg.bulk_exfiltration.dedup_window = 100 * kNsPerSecond;
  DetectionEngine engine(cfg, sink);
  for (int i = 0; i < 4; ++i) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("a", "k" + std::to_string(i), 1));
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("b", "k" + std::to_string(i), 1));
    engine.OnStorageEvent(Ctx("203.0.113.10", kT0), Read("a", "k" + std::to_string(i), 1));
  }
  EXPECT_TRUE(sink.ByRule("bulk_exfiltration").empty());
  for (int i = 4; i < 10; ++i) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(i)), Read("a", "k" + std::to_string(i), 1));
  }
  EXPECT_EQ(sink.ByRule("bulk_exfiltration").size(), 1u);
  EXPECT_EQ(engine.Stats().suppressed[3], 5u);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(101)), Read("a", "k", 1));
  EXPECT_EQ(sink.ByRule("bulk_exfiltration").size(), 1u);  // 97 s after the alert
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(105)), Read("a", "k", 1));
  // Past the dedup window, the bulk window still holds 12 reads (>= 5): fires again, carrying
  // the 6 suppressed repeats.
  auto b = sink.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].counts.suppressed, 6u);
  EXPECT_EQ(b[1].counts.objects, 12u);
}

TEST(BulkExfiltration, EncryptedFlowsCountTurnsAndBytesBySni) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  const std::string sni = "data-lake.s3.amazonaws.com";
  // Progress reports with cumulative totals; the engine works on the increments.
  engine.OnEncryptedFlow(Tls("203.0.113.9", sni, kT0, kT0 + Sec(1), 20, 20 * 4096, false));
  engine.OnEncryptedFlow(Tls("203.0.113.9", sni, kT0, kT0 + Sec(2), 49, 49 * 4096, false));
  engine.OnEncryptedFlow(Tls("203.0.113.9", sni, kT0, kT0 + Sec(2), 49, 49 * 4096, false));
  EXPECT_TRUE(sink.ByRule("bulk_exfiltration").empty());
  engine.OnEncryptedFlow(Tls("203.0.113.9", sni, kT0, kT0 + Sec(3), 60, 60 * 4096, true));
  auto b = sink.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b[0].encrypted);
  EXPECT_EQ(b[0].counts.objects, 60u);
  EXPECT_EQ(b[0].counts.bytes, 60u * 4096);
  EXPECT_EQ(b[0].counts.tls_wire_bytes, 60u * 4096);  // says counts.bytes are wire bytes
  EXPECT_EQ(b[0].counts.message_bytes, 60u * 4096);
  EXPECT_EQ(b[0].bucket, "data-lake");
  EXPECT_EQ(b[0].provider, "s3");
  EXPECT_EQ(b[0].server_name, sni);
  EXPECT_EQ(b[0].auth_class, "unknown");
  EXPECT_EQ(b[0].destination_ip, "198.51.100.30");
  EXPECT_EQ(b[0].first_seen, kT0);
  EXPECT_EQ(b[0].summary,
            "203.0.113.9 read 60 objects (240.0 KiB on the wire) from s3://data-lake within 10 min "
            "over TLS (data-lake.s3.amazonaws.com; objects counted as request/response turns, "
            "bytes as TLS application data)");
  EXPECT_TRUE(sink.ByRule("anonymous_read").empty());
  EXPECT_TRUE(sink.ByRule("bucket_enumeration").empty());
  EXPECT_EQ(engine.Stats().tracked_flows, 0u);  // final summary forgets the flow
}

// Issue 17 item 1: a bulk read in progress when the sensor stops goes on counting after the
// restart, carrying what was seen before it, instead of starting over.
TEST(BulkExfiltration, AnOpenWindowSurvivesARestartThroughExportAndRestore) {
  auto read = [](DetectionEngine& engine, int i) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(6 * i)),
                          Read("data-lake", "o" + std::to_string(i), 1000));
  };
  Recorder first;
  OpenWindows saved;
  {
    DetectionEngine engine(Defaults(), first);
    for (int i = 0; i < 30; ++i) read(engine, i);
    saved = engine.ExportWindows(1 << 20);
  }
  EXPECT_TRUE(first.ByRule("bulk_exfiltration").empty());
  ASSERT_EQ(saved.reads.size(), 1u);
  EXPECT_EQ(saved.reads[0].facts.bucket, "data-lake");
  EXPECT_EQ(saved.reads[0].distinct.size(), 30u);
  EXPECT_EQ(saved.left_out, 0u);

  Recorder second;
  DetectionEngine restarted(Defaults(), second);
  restarted.RestoreWindows(saved);
  EXPECT_EQ(restarted.Stats().tracked_activities, 1u);
  // A key read before the restart is not a new distinct key after it.
  restarted.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(180)), Read("data-lake", "o0", 1000));
  for (int i = 31; i < 49; ++i) read(restarted, i);
  EXPECT_TRUE(second.ByRule("bulk_exfiltration").empty());
  read(restarted, 49);
  auto b = second.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].counts.objects, 50u);
  EXPECT_EQ(b[0].counts.distinct_keys, 49u);  // o0 twice, o30 never
  EXPECT_EQ(b[0].counts.bytes, 50000u);
  EXPECT_EQ(b[0].first_seen, kT0 + kNsPerMillisecond);
  EXPECT_EQ(b[0].sample_keys.front(), "o0");
  EXPECT_EQ(b[0].summary,
            "203.0.113.9 read 50 objects (48.8 KiB) from s3://data-lake within 10 min "
            "(anonymous)");

  // Without the saved window the same reads after the restart stay under the threshold.
  Recorder fresh_sink;
  DetectionEngine fresh(Defaults(), fresh_sink);
  for (int i = 31; i < 50; ++i) read(fresh, i);
  EXPECT_TRUE(fresh_sink.ByRule("bulk_exfiltration").empty());
}

TEST(BulkExfiltration, AWindowThatClosedWhileTheSensorWasDownDoesNotCount) {
  Recorder first;
  OpenWindows saved;
  {
    DetectionEngine engine(Defaults(), first);
    for (int i = 0; i < 49; ++i) {
      engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(i)),
                            Read("data-lake", "o" + std::to_string(i), 1000));
    }
    saved = engine.ExportWindows(1 << 20);
  }
  Recorder second;
  DetectionEngine restarted(Defaults(), second);
  restarted.RestoreWindows(saved);
  // Back 11 minutes later: the 49 reads left the 10-minute window while the sensor was down.
  restarted.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(660)), Read("data-lake", "late", 1000));
  EXPECT_TRUE(second.ByRule("bulk_exfiltration").empty());
  EXPECT_TRUE(restarted.ExportWindows(1 << 20).reads.size() == 1u);
  EXPECT_EQ(restarted.ExportWindows(1 << 20).reads[0].slots.size(), 1u);
}

TEST(BulkExfiltration, ExportKeepsTheNewestWindowsWithinItsBudget) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  for (int c = 0; c < 50; ++c) {
    engine.OnStorageEvent(Ctx("203.0.113." + std::to_string(c), kT0 + Sec(c)),
                          Read("data-lake", "o", 1000));
  }
  // Each client read (50 read windows) and addressed a bucket name (50 probe windows).
  OpenWindows all = engine.ExportWindows(1 << 20);
  ASSERT_EQ(all.reads.size(), 50u);
  ASSERT_EQ(all.probes.size(), 50u);
  EXPECT_EQ(all.left_out, 0u);
  OpenWindows some = engine.ExportWindows(20000);  // 10,000 bytes for each kind
  ASSERT_GT(some.reads.size(), 0u);
  ASSERT_LT(some.reads.size(), 50u);
  EXPECT_EQ(some.left_out, 100u - some.reads.size() - some.probes.size());
  EXPECT_EQ(some.reads.back().facts.client.ToString(), "203.0.113.49");  // the newest kept
  EXPECT_EQ(some.probes.back().facts.client.ToString(), "203.0.113.49");
  EXPECT_EQ(engine.ExportWindows(0).left_out, 100u);
}

TEST(BulkExfiltration, EncryptedFlowsAddUpAcrossConnections) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  for (int conn = 0; conn < 5; ++conn) {
    engine.OnEncryptedFlow(Tls("203.0.113.9", "acct.blob.core.windows.net", kT0 + Sec(conn),
                               kT0 + Sec(conn + 1), 10, 1000, true, 50000 + conn));
  }
  auto b = sink.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].provider, "azure_blob");
  EXPECT_EQ(b[0].account, "acct");
  EXPECT_EQ(b[0].counts.objects, 50u);
}

// Issue 16: path-style HTTPS names only the service (s3.amazonaws.com); the bucket is in the
// encrypted path. Bulk transfer still alerts, keyed on client and endpoint.
TEST(BulkExfiltration, PathStyleTlsAlertsOnTheEndpointWithoutABucket) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.allowlist.trusted_cidrs = {"192.0.2.0/24"};
  DetectionEngine engine(cfg, sink);
  const std::string sni = "s3.amazonaws.com";
  engine.OnEncryptedFlow(Tls("203.0.113.9", sni, kT0, kT0 + Sec(1), 30, 30 * 900, false));
  // Another endpoint is another activity: 30 + 25 must not add up.
  engine.OnEncryptedFlow(
      Tls("203.0.113.9", "s3.eu-west-1.amazonaws.com", kT0, kT0 + Sec(1), 25, 1, true, 50001));
  engine.OnEncryptedFlow(Tls("192.0.2.5", sni, kT0, kT0 + Sec(1), 80, 1, true, 50002));
  EXPECT_TRUE(sink.ByRule("bulk_exfiltration").empty());
  engine.OnEncryptedFlow(Tls("203.0.113.9", sni, kT0, kT0 + Sec(2), 60, 60 * 900, true));
  auto b = sink.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].counts.objects, 60u);
  EXPECT_EQ(b[0].counts.tls_wire_bytes, 60u * 900);
  EXPECT_EQ(b[0].bucket, "");
  EXPECT_EQ(b[0].endpoint, "s3.amazonaws.com");
  EXPECT_EQ(b[0].dedup_key, "bulk_exfiltration/203.0.113.9/s3/endpoint/s3.amazonaws.com");
  EXPECT_EQ(b[0].summary,
            "203.0.113.9 read 60 objects (52.7 KiB on the wire) from the S3 endpoint "
            "s3.amazonaws.com (bucket not visible: path-style requests carry it in the encrypted "
            "path) within 10 min over TLS (s3.amazonaws.com; objects counted as request/response "
            "turns, bytes as TLS application data)");
  auto j = nlohmann::json::parse(b[0].ToJson());
  EXPECT_FALSE(j["storage"].contains("bucket"));
  EXPECT_EQ(j["storage"]["endpoint"], "s3.amazonaws.com");
  EXPECT_EQ(j["storage"]["bucket_visible"], false);
  EXPECT_EQ(j["storage"]["provider"], "s3");
  // A service name is not a bucket name: no probe, whatever the number of connections.
  EXPECT_TRUE(sink.ByRule("bucket_enumeration").empty());
  EXPECT_EQ(engine.Stats().allowlisted_cidr, 1u);
  // Repeats within the dedup window are suppressed like any other bulk alert.
  engine.OnEncryptedFlow(Tls("203.0.113.9", sni, kT0, kT0 + Sec(3), 10, 1, true, 50003));
  EXPECT_EQ(sink.ByRule("bulk_exfiltration").size(), 1u);
  EXPECT_EQ(engine.Stats().suppressed[3], 1u);
  // A bucket's own name stays its own activity.
  auto vhost = nlohmann::json::parse(Alert{}.ToJson());
  EXPECT_FALSE(vhost["storage"].contains("bucket_visible"));
}

// A self-hosted store behind TLS (placement (a) in the README): its name is storage only
// because the operator listed it in storage.endpoints, and then bulk reads alert on it.
TEST(BulkExfiltration, TlsToAConfiguredEndpointAlertsWithoutABucket) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  storage::EndpointRule minio;
  minio.host_pattern = "minio.corp.example";
  engine.SetStorageEndpoints({minio});
  engine.OnEncryptedFlow(Tls("203.0.113.9", "minio.corp.example", kT0, kT0 + Sec(2), 60, 60, true));
  auto b = sink.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].provider, "s3_compatible");
  EXPECT_EQ(b[0].endpoint, "minio.corp.example");
  EXPECT_EQ(b[0].bucket, "");
  DetectionEngine plain(Defaults(), sink);
  plain.OnEncryptedFlow(Tls("203.0.113.9", "minio.corp.example", kT0, kT0 + Sec(2), 60, 60, true));
  EXPECT_EQ(sink.ByRule("bulk_exfiltration").size(), 1u);
  EXPECT_EQ(plain.Stats().encrypted_not_storage, 1u);
}

// --- memory bounds, packet time, reconfiguration -----------------------------------------

TEST(Bounds, TrackedKeysAreCappedWithLruEviction) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.max_tracked_keys = 10;
  cfg.max_clients = 5;
  cfg.max_dedup_keys = 8;
  cfg.anonymous_read.enabled = false;
  DetectionEngine engine(cfg, sink);
  for (int i = 0; i < 30; ++i) {
    engine.OnStorageEvent(Ctx("203.0.113." + std::to_string(i), kT0),
                          List("b" + std::to_string(i), 1));
  }
  auto st = engine.Stats();
  EXPECT_EQ(st.tracked_activities, 10u);
  EXPECT_EQ(st.evicted_activities, 20u);
  EXPECT_EQ(st.tracked_clients, 5u);
  EXPECT_EQ(st.evicted_clients, 25u);
  EXPECT_EQ(st.tracked_dedup, 8u);
  EXPECT_EQ(st.evicted_dedup, 22u);
  EXPECT_EQ(sink.alerts.size(), 30u);
  // The most recent key is still deduplicated; the evicted oldest fires again.
  engine.OnStorageEvent(Ctx("203.0.113.29", kT0), List("b29", 1));
  EXPECT_EQ(sink.alerts.size(), 30u);
  engine.OnStorageEvent(Ctx("203.0.113.0", kT0), List("b0", 1));
  EXPECT_EQ(sink.alerts.size(), 31u);
}

TEST(Bounds, DistinctNamesPerClientAreCapped) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.max_distinct = 16;
  cfg.bucket_enumeration.min_buckets = 17;
  DetectionEngine engine(cfg, sink);
  for (int i = 0; i < 40; ++i) Probe(engine, "203.0.113.9", i, kT0, Outcome::kNotFound);
  EXPECT_TRUE(sink.alerts.empty());  // can never hold more than 16 names
  EXPECT_EQ(engine.Stats().evicted_probe_names, 24u);
}

TEST(Bounds, DistinctKeysExactUpToTheCapThenAnUpperBound) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.max_distinct = 4;
  cfg.bulk_exfiltration.min_objects = 12;
  DetectionEngine engine(cfg, sink);
  for (int i = 0; i < 12; ++i) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0),
                          Read("b", "k" + std::to_string(i % 6), 1, AuthClass::kSigned));
  }
  auto b = sink.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 1u);
  // k0..k3 exact; k4, k5 each counted on both of their reads.
  EXPECT_EQ(b[0].counts.distinct_keys, 8u);
}

TEST(Bounds, EngineWideDistinctBudgetIsSharedAndReleased) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.max_distinct_total = 3;
  cfg.bulk_exfiltration.min_objects = 6;
  cfg.bucket_enumeration.min_buckets = 2;
  DetectionEngine engine(cfg, sink);
  for (const char* key : {"k0", "k1", "k2", "k3", "k3", "k3"}) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("b", key, 1, AuthClass::kSigned));
  }
  auto b = sink.ByRule("bulk_exfiltration");
  ASSERT_EQ(b.size(), 1u);
  // The budget of 3 holds k0, the probed name s3://b and k1; k2 and the three k3 reads are
  // beyond it and each counted as new: 2 + 4, an upper bound of the true 4.
  EXPECT_EQ(b[0].counts.distinct_keys, 6u);
  // The budget is exhausted: a new client's probed names cannot be remembered.
  Probe(engine, "203.0.113.50", 1, kT0 + Sec(1), Outcome::kNotFound);
  Probe(engine, "203.0.113.50", 2, kT0 + Sec(1), Outcome::kNotFound);
  EXPECT_TRUE(sink.ByRule("bucket_enumeration").empty());
  EXPECT_EQ(engine.Stats().evicted_probe_names, 2u);
  // Once the first client's state expires, the budget is free again.
  engine.Advance(kT0 + Sec(1000));
  Probe(engine, "203.0.113.51", 1, kT0 + Sec(1001), Outcome::kNotFound);
  Probe(engine, "203.0.113.51", 2, kT0 + Sec(1001), Outcome::kNotFound);
  EXPECT_EQ(sink.ByRule("bucket_enumeration").size(), 1u);
}

TEST(Bounds, SampleKeysAreCutAtAUtf8Boundary) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  std::string key;
  for (int i = 0; i < 300; ++i) key += "\xC3\xA9";  // 600 bytes of U+00E9
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("b", key, 1));
  ASSERT_EQ(sink.alerts.size(), 1u);
  ASSERT_EQ(sink.alerts[0].sample_keys.size(), 1u);
  const std::string& cut = sink.alerts[0].sample_keys[0];
  EXPECT_LE(cut.size(), 256u);
  EXPECT_GE(cut.size(), 254u);
  EXPECT_EQ(cut.size() % 2, 0u);
  EXPECT_EQ(cut, key.substr(0, cut.size()));
}

TEST(PacketTime, AdvanceExpiresStateAndIgnoresOlderTime) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("a", 1));
  EXPECT_EQ(engine.Stats().tracked_activities, 1u);
  EXPECT_EQ(engine.Stats().tracked_dedup, 1u);
  engine.Advance(kT0 + Sec(599));
  EXPECT_EQ(engine.Stats().tracked_activities, 1u);
  engine.Advance(kT0 + Sec(601));
  EXPECT_EQ(engine.Stats().tracked_activities, 0u);
  EXPECT_EQ(engine.Stats().tracked_clients, 0u);
  engine.Advance(kT0 + Sec(3590));
  EXPECT_EQ(engine.Stats().tracked_dedup, 1u);
  engine.Advance(kT0);  // older: ignored
  engine.Advance(kT0 + Sec(3602));
  EXPECT_EQ(engine.Stats().tracked_dedup, 0u);
}

TEST(PacketTime, ReplayIsDeterministic) {
  auto run = [] {
    Recorder sink;
    DetectionEngine engine(Defaults(), sink);
    for (int i = 0; i < 300; ++i) {
      TimestampNs ts = kT0 + Sec(i * 3);
      engine.OnStorageEvent(Ctx("203.0.113." + std::to_string(i % 3), ts),
                            i % 7 ? Read("bk" + std::to_string(i % 5), "k" + std::to_string(i), 10)
                                  : List("g" + std::to_string(i), 0, Outcome::kNotFound));
      engine.Advance(ts);
    }
    std::string out;
    for (const auto& a : sink.alerts) out += a.ToJson() + "\n";
    return out;
  };
  std::string first = run();
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, run());
}

TEST(Reconfigure, NewThresholdsApplyToTheNextEvent) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  for (int i = 0; i < 10; ++i) {
    engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(i)),
                          Read("b", "k" + std::to_string(i), 1, AuthClass::kSigned));
  }
  EXPECT_TRUE(sink.alerts.empty());
  auto cfg = Defaults();
  cfg.bulk_exfiltration.min_objects = 11;
  cfg.allowlist.trusted_cidrs = {"198.18.0.0/15"};
  cfg.max_tracked_keys = 1;
  engine.Reconfigure(cfg);
  engine.OnStorageEvent(Ctx("198.18.0.1", kT0 + Sec(10)), List("z", 1));
  EXPECT_TRUE(sink.alerts.empty());
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(10)), Read("b", "k10", 1, AuthClass::kSigned));
  ASSERT_EQ(sink.alerts.size(), 1u);
  EXPECT_EQ(sink.alerts[0].rule, Rule::kBulkExfiltration);
  cfg.enabled = false;
  engine.Reconfigure(cfg);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0 + Sec(11)), List("new", 1));
  EXPECT_EQ(sink.alerts.size(), 1u);
}

TEST(Reconfigure, DisabledRulesStaySilent) {
  Recorder sink;
  auto cfg = Defaults();
  cfg.anonymous_list.enabled = false;
  cfg.anonymous_read.enabled = false;
  DetectionEngine engine(cfg, sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("a", 1));
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), Read("a", "k", 1));
  EXPECT_TRUE(sink.alerts.empty());
}

// --- threads -----------------------------------------------------------------------------

class CountingSink : public AlertSink {
 public:
  void OnAlert(const Alert& alert) override {
    std::lock_guard<std::mutex> lock(mutex_);
    rules_.push_back(RuleName(alert.rule));
  }
  size_t Count(const std::string& rule) {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<size_t>(std::count(rules_.begin(), rules_.end(), rule));
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> rules_;
};

// The engine has one caller (the output stage); only Stats() is read from another thread (the
// metrics server) while it runs. The two clients' records arrive interleaved, as two workers'
// records do once the output stage merges them.
TEST(Threads, StatsAreReadWhileTheEngineRuns) {
  CountingSink sink;
  DetectionEngine engine(Defaults(), sink);
  std::atomic<bool> done{false};
  std::thread metrics([&] {
    uint64_t seen = 0;
    while (!done.load()) {
      uint64_t n = engine.Stats().storage_events;
      EXPECT_GE(n, seen);  // one writer: never goes back
      seen = n;
    }
  });
  for (int i = 0; i < 2000; ++i) {
    TimestampNs ts = kT0 + Sec(i * 0.01);
    for (int id : {1, 2}) {
      std::string client = "203.0.113." + std::to_string(id);
      engine.OnStorageEvent(Ctx(client, ts), List("shared", 1));
      engine.OnStorageEvent(Ctx(client, ts), Read("shared", "k" + std::to_string(i), 10));
      engine.OnEncryptedFlow(Tls(client, "tls-bucket.s3.amazonaws.com", ts, ts, 1, 10, true,
                                 static_cast<uint16_t>(i)));
    }
    if (i % 100 == 0) engine.Advance(ts);
  }
  done = true;
  metrics.join();
  EXPECT_EQ(sink.Count("anonymous_list"), 2u);     // one per client
  EXPECT_EQ(sink.Count("anonymous_read"), 1u);     // one per bucket
  EXPECT_EQ(sink.Count("bulk_exfiltration"), 4u);  // per client: plaintext bucket + TLS bucket
  auto st = engine.Stats();
  EXPECT_EQ(st.storage_events, 8000u);
  EXPECT_EQ(st.encrypted_summaries, 4000u);
  EXPECT_EQ(st.suppressed[0], 3998u);
}

// --- alert JSON --------------------------------------------------------------------------

TEST(AlertJson, CarriesEveryDesignField) {
  Recorder sink;
  DetectionEngine engine(Defaults(), sink);
  engine.OnStorageEvent(Ctx("203.0.113.9", kT0), List("contracts-2022", 3));
  ASSERT_EQ(sink.alerts.size(), 1u);
  auto j = nlohmann::json::parse(sink.alerts[0].ToJson());
  EXPECT_EQ(j["rule"], "anonymous_list");
  EXPECT_EQ(j["severity"], "high");
  EXPECT_EQ(j["@timestamp"], "2026-11-23T10:00:00.001000000Z");
  EXPECT_EQ(j["first_seen"], "2026-11-23T10:00:00.001000000Z");
  EXPECT_EQ(j["last_seen"], "2026-11-23T10:00:00.001000000Z");
  EXPECT_EQ(j["source"]["ip"], "203.0.113.9");
  EXPECT_EQ(j["destination"]["ip"], "198.51.100.20");
  EXPECT_EQ(j["destination"]["port"], 443);
  EXPECT_EQ(j["storage"]["provider"], "s3");
  EXPECT_EQ(j["storage"]["bucket"], "contracts-2022");
  EXPECT_FALSE(j["storage"].contains("account"));
  EXPECT_EQ(j["storage"]["auth"]["class"], "anonymous");
  EXPECT_EQ(j["encrypted"], false);
  EXPECT_EQ(j["counts"]["pages"], 1);
  EXPECT_EQ(j["counts"]["listed_keys"], 3);
  EXPECT_EQ(j["counts"]["suppressed"], 0);
  for (const char* k : {"requests", "objects", "distinct_keys", "bytes", "denied", "not_found"}) {
    EXPECT_TRUE(j["counts"].contains(k)) << k;
  }
  EXPECT_EQ(j["operations"]["ListObjectsV2"], 1);
  EXPECT_EQ(j["sample_keys"], nlohmann::json({"k0", "k1", "k2"}));
  EXPECT_EQ(j["user_agent"]["original"], "curl/7.88.1");
  EXPECT_EQ(j["network"]["community_id"], "1:testcommunityid=");
  EXPECT_FALSE(j.contains("tls"));
  EXPECT_EQ(j["dedup_key"], "anonymous_list/203.0.113.9/s3//contracts-2022");
  EXPECT_FALSE(j.contains("downgraded"));
}

}  // namespace
}  // namespace bw::detect
