#include "sensor/output/sinks/payload.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "dissectors/common/hex.h"
#include "sensor/common/rfc3339.h"

namespace bw::output::sinks {

namespace {

using nlohmann::json;

constexpr size_t kDescriptionMax = 4096;       // Alertmanager annotation excerpt
constexpr size_t kPagerDutySummaryMax = 1024;  // Events API v2 limit
constexpr size_t kPagerDutyDedupMax = 255;     // Events API v2 limit
constexpr size_t kSlackTextMax = 2900;         // section text limit is 3000

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Cuts at a UTF-8 code point boundary so the excerpt stays valid text.
std::string Cut(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end)) + "...";
}

std::string SlackEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string SanitizeHeaderField(std::string_view s, size_t max) {
  // RFC 5424 HOSTNAME: PRINTUSASCII (33..126), 1..255 characters.
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    if (c >= 33 && c <= 126) out += c;
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string AlertField(const json& alert, std::string_view dotted) {
  if (!alert.is_object()) return "";
  const json* cur = &alert;
  size_t start = 0;
  bool found = true;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    std::string part(
        dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start));
    if (!cur->is_object()) {
      found = false;
      break;
    }
    auto it = cur->find(part);
    if (it == cur->end()) {
      found = false;
      break;
    }
    cur = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!found) {
    auto it = alert.find(std::string(dotted));
    if (it == alert.end()) return "";
    cur = &*it;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_number()) return cur->dump();
  return "";
}

std::string HmacSha256Hex(std::string_view key, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string out;
  AppendHex(out, std::string_view(reinterpret_cast<const char*>(mac), len));
  return out;
}

HttpPayload FormatWebhook(const config::SinkConfig& sink, const std::string& alert_json,
                          const std::string& alert_id) {
  HttpPayload p;
  p.body = alert_json;
  p.headers.emplace_back("X-Bucketwatch-Alert-Id", alert_id);
  for (const auto& h : sink.headers) p.headers.push_back(h);
  if (!sink.hmac_key.empty()) {
    p.headers.emplace_back(sink.hmac_header, "sha256=" + HmacSha256Hex(sink.hmac_key, p.body));
  }
  return p;
}

namespace {

json AlertmanagerAlert(const config::SinkConfig& sink, const json& alert,
                       std::string_view alert_json, TimestampNs now) {
  json labels = json::object();
  auto label = [&](const char* name, std::string_view field) {
    auto v = AlertField(alert, field);
    if (!v.empty()) labels[name] = v;
  };
  label("alertname", "rule");
  label("severity", "severity");
  label("rule", "rule");
  label("provider", "storage.provider");
  label("account", "storage.account");
  label("bucket", "storage.bucket");
  label("source_ip", "source.ip");
  label("auth_class", "storage.auth.class");
  label("encrypted", "encrypted");
  if (!labels.contains("alertname")) labels["alertname"] = "bucketwatch";
  labels["sensor"] = "bucketwatch";
  for (const auto& [name, value] : sink.labels) labels[name] = value;

  json annotations = json::object();
  annotations["summary"] = AlertField(alert, "summary");
  annotations["description"] = Cut(alert_json, kDescriptionMax);
  auto dedup = AlertField(alert, "dedup_key");
  if (!dedup.empty()) annotations["dedup_key"] = dedup;
  // An annotation, not a label: two sensors on a duplicated mirror raise the same alert, and
  // Alertmanager folds identical label sets into one notification.
  auto observer = AlertField(alert, "observer.name");
  if (!observer.empty()) annotations["observer"] = observer;

  TimestampNs first = common::ParseRfc3339(AlertField(alert, "first_seen")).value_or(now);
  TimestampNs last = common::ParseRfc3339(AlertField(alert, "last_seen")).value_or(first);
  TimestampNs ends =
      std::max(last, now) + static_cast<TimestampNs>(sink.resolve_timeout_seconds) * kNsPerSecond;

  json a;
  a["labels"] = std::move(labels);
  a["annotations"] = std::move(annotations);
  a["startsAt"] = common::FormatRfc3339(first, 6);
  a["endsAt"] = common::FormatRfc3339(ends, 6);
  if (!sink.generator_url.empty()) a["generatorURL"] = sink.generator_url;
  return a;
}

}  // namespace

HttpPayload FormatAlertmanager(const config::SinkConfig& sink, const json& alert,
                               const std::string& alert_json, TimestampNs now) {
  const std::string_view text = alert_json;
  return FormatAlertmanager(sink, std::span<const json>(&alert, 1),
                            std::span<const std::string_view>(&text, 1), now);
}

HttpPayload FormatAlertmanager(const config::SinkConfig& sink, std::span<const json> alerts,
                               std::span<const std::string_view> alert_jsons, TimestampNs now) {
  json array = json::array();
  for (size_t i = 0; i < alerts.size() && i < alert_jsons.size(); ++i) {
    array.push_back(AlertmanagerAlert(sink, alerts[i], alert_jsons[i], now));
  }
  HttpPayload p;
  p.body = Dump(array);
  for (const auto& h : sink.headers) p.headers.push_back(h);
  return p;
}

std::string PagerDutySeverity(std::string_view severity) {
  if (severity == "critical") return "critical";
  if (severity == "high") return "error";
  if (severity == "medium") return "warning";
  return "info";
}

HttpPayload FormatPagerDuty(const config::SinkConfig& sink, const json& alert) {
  auto rule = AlertField(alert, "rule");
  auto summary = AlertField(alert, "summary");
  if (summary.empty()) summary = "bucketwatch " + rule;
  auto dedup = AlertField(alert, "dedup_key");
  if (dedup.empty()) dedup = "bucketwatch:" + rule + ":" + AlertField(alert, "source.ip");
  auto source = AlertField(alert, "source.ip");
  json payload;
  payload["summary"] = Cut(summary, kPagerDutySummaryMax - 3);
  payload["severity"] = PagerDutySeverity(AlertField(alert, "severity"));
  payload["source"] = source.empty() ? "bucketwatch" : source;
  auto ts = AlertField(alert, "@timestamp");
  if (common::ParseRfc3339(ts)) payload["timestamp"] = ts;
  auto provider = AlertField(alert, "storage.provider");
  if (!provider.empty()) payload["component"] = provider;
  auto bucket = AlertField(alert, "storage.bucket");
  if (!bucket.empty()) payload["group"] = bucket;
  if (!rule.empty()) payload["class"] = rule;
  payload["custom_details"] = alert;

  json event;
  event["routing_key"] = sink.routing_key;
  event["event_action"] = "trigger";
  event["dedup_key"] = Cut(dedup, kPagerDutyDedupMax - 3);
  event["client"] = "bucketwatch";
  event["payload"] = std::move(payload);
  HttpPayload p;
  p.body = Dump(event);
  for (const auto& h : sink.headers) p.headers.push_back(h);
  return p;
}

HttpPayload FormatSlack(const json& alert) {
  auto severity = AlertField(alert, "severity");
  std::string upper;
  for (char c : severity) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  auto rule = AlertField(alert, "rule");
  auto summary = AlertField(alert, "summary");
  std::string head = "[" + (upper.empty() ? std::string("ALERT") : upper) + "] " + rule;
  std::string text =
      ":rotating_light: *" + SlackEscape(head) + "* " + SlackEscape(Cut(summary, kSlackTextMax));

  json fields = json::array();
  auto field = [&](const std::string& title, const std::string& value) {
    if (value.empty()) return;
    fields.push_back(
        {{"type", "mrkdwn"}, {"text", "*" + title + "*\n" + SlackEscape(Cut(value, 500))}});
  };
  field("Source", AlertField(alert, "source.ip"));
  std::string where = AlertField(alert, "storage.provider");
  auto account = AlertField(alert, "storage.account");
  auto bucket = AlertField(alert, "storage.bucket");
  if (!account.empty()) where += (where.empty() ? "" : " ") + account;
  if (!bucket.empty()) where += (where.empty() ? "" : " / ") + bucket;
  field("Bucket", where);
  field("Auth", AlertField(alert, "storage.auth.class"));
  std::string counts;
  for (const char* c : {"requests", "objects", "bytes", "pages", "denied"}) {
    auto v = AlertField(alert, std::string("counts.") + c);
    if (!v.empty() && v != "0") counts += (counts.empty() ? "" : ", ") + v + " " + c;
  }
  field("Counts", counts);
  field("First seen", AlertField(alert, "first_seen"));
  field("Last seen", AlertField(alert, "last_seen"));
  field("Encrypted", AlertField(alert, "encrypted"));
  field("Dedup key", AlertField(alert, "dedup_key"));
  field("Sensor", AlertField(alert, "observer.name"));

  json blocks = json::array();
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}});
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});
  json msg;
  msg["text"] = head + ": " + Cut(summary, kSlackTextMax);
  msg["blocks"] = std::move(blocks);
  HttpPayload p;
  p.body = Dump(msg);
  return p;
}

int SyslogSeverity(std::string_view severity) {
  if (severity == "critical") return 2;
  if (severity == "high") return 3;
  if (severity == "medium") return 4;
  if (severity == "low") return 5;
  return 6;
}

std::string FormatSyslog(const config::SinkConfig& sink, const json& alert,
                         const std::string& alert_json, const std::string& hostname,
                         TimestampNs now, size_t max_bytes) {
  int pri = static_cast<int>(sink.facility) * 8 + SyslogSeverity(AlertField(alert, "severity"));
  std::string header = "<" + std::to_string(pri) + ">1 " + common::FormatRfc3339(now, 6) + " " +
                       SanitizeHeaderField(hostname, 255) + " bucketwatch - alert - ";
  size_t room = max_bytes > header.size() + 3 ? max_bytes - header.size() : 3;
  return header + Cut(alert_json, room - 3);
}

std::string OctetCountingFrame(const std::string& message) {
  return std::to_string(message.size()) + " " + message;
}

}  // namespace bw::output::sinks
