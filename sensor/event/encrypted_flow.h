#pragma once
// What an encrypted (TLS) connection revealed so far, handed from a worker to the output stage:
// the SNI, request/response turns and bytes each way. Guarantees: plain values owning their
// strings; totals are cumulative since the flow began, so a consumer works on the differences
// between successive summaries of the same flow and loses nothing when one is skipped.

#include <cstdint>
#include <string>

#include "dissectors/common/timestamp.h"
#include "sensor/decode/ip_address.h"

namespace bw::event {

struct EncryptedFlowSummary {
  decode::IpAddress client_ip;
  uint16_t client_port = 0;
  decode::IpAddress server_ip;
  uint16_t server_port = 0;
  std::string community_id;
  std::string server_name;  // SNI
  TimestampNs first_ts = 0;
  TimestampNs last_ts = 0;
  uint64_t turns = 0;  // client->server application-data bursts after server data (requests)
  uint64_t bytes_to_client = 0;  // TLS application-data bytes server -> client
  uint64_t bytes_to_server = 0;
  bool final = false;  // the flow ended; no further summary will come
};

}  // namespace bw::event
