// VXLAN (RFC 7348): 8-byte header with the I flag, then an Ethernet frame. A datagram to port
// 4789 without the I flag or too short to hold the header is left as the plain UDP packet it is.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kHeader = 8;
constexpr uint8_t kFlagValidVni = 0x08;

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

}  // namespace bw::decode::internal
