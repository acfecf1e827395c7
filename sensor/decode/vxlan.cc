// VXLAN (RFC 7348): 8-byte header with the I flag, then an Ethernet frame; VXLAN-GPE below. A
// datagram to port 4789 without the I flag or too short to hold the header is left as the plain UDP
// packet it is.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kHeader = 8;
constexpr uint8_t kFlagValidVni = 0x08;
constexpr uint8_t kFlagNextProtocol = 0x04;  // VXLAN-GPE
constexpr uint8_t kGpeIpv4 = 1;
constexpr uint8_t kGpeIpv6 = 2;
constexpr uint8_t kGpeEthernet = 3;

}  // namespace

Step DecodeVxlan(Cursor& c, PacketMeta& m) {
  if (c.wire_len < kHeader) return Done();
  uint8_t flags = 0;
  if (c.data.size() < kHeader || !LoadU8(c.data, 0, flags)) {
    return Drop(DropReason::kTruncatedVxlan);
  }
  if ((flags & kFlagValidVni) == 0) return Done();
  if (!EnterTunnel(m, kTunnelVxlan)) return Drop(DropReason::kEncapsulationTooDeep);
  c.Advance(kHeader);
  c.layer = Layer::kEthernet;
  return Next();
}

// VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe, port 4790): the same header with a P flag that says byte 3
// names the inner protocol. Seen inside ERSPAN mirrors of overlay networks.
Step DecodeVxlanGpe(Cursor& c, PacketMeta& m) {
  if (c.wire_len < kHeader) return Done();
  uint8_t flags = 0;
  uint8_t next = 0;
  if (c.data.size() < kHeader || !LoadU8(c.data, 0, flags) || !LoadU8(c.data, 3, next)) {
    return Drop(DropReason::kTruncatedVxlan);
  }
  if ((flags & kFlagValidVni) == 0) return Done();
  Layer inner = Layer::kEthernet;
  if ((flags & kFlagNextProtocol) != 0) {
    switch (next) {
      case kGpeIpv4:
        inner = Layer::kIpv4;
        break;
      case kGpeIpv6:
        inner = Layer::kIpv6;
        break;
      case kGpeEthernet:
        break;
      default:
        return Done();  // NSH and others: not a packet the sensor reads
    }
  }
  if (!EnterTunnel(m, kTunnelVxlan)) return Drop(DropReason::kEncapsulationTooDeep);
  c.Advance(kHeader);
  c.layer = inner;
  return Next();
}

}  // namespace bw::decode::internal
