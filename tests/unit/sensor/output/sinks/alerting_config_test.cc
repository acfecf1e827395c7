#include "sensor/config/alerting_config.h"

#include <gtest/gtest.h>

#include "sensor/config/yaml_reader.h"

namespace bw::config {
namespace {

std::string ReadError(const std::string& yaml) {
  AlertingConfig c;
  try {
    ReadAlertingConfig(YAML::Load(yaml), "alerting", c);
  } catch (const yaml::ConfigError& e) {
    return e.message;
  }
  return "";
}

TEST(AlertingConfigTest, DefaultsAreFiniteAndWithoutSinks) {
  AlertingConfig c;
  ReadAlertingConfig(YAML::Load("{}"), "alerting", c);
  EXPECT_TRUE(c.sinks.empty());
  EXPECT_GT(c.spool_max_alerts, 0u);
  EXPECT_GT(c.spool_max_bytes, 0u);
  SinkConfig s;
  EXPECT_GT(s.queue_capacity, 0u);
  EXPECT_GT(s.timeout_ms, 0u);
  EXPECT_LE(s.initial_backoff_ms, s.max_backoff_ms);
}

TEST(AlertingConfigTest, ReadsEverySinkType) {
  AlertingConfig c;
  ReadAlertingConfig(YAML::Load(R"(
spool_dir: /tmp/s
spool_max_alerts: 50
spool_max_bytes: 1048576
drain_timeout_ms: 2500
sinks:
  - name: hook
    type: webhook
    url: https://hooks.example/in?token=abc
    ca_file: /etc/ca.pem
    hmac_key: k3y
    hmac_header: X-Sig
    headers: {Authorization: Bearer t0ken, X-Env: prod}
    timeout_ms: 2000
    initial_backoff_ms: 100
    max_backoff_ms: 1000
    queue_capacity: 10
  - name: am
    type: alertmanager
    url: http://127.0.0.1:9093
    resolve_timeout_seconds: 600
  - name: pd
    type: pagerduty
    url: https://events.pagerduty.com/v2/enqueue
    routing_key: R0UTE
  - name: slack
    type: slack
    url: https://hooks.slack.com/services/T0/B0/SECRET
  - name: sys
    type: syslog
    host: 10.0.0.5
    port: 6514
    transport: tcp
    facility: 10
)"),
                     "alerting", c);
  ASSERT_EQ(c.sinks.size(), 5u);
  EXPECT_EQ(c.spool_dir, "/tmp/s");
  EXPECT_EQ(c.spool_max_alerts, 50u);
  EXPECT_EQ(c.drain_timeout_ms, 2500u);
  EXPECT_EQ(c.sinks[0].hmac_key, "k3y");
  ASSERT_EQ(c.sinks[0].headers.size(), 2u);
  EXPECT_EQ(c.sinks[0].headers[0].first, "Authorization");
  EXPECT_EQ(c.sinks[0].queue_capacity, 10u);
  EXPECT_EQ(c.sinks[1].resolve_timeout_seconds, 600u);
  EXPECT_EQ(c.sinks[2].routing_key, "R0UTE");
  EXPECT_EQ(c.sinks[4].port, 6514);
  EXPECT_EQ(c.sinks[4].transport, "tcp");
  EXPECT_EQ(c.sinks[4].facility, 10u);

  YAML::Emitter e;
  e << YAML::BeginMap;
  DumpAlertingConfig(e, c);
  e << YAML::EndMap;
  std::string dumped = e.c_str();
  for (const char* secret : {"k3y", "t0ken", "R0UTE", "SECRET", "token=abc"}) {
    EXPECT_EQ(dumped.find(secret), std::string::npos) << secret << " leaked:\n" << dumped;
  }
  EXPECT_NE(dumped.find("http://127.0.0.1:9093"), std::string::npos);
  EXPECT_NE(dumped.find("https://hooks.example/in"), std::string::npos);
}

TEST(AlertingConfigTest, ErrorsNameTheKey) {
  EXPECT_EQ(ReadError("bogus: 1"), "alerting.bogus: unknown key");
  EXPECT_EQ(ReadError("sinks: [{name: a, type: webhook, url: http://x, extra: 1}]"),
            "alerting.sinks[0].extra: unknown key");
  EXPECT_NE(ReadError("sinks: [{type: webhook, url: http://x}]").find("alerting.sinks[0].name"),
            std::string::npos);
  EXPECT_NE(ReadError("sinks: [{name: 'a b', url: http://x}]").find("sinks[0].name"),
            std::string::npos);
  EXPECT_NE(ReadError("sinks: [{name: a, type: webhook}]").find("alerting.sinks[0].url"),
            std::string::npos);
  EXPECT_NE(ReadError("sinks: [{name: a, type: pagerduty, url: https://x}]")
                .find("alerting.sinks[0].routing_key"),
            std::string::npos);
  EXPECT_NE(ReadError("sinks: [{name: a, url: http://x}, {name: a, url: http://y}]")
                .find("duplicate sink name"),
            std::string::npos);
  EXPECT_NE(ReadError("sinks: [{name: a, type: email, url: http://x}]").find("sinks[0].type"),
            std::string::npos);
  EXPECT_NE(ReadError("sinks: [{name: a, type: syslog, transport: quic}]").find("transport"),
            std::string::npos);
  EXPECT_NE(ReadError("sinks: [{name: a, url: http://x, initial_backoff_ms: 500, "
                      "max_backoff_ms: 100}]")
                .find("max_backoff_ms"),
            std::string::npos);
  EXPECT_NE(
      ReadError("sinks: [{name: a, url: http://x, headers: {'Bad:Name': v}}]").find("headers"),
      std::string::npos);
  EXPECT_NE(ReadError("spool_max_alerts: 0").find("spool_max_alerts"), std::string::npos);
  EXPECT_NE(ReadError("sinks: {name: a}").find("expected a list"), std::string::npos);
}

TEST(AlertingConfigTest, AlertmanagerLabelsReplaceTheDefault) {
  AlertingConfig c;
  ReadAlertingConfig(YAML::Load("sinks: [{name: am, type: alertmanager, url: http://x}]"),
                     "alerting", c);
  ASSERT_EQ(c.sinks.size(), 1u);
  // The shipped Alertmanager route matches service="bucketwatch": the default must send it.
  EXPECT_EQ(c.sinks[0].labels,
            (std::vector<std::pair<std::string, std::string>>{{"service", "bucketwatch"}}));
  ReadAlertingConfig(YAML::Load("sinks: [{name: am, type: alertmanager, url: http://x, "
                                "labels: {service: bucketwatch, team: soc, env: prod}}]"),
                     "alerting", c);
  EXPECT_EQ(c.sinks[0].labels, (std::vector<std::pair<std::string, std::string>>{
                                   {"service", "bucketwatch"}, {"team", "soc"}, {"env", "prod"}}));
  ReadAlertingConfig(
      YAML::Load("sinks: [{name: am, type: alertmanager, url: http://x, labels: {}}]"), "alerting",
      c);
  EXPECT_TRUE(c.sinks[0].labels.empty());
}

TEST(AlertingConfigTest, AlertmanagerLabelErrorsNameTheLabel) {
  auto err = [](const std::string& labels) {
    return ReadError("sinks: [{name: am, type: alertmanager, url: http://x, labels: " + labels +
                     "}]");
  };
  EXPECT_NE(err("{severity: critical}").find("alerting.sinks[0].labels.severity: set by the sink"),
            std::string::npos);
  EXPECT_NE(err("{alertname: x}").find("labels.alertname"), std::string::npos);
  EXPECT_NE(err("{'bad-name': x}").find("invalid label name"), std::string::npos);
  EXPECT_NE(err("{__meta: x}").find("invalid label name"), std::string::npos);
  EXPECT_NE(err("{9lives: x}").find("invalid label name"), std::string::npos);
  EXPECT_NE(err("{team: ''}").find("labels.team: expected a value"), std::string::npos);
  EXPECT_NE(err("{team: [a, b]}").find("labels.team"), std::string::npos);
  EXPECT_NE(err("[service]").find("expected a mapping"), std::string::npos);
}

}  // namespace
}  // namespace bw::config
