// AYIYA ("Anything In Anything", SixXS): an 8-byte header whose first two bytes give the sizes
// of the identity (2^n bytes) and signature (4n bytes) that follow, an opcode and the IP
// protocol number of the packet after them. Only "forward" messages carry a packet; heartbeats
// and other opcodes stay plain UDP.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kHeader = 8;
constexpr uint8_t kOpForward = 1;
constexpr uint8_t kProtoIpv4 = 4;   // IP-in-IP
constexpr uint8_t kProtoIpv6 = 41;  // IPv6-in-IP

}  // namespace

Step DecodeAyiya(Cursor& c, PacketMeta& m) {
  if (c.wire_len < kHeader) return Done();
  if (c.data.size() < kHeader) return Drop(DropReason::kTruncatedAyiya);
  const uint8_t* p = c.data.data();
  if ((p[2] & 0x0F) != kOpForward) return Done();
  const size_t header_len =
      kHeader + (size_t{1} << (p[0] >> 4)) + static_cast<size_t>(p[1] >> 4) * 4;
  if (header_len > c.wire_len) return Done();
  if (header_len > c.data.size()) return Drop(DropReason::kTruncatedAyiya);
  Layer next = Layer::kIpv4;
  if (p[3] == kProtoIpv4) {
    next = Layer::kIpv4;
  } else if (p[3] == kProtoIpv6) {
    next = Layer::kIpv6;
  } else {
    return Drop(DropReason::kAyiyaUnsupported);
  }
  if (!EnterTunnel(m, kTunnelAyiya)) return Drop(DropReason::kEncapsulationTooDeep);
  c.Advance(header_len);
  c.layer = next;
  return Next();
}

}  // namespace bw::decode::internal
