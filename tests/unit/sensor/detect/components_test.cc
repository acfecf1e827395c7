#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sensor/config/detection_config.h"
#include "sensor/config/yaml_reader.h"
#include "sensor/detect/alert.h"
#include "sensor/detect/allowlist.h"
#include "sensor/detect/server_name.h"

namespace bw::detect {
namespace {

// --- server names --------------------------------------------------------------------------

struct NameCase {
  const char* sni;
  bool ok;
  storage::Provider provider;
  const char* account;
  const char* bucket;
  const char* endpoint = "";  // service names: the bucket is not visible
};

TEST(ServerName, RecognisesEveryProvidersVirtualHostedNames) {
  const NameCase cases[] = {
      {"data-lake.s3.amazonaws.com", true, storage::Provider::kS3, "", "data-lake"},
      {"Data-Lake.S3.AmazonAWS.com.", true, storage::Provider::kS3, "", "data-lake"},
      {"my.dotted.bucket.s3.eu-west-1.amazonaws.com", true, storage::Provider::kS3, "",
       "my.dotted.bucket"},
      {"b.s3-us-west-2.amazonaws.com", true, storage::Provider::kS3, "", "b"},
      {"b.s3.dualstack.us-east-1.amazonaws.com", true, storage::Provider::kS3, "", "b"},
      {"site.s3-website-us-east-1.amazonaws.com", true, storage::Provider::kS3, "", "site"},
      {"site.s3-website.eu-west-1.amazonaws.com", true, storage::Provider::kS3, "", "site"},
      {"b.s3.cn-north-1.amazonaws.com.cn", true, storage::Provider::kS3, "", "b"},
      // Service names (path style over TLS): storage, the endpoint known, the bucket not.
      {"s3.amazonaws.com", true, storage::Provider::kS3, "", "", "s3.amazonaws.com"},
      {"S3.US-East-1.amazonaws.com.", true, storage::Provider::kS3, "", "",
       "s3.us-east-1.amazonaws.com"},
      {"s3-eu-west-1.amazonaws.com", true, storage::Provider::kS3, "", "",
       "s3-eu-west-1.amazonaws.com"},
      {"s3.dualstack.us-east-2.amazonaws.com", true, storage::Provider::kS3, "", "",
       "s3.dualstack.us-east-2.amazonaws.com"},
      {"s3.cn-north-1.amazonaws.com.cn", true, storage::Provider::kS3, "", "",
       "s3.cn-north-1.amazonaws.com.cn"},
      {"storage.googleapis.com", true, storage::Provider::kGcs, "", "", "storage.googleapis.com"},
      {"sts.amazonaws.com", false, storage::Provider::kS3, "", ""},
      {"xs3.amazonaws.com", false, storage::Provider::kS3, "", ""},
      {"ec2.amazonaws.com", false, storage::Provider::kS3, "", ""},
      {"bluebleed.blob.core.windows.net", true, storage::Provider::kAzureBlob, "bluebleed", ""},
      {"lake.dfs.core.windows.net", true, storage::Provider::kAzureBlob, "lake", ""},
      {"blob.core.windows.net", false, storage::Provider::kS3, "", ""},
      {"media.storage.googleapis.com", true, storage::Provider::kGcs, "", "media"},
      {"a.b.storage.googleapis.com", true, storage::Provider::kGcs, "", "a.b"},
      {"www.example.com", false, storage::Provider::kS3, "", ""},
      {"", false, storage::Provider::kS3, "", ""},
      {"bad name.s3.amazonaws.com", false, storage::Provider::kS3, "", ""},
  };
  for (const auto& c : cases) {
    ServerNameTarget t;
    ASSERT_EQ(TargetFromServerName(c.sni, t), c.ok) << c.sni;
    if (!c.ok) continue;
    EXPECT_EQ(t.provider, c.provider) << c.sni;
    EXPECT_EQ(t.account, c.account) << c.sni;
    EXPECT_EQ(t.bucket, c.bucket) << c.sni;
    EXPECT_EQ(t.endpoint, c.endpoint) << c.sni;
    EXPECT_EQ(t.bucket_visible(), std::string(c.endpoint).empty()) << c.sni;
  }
}

// Self-hosted stores behind TLS are known only by the operator's storage.endpoints (and the
// well-known S3-compatible services by their names); the port must match the rule's.
TEST(ServerName, ConfiguredEndpointsAndKnownServicesCountAsStorage) {
  std::vector<storage::EndpointRule> rules(2);
  rules[0].host_pattern = "minio.corp.example";
  rules[0].port = 9000;
  rules[1].host_pattern = "*.objects.corp.example";
  rules[1].virtual_hosted = true;
  ServerNameTarget t;
  ASSERT_TRUE(TargetFromServerName("MinIO.corp.example.", 9000, rules, t));
  EXPECT_EQ(t.provider, storage::Provider::kS3Compatible);
  EXPECT_EQ(t.endpoint, "minio.corp.example");
  EXPECT_FALSE(t.bucket_visible());
  EXPECT_FALSE(TargetFromServerName("minio.corp.example", 443, rules, t));
  ASSERT_TRUE(TargetFromServerName("backups.objects.corp.example", 443, rules, t));
  EXPECT_EQ(t.bucket, "backups");
  EXPECT_TRUE(t.bucket_visible());
  ASSERT_TRUE(TargetFromServerName("s3.wasabisys.com", 443, rules, t));
  EXPECT_EQ(t.endpoint, "s3.wasabisys.com");
  ASSERT_TRUE(TargetFromServerName("data-lake.s3.amazonaws.com", 443, rules, t));  // built-in first
  EXPECT_EQ(t.provider, storage::Provider::kS3);
  EXPECT_FALSE(TargetFromServerName("www.corp.example", 443, rules, t));
  EXPECT_FALSE(TargetFromServerName("bad name", 9000, rules, t));
}

// --- allowlist ------------------------------------------------------------------------------

TEST(Glob, MatchesStarsAndQuestionMarksCaseInsensitively) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("www.*.com", "WWW.example.com"));
  EXPECT_TRUE(GlobMatch("b?t", "bat"));
  EXPECT_FALSE(GlobMatch("b?t", "bt"));
  EXPECT_FALSE(GlobMatch("abc", "abcd"));
  EXPECT_TRUE(GlobMatch("a*b*c", "a__b__c"));
  EXPECT_FALSE(GlobMatch("a*b*c", "a__c__b"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "x"));
  // Pathological pattern stays fast (no exponential backtracking).
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(AllowlistTest, CidrsPublicBucketsCrawlers) {
  config::DetectionConfig::Allowlist cfg;
  cfg.trusted_cidrs = {"10.0.0.0/8", "172.16.0.0/12", "2001:db8::/33", "192.0.2.7", "0.0.0.0/0"};
  cfg.public_buckets = {"s3//public-site", "azure_blob/cdn*/$web", "*/*/open-*"};
  cfg.crawler_user_agents = {"GrayhatWarfare", "Scanner/?.?"};
  Allowlist a(cfg);
  decode::IpAddress ip;
  ASSERT_TRUE(decode::IpAddress::Parse("2001:db8:7fff::1", ip));
  EXPECT_TRUE(a.TrustedClient(ip));
  ASSERT_TRUE(decode::IpAddress::Parse("2001:db8:8000::1", ip));
  EXPECT_FALSE(a.TrustedClient(ip));
  ASSERT_TRUE(decode::IpAddress::Parse("172.31.255.255", ip));
  EXPECT_TRUE(a.TrustedClient(ip));
  ASSERT_TRUE(decode::IpAddress::Parse("203.0.113.1", ip));
  EXPECT_TRUE(a.TrustedClient(ip));  // 0.0.0.0/0

  Allowlist narrow([] {
    config::DetectionConfig::Allowlist c;
    c.trusted_cidrs = {"172.16.0.0/12", "192.0.2.7"};
    return c;
  }());
  ASSERT_TRUE(decode::IpAddress::Parse("172.32.0.0", ip));
  EXPECT_FALSE(narrow.TrustedClient(ip));
  ASSERT_TRUE(decode::IpAddress::Parse("192.0.2.6", ip));
  EXPECT_FALSE(narrow.TrustedClient(ip));
  ASSERT_TRUE(decode::IpAddress::Parse("192.0.2.7", ip));
  EXPECT_TRUE(narrow.TrustedClient(ip));

  EXPECT_TRUE(a.PublicBucket("s3", "", "public-site"));
  EXPECT_FALSE(a.PublicBucket("s3_compatible", "", "public-site"));
  EXPECT_TRUE(a.PublicBucket("azure_blob", "cdnprod", "$web"));
  EXPECT_FALSE(a.PublicBucket("azure_blob", "prod", "$web"));
  EXPECT_TRUE(a.PublicBucket("gcs", "", "open-data"));
  EXPECT_FALSE(a.PublicBucket("gcs", "", "closed-data"));

  EXPECT_TRUE(a.Crawler("Mozilla/5.0 grayhatwarfare/2"));
  EXPECT_TRUE(a.Crawler("Scanner/1.2"));
  EXPECT_FALSE(a.Crawler("Scanner/1.2 extra"));
  EXPECT_FALSE(a.Crawler(""));
  EXPECT_FALSE(a.Crawler("aws-cli/2.9"));
}

// --- alert ------------------------------------------------------------------------------------

TEST(AlertText, SeverityNamesRoundTrip) {
  for (Severity s :
       {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    Severity back = Severity::kInfo;
    ASSERT_TRUE(SeverityFromName(SeverityName(s), back));
    EXPECT_EQ(back, s);
  }
  Severity untouched = Severity::kLow;
  EXPECT_FALSE(SeverityFromName("urgent", untouched));
  EXPECT_EQ(untouched, Severity::kLow);
  EXPECT_STREQ(SeverityName(Severity::kCritical), "critical");
}

TEST(AlertText, JsonReplacesInvalidUtf8AndOmitsEmptyOptionals) {
  Alert a;
  a.rule = Rule::kAnonymousRead;
  a.summary = "x";
  a.source_ip = "203.0.113.9";
  a.user_agent = std::string("bad\xff\xfe");
  a.server_name = "b.s3.amazonaws.com";
  a.encrypted = true;
  a.downgraded = true;
  a.sample_keys = {"k\xc3"};
  std::string text = a.ToJson();
  EXPECT_EQ(text.find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["user_agent"]["original"], "bad\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(j["tls"]["client"]["server_name"], "b.s3.amazonaws.com");
  EXPECT_TRUE(j["downgraded"].get<bool>());
  EXPECT_TRUE(j["encrypted"].get<bool>());
  EXPECT_FALSE(j.contains("network"));
  EXPECT_FALSE(j.contains("destination"));
  EXPECT_FALSE(j.contains("storage"));
  EXPECT_TRUE(j["operations"].is_object());
}

TEST(AlertText, EnumerationCountsBucketsNotKeys) {
  Alert a;
  a.rule = Rule::kBucketEnumeration;
  a.counts.distinct_buckets = 20;
  auto j = nlohmann::json::parse(a.ToJson());
  EXPECT_EQ(j["rule"], "bucket_enumeration");
  EXPECT_EQ(j["counts"]["distinct_buckets"], 20);
  EXPECT_FALSE(j["counts"].contains("distinct_keys"));
  a.rule = Rule::kBulkExfiltration;
  a.counts.distinct_keys = 7;
  j = nlohmann::json::parse(a.ToJson());
  EXPECT_EQ(j["counts"]["distinct_keys"], 7);
  EXPECT_FALSE(j["counts"].contains("distinct_buckets"));
}

// --- config -------------------------------------------------------------------------------

config::DetectionConfig Read(const std::string& text, std::string* error = nullptr) {
  config::DetectionConfig c;
  try {
    YAML::Node node = YAML::Load(text);
    config::ReadDetectionConfig(node["detection"], "detection", c);
  } catch (const config::yaml::ConfigError& e) {
    if (error) *error = e.message;
  }
  return c;
}

TEST(DetectionConfigTest, DefaultsMatchTheDesign) {
  config::DetectionConfig c;
  EXPECT_EQ(c.bucket_enumeration.min_buckets, 20u);
  EXPECT_EQ(c.bucket_enumeration.window, 300 * kNsPerSecond);
  EXPECT_DOUBLE_EQ(c.bucket_enumeration.min_failure_ratio, 0.5);
  EXPECT_EQ(c.bulk_exfiltration.min_objects, 50u);
  EXPECT_EQ(c.bulk_exfiltration.min_bytes, 1ull << 30);
  EXPECT_EQ(c.bulk_exfiltration.window, 600 * kNsPerSecond);
  EXPECT_EQ(c.anonymous_list.dedup_window, 3600 * kNsPerSecond);
  EXPECT_EQ(c.anonymous_read.dedup_window, 3600 * kNsPerSecond);
  EXPECT_EQ(c.max_tracked_keys, 100000u);
  EXPECT_EQ(c.sample_keys, 20u);
}

TEST(DetectionConfigTest, ReadsEveryKey) {
  std::string error;
  auto c = Read(R"(
detection:
  enabled: false
  max_tracked_keys: 7
  max_clients: 8
  max_dedup_keys: 9
  max_encrypted_flows: 10
  max_distinct: 11
  sample_keys: 5
  anonymous_list: {enabled: false, severity: critical, dedup_seconds: 60}
  anonymous_read: {enabled: true, severity: low, dedup_seconds: 61}
  bucket_enumeration: {severity: info, window_seconds: 30, min_buckets: 4,
                       min_failure_ratio: 0.75, dedup_seconds: 62}
  bulk_exfiltration: {window_seconds: 40, min_objects: 3, min_bytes: 1000, dedup_seconds: 63}
  allowlist:
    trusted_cidrs: [10.0.0.0/8, "::1"]
    public_buckets: ["s3//www.example.com", "*/*/public-*"]
    crawler_user_agents: [GrayhatWarfare]
)",
                &error);
  ASSERT_EQ(error, "");
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.max_tracked_keys, 7u);
  EXPECT_EQ(c.max_clients, 8u);
  EXPECT_EQ(c.max_dedup_keys, 9u);
  EXPECT_EQ(c.max_encrypted_flows, 10u);
  EXPECT_EQ(c.max_distinct, 11u);
  EXPECT_EQ(c.sample_keys, 5u);
  EXPECT_FALSE(c.anonymous_list.enabled);
  EXPECT_EQ(c.anonymous_list.severity, Severity::kCritical);
  EXPECT_EQ(c.anonymous_list.dedup_window, 60 * kNsPerSecond);
  EXPECT_EQ(c.anonymous_read.severity, Severity::kLow);
  EXPECT_EQ(c.bucket_enumeration.window, 30 * kNsPerSecond);
  EXPECT_EQ(c.bucket_enumeration.min_buckets, 4u);
  EXPECT_DOUBLE_EQ(c.bucket_enumeration.min_failure_ratio, 0.75);
  EXPECT_EQ(c.bulk_exfiltration.min_objects, 3u);
  EXPECT_EQ(c.bulk_exfiltration.min_bytes, 1000u);
  EXPECT_EQ(c.bulk_exfiltration.dedup_window, 63 * kNsPerSecond);
  EXPECT_EQ(c.allowlist.trusted_cidrs.size(), 2u);
  EXPECT_EQ(c.allowlist.public_buckets[1], "*/*/public-*");
  EXPECT_EQ(c.allowlist.crawler_user_agents[0], "GrayhatWarfare");

  // Dump and read back: the same values.
  YAML::Emitter e;
  e << YAML::BeginMap << YAML::Key << "detection" << YAML::Value;
  config::DumpDetectionConfig(e, c);
  e << YAML::EndMap;
  std::string error2;
  auto back = Read(e.c_str(), &error2);
  ASSERT_EQ(error2, "") << e.c_str();
  EXPECT_EQ(back.max_distinct, 11u);
  EXPECT_DOUBLE_EQ(back.bucket_enumeration.min_failure_ratio, 0.75);
  EXPECT_EQ(back.bulk_exfiltration.window, 40 * kNsPerSecond);
  EXPECT_EQ(back.allowlist.public_buckets, c.allowlist.public_buckets);
  EXPECT_EQ(back.anonymous_read.severity, Severity::kLow);
}

TEST(DetectionConfigTest, RejectsBadValuesWithThePath) {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const Case cases[] = {
      {"detection: {bogus: 1}", "detection.bogus: unknown key"},
      {"detection: {anonymous_list: {severity: urgent}}",
       "detection.anonymous_list.severity: expected one of critical, high, info, low, medium, "
       "got 'urgent'"},
      {"detection: {bucket_enumeration: {min_failure_ratio: 1.5}}",
       "detection.bucket_enumeration.min_failure_ratio: must be between 0 and 1, got 1.5"},
      {"detection: {bucket_enumeration: {min_failure_ratio: half}}",
       "detection.bucket_enumeration.min_failure_ratio: expected a number between 0 and 1, got "
       "'half'"},
      {"detection: {bulk_exfiltration: {window_seconds: 0}}",
       "detection.bulk_exfiltration.window_seconds: must be between 1 and 2592000, got 0"},
      {"detection: {allowlist: {trusted_cidrs: [10.0.0.0/33]}}",
       "detection.allowlist.trusted_cidrs[0]: expected an IPv4/IPv6 address or CIDR, got "
       "'10.0.0.0/33'"},
      {"detection: {allowlist: {public_buckets: [just-a-bucket]}}",
       "detection.allowlist.public_buckets[0]: expected provider/account/bucket (provider s3, "
       "s3_compatible, azure_blob, gcs or a glob; account may be empty or *), got "
       "'just-a-bucket'"},
      {"detection: {allowlist: {public_buckets: [ftp//b]}}", nullptr},
      {"detection: {allowlist: {crawler_user_agents: x}}",
       "detection.allowlist.crawler_user_agents: expected a list"},
      {"detection: {sample_keys: 21}", "detection.sample_keys: must be between 0 and 20, got 21"},
      {"detection: {anonymous_read: {unknown: 1}}",
       "detection.anonymous_read.unknown: unknown key"},
  };
  for (const auto& c : cases) {
    std::string error;
    Read(c.yaml, &error);
    if (c.error) {
      EXPECT_EQ(error, c.error) << c.yaml;
    } else {
      EXPECT_NE(error, "") << c.yaml;
    }
  }
}

// The documented section (to be merged into config/bucketwatch.yaml) states exactly the
// defaults; once merged, the embedded default file must too.
void ExpectDefaults(const config::DetectionConfig& c) {
  config::DetectionConfig d;
  YAML::Emitter got, want;
  config::DumpDetectionConfig(got, c);
  config::DumpDetectionConfig(want, d);
  EXPECT_EQ(std::string(got.c_str()), std::string(want.c_str()));
}

TEST(DetectionConfigTest, DocumentedSectionStatesTheDefaults) {
  const std::string dir =
      std::getenv("BW_SOURCE_DIR") ? std::getenv("BW_SOURCE_DIR") : BW_SOURCE_DIR;
  YAML::Node doc = YAML::LoadFile(dir + "/tests/unit/sensor/detect/detection_section.yaml");
  config::DetectionConfig c;
  c.max_tracked_keys = 1;  // proves the file sets it
  ASSERT_NO_THROW(config::ReadDetectionConfig(doc["detection"], "detection", c));
  ExpectDefaults(c);
  YAML::Node embedded = YAML::LoadFile(dir + "/config/bucketwatch.yaml");
  if (embedded["detection"]) {
    config::DetectionConfig e;
    e.max_tracked_keys = 1;
    ASSERT_NO_THROW(config::ReadDetectionConfig(embedded["detection"], "detection", e));
    ExpectDefaults(e);
  }
}

TEST(DetectionConfigTest, CidrParsing) {
  decode::IpAddress a;
  uint8_t prefix = 0;
  EXPECT_TRUE(config::ParseCidr("10.0.0.0/8", a, prefix));
  EXPECT_EQ(prefix, 8);
  EXPECT_TRUE(config::ParseCidr("::1", a, prefix));
  EXPECT_EQ(prefix, 128);
  EXPECT_TRUE(config::ParseCidr("2001:db8::/128", a, prefix));
  EXPECT_FALSE(config::ParseCidr("2001:db8::/129", a, prefix));
  EXPECT_FALSE(config::ParseCidr("10.0.0.0/", a, prefix));
  EXPECT_FALSE(config::ParseCidr("10.0.0.0/x", a, prefix));
  EXPECT_FALSE(config::ParseCidr("host/8", a, prefix));
}

}  // namespace
}  // namespace bw::detect
