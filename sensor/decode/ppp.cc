// PPP over Ethernet sessions (RFC 2516: EtherType 0x8864, 6-byte header) and the PPP protocol
// field (RFC 1661) behind them and behind PPP link types. The protocol field may be compressed
// to one byte (RFC 1661 section 6.5: an odd first byte ends the field).

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kPppoeHeader = 6;
constexpr uint8_t kPppoeVersionType = 0x11;
constexpr uint8_t kPppoeCodeSession = 0x00;

constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;
constexpr uint16_t kPppMpls = 0x0281;

}  // namespace

Step DecodePppoe(Cursor& c, PacketMeta& m) {
  if (c.data.size() < kPppoeHeader) return Drop(DropReason::kTruncatedPppoe);
  if (c.data[0] != kPppoeVersionType || c.data[1] != kPppoeCodeSession) {
    return Drop(DropReason::kNotIp);
  }
  m.tunnel_flags |= kTunnelPppoe;
  c.Advance(kPppoeHeader);
  // The length field is not trusted to cut the payload: some access concentrators understate it
  // (Zeek's pppoe-over-qinq trace: 42 for a 46-byte IP packet; Wireshark reads the packet whole).
  // The IP layer trims Ethernet padding by its own length.
  c.layer = Layer::kPpp;
  return Next();
}

Step DecodePpp(Cursor& c, PacketMeta& m) {
  uint8_t first = 0;
  if (!LoadU8(c.data, 0, first)) return Drop(DropReason::kTruncatedPpp);
  uint16_t protocol = first;
  size_t len = 1;
  if ((first & 0x01) == 0) {
    if (!LoadBe16(c.data, 0, protocol)) return Drop(DropReason::kTruncatedPpp);
    len = 2;
  }
  switch (protocol) {
    case kPppIpv4:
      c.layer = Layer::kIpv4;
      break;
    case kPppIpv6:
      c.layer = Layer::kIpv6;
      break;
    case kPppMpls:
      c.layer = Layer::kMpls;
      break;
    default:
      return Drop(DropReason::kNotIp);  // LCP, IPCP, CHAP, ...
  }
  c.Advance(len);
  return Next();
}

}  // namespace bw::decode::internal
