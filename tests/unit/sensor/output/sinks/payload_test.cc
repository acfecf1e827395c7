#include "sensor/output/sinks/payload.h"

#include <gtest/gtest.h>

#include <regex>

#include "sensor/common/rfc3339.h"
#include "sensor/output/sinks/transport.h"
#include "tests/unit/sensor/output/sinks/test_alert.h"

namespace bw::output::sinks {
namespace {

using nlohmann::json;
using testing::SampleAlertJson;

std::string Header(const HttpPayload& p, const std::string& name) {
  for (const auto& [k, v] : p.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

TEST(AlertmanagerTest, SeveralAlertsGoInOneArrayEachAsAlone) {
  config::SinkConfig sink;
  sink.headers = {{"X-Scope-OrgID", "soc"}};
  const std::string high = SampleAlertJson("high"), critical = SampleAlertJson("critical");
  const std::vector<json> alerts = {json::parse(high), json::parse(critical)};
  const std::vector<std::string_view> texts = {high, critical};
  auto p = FormatAlertmanager(sink, alerts, texts, 0);
  auto body = json::parse(p.body);
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 2u);
  EXPECT_EQ(body[0], json::parse(FormatAlertmanager(sink, alerts[0], high, 0).body)[0]);
  EXPECT_EQ(body[1], json::parse(FormatAlertmanager(sink, alerts[1], critical, 0).body)[0]);
  EXPECT_EQ(body[1]["labels"]["severity"], "critical");
  EXPECT_EQ(Header(p, "X-Scope-OrgID"), "soc");
}

TEST(AlertFieldTest, NestedFlatAndMissing) {
  auto j = json::parse(SampleAlertJson());
  EXPECT_EQ(AlertField(j, "source.ip"), "203.0.113.9");
  EXPECT_EQ(AlertField(j, "storage.auth.class"), "anonymous");
  EXPECT_EQ(AlertField(j, "destination.port"), "443");
  EXPECT_EQ(AlertField(j, "encrypted"), "false");
  EXPECT_EQ(AlertField(j, "storage.nothing"), "");
  EXPECT_EQ(AlertField(j, "sample_keys"), "");
  auto flat = json::parse(R"({"source.ip":"10.0.0.1"})");
  EXPECT_EQ(AlertField(flat, "source.ip"), "10.0.0.1");
  EXPECT_EQ(AlertField(json::array(), "rule"), "");
}

TEST(HmacTest, Rfc4231TestCase2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookTest, BodyIsTheAlertAndSignatureCoversIt) {
  config::SinkConfig sink;
  sink.type = "webhook";
  sink.headers = {{"X-Team", "soc"}};
  auto body = SampleAlertJson();
  auto unsigned_payload = FormatWebhook(sink, body, "00000000000000ab");
  EXPECT_EQ(unsigned_payload.body, body);
  EXPECT_EQ(Header(unsigned_payload, "X-Bucketwatch-Alert-Id"), "00000000000000ab");
  EXPECT_EQ(Header(unsigned_payload, "X-Team"), "soc");
  EXPECT_EQ(Header(unsigned_payload, "X-Bucketwatch-Signature"), "<absent>");

  sink.hmac_key = "s3cr3t";
  sink.hmac_header = "X-Sig";
  auto p = FormatWebhook(sink, body, "00000000000000ab");
  EXPECT_EQ(Header(p, "X-Sig"), "sha256=" + HmacSha256Hex("s3cr3t", body));
  EXPECT_EQ(p.body.find("s3cr3t"), std::string::npos);
}

TEST(AlertmanagerTest, LabelsAnnotationsAndEndsAt) {
  config::SinkConfig sink;
  sink.type = "alertmanager";
  sink.resolve_timeout_seconds = 600;
  sink.generator_url = "https://soc.example/bucketwatch";
  auto text = SampleAlertJson();
  auto alert = json::parse(text);
  TimestampNs last = common::ParseRfc3339("2026-11-23T10:16:15Z").value();

  // Delivered promptly: endsAt = last_seen + resolve timeout.
  auto p = FormatAlertmanager(sink, alert, text, last - kNsPerSecond);
  auto body = json::parse(p.body);
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 1u);
  const auto& a = body[0];
  EXPECT_EQ(a["labels"]["alertname"], "anonymous_list");
  EXPECT_EQ(a["labels"]["severity"], "high");
  EXPECT_EQ(a["labels"]["provider"], "s3");
  EXPECT_EQ(a["labels"]["bucket"], "contracts-2022");
  EXPECT_EQ(a["labels"]["source_ip"], "203.0.113.9");
  EXPECT_FALSE(a["labels"].contains("account"));  // empty values are omitted
  EXPECT_EQ(a["annotations"]["summary"], alert["summary"]);
  EXPECT_NE(a["annotations"]["description"].get<std::string>().find("contracts-2022"),
            std::string::npos);
  EXPECT_EQ(a["startsAt"], "2026-11-23T10:16:00.000000Z");
  EXPECT_EQ(a["endsAt"], "2026-11-23T10:26:15.000000Z");
  EXPECT_EQ(a["generatorURL"], sink.generator_url);

  // Delivered an hour late from the spool: still active for the resolve
  // timeout.
  p = FormatAlertmanager(sink, alert, text, last + 3600 * kNsPerSecond);
  EXPECT_EQ(json::parse(p.body)[0]["endsAt"], "2026-11-23T11:26:15.000000Z");
}

TEST(AlertmanagerTest, StaticLabelsReachEveryAlert) {
  config::SinkConfig sink;
  sink.type = "alertmanager";
  auto text = SampleAlertJson();
  auto labels = json::parse(FormatAlertmanager(sink, json::parse(text), text, 0).body)[0]["labels"];
  EXPECT_EQ(labels["service"], "bucketwatch");  // the default, which the shipped route matches
  sink.labels = {{"service", "storage-sensor"}, {"team", "soc"}};
  labels = json::parse(FormatAlertmanager(sink, json::parse(text), text, 0).body)[0]["labels"];
  EXPECT_EQ(labels["service"], "storage-sensor");
  EXPECT_EQ(labels["team"], "soc");
  EXPECT_EQ(labels["alertname"], "anonymous_list");
}

TEST(AlertmanagerTest, TheSensorIsAnAnnotationNotALabel) {
  config::SinkConfig sink;
  auto text = SampleAlertJson();
  auto plain = json::parse(FormatAlertmanager(sink, json::parse(text), text, 0).body)[0];
  EXPECT_FALSE(plain["annotations"].contains("observer"));
  text.insert(1, R"("observer":{"name":"tap-fra-3","hostname":"sensor-host-7"},)");
  auto named = json::parse(FormatAlertmanager(sink, json::parse(text), text, 0).body)[0];
  EXPECT_EQ(named["annotations"]["observer"], "tap-fra-3");
  // Two sensors on one mirror raise the same alert: its labels must not tell them apart, or
  // Alertmanager notifies twice.
  EXPECT_EQ(named["labels"], plain["labels"]);
  auto slack = json::parse(FormatSlack(json::parse(text)).body).dump();
  EXPECT_NE(slack.find("*Sensor*\\ntap-fra-3"), std::string::npos) << slack;
}

TEST(AlertmanagerTest, DescriptionIsBoundedAndValidUtf8) {
  config::SinkConfig sink;
  std::string summary;
  for (int i = 0; i < 3000; ++i) summary += "\xc3\xa9";  // é, two bytes each
  auto text = SampleAlertJson("critical", summary);
  auto p = FormatAlertmanager(sink, json::parse(text), text, 0);
  auto body = json::parse(p.body);  // throws on invalid UTF-8 / JSON
  EXPECT_LE(body[0]["annotations"]["description"].get<std::string>().size(), 4096u + 3);
}

TEST(PagerDutyTest, TriggerWithRoutingAndDedupKey) {
  config::SinkConfig sink;
  sink.type = "pagerduty";
  sink.routing_key = "R0UTINGKEY";
  auto alert = json::parse(SampleAlertJson());
  auto body = json::parse(FormatPagerDuty(sink, alert).body);
  EXPECT_EQ(body["routing_key"], "R0UTINGKEY");
  EXPECT_EQ(body["event_action"], "trigger");
  EXPECT_EQ(body["dedup_key"], "anonymous_list|203.0.113.9|s3||contracts-2022");
  EXPECT_EQ(body["payload"]["summary"], alert["summary"]);
  EXPECT_EQ(body["payload"]["severity"], "error");
  EXPECT_EQ(body["payload"]["source"], "203.0.113.9");
  EXPECT_EQ(body["payload"]["timestamp"], "2026-11-23T10:16:15.123456789Z");
  EXPECT_EQ(body["payload"]["class"], "anonymous_list");
  EXPECT_EQ(body["payload"]["custom_details"], alert);

  EXPECT_EQ(PagerDutySeverity("critical"), "critical");
  EXPECT_EQ(PagerDutySeverity("high"), "error");
  EXPECT_EQ(PagerDutySeverity("medium"), "warning");
  EXPECT_EQ(PagerDutySeverity("low"), "info");
  EXPECT_EQ(PagerDutySeverity("info"), "info");
}

TEST(PagerDutyTest, SummaryCappedAt1024) {
  config::SinkConfig sink;
  sink.routing_key = "k";
  auto text = SampleAlertJson("low", std::string(5000, 'x'));
  auto body = json::parse(FormatPagerDuty(sink, json::parse(text)).body);
  EXPECT_LE(body["payload"]["summary"].get<std::string>().size(), 1024u);
  EXPECT_EQ(body["payload"]["severity"], "info");
}

TEST(SlackTest, ReadableTextAndEscapedFields) {
  auto text = SampleAlertJson("critical", "list of <bucket> & more");
  auto body = json::parse(FormatSlack(json::parse(text)).body);
  EXPECT_EQ(body["text"], "[CRITICAL] anonymous_list: list of <bucket> & more");
  auto section = body["blocks"][0]["text"]["text"].get<std::string>();
  EXPECT_NE(section.find("list of &lt;bucket&gt; &amp; more"), std::string::npos);
  auto fields = body["blocks"][1]["fields"].dump();
  EXPECT_NE(fields.find("203.0.113.9"), std::string::npos);
  EXPECT_NE(fields.find("s3 / contracts-2022"), std::string::npos);
  EXPECT_NE(fields.find("5 requests, 123456 bytes, 5 pages"), std::string::npos);
}

TEST(SyslogTest, Rfc5424Header) {
  config::SinkConfig sink;
  sink.facility = 4;
  auto text = SampleAlertJson("high");
  TimestampNs now = common::ParseRfc3339("2026-11-23T10:16:15.123456789Z").value();
  auto msg = FormatSyslog(sink, json::parse(text), text, "sensor 1", now, 60000);
  EXPECT_EQ(msg, "<35>1 2026-11-23T10:16:15.123456Z sensor1 bucketwatch - alert - " + text);
  std::regex rfc5424(
      R"(^<(\d{1,3})>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z [!-~]+ bucketwatch - alert - \{.*\}$)");
  EXPECT_TRUE(std::regex_match(msg, rfc5424));
  EXPECT_EQ(SyslogSeverity("critical"), 2);
  EXPECT_EQ(SyslogSeverity("medium"), 4);
  EXPECT_EQ(SyslogSeverity("info"), 6);
  auto small = FormatSyslog(sink, json::parse(text), text, "", now, 200);
  EXPECT_LE(small.size(), 200u);
  EXPECT_NE(small.find(" - bucketwatch - alert - "),
            std::string::npos);  // empty host -> "-"
  EXPECT_EQ(OctetCountingFrame("<35>1 x"), "7 <35>1 x");
}

TEST(UrlTest, ParsesHttpAndHttps) {
  HttpUrl u;
  ASSERT_TRUE(ParseHttpUrl("https://hooks.example.com/services/T/B/X?a=1#frag", u));
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "hooks.example.com");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/services/T/B/X?a=1");
  EXPECT_EQ(u.host_header, "hooks.example.com");
  ASSERT_TRUE(ParseHttpUrl("http://127.0.0.1:9093", u));
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.port, "9093");
  EXPECT_EQ(u.target, "/");
  ASSERT_TRUE(ParseHttpUrl("http://[::1]:8080/x", u));
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.host_header, "[::1]:8080");
  EXPECT_FALSE(ParseHttpUrl("ftp://x/", u));
  EXPECT_FALSE(ParseHttpUrl("http://user:pw@x/", u));
  EXPECT_FALSE(ParseHttpUrl("http://x:0/", u));
  EXPECT_FALSE(ParseHttpUrl("http://x:99999/", u));
  EXPECT_FALSE(ParseHttpUrl("http://:80/", u));
  EXPECT_FALSE(ParseHttpUrl("http://x/a b", u));
}

// Issue 18: a receiver's reply is read to the end of its head only, within kMaxReplyHead.
TEST(SinkReplyTest, StatusFromTheHeadWhateverTheBodyAnnounces) {
  std::string error;
  EXPECT_EQ(ParseSinkReplyHead("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok", error),
            202u);
  // 10^11 announced with one byte sent (this aborted the sensor with bad_alloc), and a chunked
  // body that never ends: the head decides, nothing is allocated for the body.
  EXPECT_EQ(ParseSinkReplyHead("HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\nx", error),
            200u);
  EXPECT_EQ(ParseSinkReplyHead("HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\nffffff\r\n",
                               error),
            503u);
  EXPECT_EQ(ParseSinkReplyHead("HTTP/1.1 200 OK\r\nContent-Len", error), 0u);
  EXPECT_EQ(error, "response: head cut short");
  EXPECT_EQ(ParseSinkReplyHead("HTTP/1.1 000 OK\r\n\r\n", error), 0u);
  EXPECT_EQ(error, "response: no valid status");
  EXPECT_EQ(ParseSinkReplyHead("garbage\r\n\r\n", error), 0u);
  EXPECT_NE(error.find("response: "), std::string::npos);
  const std::string huge =
      "HTTP/1.1 200 OK\r\nX-Pad: " + std::string(kMaxReplyHead, 'a') + "\r\n\r\n";
  EXPECT_EQ(ParseSinkReplyHead(huge, error), 0u);
  EXPECT_NE(error.find("response: "), std::string::npos);
}

}  // namespace
}  // namespace bw::output::sinks
