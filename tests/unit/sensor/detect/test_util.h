#pragma once
// Builders of synthetic storage events and flow summaries for the detection tests.

#include <string>
#include <vector>

#include "sensor/detect/detection_engine.h"

namespace bw::detect::testing {

inline decode::IpAddress Ip(const std::string& text) {
  decode::IpAddress a;
  decode::IpAddress::Parse(text, a);
  return a;
}

inline TimestampNs Sec(double s) { return static_cast<TimestampNs>(s * kNsPerSecond); }

// A fixed epoch so timestamps in expectations are readable: 2026-11-23T10:00:00Z.
inline constexpr TimestampNs kT0 = 1795428000LL * kNsPerSecond;

class Recorder : public AlertSink {
 public:
  void OnAlert(const Alert& alert) override { alerts.push_back(alert); }
  std::vector<Alert> ByRule(const std::string& rule) const {
    std::vector<Alert> out;
    for (const auto& a : alerts) {
      if (RuleName(a.rule) == rule) out.push_back(a);
    }
    return out;
  }
  std::vector<Alert> alerts;
};

inline event::RequestContext Ctx(const std::string& client, TimestampNs ts,
                                 const std::string& user_agent = "curl/7.88.1") {
  event::RequestContext c;
  c.start_ts = ts;
  c.end_ts = ts + kNsPerMillisecond;
  c.client_ip = Ip(client);
  c.client_port = 40000;
  c.server_ip = Ip("198.51.100.20");
  c.server_port = 443;
  c.community_id = "1:testcommunityid=";
  c.method = "GET";
  c.status = 200;
  c.user_agent = user_agent;
  return c;
}

// The kind is the table's kind of `op` (dissectors/storage/operation.h), as the recognisers set it.
inline storage::StorageEvent Event(storage::Operation op, const std::string& bucket,
                                   storage::Outcome outcome,
                                   storage::AuthClass auth = storage::AuthClass::kAnonymous,
                                   storage::Provider provider = storage::Provider::kS3,
                                   const std::string& account = "") {
  storage::StorageEvent e;
  e.provider = provider;
  e.account = account;
  e.bucket = bucket;
  e.operation = op;
  e.kind = storage::OperationKindOf(op);
  e.auth_class = auth;
  e.outcome = outcome;
  return e;
}

inline storage::StorageEvent List(const std::string& bucket, int64_t keys,
                                  storage::Outcome outcome = storage::Outcome::kSuccess,
                                  storage::AuthClass auth = storage::AuthClass::kAnonymous) {
  auto e = Event(storage::Operation::kListObjectsV2, bucket, outcome, auth);
  if (outcome == storage::Outcome::kSuccess) {
    e.list_keys = keys;
    for (int64_t i = 0; i < keys && i < 25; ++i) e.sample_keys.push_back("k" + std::to_string(i));
  }
  return e;
}

inline constexpr uint64_t kResponseHeadBytes = 268;

inline storage::StorageEvent Read(const std::string& bucket, const std::string& key, uint64_t bytes,
                                  storage::AuthClass auth = storage::AuthClass::kAnonymous,
                                  storage::Outcome outcome = storage::Outcome::kSuccess) {
  auto e = Event(storage::Operation::kGetObject, bucket, outcome, auth);
  e.key = key;
  if (outcome == storage::Outcome::kSuccess) {
    // `bytes` of object; the message adds a response head of a typical S3 size.
    e.response_body_bytes = bytes;
    e.response_bytes = bytes + kResponseHeadBytes;
  }
  e.sample_keys.push_back(key);
  return e;
}

inline event::EncryptedFlowSummary Tls(const std::string& client, const std::string& sni,
                                       TimestampNs first, TimestampNs last, uint64_t turns,
                                       uint64_t bytes_to_client, bool final,
                                       uint16_t client_port = 50000) {
  event::EncryptedFlowSummary f;
  f.client_ip = Ip(client);
  f.client_port = client_port;
  f.server_ip = Ip("198.51.100.30");
  f.server_port = 443;
  f.community_id = "1:flow" + std::to_string(client_port) + client;
  f.server_name = sni;
  f.first_ts = first;
  f.last_ts = last;
  f.turns = turns;
  f.bytes_to_client = bytes_to_client;
  f.bytes_to_server = turns * 300;
  f.final = final;
  return f;
}

}  // namespace bw::detect::testing
