#include "sensor/detect/alert_text.h"

#include <gtest/gtest.h>

namespace bw::detect {
namespace {

using storage::AuthClass;
using storage::Provider;

TEST(AlertText, BucketUrlsPerProvider) {
  EXPECT_EQ(BucketUrl(Provider::kS3, "", "b"), "s3://b");
  EXPECT_EQ(BucketUrl(Provider::kS3Compatible, "", "b"), "s3://b");
  EXPECT_EQ(BucketUrl(Provider::kGcs, "", "b"), "gs://b");
  EXPECT_EQ(BucketUrl(Provider::kAzureBlob, "acct", "c"), "az://acct/c");
  EXPECT_EQ(BucketUrl(Provider::kAzureBlob, "acct", ""), "az://acct");
  // The pieces a probed name is looked up by are that text.
  EXPECT_EQ(BucketUrlKey(Provider::kAzureBlob, "acct", "c").Text(), "az://acct/c");
  EXPECT_TRUE(BucketUrlKey(Provider::kGcs, "", "b").Matches("gs://b"));
  EXPECT_EQ(BucketUrlKey(Provider::kS3, "", "b").Hash(), KeyHash("s3://b"));
}

TEST(AlertText, AmountsForHumans) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(1ull << 30), "1.0 GiB");
  EXPECT_EQ(HumanBytes(1ull << 50), "1.0 PiB");
  EXPECT_EQ(HumanWindow(7200 * kNsPerSecond), "2 h");
  EXPECT_EQ(HumanWindow(600 * kNsPerSecond), "10 min");
  EXPECT_EQ(HumanWindow(90 * kNsPerSecond), "90 s");
  EXPECT_EQ(Plural(1, "page", "pages"), "1 page");
  EXPECT_EQ(Plural(0, "page", "pages"), "0 pages");
}

TEST(AlertText, AuthClassOfAnActivity) {
  auto bit = [](AuthClass a) { return static_cast<uint8_t>(1u << static_cast<uint8_t>(a)); };
  EXPECT_EQ(AuthClassesName(0), "unknown");
  EXPECT_EQ(AuthClassesName(bit(AuthClass::kAnonymous)), "anonymous");
  EXPECT_EQ(AuthClassesName(bit(AuthClass::kAnonymous) | bit(AuthClass::kUnknown)), "mixed");
}

TEST(AlertText, DedupKeys) {
  EXPECT_EQ(RuleKey(Rule::kAnonymousList, "203.0.113.9", Provider::kS3, "", "b").Text(),
            "anonymous_list/203.0.113.9/s3//b");
  EXPECT_EQ(RuleKey(Rule::kAnonymousRead, "", Provider::kAzureBlob, "acct", "c").Text(),
            "anonymous_read/azure_blob/acct/c");
  EXPECT_EQ(RuleKey(Rule::kBulkExfiltration, "10.0.0.1", Provider::kS3, "", "", "s3.amazonaws.com")
                .Text(),
            "bulk_exfiltration/10.0.0.1/s3/endpoint/s3.amazonaws.com");
}

}  // namespace
}  // namespace bw::detect
