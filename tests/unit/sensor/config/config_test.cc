#include "sensor/config/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "sensor/config/embedded_config.h"

namespace bw::config {
namespace {

TEST(ConfigTest, EmbeddedDefaultLoadsWithDocumentedValues) {
  auto r = LoadConfigText("", {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.capture.snaplen, 262144u);
  EXPECT_EQ(r.config.workers, 1u);
  EXPECT_EQ(r.config.flows.max_flows, 1u << 20);
  EXPECT_EQ(r.config.flows.tcp_idle_timeout, 120 * kNsPerSecond);
  EXPECT_EQ(r.config.reassembly.per_flow_bytes, 1u << 20);
  EXPECT_EQ(r.config.reassembly.max_segments_per_flow, 4096u);
  EXPECT_TRUE(r.config.storage.endpoints.empty());
  EXPECT_EQ(r.config.log.level, "info");
}

TEST(ConfigTest, FileOverlaysDefaultKeyByKey) {
  auto r = LoadConfigText("flows:\n  max_flows: 5000\nworkers: 2\n", {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.flows.max_flows, 5000u);
  EXPECT_EQ(r.config.flows.tcp_idle_timeout, 120 * kNsPerSecond);  // untouched sibling
  EXPECT_EQ(r.config.workers, 2u);
}

TEST(ConfigTest, UnknownKeyIsRejectedWithItsPath) {
  auto r = LoadConfigText("flows:\n  max_flow: 5000\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "flows.max_flow: unknown key");
  r = LoadConfigText("bogus: 1\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "bogus: unknown key");
}

TEST(ConfigTest, BadValuesNameTheKeyAndReason) {
  auto r = LoadConfigText("flows:\n  max_flows: lots\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "flows.max_flows: expected a non-negative integer, got 'lots'");
  r = LoadConfigText("workers: 0\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "workers: must be between 1 and 64, got 0");
  r = LoadConfigText("capture:\n  promiscuous: maybe\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "capture.promiscuous: expected true or false, got 'maybe'");
  r = LoadConfigText("log:\n  level: loud\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("log.level: expected one of"), std::string::npos);
  r = LoadConfigText("flows: 3\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "flows: expected a mapping");
}

TEST(ConfigTest, SegmentCapIsValidatedAndDumped) {
  auto r = LoadConfigText("reassembly:\n  max_segments_per_flow: 64\n", {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.reassembly.max_segments_per_flow, 64u);
  EXPECT_NE(DumpConfig(r.config).find("max_segments_per_flow: 64\n"), std::string::npos);
  r = LoadConfigText("", {"reassembly.max_segments_per_flow=0"});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "reassembly.max_segments_per_flow: must be between 16 and 1048576, got 0");
  r = LoadConfigText("", {"reassembly.max_segments_per_flow=1048577"});
  ASSERT_FALSE(r.ok);
  r = LoadConfigText("", {"reassembly.max_segments_per_flow=-1"});
  ASSERT_FALSE(r.ok);
}

// Severity names become the enum at load; a bad one is an error naming its key (main exits 2).
TEST(ConfigTest, SeveritiesAreParsedAtLoad) {
  auto r = LoadConfigText("detection:\n  bulk_exfiltration:\n    severity: critical\n",
                          {"detection.anonymous_read.severity=info"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.detection.bulk_exfiltration.severity, Severity::kCritical);
  EXPECT_EQ(r.config.detection.anonymous_read.severity, Severity::kInfo);
  EXPECT_EQ(r.config.detection.anonymous_list.severity, Severity::kHigh);  // the default file
  EXPECT_EQ(r.config.detection.bucket_enumeration.severity, Severity::kMedium);

  r = LoadConfigText("detection:\n  bucket_enumeration:\n    severity: urgent\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "detection.bucket_enumeration.severity: expected one of critical, high, info, low, "
            "medium, got 'urgent'");
  r = LoadConfigText("", {"detection.anonymous_list.severity=High"});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("detection.anonymous_list.severity: expected one of"), std::string::npos)
      << r.error;
}

TEST(ConfigTest, NewPublicExposureKeysAreReadValidatedAndDumped) {
  auto r = LoadConfigText("", {});
  ASSERT_TRUE(r.ok) << r.error;
  const auto& d = r.config.detection.new_public_exposure;  // the embedded file's values
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.severity, Severity::kHigh);
  EXPECT_EQ(d.max_buckets, 100000u);
  EXPECT_EQ(d.learning_period, 0);
  EXPECT_EQ(d.dedup_window, 86400 * kNsPerSecond);
  r = LoadConfigText(
      "detection:\n  new_public_exposure:\n    severity: medium\n"
      "    learning_seconds: 604800\n    max_buckets: 5\n",
      {"detection.new_public_exposure.enabled=false"});
  ASSERT_TRUE(r.ok) << r.error;
  const auto& c = r.config.detection.new_public_exposure;
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.severity, Severity::kMedium);
  EXPECT_EQ(c.learning_period, 604800 * kNsPerSecond);
  EXPECT_EQ(c.max_buckets, 5u);
  std::string dumped = DumpConfig(r.config);
  EXPECT_NE(dumped.find("new_public_exposure:\n    enabled: false\n    severity: medium\n"
                        "    max_buckets: 5\n    learning_seconds: 604800\n"
                        "    dedup_seconds: 86400\n"),
            std::string::npos)
      << dumped;
  r = LoadConfigText("", {"detection.new_public_exposure.max_buckets=0"});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("detection.new_public_exposure.max_buckets: must be between 1"),
            std::string::npos)
      << r.error;
  EXPECT_FALSE(LoadConfigText("", {"detection.new_public_exposure.learning=1"}).ok);
}

TEST(ConfigTest, SeverityNamesRoundTrip) {
  for (size_t i = 0; i < kSeverityCount; ++i) {
    auto s = static_cast<Severity>(i);
    Severity back = Severity::kInfo;
    ASSERT_TRUE(SeverityFromName(SeverityName(s), back)) << i;
    EXPECT_EQ(back, s);
  }
  Severity untouched = Severity::kLow;
  EXPECT_FALSE(SeverityFromName("", untouched));
  EXPECT_EQ(untouched, Severity::kLow);
  EXPECT_STREQ(SeverityName(Severity::kInfo), "info");
  EXPECT_STREQ(SeverityName(Severity::kCritical), "critical");
}

TEST(ConfigTest, BrokenYamlReportsLine) {
  auto r = LoadConfigText("flows:\n  max_flows: [1,\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("config: line"), std::string::npos) << r.error;
}

TEST(ConfigTest, SetOverridesAfterFile) {
  auto r = LoadConfigText("workers: 2\n", {"workers=3", "reassembly.hole_timeout_seconds=9"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.workers, 3u);
  EXPECT_EQ(r.config.reassembly.hole_timeout, 9 * kNsPerSecond);
  r = LoadConfigText("", {"flows.nope=1"});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "flows.nope: unknown key");
  r = LoadConfigText("", {"workers"});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("expected key.path=value"), std::string::npos);
  r = LoadConfigText("", {"workers.x=1"});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("workers is not a section"), std::string::npos);
}

TEST(ConfigTest, EndpointsAreValidated) {
  auto r = LoadConfigText(
      "storage:\n  endpoints:\n    - host: minio.local\n      port: 9000\n"
      "    - host: '*.r2.example'\n      provider: s3\n      virtual_hosted: true\n",
      {});
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.config.storage.endpoints.size(), 2u);
  EXPECT_EQ(r.config.storage.endpoints[0].provider, "s3_compatible");
  EXPECT_EQ(r.config.storage.endpoints[0].port, 9000);
  EXPECT_TRUE(r.config.storage.endpoints[1].virtual_hosted);
  r = LoadConfigText("storage:\n  endpoints:\n    - host: x\n      provider: ftp\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("storage.endpoints[0].provider"), std::string::npos) << r.error;
  r = LoadConfigText("storage:\n  endpoints:\n    - port: 1\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "storage.endpoints[0].host: must not be empty");
}

TEST(ConfigTest, DumpRoundTrips) {
  auto r = LoadConfigText("workers: 4\nstorage:\n  endpoints:\n    - host: m\n", {});
  ASSERT_TRUE(r.ok) << r.error;
  auto again = LoadConfigText(DumpConfig(r.config), {});
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(DumpConfig(again.config), DumpConfig(r.config));
  EXPECT_EQ(again.config.workers, 4u);
}

TEST(ConfigTest, KeepNetRawIsOffByDefaultAndDumped) {
  auto r = LoadConfigText("", {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.config.privileges.keep_net_raw);
  EXPECT_NE(DumpConfig(r.config).find("privileges:\n  keep_net_raw: false\n"), std::string::npos);
  r = LoadConfigText("", {"privileges.keep_net_raw=true"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.config.privileges.keep_net_raw);
  auto again = LoadConfigText(DumpConfig(r.config), {});
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_TRUE(again.config.privileges.keep_net_raw);
  r = LoadConfigText("privileges:\n  keep_net_raw: yes please\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("privileges.keep_net_raw: ", 0), 0u) << r.error;
}

TEST(ConfigTest, MissingFileIsAClearError) {
  auto r = LoadConfig("/nonexistent/bw.yaml", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "/nonexistent/bw.yaml: cannot open file: No such file or directory");
}

TEST(ConfigTest, WhatYamlCppWouldSilentlyDropIsAnErrorWithItsPath) {
  // yaml-cpp keeps the last of two equal keys and loads only the first document.
  auto r = LoadConfigText("workers: 2\nflows:\n  max_flows: 10\n  max_flows: 20\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "flows.max_flows: duplicate key (only one of them would count) (line 4)");
  r = LoadConfigText("workers: 2\n---\nworkers: 3\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "config: line 2: a second YAML document (after '---') is not allowed; put the whole "
            "configuration in one");
  // A complex key was "bad conversion", with no key and no reason.
  r = LoadConfigText("detection:\n  ? [a, b]\n  : 1\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "detection: a key must be a plain value, not a list, a mapping or null (line 2)");
  r = LoadConfigText(
      "alerting:\n  sinks:\n    - name: a\n      url: http://h/\n"
      "      headers: {? [x] : 1}\n",
      {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("alerting.sinks[0].headers: a key must be a plain value", 0), 0u)
      << r.error;
}

TEST(ConfigTest, EchoedValuesAreCutAndEscaped) {
  // A huge bad value was echoed whole into the error (and the log line of a reload).
  auto r = LoadConfigText("workers: " + std::string(1 << 20, '7') + "\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "workers: expected a non-negative integer, got '" + std::string(80, '7') +
                         "...' (1048576 bytes)");
  r = LoadConfigText("log:\n  level: \"info\\nbucketwatch error: forged\"\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.find('\n'), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("got 'info\\x0abucketwatch error: forged'"), std::string::npos) << r.error;
  // A UTF-8 sequence is not cut in the middle: 79 ASCII bytes, then a 2-byte character.
  r = LoadConfigText("log:\n  level: " + std::string(79, 'a') + "\u00e9tat\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("got '" + std::string(79, 'a') + "...' (84 bytes)"), std::string::npos)
      << r.error;
}

std::string YamlList(const std::string& item, size_t count) {
  std::string text = "[";
  for (size_t i = 0; i < count; ++i) text += (i ? ", " : "") + item;
  return text + "]";
}

TEST(ConfigTest, ListsHaveDocumentedLimits) {
  const std::string allowlist = "detection:\n  allowlist:\n    ";
  auto r = LoadConfigText(allowlist + "trusted_cidrs: " + YamlList("10.0.0.0/8", 16384) + "\n", {});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.detection.allowlist.trusted_cidrs.size(), 16384u);
  r = LoadConfigText(allowlist + "trusted_cidrs: " + YamlList("10.0.0.0/8", 16385) + "\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "detection.allowlist.trusted_cidrs: at most 16384 entries, got 16385");
  r = LoadConfigText(allowlist + "public_buckets: " + YamlList("s3//b", 4097) + "\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "detection.allowlist.public_buckets: at most 4096 entries, got 4097");
  r = LoadConfigText(allowlist + "crawler_user_agents: " + YamlList("bot", 1025) + "\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "detection.allowlist.crawler_user_agents: at most 1024 entries, got 1025");
  r = LoadConfigText(allowlist + "crawler_user_agents: [bot, " + std::string(513, 'b') + "]\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "detection.allowlist.crawler_user_agents[1]: at most 512 bytes, got 513");

  std::string headers = "{";
  for (int i = 0; i < 65; ++i) headers += (i ? ", " : "") + ("X-H" + std::to_string(i)) + ": v";
  r = LoadConfigText(
      "alerting:\n  sinks:\n    - {name: a, url: 'http://h/', headers: " + headers + "}}\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "alerting.sinks[0].headers: at most 64 headers, got 65");
  std::string cpus = "0";
  for (int i = 0; i < 4096; ++i) cpus += ",0";
  r = LoadConfigText("cpu_affinity: '" + cpus + "'\n", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "cpu_affinity: at most 4096 CPUs in the list");
}

TEST(ConfigTest, MalformedSinkUrlIsAConfigErrorWithoutTheUrl) {
  // The sinks refused these at start (exit 1) after --check-config had passed them.
  for (const char* url :
       {"http://user:secret-token@hooks.example/x", "http://:80/", "https://hooks.example:99999/x",
        "http://hooks.example/a b", "http://[::1/x"}) {
    auto r = LoadConfigText(
        std::string("alerting:\n  sinks:\n    - name: hook\n      url: \"") + url + "\"\n", {});
    ASSERT_FALSE(r.ok) << url;
    EXPECT_EQ(r.error.rfind("alerting.sinks[0].url: malformed, expected http[s]://", 0), 0u)
        << r.error;
    EXPECT_EQ(r.error.find("secret-token"), std::string::npos) << r.error;
  }
  auto r = LoadConfigText(
      "alerting:\n  sinks:\n    - {name: am, type: alertmanager, url: 'http://[::1]:9093'}\n", {});
  EXPECT_TRUE(r.ok) << r.error;
}

TEST(ConfigTest, SetOfASingleValueKeyTakesTheTextAsItIs) {
  // "[::1]:9580" read as YAML is a flow list followed by garbage: it failed.
  auto r = LoadConfigText("", {"metrics.listen=[::1]:9580"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.metrics.listen, "[::1]:9580");
  r = LoadConfigText("", {"metrics.listen=\"[::1]:9581\""});  // YAML quoting still works
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.metrics.listen, "[::1]:9581");
  r = LoadConfigText("", {"capture.bpf=tcp port 80 and host 10.0.0.1"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.capture.bpf, "tcp port 80 and host 10.0.0.1");
  r = LoadConfigText("", {"metrics.listen="});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.metrics.listen, "");
  // A list-valued key still reads YAML, and a bad value still names the key.
  r = LoadConfigText("", {"detection.allowlist.trusted_cidrs=[10.0.0.0/8, 192.0.2.1]"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.config.detection.allowlist.trusted_cidrs.size(), 2u);
  r = LoadConfigText("", {"workers=[1, 2]"});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "workers: expected a non-negative integer, got '[1, 2]'");
  r = LoadConfigText("", {"detection.allowlist.trusted_cidrs=[10.0.0.0/8"});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("detection.allowlist.trusted_cidrs: value", 0), 0u) << r.error;
}

TEST(ConfigTest, SetValuesHaveTheBoundsOfAFile) {
  std::string bomb = "detection.allowlist.crawler_user_agents=[&a " + std::string(65536, 'y');
  for (int i = 0; i < 200; ++i) bomb += ", *a";
  auto r = LoadConfigText("", {bomb + "]"});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("detection.allowlist.crawler_user_agents: value: [128]: the "
                          "document's values grow past 8 MiB through alias *a",
                          0),
            0u)
      << r.error;
  r = LoadConfigText("", {"detection.allowlist.trusted_cidrs=" + std::string(100000, '[')});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "detection.allowlist.trusted_cidrs: value: nesting deeper than 64 (line 1)");
}

TEST(ConfigTest, EmbeddedDefaultIsTheShippedFile) {
  std::ifstream in(std::string(BW_SOURCE_DIR) + "/config/bucketwatch.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, EmbeddedDefaultConfig());
}

}  // namespace
}  // namespace bw::config
