// IPv4 (RFC 791). Checksums are not verified: taps and SPAN ports see packets whose checksum a
// NIC fills in later, and a wrong checksum is no reason to lose a storage request.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kMinHeader = 20;
constexpr uint16_t kMoreFragments = 0x2000;
constexpr uint16_t kOffsetMask = 0x1FFF;

}  // namespace

Step DecodeIpv4(Cursor& c, PacketMeta& m, FragmentContext& f) {
  uint8_t version_ihl = 0;
  if (!LoadU8(c.data, 0, version_ihl)) return Drop(DropReason::kTruncatedIpv4);
  if ((version_ihl >> 4) != 4) return Drop(DropReason::kIpv4BadVersion);
  if (c.data.size() < kMinHeader) return Drop(DropReason::kTruncatedIpv4);
  const size_t header_len = size_t{version_ihl & 0x0Fu} * 4;
  if (header_len < kMinHeader || header_len > c.wire_len) {
    return Drop(DropReason::kIpv4BadHeaderLength);
  }
  if (header_len > c.data.size()) return Drop(DropReason::kTruncatedIpv4);
  const uint8_t* p = c.data.data();
  uint64_t total_len = Be16(p + 2);
  const uint16_t id = Be16(p + 4);
  const uint16_t fragment = Be16(p + 6);
  // A capture on the sending host of TCP segmentation offload sees the stack's large segment
  // before the NIC cuts it, with total length 0 (the real one does not fit 16 bits or is left
  // to the NIC). Wireshark and Zeek then take the length the frame gives; so does the sensor,
  // for whole datagrams only, and counts it.
  if (total_len == 0 && (fragment & (kMoreFragments | kOffsetMask)) == 0 &&
      c.wire_len >= header_len) {
    total_len = c.wire_len;
    c.anomaly = DropReason::kIpv4ZeroTotalLengthKept;
  }
  // Larger than the frame on the wire is a lie; larger than the capture is a snaplen cut.
  if (total_len < header_len || total_len > c.wire_len) {
    return Drop(DropReason::kIpv4BadTotalLength);
  }
  const uint8_t proto = p[9];
  m.src = IpAddress::V4(p + 12);
  m.dst = IpAddress::V4(p + 16);
  m.ip_proto = proto;
  c.Trim(total_len);  // Ethernet padding is not payload

  const bool more = (fragment & kMoreFragments) != 0;
  const uint32_t offset = static_cast<uint32_t>(fragment & kOffsetMask) * 8;
  if (more || offset != 0) {
    if (c.data.size() < c.wire_len) return Drop(DropReason::kFragmentTruncated);
    FragmentPiece piece;
    piece.key = {m.src, m.dst, id, proto};
    piece.ipv6 = false;
    piece.header = c.data.first(header_len);
    piece.offset = offset;
    piece.more_fragments = more;
    piece.data = c.data.subspan(header_len);
    ByteView datagram;
    DropReason reason = DropReason::kCount;
    switch (f.reassembler.Add(piece, f.ts, datagram, reason)) {
      case FragmentOutcome::kHeld:
        return Held();
      case FragmentOutcome::kDropped:
        return Drop(reason);
      case FragmentOutcome::kComplete:
        m.reassembled_fragment = true;
        c.data = datagram;
        c.wire_len = datagram.size();
        c.layer = Layer::kIpv4;  // decode the rebuilt, unfragmented datagram
        return Next();
    }
  }

  m.l3 = c.data;
  c.Advance(header_len);
  SelectTransport(proto, c, m);
  return Next();
}

}  // namespace bw::decode::internal
