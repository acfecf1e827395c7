#pragma once
// What each sink sends for one alert, as pure functions of the alert's JSON
// (exactly the text held in the spool, so a restart formats the same bytes) and
// of the sink's config: no I/O, no clock (the send time is a parameter). Bodies
// are valid JSON (invalid UTF-8 replaced) and bounded: long summaries and
// excerpts are cut where each receiver's documented limit demands.

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dissectors/common/timestamp.h"
#include "sensor/config/alerting_config.h"

namespace bw::output::sinks {

struct HttpPayload {
  std::string body;                                          // JSON
  std::vector<std::pair<std::string, std::string>> headers;  // besides Host/Content-Type
};

// A value of the alert JSON by dotted path: nested objects first ("source" ->
// "ip"), then a flat key spelled with dots. Missing or non-scalar values give
// "" (numbers and bools as text).
std::string AlertField(const nlohmann::json& alert, std::string_view dotted);

// Lower-case hex HMAC-SHA256 of `body` under `key`.
std::string HmacSha256Hex(std::string_view key, std::string_view body);

// Generic webhook: the alert JSON as spooled, `X-Bucketwatch-Alert-Id`, the
// configured headers and, with an hmac_key, `<hmac_header>: sha256=<hex>` over
// the exact body.
HttpPayload FormatWebhook(const config::SinkConfig& sink, const std::string& alert_json,
                          const std::string& alert_id);

// Alertmanager v2: a one-element array for POST /api/v2/alerts. Labels
// alertname (=rule), severity, rule, provider, account, bucket, source_ip,
// auth_class, encrypted (empty values omitted); annotations summary,
// description (JSON excerpt), dedup_key, observer (the sensor's name: not a
// label, so that sensors seeing the same traffic make one Alertmanager alert);
// startsAt = first_seen; endsAt =
// max(last_seen, now) + resolve_timeout, so an alert delivered late from the
// spool still arrives active.
HttpPayload FormatAlertmanager(const config::SinkConfig& sink, const nlohmann::json& alert,
                               const std::string& alert_json, TimestampNs now);
// Several alerts in one array, each as above (`alerts[i]` parsed from `alert_jsons[i]`): the v2
// API takes any number per request, so a backlog costs a request per batch, not per alert.
HttpPayload FormatAlertmanager(const config::SinkConfig& sink,
                               std::span<const nlohmann::json> alerts,
                               std::span<const std::string_view> alert_jsons, TimestampNs now);

// PagerDuty Events API v2 "trigger" with routing_key and dedup_key;
// payload.severity maps critical->critical, high->error, medium->warning,
// low/info->info.
HttpPayload FormatPagerDuty(const config::SinkConfig& sink, const nlohmann::json& alert);
std::string PagerDutySeverity(std::string_view severity);

// Slack incoming webhook: a readable `text` line plus blocks with the key
// facts.
HttpPayload FormatSlack(const nlohmann::json& alert);

// RFC 5424: "<PRI>1 TIMESTAMP HOST bucketwatch - alert - JSON" with PRI =
// facility*8 + the syslog severity of the alert (critical 2, high 3, medium 4,
// low 5, info 6). The JSON is cut to keep the message within `max_bytes`.
std::string FormatSyslog(const config::SinkConfig& sink, const nlohmann::json& alert,
                         const std::string& alert_json, const std::string& hostname,
                         TimestampNs now, size_t max_bytes);
int SyslogSeverity(std::string_view severity);
// TCP framing of RFC 6587 octet counting: "<length> <message>".
std::string OctetCountingFrame(const std::string& message);

}  // namespace bw::output::sinks
