// UDP header (RFC 768), and the UDP tunnels by their IANA ports (udp_tunnel_ports.h). Each tunnel
// decoder leaves a datagram that does not parse as its tunnel as plain UDP.

#include "sensor/decode/layers.h"
#include "sensor/decode/udp_tunnel_ports.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kHeader = 8;

bool EitherSide(const PacketMeta& m, uint16_t port) {
  return m.dst_port == port || m.src_port == port;
}

}  // namespace

Step DecodeUdp(Cursor& c, PacketMeta& m) {
  if (c.data.size() < kHeader) return Drop(DropReason::kTruncatedUdp);
  const uint8_t* p = c.data.data();
  const uint16_t length = Be16(p + 4);
  if (length < kHeader || length > c.wire_len) return Drop(DropReason::kUdpBadLength);
  m.src_port = Be16(p);
  m.dst_port = Be16(p + 2);
  c.Trim(length);
  c.Advance(kHeader);
  m.payload = c.data;
  m.payload_wire_len = static_cast<uint32_t>(c.wire_len);
  if (m.dst_port == kVxlanPort) {
    c.layer = Layer::kVxlan;
  } else if (m.dst_port == kVxlanGpePort) {
    c.layer = Layer::kVxlanGpe;
  } else if (m.dst_port == kGenevePort) {
    c.layer = Layer::kGeneve;
  } else if (m.dst_port == kGreInUdpPort) {
    // The GRE header follows the UDP header directly; GRE counts the tunnel level.
    c.layer = Layer::kGre;
  } else if (EitherSide(m, kGtpUPort)) {
    c.layer = Layer::kGtpU;
  } else if (EitherSide(m, kTeredoPort)) {
    c.layer = Layer::kTeredo;
  } else if (EitherSide(m, kAyiyaPort)) {
    c.layer = Layer::kAyiya;
  } else {
    return Done();
  }
  return Next();
}

}  // namespace bw::decode::internal
