#pragma once
// Settings of alert delivery: the persistent spool every alert is written to
// before any delivery attempt, and the sinks (webhook, Alertmanager, PagerDuty,
// Slack, syslog) that receive it. Every limit is finite and range-checked.
// Secrets (HMAC keys, routing keys, webhook URLs carrying tokens, header
// values) live only here; DumpAlertingConfig never prints them.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bw::config {

struct SinkConfig {
  // Unique, [A-Za-z0-9_-]{1,32}: names the sink in logs, metrics and spool
  // delivery markers.
  std::string name;
  // webhook, alertmanager, pagerduty, slack, syslog.
  std::string type = "webhook";

  // HTTP sinks: http:// or https:// URL (Alertmanager: its base URL;
  // /api/v2/alerts is added).
  std::string url;
  // PEM file of CAs trusted for https:// (empty: the system store).
  // Verification is always on.
  std::string ca_file;
  // Extra request headers, in order (values may be credentials: never logged).
  std::vector<std::pair<std::string, std::string>> headers;
  // Webhook: when set, `hmac_header: sha256=<hex HMAC-SHA256(key, body)>` signs
  // every body.
  std::string hmac_key;
  std::string hmac_header = "X-Bucketwatch-Signature";
  // PagerDuty Events API v2 integration key.
  std::string routing_key;
  // Alertmanager: endsAt = max(last_seen, send time) + resolve_timeout;
  // generatorURL optional.
  uint64_t resolve_timeout_seconds = 3600;
  std::string generator_url;
  // Alertmanager: labels added to every alert, for routing (`service`, `team`, `env`). A
  // present `labels` mapping replaces the default; names follow Prometheus
  // ([a-zA-Z_][a-zA-Z0-9_]*, not `__`-prefixed) and may not be a label the sink sets per alert.
  std::vector<std::pair<std::string, std::string>> labels = {{"service", "bucketwatch"}};

  // Syslog: RFC 5424 to host:port over udp or tcp (octet-counting framing).
  std::string host = "127.0.0.1";
  uint16_t port = 514;
  std::string transport = "udp";
  uint32_t facility = 4;  // security/authorization messages (auth)
  std::string hostname;   // HOSTNAME field; empty: gethostname()

  // Delivery: each attempt (resolve, connect, TLS, request, response) must
  // finish in time.
  uint64_t timeout_ms = 10000;
  // Failed attempts are retried forever (the spool holds the alert) with
  // exponential backoff from initial_backoff_ms doubling up to max_backoff_ms,
  // each wait jittered to [50%, 100%].
  uint64_t initial_backoff_ms = 500;
  uint64_t max_backoff_ms = 60000;
  // Alerts held in memory for this sink; beyond it they stay only in the spool
  // (counted) and are read back from disk when the queue has room.
  uint64_t queue_capacity = 1000;
};

struct AlertingConfig {
  // Directory of the persistent spool (created 0700; files 0600).
  std::string spool_dir = "/var/lib/bucketwatch/spool";
  // Spool bounds: at either bound the oldest undelivered alerts are dropped
  // (counted, logged).
  uint64_t spool_max_alerts = 100000;
  uint64_t spool_max_bytes = 256ull << 20;  // 256 MiB
  // On SIGTERM/SIGINT the sinks get this long to deliver what is queued; the spool keeps the rest.
  uint64_t drain_timeout_ms = 5000;
  std::vector<SinkConfig> sinks;
};

// Reads the `alerting` mapping at `path` strictly (unknown keys, bad values,
// duplicate sink names and missing per-type settings throw yaml::ConfigError
// with the key path). Keys absent from `node` keep `out`'s values; a present
// `sinks` list replaces out.sinks.
void ReadAlertingConfig(const YAML::Node& node, const std::string& path, AlertingConfig& out);

// Writes the section's keys (not the `alerting:` key itself) into an open YAML
// map, with every secret replaced by "<redacted>" and URL paths of Slack sinks
// and all URL queries removed.
void DumpAlertingConfig(YAML::Emitter& emitter, const AlertingConfig& config);

}  // namespace bw::config
