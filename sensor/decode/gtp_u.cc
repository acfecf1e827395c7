// GTP-U version 1 (3GPP TS 29.281), mobile core user plane: an 8-byte header, 4 more bytes
// (sequence number, N-PDU number, next extension type) when any of the E, S or PN flags is set,
// then a chain of extension headers, each a multiple of 4 bytes long whose last byte names the
// next. A G-PDU carries the subscriber's IPv4 or IPv6 packet; other messages (echo, end marker,
// error indication) are signalling and stay plain UDP.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kHeader = 8;
constexpr size_t kOptional = 4;
constexpr uint8_t kVersion1 = 1;
constexpr uint8_t kProtocolTypeGtp = 0x10;
constexpr uint8_t kFlagsOptional = 0x07;  // E, S, PN
constexpr uint8_t kFlagExtension = 0x04;
constexpr uint8_t kMessageGpdu = 0xFF;
constexpr int kMaxExtensions = 8;

}  // namespace

Step DecodeGtpU(Cursor& c, PacketMeta& m) {
  if (c.wire_len < kHeader) return Done();
  if (c.data.size() < kHeader) return Drop(DropReason::kTruncatedGtp);
  const uint8_t* p = c.data.data();
  if ((p[0] >> 5) != kVersion1 || (p[0] & kProtocolTypeGtp) == 0 || p[1] != kMessageGpdu) {
    return Done();
  }
  size_t off = kHeader;
  if (p[0] & kFlagsOptional) {
    off += kOptional;
    uint8_t next_ext = 0;
    if (!LoadU8(c.data, off - 1, next_ext)) return Drop(DropReason::kTruncatedGtp);
    if ((p[0] & kFlagExtension) == 0) next_ext = 0;
    for (int i = 0; next_ext != 0; ++i) {
      if (i == kMaxExtensions) return Drop(DropReason::kGtpUnsupported);
      uint8_t units = 0;
      if (!LoadU8(c.data, off, units)) return Drop(DropReason::kTruncatedGtp);
      if (units == 0) return Drop(DropReason::kGtpUnsupported);
      off += size_t{units} * 4;
      if (!LoadU8(c.data, off - 1, next_ext)) return Drop(DropReason::kTruncatedGtp);
    }
  }
  uint8_t first = 0;
  if (!LoadU8(c.data, off, first)) return Drop(DropReason::kTruncatedGtp);
  Layer next = Layer::kIpv4;
  switch (first >> 4) {
    case 4:
      next = Layer::kIpv4;
      break;
    case 6:
      next = Layer::kIpv6;
      break;
    default:
      return Drop(DropReason::kGtpUnsupported);  // Ethernet or non-IP PDU sessions
  }
  if (!EnterTunnel(m, kTunnelGtp)) return Drop(DropReason::kEncapsulationTooDeep);
  c.Advance(off);
  c.layer = next;
  return Next();
}

}  // namespace bw::decode::internal
