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
  }
  return Drop(DropReason::kUnsupportedLinkType);
}

}  // namespace bw::decode::internal
