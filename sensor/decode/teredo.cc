// Teredo (RFC 4380): IPv6 carried directly in UDP, optionally preceded by an authentication
// indicator (0x0001, id and auth lengths, id, auth value, 8-byte nonce, confirmation byte) and
// then an origin indicator (0x0000, port, address; 8 bytes). Only a datagram that holds an IPv6
// header after them is Teredo; anything else on the port stays plain UDP.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kAuthFixed = 4 + 8 + 1;  // type, two lengths; nonce; confirmation
constexpr size_t kOrigin = 8;
constexpr uint16_t kAuthIndicator = 0x0001;
constexpr uint16_t kOriginIndicator = 0x0000;
constexpr size_t kIpv6Header = 40;

}  // namespace

Step DecodeTeredo(Cursor& c, PacketMeta& m) {
  size_t off = 0;
  uint16_t type = 0;
  if (!LoadBe16(c.data, off, type)) {
    return c.wire_len < 2 ? Done() : Drop(DropReason::kTruncatedTeredo);
  }
  if (type == kAuthIndicator) {
    uint8_t id_len = 0;
    uint8_t auth_len = 0;
    if (!LoadU8(c.data, 2, id_len) || !LoadU8(c.data, 3, auth_len)) {
      return c.wire_len < 4 ? Done() : Drop(DropReason::kTruncatedTeredo);
    }
    off = kAuthFixed + id_len + auth_len;
    if (!LoadBe16(c.data, off, type)) {
      return c.wire_len < off + 2 ? Done() : Drop(DropReason::kTruncatedTeredo);
    }
  }
  if (type == kOriginIndicator) off += kOrigin;
  // The version nibble and a full header decide: bubbles are IPv6 packets too (no payload).
  if (c.wire_len < off + kIpv6Header) return Done();
  uint8_t first = 0;
  if (!LoadU8(c.data, off, first)) return Drop(DropReason::kTruncatedTeredo);
  if ((first >> 4) != 6) return Done();
  if (!EnterTunnel(m, kTunnelTeredo)) return Drop(DropReason::kEncapsulationTooDeep);
  c.Advance(off);
  c.layer = Layer::kIpv6;
  return Next();
}

}  // namespace bw::decode::internal
