#pragma once
// One ledger line: a storage request with the connection it travelled on, rendered as an
// ECS-style nested JSON object. Absent optional values are omitted, never written as "".
// Nothing here can carry a credential: the query is already redacted by the recogniser and
// no header other than User-Agent is copied.

#include <cstdint>
#include <string>

#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/decode/ip_address.h"

namespace bw::output {

struct RequestContext {
  TimestampNs start_ts = 0;  // first byte of the request
  TimestampNs end_ts = 0;    // last byte of the response (or of the request without one)
  decode::IpAddress client_ip;
  uint16_t client_port = 0;
  decode::IpAddress server_ip;
  uint16_t server_port = 0;
  std::string community_id;
  std::string method;
  uint16_t status = 0;  // 0 without response
  uint64_t request_bytes = 0;   // headers + body as sent
  uint64_t response_bytes = 0;  // headers + body as sent
  std::string user_agent;
  std::string sni;  // TLS server name when the request was decrypted from TLS
  bool missing_bytes = false;  // a capture gap fell inside the request or response
};

// The JSON object, without a trailing newline. Invalid UTF-8 from the wire is replaced.
std::string FormatLedgerLine(const RequestContext& ctx, const storage::StorageEvent& event);

}  // namespace bw::output
