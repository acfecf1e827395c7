// GRE version 0 (RFC 2784/2890) and the ERSPAN headers mirrored sessions arrive in: type I (no
// header), type II (8 bytes, GRE sequence bit set) and type III (12 bytes, optional 8-byte
// platform subheader); Aruba's 802.11 tunnels.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kGreBase = 4;
constexpr size_t kGreOptional = 4;
constexpr uint8_t kGreChecksum = 0x80;
constexpr uint8_t kGreRouting = 0x40;
constexpr uint8_t kGreKey = 0x20;
constexpr uint8_t kGreSequence = 0x10;
constexpr uint8_t kGreVersionMask = 0x07;

constexpr uint16_t kProtoIpv4 = 0x0800;
constexpr uint16_t kProtoIpv6 = 0x86DD;
constexpr uint16_t kProtoTransparentEthernet = 0x6558;
constexpr uint16_t kProtoMpls = 0x8847;
constexpr uint16_t kProtoMplsMulti = 0x8848;
constexpr uint16_t kProtoErspanII = 0x88BE;  // type I as well, told apart by the S bit
constexpr uint16_t kProtoErspanIII = 0x22EB;
// Aruba controllers tunnel their access points' 802.11 frames in GRE with protocol types
// 0x8200 to 0x8370 in steps of 0x10 (as Wireshark and Zeek register them).
constexpr uint16_t kProtoArubaFirst = 0x8200;
constexpr uint16_t kProtoArubaLast = 0x8370;

constexpr bool IsAruba(uint16_t proto) {
  return proto >= kProtoArubaFirst && proto <= kProtoArubaLast && (proto & 0x000F) == 0;
}

constexpr size_t kErspanIIHeader = 8;
constexpr size_t kErspanIIIHeader = 12;
constexpr size_t kErspanIIIPlatform = 8;
constexpr uint8_t kErspanIIVersion = 1;
constexpr uint8_t kErspanIIIVersion = 2;
constexpr uint16_t kErspanFrameEthernet = 0;
constexpr uint16_t kErspanFrameIp = 2;

}  // namespace

Step DecodeGre(Cursor& c, PacketMeta& m) {
  uint8_t flags = 0;
  uint8_t version = 0;
  uint16_t proto = 0;
  if (!LoadU8(c.data, 0, flags) || !LoadU8(c.data, 1, version) || !LoadBe16(c.data, 2, proto)) {
    return Drop(DropReason::kTruncatedGre);
  }
  // Version 1 is PPTP's enhanced GRE; source routing (RFC 1701) is deprecated. Neither carries
  // mirrored storage traffic.
  if ((version & kGreVersionMask) != 0 || (flags & kGreRouting) != 0) {
    return Drop(DropReason::kGreUnsupported);
  }
  size_t header_len = kGreBase;
  if (flags & kGreChecksum) header_len += kGreOptional;
  if (flags & kGreKey) header_len += kGreOptional;
  const bool sequenced = (flags & kGreSequence) != 0;
  if (sequenced) header_len += kGreOptional;
  if (c.data.size() < header_len) return Drop(DropReason::kTruncatedGre);

  Layer next = Layer::kEthernet;
  uint16_t tunnel = kTunnelGre;
  switch (proto) {
    case kProtoIpv4:
      next = Layer::kIpv4;
      break;
    case kProtoIpv6:
      next = Layer::kIpv6;
      break;
    case kProtoTransparentEthernet:
      next = Layer::kEthernet;
      break;
    case kProtoMpls:
    case kProtoMplsMulti:
      next = Layer::kMpls;
      break;
    case kProtoErspanII:
      next = sequenced ? Layer::kErspanII : Layer::kEthernet;
      tunnel |= kTunnelErspan;
      break;
    case kProtoErspanIII:
      next = Layer::kErspanIII;
      tunnel |= kTunnelErspan;
      break;
    default:
      if (!IsAruba(proto)) return Drop(DropReason::kGreUnsupported);
      next = Layer::kIeee80211;
      break;
  }
  if (!EnterTunnel(m, tunnel)) return Drop(DropReason::kEncapsulationTooDeep);
  c.Advance(header_len);
  c.layer = next;
  return Next();
}

Step DecodeErspanII(Cursor& c, PacketMeta& m) {
  uint8_t first = 0;
  if (c.data.size() < kErspanIIHeader || !LoadU8(c.data, 0, first)) {
    return Drop(DropReason::kTruncatedErspan);
  }
  if ((first >> 4) != kErspanIIVersion) return Drop(DropReason::kErspanUnsupported);
  c.Advance(kErspanIIHeader);
  c.layer = Layer::kEthernet;
  return Next();
}

Step DecodeErspanIII(Cursor& c, PacketMeta& m) {
  uint8_t first = 0;
  uint16_t word = 0;  // P(1) FT(5) HW ID(6) D(1) Gra(2) O(1)
  if (c.data.size() < kErspanIIIHeader || !LoadU8(c.data, 0, first) ||
      !LoadBe16(c.data, 10, word)) {
    return Drop(DropReason::kTruncatedErspan);
  }
  if ((first >> 4) != kErspanIIIVersion) return Drop(DropReason::kErspanUnsupported);
  size_t header_len = kErspanIIIHeader;
  if (word & 0x0001) header_len += kErspanIIIPlatform;
  if (c.data.size() < header_len) return Drop(DropReason::kTruncatedErspan);
  const uint16_t frame_type = (word >> 10) & 0x1F;
  if (frame_type == kErspanFrameEthernet) {
    c.layer = Layer::kEthernet;
  } else if (frame_type == kErspanFrameIp) {
    c.layer = Layer::kIpAnyVersion;
  } else {
    return Drop(DropReason::kErspanUnsupported);
  }
  c.Advance(header_len);
  return Next();
}

}  // namespace bw::decode::internal
