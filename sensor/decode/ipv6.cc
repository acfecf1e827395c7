// IPv6 (RFC 8200) and its extension-header chain, walked iteratively with a bound on the number
// of headers so a crafted chain cannot keep the worker busy.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kFixedHeader = 40;
constexpr size_t kFragmentHeader = 8;
constexpr size_t kNextHeaderPos = 6;
constexpr int kMaxExtensionHeaders = 8;

constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kAuthentication = 51;
constexpr uint8_t kDestinationOptions = 60;
constexpr uint8_t kMobility = 135;
constexpr uint8_t kHip = 139;
constexpr uint8_t kShim6 = 140;
constexpr uint8_t kNoNextHeader = 59;

bool IsGenericExtension(uint8_t h) {
  return h == kHopByHop || h == kRouting || h == kDestinationOptions || h == kMobility ||
         h == kHip || h == kShim6;
}

}  // namespace

Step DecodeIpv6(Cursor& c, PacketMeta& m, FragmentContext& f) {
  uint8_t first = 0;
  if (!LoadU8(c.data, 0, first)) return Drop(DropReason::kTruncatedIpv6);
  if ((first >> 4) != 6) return Drop(DropReason::kIpv6BadVersion);
  if (c.data.size() < kFixedHeader) return Drop(DropReason::kTruncatedIpv6);
  const uint8_t* p = c.data.data();
  size_t total_len = kFixedHeader + Be16(p + 4);
  // Payload length 0 with something after the header: a jumbogram (RFC 2675) or a large segment
  // captured before segmentation offload (Linux BIG TCP). As for IPv4, the frame gives the length.
  if (total_len == kFixedHeader && p[kNextHeaderPos] != kNoNextHeader &&
      c.wire_len > kFixedHeader) {
    total_len = c.wire_len;
    c.anomaly = DropReason::kIpv6ZeroPayloadLengthKept;
  }
  if (total_len > c.wire_len) return Drop(DropReason::kIpv6BadPayloadLength);
  m.src = IpAddress::V6(p + 8);
  m.dst = IpAddress::V6(p + 24);
  c.Trim(total_len);

  uint8_t next = p[kNextHeaderPos];
  size_t next_pos = kNextHeaderPos;
  size_t off = kFixedHeader;
  int count = 0;
  while (IsGenericExtension(next) || next == kAuthentication || next == kFragment) {
    if (++count > kMaxExtensionHeaders) return Drop(DropReason::kIpv6TooManyExtensionHeaders);
    size_t len = kFragmentHeader;
    if (next != kFragment) {
      if (!InBounds(c.wire_len, off, 2)) return Drop(DropReason::kIpv6BadExtensionHeader);
      uint8_t hdr_len = 0;
      if (!LoadU8(c.data, off + 1, hdr_len)) return Drop(DropReason::kTruncatedIpv6);
      len = next == kAuthentication ? (size_t{hdr_len} + 2) * 4 : (size_t{hdr_len} + 1) * 8;
    }
    if (!InBounds(c.wire_len, off, len)) return Drop(DropReason::kIpv6BadExtensionHeader);
    if (!InBounds(c.data.size(), off, len)) return Drop(DropReason::kTruncatedIpv6);
    if (next == kFragment) {
      const uint8_t inner = p[off];
      const uint16_t offset_flags = Be16(p + off + 2);
      const uint32_t offset = offset_flags & 0xFFF8u;
      const bool more = (offset_flags & 0x0001u) != 0;
      if (offset != 0 || more) {
        if (c.data.size() < c.wire_len) return Drop(DropReason::kFragmentTruncated);
        FragmentPiece piece;
        piece.key = {m.src, m.dst, Be32(p + off + 4), inner};
        piece.ipv6 = true;
        piece.header = c.data.first(off);
        piece.next_header_pos = next_pos;
        piece.next_header = inner;
        piece.offset = offset;
        piece.more_fragments = more;
        piece.data = c.data.subspan(off + kFragmentHeader);
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
            c.layer = Layer::kIpv6;
            return Next();
        }
      }
      // An atomic fragment (RFC 6946) is a whole packet: step over its header.
    }
    next = p[off];
    next_pos = off;
    off += len;
  }

  m.ip_proto = next;
  m.l3 = c.data;
  c.Advance(off);
  SelectTransport(next, c, m);
  return Next();
}

}  // namespace bw::decode::internal
