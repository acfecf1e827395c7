#pragma once
// One HTTP request the sensor parsed, storage or not, for the per-request HTTP log (--http-log,
// in the spirit of Zeek's http.log). Made only when that log is on. Guarantees: plain values,
// owning their strings; nothing here can carry a credential (no header but Host is copied, the
// target's query has its credential values redacted as the ledger's are, and userinfo is cut
// from an absolute-form target), and the target is bounded by kMaxTargetBytes.

#include <cstddef>
#include <cstdint>
#include <string>

#include "dissectors/common/timestamp.h"
#include "sensor/decode/ip_address.h"

namespace bw::event {

struct HttpLogEntry {
  // Longer targets are cut (target_truncated): a log line stays bounded whatever the client sent.
  static constexpr size_t kMaxTargetBytes = 2048;
  // Whether the request reached the ledger. kCandidate: it went to the output stage as a
  // KnownServerCandidate, which decides from what it learned of the server.
  enum class Storage : uint8_t { kNo, kYes, kCandidate };

  TimestampNs ts = 0;         // first byte of the request
  TimestampNs decide_ts = 0;  // when a candidate is decided (its RequestContext::end_ts)
  decode::IpAddress client_ip;
  uint16_t client_port = 0;
  decode::IpAddress server_ip;
  uint16_t server_port = 0;
  std::string community_id;
  std::string method;
  std::string host;    // authority of an absolute-form target, else the Host header
  std::string target;  // request-target as sent, credentials redacted, bounded
  bool target_truncated = false;
  uint8_t version_major = 1;
  uint8_t version_minor = 1;
  uint16_t status = 0;  // 0 without a response
  uint64_t request_body_bytes = 0;
  uint64_t response_body_bytes = 0;
  bool missing_bytes = false;  // a capture gap fell inside the request or response
  Storage storage = Storage::kNo;
};

}  // namespace bw::event
