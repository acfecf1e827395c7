// Link-layer headers in front of the first Ethernet or IP header, per pcap DLT.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kSllHeader = 16;
constexpr size_t kSllProtocolOffset = 14;
constexpr size_t kSll2Header = 20;
constexpr size_t kNullHeader = 4;

constexpr uint32_t kAfInet = 2;
// AF_INET6 differs per OS that wrote the capture: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28,
// macOS 30.
constexpr bool IsAfInet6(uint32_t af) { return af == 10 || af == 24 || af == 28 || af == 30; }

inline bool LoadLe16(ByteView b, size_t off, uint16_t& out) {
  if (!InBounds(b.size(), off, 2)) return false;
  out = static_cast<uint16_t>(b[off] | (b[off + 1] << 8));
  return true;
}

constexpr size_t kCiscoHdlcHeader = 4;  // address, control, EtherType
constexpr uint8_t kCiscoHdlcUnicast = 0x0F;
constexpr uint8_t kCiscoHdlcBroadcast = 0x8F;
constexpr uint8_t kHdlcAllStations = 0xFF;  // PPP in HDLC-like framing: FF 03, then protocol
constexpr uint8_t kHdlcUi = 0x03;
constexpr size_t kDirectionByte = 1;

constexpr size_t kRadiotapFixed = 8;

constexpr size_t kNflogHeader = 4;  // family, version, resource id
constexpr size_t kNflogTlvHeader = 4;
constexpr uint16_t kNflogPayload = 9;  // NFULA_PAYLOAD
constexpr int kMaxNflogTlvs = 32;      // a log message has about a dozen attributes

// ARCNET (tcpdump's print-arcnet.c documents the layouts): RFC 1051 frames carry IPv4 right after
// the type; RFC 1201 frames have a split flag and a sequence number first, and an exception
// frame repeats them after four filler bytes. A split packet spans several frames, which are not
// reassembled (counted). Linux captures add two bytes of offset before the type.
constexpr uint8_t kArcTypeIpRfc1051 = 0xF0;
constexpr uint8_t kArcTypeIpRfc1201 = 0xD4;
constexpr uint8_t kArcTypeIpv6 = 0xC4;
constexpr uint8_t kArcFlagException = 0xFF;
constexpr size_t kArcRfc1201Fields = 3;  // split flag, 16-bit sequence number
constexpr size_t kArcExceptionFiller = 4;

Step Arcnet(Cursor& c, size_t type_offset) {
  uint8_t type = 0;
  if (!LoadU8(c.data, type_offset, type)) return Drop(DropReason::kTruncatedLinkHeader);
  size_t header = type_offset + 1;
  if (type == kArcTypeIpRfc1051) {
    c.Advance(header);
    c.layer = Layer::kIpv4;
    return Next();
  }
  if (type != kArcTypeIpRfc1201 && type != kArcTypeIpv6) return Drop(DropReason::kNotIp);
  uint8_t flag = 0;
  if (!LoadU8(c.data, header, flag)) return Drop(DropReason::kTruncatedLinkHeader);
  if (flag == kArcFlagException) {
    header += kArcExceptionFiller;
    if (!LoadU8(c.data, header, flag)) return Drop(DropReason::kTruncatedLinkHeader);
  }
  header += kArcRfc1201Fields;
  if (c.data.size() < header) return Drop(DropReason::kTruncatedLinkHeader);
  if (flag != 0) return Drop(DropReason::kArcnetSplitPacket);
  c.Advance(header);
  c.layer = type == kArcTypeIpv6 ? Layer::kIpv6 : Layer::kIpv4;
  return Next();
}

Step CiscoHdlc(Cursor& c) {
  uint16_t protocol = 0;
  if (c.data.size() < kCiscoHdlcHeader || !LoadBe16(c.data, 2, protocol)) {
    return Drop(DropReason::kTruncatedLinkHeader);
  }
  c.Advance(kCiscoHdlcHeader);
  c.ethertype = protocol;
  c.layer = Layer::kEthertype;
  return Next();
}

// PPP links carry the HDLC address and control bytes or not (address/control field
// compression), and DLT_PPP_SERIAL may hold Cisco HDLC frames as well.
Step PppLink(Cursor& c) {
  uint8_t a = 0;
  uint8_t b = 0;
  if (!LoadU8(c.data, 0, a) || !LoadU8(c.data, 1, b)) {
    return Drop(DropReason::kTruncatedLinkHeader);
  }
  if (a == kCiscoHdlcUnicast || a == kCiscoHdlcBroadcast) return CiscoHdlc(c);
  if (a == kHdlcAllStations && b == kHdlcUi) c.Advance(2);
  c.layer = Layer::kPpp;
  return Next();
}

Step SkipDirection(Cursor& c) {
  if (c.data.size() <= kDirectionByte) return Drop(DropReason::kTruncatedLinkHeader);
  c.Advance(kDirectionByte);
  return Next();
}

// Radiotap: version 0, pad, little-endian total length; the radio fields are of no use here.
Step Radiotap(Cursor& c) {
  uint8_t version = 0;
  uint16_t length = 0;
  if (!LoadU8(c.data, 0, version) || !LoadLe16(c.data, 2, length)) {
    return Drop(DropReason::kTruncatedLinkHeader);
  }
  if (version != 0 || length < kRadiotapFixed) return Drop(DropReason::kIeee80211Unsupported);
  if (c.data.size() < length) return Drop(DropReason::kTruncatedLinkHeader);
  c.Advance(length);
  c.layer = Layer::kIeee80211;
  return Next();
}

// NFLOG: a 4-byte header whose first byte is the address family, then type-length-value
// attributes (each padded to 4 bytes) in the byte order of the host that logged. The packet is
// the NFULA_PAYLOAD attribute; everything else is metadata.
Step Nflog(Cursor& c) {
  uint8_t family = 0;
  if (c.data.size() < kNflogHeader || !LoadU8(c.data, 0, family)) {
    return Drop(DropReason::kTruncatedLinkHeader);
  }
  // Host order is little-endian nearly everywhere; a first length that only makes sense read
  // big-endian says the logging host was big-endian.
  bool little = true;
  {
    uint16_t le = 0;
    uint16_t be = 0;
    if (LoadLe16(c.data, kNflogHeader, le) && LoadBe16(c.data, kNflogHeader, be)) {
      const bool le_ok = le >= kNflogTlvHeader && kNflogHeader + le <= c.wire_len;
      const bool be_ok = be >= kNflogTlvHeader && kNflogHeader + be <= c.wire_len;
      little = le_ok || !be_ok;
    }
  }
  size_t off = kNflogHeader;
  for (int i = 0; i < kMaxNflogTlvs; ++i) {
    uint16_t len = 0;
    uint16_t type = 0;
    const bool loaded = little ? LoadLe16(c.data, off, len) && LoadLe16(c.data, off + 2, type)
                               : LoadBe16(c.data, off, len) && LoadBe16(c.data, off + 2, type);
    if (!loaded) {
      return off + kNflogTlvHeader > c.wire_len ? Drop(DropReason::kNflogNoPayload)
                                                : Drop(DropReason::kTruncatedLinkHeader);
    }
    if (len < kNflogTlvHeader || off + len > c.wire_len) {
      return Drop(DropReason::kNflogNoPayload);  // a malformed list: nothing to trust past it
    }
    // The netlink attribute type's top bits are flags (nested, byte order).
    if ((type & 0x3FFF) == kNflogPayload) {
      c.Advance(off + kNflogTlvHeader);
      c.Trim(len - kNflogTlvHeader);
      if (family == kAfInet) {
        c.layer = Layer::kIpv4;
      } else if (IsAfInet6(family)) {
        c.layer = Layer::kIpv6;
      } else {
        c.layer = Layer::kIpAnyVersion;
      }
      return Next();
    }
    off += (size_t{len} + 3) & ~size_t{3};
  }
  return Drop(DropReason::kNflogNoPayload);
}

Step FromAddressFamily(uint32_t af, Cursor& c) {
  c.Advance(kNullHeader);
  if (af == kAfInet) {
    c.layer = Layer::kIpv4;
  } else if (IsAfInet6(af)) {
    c.layer = Layer::kIpv6;
  } else {
    return Drop(DropReason::kNotIp);
  }
  return Next();
}

}  // namespace

Step DecodeLinkLayer(LinkType link, Cursor& c, PacketMeta& m) {
  switch (link) {
    case LinkType::kEthernet:
      c.layer = Layer::kEthernet;
      return Next();
    case LinkType::kRaw:
    case LinkType::kRawAlt:
      if (c.data.empty()) return Drop(DropReason::kTruncatedLinkHeader);
      c.layer = Layer::kIpAnyVersion;
      return Next();
    case LinkType::kIpv4:
      c.layer = Layer::kIpv4;
      return Next();
    case LinkType::kIpv6:
      c.layer = Layer::kIpv6;
      return Next();
    case LinkType::kNull: {
      // Host byte order of the machine that wrote the file: families are small numbers, so the
      // order whose value fits in 16 bits is the right one.
      uint32_t af = 0;
      if (!LoadLe32(c.data, 0, af)) return Drop(DropReason::kTruncatedLinkHeader);
      if (af > 0xFFFF) LoadBe32(c.data, 0, af);
      return FromAddressFamily(af, c);
    }
    case LinkType::kLoop: {
      uint32_t af = 0;
      if (!LoadBe32(c.data, 0, af)) return Drop(DropReason::kTruncatedLinkHeader);
      return FromAddressFamily(af, c);
    }
    case LinkType::kLinuxSll: {
      uint16_t protocol = 0;
      if (c.data.size() < kSllHeader || !LoadBe16(c.data, kSllProtocolOffset, protocol)) {
        return Drop(DropReason::kTruncatedLinkHeader);
      }
      c.Advance(kSllHeader);
      c.ethertype = protocol;
      c.layer = Layer::kEthertype;
      return Next();
    }
    case LinkType::kLinuxSll2: {
      uint16_t protocol = 0;
      if (c.data.size() < kSll2Header || !LoadBe16(c.data, 0, protocol)) {
        return Drop(DropReason::kTruncatedLinkHeader);
      }
      c.Advance(kSll2Header);
      c.ethertype = protocol;
      c.layer = Layer::kEthertype;
      return Next();
    }
    case LinkType::kCiscoHdlc:
    case LinkType::kHdlc:
      return CiscoHdlc(c);
    case LinkType::kCiscoHdlcWithDir: {
      Step s = SkipDirection(c);
      return s.kind == StepKind::kNext ? CiscoHdlc(c) : s;
    }
    case LinkType::kPpp:
    case LinkType::kPppSerial:
      return PppLink(c);
    case LinkType::kPppWithDir: {
      Step s = SkipDirection(c);
      return s.kind == StepKind::kNext ? PppLink(c) : s;
    }
    case LinkType::kPppEther:
      c.layer = Layer::kPppoe;
      return Next();
    case LinkType::kIeee80211:
      c.layer = Layer::kIeee80211;
      return Next();
    case LinkType::kRadiotap:
      return Radiotap(c);
    case LinkType::kNflog:
      return Nflog(c);
    case LinkType::kArcnet:
      return Arcnet(c, 2);
    case LinkType::kArcnetLinux:
      return Arcnet(c, 4);
  }
  return Drop(DropReason::kUnsupportedLinkType);
}

}  // namespace bw::decode::internal
