// Each rule alone: a function of an activity, an event and its config. The engine's tests
// (tests/unit/sensor/detect) cover dedup, state updates and alerts end to end.

#include <gtest/gtest.h>

#include "sensor/detect/rules/anonymous_list.h"
#include "sensor/detect/rules/anonymous_read.h"
#include "sensor/detect/rules/bucket_enumeration.h"
#include "sensor/detect/rules/bulk_exfiltration.h"
#include "sensor/detect/rules/new_public_exposure.h"

namespace bw::detect::rules {
namespace {

using storage::AuthClass;
using storage::OperationKind;
using storage::Outcome;
using storage::Provider;

constexpr TimestampNs kT0 = 1795428000LL * kNsPerSecond;
const std::string kClient = "203.0.113.9";

Activity Bucket(const std::string& bucket) {
  Activity a;
  a.provider = Provider::kS3;
  a.bucket = bucket;
  return a;
}

storage::StorageEvent Event(OperationKind kind, const std::string& op, Outcome outcome,
                            AuthClass auth = AuthClass::kAnonymous) {
  storage::StorageEvent e;
  e.provider = Provider::kS3;
  e.bucket = "b";
  e.operation = storage::OperationFromName(op).value_or(storage::Operation::kUnknown);
  e.kind = kind;
  e.outcome = outcome;
  e.auth_class = auth;
  return e;
}

TEST(AnonymousListRule, SuccessfulAnonymousListingsOfNonPublicBucketsOnly) {
  config::DetectionConfig::AnonymousList cfg;
  Activity a = Bucket("b");
  a.counts.pages = 1;
  a.counts.listed_keys = 3;
  auto list = Event(OperationKind::kList, "ListObjectsV2", Outcome::kSuccess);
  auto c = AnonymousList(a, RequestFacts{list, kClient, false}, cfg);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->rule, Rule::kAnonymousList);
  EXPECT_EQ(c->severity, Severity::kHigh);
  EXPECT_EQ(c->dedup_key.Text(), "anonymous_list/203.0.113.9/s3//b");
  EXPECT_EQ(c->dedup_window, 3600 * kNsPerSecond);
  EXPECT_EQ(c->auth_class, "anonymous");
  EXPECT_EQ(AnonymousListSummary(a, RequestFacts{list, kClient, false}, cfg),
            "anonymous ListObjectsV2 of s3://b from 203.0.113.9 succeeded (1 page, 3 keys)");

  EXPECT_FALSE(AnonymousList(a, RequestFacts{list, kClient, true}, cfg));  // public bucket
  auto denied = Event(OperationKind::kList, "ListObjectsV2", Outcome::kDenied);
  EXPECT_FALSE(AnonymousList(a, RequestFacts{denied, kClient, false}, cfg));
  auto signed_list =
      Event(OperationKind::kList, "ListObjectsV2", Outcome::kSuccess, AuthClass::kSigned);
  EXPECT_FALSE(AnonymousList(a, RequestFacts{signed_list, kClient, false}, cfg));
  auto read = Event(OperationKind::kRead, "GetObject", Outcome::kSuccess);
  EXPECT_FALSE(AnonymousList(a, RequestFacts{read, kClient, false}, cfg));
  cfg.enabled = false;
  EXPECT_FALSE(AnonymousList(a, RequestFacts{list, kClient, false}, cfg));
}

TEST(AnonymousReadRule, KeyedByBucketNotClient) {
  config::DetectionConfig::AnonymousRead cfg;
  cfg.severity = Severity::kCritical;
  Activity a = Bucket("b");
  a.counts.objects = 2;
  a.counts.bytes = 2048;
  auto read = Event(OperationKind::kRead, "GetObject", Outcome::kSuccess);
  read.key = "x/y.csv";
  auto c = AnonymousRead(a, RequestFacts{read, kClient, false}, cfg);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->severity, Severity::kCritical);
  EXPECT_EQ(c->dedup_key.Text(), "anonymous_read/s3//b");
  EXPECT_EQ(AnonymousReadSummary(a, RequestFacts{read, kClient, false}, cfg),
            "anonymous GetObject of s3://b/x/y.csv served to 203.0.113.9 without credentials "
            "(2 objects, 2.0 KiB)");
  auto failed = Event(OperationKind::kRead, "GetObject", Outcome::kNotFound);
  EXPECT_FALSE(AnonymousRead(a, RequestFacts{failed, kClient, false}, cfg));
  EXPECT_FALSE(AnonymousRead(a, RequestFacts{read, kClient, true}, cfg));
}

TEST(BucketEnumerationRule, NeedsEnoughNamesMostlyUnresolved) {
  config::DetectionConfig::BucketEnumeration cfg;
  cfg.min_buckets = 3;
  ClientProbes p;
  uint64_t used = 0;
  p.Add(ProbedName{"s3://a", kT0, false}, used);
  p.Add(ProbedName{"s3://b", kT0, true}, used);
  p.counts.requests = 4;
  Probe probe{kClient, AuthClass::kAnonymous, false};
  EXPECT_FALSE(BucketEnumeration(p, probe, cfg));  // 2 names
  p.Add(ProbedName{"s3://c", kT0, false}, used);
  auto c = BucketEnumeration(p, probe, cfg);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->rule, Rule::kBucketEnumeration);
  EXPECT_EQ(c->severity, Severity::kMedium);
  EXPECT_EQ(c->dedup_key.Text(), "bucket_enumeration/203.0.113.9");
  EXPECT_EQ(c->auth_class, "anonymous");
  EXPECT_EQ(BucketEnumerationSummary(p, probe, cfg),
            "203.0.113.9 probed 3 bucket names in 5 min (2 not found, denied or unanswered; "
            "4 requests)");
  Probe tls{kClient, AuthClass::kUnknown, true};
  auto t = BucketEnumeration(p, tls, cfg);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->auth_class, "unknown");
  std::string tls_summary = BucketEnumerationSummary(p, tls, cfg);
  EXPECT_NE(tls_summary.find("; TLS server names)"), std::string::npos) << tls_summary;
  cfg.min_failure_ratio = 0.7;  // 2 of 3 unresolved is not enough
  EXPECT_FALSE(BucketEnumeration(p, probe, cfg));
}

TEST(BulkExfiltrationRule, OneRuleForPlaintextReadsAndTlsTurns) {
  config::DetectionConfig::BulkExfiltration cfg;
  cfg.min_objects = 3;
  TimestampNs slot = SlidingWindow::SlotLength(cfg.window);
  Activity a = Bucket("b");
  a.auth_classes = 1u << static_cast<uint8_t>(AuthClass::kSigned);
  a.reads.Add(kT0, slot, 2, 200);
  Reads plain{kClient, kT0, 1, 100, false};
  EXPECT_FALSE(BulkExfiltration(a, plain, cfg));  // 2 objects in the window
  a.reads.Add(kT0, slot, 1, 100);
  auto c = BulkExfiltration(a, plain, cfg);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->rule, Rule::kBulkExfiltration);
  EXPECT_EQ(c->dedup_key.Text(), "bulk_exfiltration/203.0.113.9/s3//b");
  EXPECT_TRUE(c->auth_class.empty());  // the activity's
  EXPECT_EQ(BulkExfiltrationSummary(a, plain, cfg),
            "203.0.113.9 read 3 objects (300 B) from s3://b within 10 min (signed)");

  a.server_name = "b.s3.amazonaws.com";
  Reads tls{kClient, kT0, 1, 100, true};
  auto t = BulkExfiltration(a, tls, cfg);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dedup_key.Text(),
            c->dedup_key.Text());  // one dedup key whichever path fed the window
  EXPECT_EQ(BulkExfiltrationSummary(a, tls, cfg),
            "203.0.113.9 read 3 objects (300 B on the wire) from s3://b within 10 min over TLS "
            "(b.s3.amazonaws.com; objects counted as request/response turns, bytes as TLS "
            "application data)");

  Reads nothing{kClient, kT0, 0, 0, true};
  EXPECT_FALSE(BulkExfiltration(a, nothing, cfg));
  // The window slides: ten minutes later the reads have left it.
  Reads later{kClient, kT0 + cfg.window + slot, 1, 1, false};
  EXPECT_FALSE(BulkExfiltration(a, later, cfg));
  cfg.min_objects = 100;
  cfg.min_bytes = 300;  // either threshold fires
  EXPECT_TRUE(BulkExfiltration(a, plain, cfg));
}

TEST(NewPublicExposureRule, FiresOnlyForTheFirstAnonymousSuccessOutsideLearning) {
  config::DetectionConfig::NewPublicExposure cfg;
  Activity a = Bucket("b");
  auto head = Event(OperationKind::kRead, "HeadObject", Outcome::kSuccess);
  head.key = "x/y.csv";
  const Exposure first{true, false};
  auto c = NewPublicExposure(a, RequestFacts{head, kClient, false}, first, cfg);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->rule, Rule::kNewPublicExposure);
  EXPECT_EQ(c->severity, Severity::kHigh);
  EXPECT_EQ(c->dedup_key.Text(), "new_public_exposure/s3//b");  // no client: once per bucket
  EXPECT_EQ(c->dedup_window, 86400 * kNsPerSecond);
  EXPECT_EQ(c->auth_class, "anonymous");
  EXPECT_EQ(NewPublicExposureSummary(a, RequestFacts{head, kClient, false}, first, cfg),
            "s3://b answered an anonymous request for the first time seen: HeadObject of "
            "x/y.csv to 203.0.113.9");

  // Known already, learning, meant to be public, not a success, not anonymous, disabled.
  EXPECT_FALSE(NewPublicExposure(a, RequestFacts{head, kClient, false}, {false, false}, cfg));
  EXPECT_FALSE(NewPublicExposure(a, RequestFacts{head, kClient, false}, {true, true}, cfg));
  EXPECT_FALSE(NewPublicExposure(a, RequestFacts{head, kClient, true}, first, cfg));
  for (Outcome o : {Outcome::kDenied, Outcome::kNotFound, Outcome::kError, Outcome::kNoResponse}) {
    auto failed = Event(OperationKind::kRead, "HeadObject", o);
    EXPECT_FALSE(NewPublicExposure(a, RequestFacts{failed, kClient, false}, first, cfg));
  }
  for (AuthClass auth :
       {AuthClass::kSigned, AuthClass::kPresigned, AuthClass::kBearer, AuthClass::kUnknown}) {
    auto authed = Event(OperationKind::kRead, "GetObject", Outcome::kSuccess, auth);
    EXPECT_FALSE(NewPublicExposure(a, RequestFacts{authed, kClient, false}, first, cfg));
  }
  cfg.severity = Severity::kMedium;
  EXPECT_EQ(NewPublicExposure(a, RequestFacts{head, kClient, false}, first, cfg)->severity,
            Severity::kMedium);
  cfg.enabled = false;
  EXPECT_FALSE(NewPublicExposure(a, RequestFacts{head, kClient, false}, first, cfg));
}

}  // namespace
}  // namespace bw::detect::rules
