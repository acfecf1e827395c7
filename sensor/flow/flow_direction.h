#pragma once
// Which endpoint of a flow is the client. The handshake decides when it was seen: a SYN without
// ACK comes from the client, a SYN+ACK from the server. Otherwise a port heuristic decides: a
// known object-storage/web server port, then the privileged (< 1024) lower port, is the server;
// when neither side looks like a server, whoever sent the first packet is the client. The
// decision is a pure function of one packet (plus optional configured server ports), so the
// same capture always yields the same orientation.

#include <cstdint>
#include <span>

#include "dissectors/common/direction.h"
#include "sensor/decode/packet_meta.h"
#include "sensor/flow/flow_key.h"

namespace bw::flow {

struct ClientDecision {
  Endpoint client;
  Endpoint server;
  bool from_handshake = false;  // SYN or SYN+ACK seen; otherwise the port heuristic
};

// Ports the heuristic treats as servers even though they are >= 1024 or ambiguous:
// HTTP(S) 80/443/8000/8080/8443, MinIO 9000, Azurite blob 10000, s3rver 4568/4569,
// Ceph RGW 7480.
bool IsKnownServerPort(uint16_t port);

// Decides from the first packet of a flow. `extra_server_ports` adds configured storage
// endpoints (e.g. a MinIO on 9100) to the known set.
ClientDecision DecideClient(const decode::PacketMeta& first_packet,
                            std::span<const uint16_t> extra_server_ports = {});

// Direction of a packet once the client is known: from the client means kToServer.
inline Direction DirectionOf(const decode::PacketMeta& p, const Endpoint& client) {
  return (p.src == client.addr && p.src_port == client.port) ? Direction::kToServer
                                                             : Direction::kToClient;
}

// The same from FlowKey::FromPacket's `src_is_lo`, for owners that store only `client_is_lo`.
constexpr Direction DirectionOf(bool src_is_lo, bool client_is_lo) {
  return src_is_lo == client_is_lo ? Direction::kToServer : Direction::kToClient;
}

}  // namespace bw::flow
