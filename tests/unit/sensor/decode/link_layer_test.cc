#include <gtest/gtest.h>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

Bytes SllHeader(uint16_t protocol) {
  Bytes b;
  PutBe16(b, 0);  // packet type: to us
  PutBe16(b, 1);  // ARPHRD_ETHER
  PutBe16(b, 6);  // address length
  b.insert(b.end(), {0x02, 0, 0, 0, 0, 1, 0, 0});
  PutBe16(b, protocol);
  return b;
}

Bytes Sll2Header(uint16_t protocol) {
  Bytes b;
  PutBe16(b, protocol);
  PutBe16(b, 0);   // reserved
  PutBe32(b, 3);   // interface index
  PutBe16(b, 1);   // ARPHRD_ETHER
  b.push_back(0);  // packet type
  b.push_back(6);  // address length
  b.insert(b.end(), {0x02, 0, 0, 0, 0, 1, 0, 0});
  return b;
}

Bytes NullLe(uint32_t af) {
  Bytes b;
  PutLe32(b, af);
  return b;
}
Bytes NullBe(uint32_t af) {
  Bytes b;
  PutBe32(b, af);
  return b;
}

Bytes V4Packet() { return Ipv4Tcp({}, {}, Text("GET / HTTP/1.1\r\n")); }
Bytes V6Packet() { return Ipv6({}, Tcp({}, Text("GET / HTTP/1.1\r\n"))); }

class LinkLayerTest : public DecoderTest {
 protected:
  void ExpectV4(const Bytes& frame, LinkType link) {
    ASSERT_EQ(Run(frame, link), DecodeStatus::kOk) << static_cast<int>(link);
    EXPECT_EQ(meta_.src.ToString(), "10.0.0.1");
    EXPECT_EQ(meta_.dst.ToString(), "10.0.0.2");
    EXPECT_EQ(meta_.src_port, 40000);
    EXPECT_EQ(meta_.dst_port, 80);
    EXPECT_EQ(AsStringView(meta_.payload), "GET / HTTP/1.1\r\n");
  }
  void ExpectV6(const Bytes& frame, LinkType link) {
    ASSERT_EQ(Run(frame, link), DecodeStatus::kOk) << static_cast<int>(link);
    EXPECT_EQ(meta_.src.ToString(), "2001:db8::1");
    EXPECT_EQ(meta_.dst.ToString(), "2001:db8::2");
    EXPECT_EQ(meta_.ip_proto, kIpProtoTcp);
    EXPECT_EQ(AsStringView(meta_.payload), "GET / HTTP/1.1\r\n");
  }
};

TEST_F(LinkLayerTest, SupportedLinkTypes) {
  for (int dlt : {0,   1,   7,   9,   12,  14,  50,  51,  104, 105, 108,
                  112, 113, 127, 129, 204, 205, 228, 229, 239, 276}) {
    EXPECT_TRUE(IsSupportedLinkType(dlt)) << dlt;
  }
  for (int dlt : {-1, 2, 10, 119, 163, 197, 277}) EXPECT_FALSE(IsSupportedLinkType(dlt)) << dlt;
}

// tcpdump's arcnet-rfc1051/rfc1201 captures: Linux ARCNET headers in front of IPv4.
TEST_F(LinkLayerTest, Arcnet) {
  const Bytes linux_head = {0xBE, 0x50, 0xA8, 0xE7};  // source, destination, offset
  ExpectV4(Cat({linux_head, Bytes{0xF0}, V4Packet()}), LinkType::kArcnetLinux);  // RFC 1051
  ExpectV4(Cat({linux_head, Bytes{0xD4, 0, 0, 1}, V4Packet()}), LinkType::kArcnetLinux);
  ExpectV4(Cat({Bytes{0xBE, 0x50, 0xD4, 0, 0, 1}, V4Packet()}), LinkType::kArcnet);  // BSD
  ExpectV4(Cat({linux_head, Bytes{0xD4, 0xFF, 0xFF, 0xFF, 0xD4, 0, 0, 1}, V4Packet()}),
           LinkType::kArcnetLinux);  // exception frame
  ExpectV6(Cat({linux_head, Bytes{0xC4, 0, 0, 1}, V6Packet()}), LinkType::kArcnetLinux);
  ExpectDrop(Cat({linux_head, Bytes{0xD4, 3, 0, 1}, V4Packet()}), DropReason::kArcnetSplitPacket,
             LinkType::kArcnetLinux);
  ExpectDrop(Cat({linux_head, Bytes{0xD5, 0, 0, 1}, Bytes(28, 0)}), DropReason::kNotIp,
             LinkType::kArcnetLinux);  // ARP
  const Bytes exception_head = Cat({linux_head, Bytes{0xD4, 0xFF, 0xFF, 0xFF, 0xD4, 0, 0, 1}});
  for (size_t n = 0; n < exception_head.size(); ++n) {
    ExpectDrop(Bytes(exception_head.begin(), exception_head.begin() + static_cast<ptrdiff_t>(n)),
               DropReason::kTruncatedLinkHeader, LinkType::kArcnetLinux);
  }
}

TEST_F(LinkLayerTest, UnsupportedLinkTypeIsDropped) {
  ExpectDrop(V4Packet(), DropReason::kUnsupportedLinkType, static_cast<LinkType>(197));
}

TEST_F(LinkLayerTest, EthernetFillsEveryField) {
  Bytes frame = Cat({Eth(0x0800), V4Packet()});
  ASSERT_EQ(Run(frame, LinkType::kEthernet, 1514, 42 * kNsPerSecond), DecodeStatus::kOk);
  EXPECT_EQ(meta_.ts, 42 * kNsPerSecond);
  EXPECT_EQ(meta_.wire_length, 1514u);
  EXPECT_EQ(meta_.captured_length, frame.size());
  EXPECT_EQ(meta_.vlan_count, 0);
  EXPECT_EQ(meta_.mpls_count, 0);
  EXPECT_EQ(meta_.encapsulation_depth, 0);
  EXPECT_EQ(meta_.tunnel_flags, kTunnelNone);
  EXPECT_EQ(meta_.src.family, 4);
  EXPECT_EQ(meta_.ip_proto, kIpProtoTcp);
  EXPECT_FALSE(meta_.reassembled_fragment);
  EXPECT_EQ(meta_.l3.data(), frame_.data() + 14);
  EXPECT_EQ(meta_.l3.size(), frame.size() - 14);
  EXPECT_EQ(meta_.tcp_seq, 1000u);
  EXPECT_EQ(meta_.tcp_ack, 2000u);
  EXPECT_EQ(meta_.tcp_flags, kTcpAck | kTcpPsh);
  EXPECT_EQ(meta_.tcp_window, 512);
  EXPECT_EQ(meta_.payload_wire_len, 16u);
}

TEST_F(LinkLayerTest, EthernetIpv6) {
  ExpectV6(Cat({Eth(0x86DD), V6Packet()}), LinkType::kEthernet);
}

TEST_F(LinkLayerTest, LinuxSll) {
  ExpectV4(Cat({SllHeader(0x0800), V4Packet()}), LinkType::kLinuxSll);
  ExpectV6(Cat({SllHeader(0x86DD), V6Packet()}), LinkType::kLinuxSll);
  // The kernel may leave a VLAN tag in place; the SLL protocol then names the tag.
  ExpectV4(Cat({SllHeader(0x8100), Vlan(7, 0x0800), V4Packet()}), LinkType::kLinuxSll);
  EXPECT_EQ(meta_.vlan_count, 1);
  EXPECT_EQ(meta_.vlan_ids[0], 7);
  ExpectDrop(Cat({SllHeader(0x0806), Bytes(28, 0)}), DropReason::kNotIp, LinkType::kLinuxSll);
  ExpectDrop(Bytes(15, 0), DropReason::kTruncatedLinkHeader, LinkType::kLinuxSll);
}

TEST_F(LinkLayerTest, LinuxSll2) {
  ExpectV4(Cat({Sll2Header(0x0800), V4Packet()}), LinkType::kLinuxSll2);
  ExpectV6(Cat({Sll2Header(0x86DD), V6Packet()}), LinkType::kLinuxSll2);
  ExpectDrop(Cat({Sll2Header(0x88CC), Bytes(20, 0)}), DropReason::kNotIp, LinkType::kLinuxSll2);
  ExpectDrop(Bytes(19, 0), DropReason::kTruncatedLinkHeader, LinkType::kLinuxSll2);
}

TEST_F(LinkLayerTest, RawIp) {
  for (LinkType raw : {LinkType::kRaw, LinkType::kRawAlt}) {
    ExpectV4(V4Packet(), raw);
    ExpectV6(V6Packet(), raw);
    Bytes bad = V4Packet();
    bad[0] = 0x55;
    ExpectDrop(bad, DropReason::kNotIp, raw);
    ExpectDrop({}, DropReason::kTruncatedLinkHeader, raw);
  }
}

TEST_F(LinkLayerTest, DltIpv4AndIpv6AreVersionSpecific) {
  ExpectV4(V4Packet(), LinkType::kIpv4);
  ExpectV6(V6Packet(), LinkType::kIpv6);
  ExpectDrop(V6Packet(), DropReason::kIpv4BadVersion, LinkType::kIpv4);
  ExpectDrop(V4Packet(), DropReason::kIpv6BadVersion, LinkType::kIpv6);
  ExpectDrop({}, DropReason::kTruncatedIpv4, LinkType::kIpv4);
  ExpectDrop({}, DropReason::kTruncatedIpv6, LinkType::kIpv6);
}

TEST_F(LinkLayerTest, NullAcceptsBothByteOrdersAndEveryInet6Value) {
  ExpectV4(Cat({NullLe(2), V4Packet()}), LinkType::kNull);
  ExpectV4(Cat({NullBe(2), V4Packet()}), LinkType::kNull);
  for (uint32_t af : {10u, 24u, 28u, 30u}) {
    ExpectV6(Cat({NullLe(af), V6Packet()}), LinkType::kNull);
    ExpectV6(Cat({NullBe(af), V6Packet()}), LinkType::kNull);
  }
  ExpectDrop(Cat({NullLe(7), V4Packet()}), DropReason::kNotIp, LinkType::kNull);
  ExpectDrop(Bytes{2, 0, 0}, DropReason::kTruncatedLinkHeader, LinkType::kNull);
}

TEST_F(LinkLayerTest, LoopIsNetworkOrder) {
  ExpectV4(Cat({NullBe(2), V4Packet()}), LinkType::kLoop);
  ExpectV6(Cat({NullBe(30), V6Packet()}), LinkType::kLoop);
  // Host order on a loop link reads as a huge family: not IP.
  ExpectDrop(Cat({NullLe(2), V4Packet()}), DropReason::kNotIp, LinkType::kLoop);
  ExpectDrop(Bytes{0, 0}, DropReason::kTruncatedLinkHeader, LinkType::kLoop);
}

// NFLOG attribute in the logging host's byte order (little-endian here unless `big`).
Bytes NflogTlv(uint16_t type, const Bytes& value, bool big = false) {
  Bytes b;
  const auto len = static_cast<uint16_t>(4 + value.size());
  if (big) {
    PutBe16(b, len);
    PutBe16(b, type);
  } else {
    b.push_back(static_cast<uint8_t>(len));
    b.push_back(static_cast<uint8_t>(len >> 8));
    b.push_back(static_cast<uint8_t>(type));
    b.push_back(static_cast<uint8_t>(type >> 8));
  }
  b.insert(b.end(), value.begin(), value.end());
  b.resize((b.size() + 3) & ~size_t{3}, 0);
  return b;
}

Bytes Nflog(uint8_t family, const Bytes& packet, bool big = false) {
  return Cat({Bytes{family, 0, 0, 5}, NflogTlv(1, Bytes{0x08, 0x00, 3, 0}, big),
              NflogTlv(10, Text("prefix\0"), big), NflogTlv(9, packet, big),
              NflogTlv(11, Bytes(4, 0), big)});
}

TEST_F(LinkLayerTest, NflogFindsThePayloadAttribute) {
  ExpectV4(Nflog(2, V4Packet()), LinkType::kNflog);
  ExpectV6(Nflog(10, V6Packet()), LinkType::kNflog);
  ExpectV4(Nflog(2, V4Packet(), true), LinkType::kNflog);
  // An odd-sized attribute before the payload: padding to 4 bytes.
  Bytes odd = Cat({Bytes{2, 0, 0, 5}, NflogTlv(10, Text("abc")), NflogTlv(9, V4Packet())});
  ExpectV4(odd, LinkType::kNflog);
  // Family 0: the version nibble decides.
  ExpectV6(Nflog(0, V6Packet()), LinkType::kNflog);
  // No payload attribute, or an attribute list that runs off the end.
  ExpectDrop(Cat({Bytes{2, 0, 0, 5}, NflogTlv(10, Text("abc"))}), DropReason::kNflogNoPayload,
             LinkType::kNflog);
  Bytes broken = Cat({Bytes{2, 0, 0, 5}, NflogTlv(9, V4Packet())});
  broken[4] = 2;  // length below the attribute header
  ExpectDrop(broken, DropReason::kNflogNoPayload, LinkType::kNflog);
  ExpectDrop(Bytes{2, 0, 0}, DropReason::kTruncatedLinkHeader, LinkType::kNflog);
}

TEST_F(LinkLayerTest, NflogTruncation) {
  Bytes frame = Nflog(2, V4Packet());
  // Header and the two attributes before the payload's, cut by the snaplen.
  const size_t payload_tlv = 4 + 8 + 12;
  ExpectEveryCutCounted(frame, LinkType::kNflog, 0, payload_tlv + 4,
                        DropReason::kTruncatedLinkHeader);
}

TEST_F(LinkLayerTest, EthernetTruncatedAndNonIp) {
  ExpectDrop(Bytes(13, 0), DropReason::kTruncatedLinkHeader);
  ExpectDrop(Cat({Eth(0x0806), Bytes(28, 0)}), DropReason::kNotIp);  // ARP
  ExpectDrop(Cat({Eth(0x88CC), Bytes(40, 0)}), DropReason::kNotIp);  // LLDP
  ExpectDrop(Cat({Eth(0x0040), Bytes(64, 0)}), DropReason::kNotIp);  // 802.3 length field
}

}  // namespace
}  // namespace bw::decode::testing
