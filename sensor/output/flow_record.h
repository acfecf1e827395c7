#pragma once
// One line of the flow log (--flow-log): what the sensor saw of a finished connection, in the
// spirit of Zeek's conn.log, with reassembly health and, on request, a SHA-256 of the bytes
// delivered in each direction so two runs (or two sensors) can prove they saw the same streams.

#include <array>
#include <cstdint>
#include <string>

#include "dissectors/common/timestamp.h"
#include "sensor/decode/ip_address.h"
#include "sensor/event/tls_decryption_outcome.h"

namespace bw::output {

struct FlowDirectionRecord {
  uint64_t packets = 0;
  uint64_t wire_bytes = 0;       // IP payload bytes seen (TCP headers included)
  uint64_t delivered_bytes = 0;  // reassembled bytes handed to the application layer
  uint64_t gaps = 0;
  uint64_t gap_bytes = 0;
  std::string sha256;  // hex, when digests were requested
};

struct FlowRecord {
  TimestampNs start_ts = 0;
  TimestampNs end_ts = 0;
  decode::IpAddress client_ip;
  uint16_t client_port = 0;
  decode::IpAddress server_ip;
  uint16_t server_port = 0;
  uint8_t proto = 0;
  bool handshake_seen = false;  // orientation from SYN/SYN+ACK, not the port heuristic
  std::string community_id;
  std::string end_reason;    // closed, idle_timeout, hard_timeout, evicted, shutdown
  std::string app_protocol;  // nDPI label
  std::string category;
  std::string risks;
  std::string app_layer;    // what our dissectors ran: http, tls, none
  std::string server_name;  // TLS SNI
  std::string alpn;
  event::TlsDecryptionOutcome tls;  // with key logs
  uint64_t http_requests = 0;
  uint64_t storage_requests = 0;
  std::array<FlowDirectionRecord, 2> dir;  // [kToServer], [kToClient]
};

std::string FormatFlowLine(const FlowRecord& r);

}  // namespace bw::output
