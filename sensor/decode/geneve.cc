// GENEVE (RFC 8926), the encapsulation of AWS Gateway Load Balancer and of several virtual
// switches: an 8-byte header, variable-length options, then the frame named by the EtherType in
// the protocol field (Ethernet for 0x6558, bare IPv4/IPv6 from GWLB). The option length is all
// the decoder needs: options (GWLB's flow cookie and attachment ids) say nothing about the flow.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kHeader = 8;
constexpr uint8_t kVersionShift = 6;
constexpr uint8_t kOptionLengthMask = 0x3F;  // in 4-byte words

}  // namespace

Step DecodeGeneve(Cursor& c, PacketMeta& m) {
  if (c.wire_len < kHeader) return Done();
  uint8_t first = 0;
  uint16_t proto = 0;
  if (!LoadU8(c.data, 0, first) || !LoadBe16(c.data, 2, proto) || c.data.size() < kHeader) {
    return Drop(DropReason::kTruncatedGeneve);
  }
  // Version 0 is the only one defined; a later one may lay out its header differently.
  if ((first >> kVersionShift) != 0) return Drop(DropReason::kGeneveUnsupported);
  const size_t header_len = kHeader + static_cast<size_t>(first & kOptionLengthMask) * 4;
  if (header_len > c.wire_len) return Drop(DropReason::kGeneveUnsupported);
  if (header_len > c.data.size()) return Drop(DropReason::kTruncatedGeneve);
  if (!EnterTunnel(m, kTunnelGeneve)) return Drop(DropReason::kEncapsulationTooDeep);
  c.Advance(header_len);
  c.ethertype = proto;
  c.layer = Layer::kEthertype;
  return Next();
}

}  // namespace bw::decode::internal
