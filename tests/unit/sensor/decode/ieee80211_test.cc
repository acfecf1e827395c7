// 802.11 data frames, as link type 105, behind radiotap (127) and in Aruba's GRE tunnels.

#include <gtest/gtest.h>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

Bytes Packet() { return Ipv4Tcp({}, {}, Text("GET / HTTP/1.1\r\n")); }

Bytes Snap(uint16_t type) {
  Bytes b = {0xAA, 0xAA, 0x03, 0, 0, 0};
  PutBe16(b, type);
  return b;
}

// A data frame's MAC header: frame control, duration, 3 or 4 addresses, sequence control, QoS.
Bytes Wlan(uint8_t fc1, bool qos = false, uint8_t qos_byte = 0, uint8_t fc0 = 0) {
  Bytes b = {static_cast<uint8_t>(fc0 ? fc0 : (qos ? 0x88 : 0x08)), fc1, 0x2C, 0};
  b.resize(b.size() + 18, 0x02);  // three addresses
  b.insert(b.end(), {0x10, 0x00});
  if ((fc1 & 0x03) == 0x03) b.resize(b.size() + 6, 0x04);
  if (qos) {
    b.push_back(qos_byte);
    b.push_back(0);
    if (fc1 & 0x80) b.resize(b.size() + 4, 0);
  }
  return b;
}

Bytes Radiotap() { return {0, 0, 12, 0, 0x06, 0, 0, 0, 0x00, 0x02, 0, 0}; }

class Ieee80211Test : public DecoderTest {
 protected:
  void ExpectPacket(const Bytes& frame, LinkType link) {
    ASSERT_EQ(Run(frame, link), DecodeStatus::kOk);
    EXPECT_EQ(meta_.src.ToString(), "10.0.0.1");
    EXPECT_EQ(meta_.dst_port, 80);
    EXPECT_EQ(AsStringView(meta_.payload), "GET / HTTP/1.1\r\n");
  }
};

TEST_F(Ieee80211Test, EveryAddressFormAndQos) {
  for (uint8_t ds : {0x00, 0x01, 0x02, 0x03}) {
    for (bool qos : {false, true}) {
      ExpectPacket(Cat({Wlan(ds, qos), Snap(0x0800), Packet()}), LinkType::kIeee80211);
    }
  }
  // QoS data with +HTC (order bit): 4 more bytes.
  ExpectPacket(Cat({Wlan(0x81, true), Snap(0x0800), Packet()}), LinkType::kIeee80211);
  Ipv6Spec v6;
  ASSERT_EQ(Run(Cat({Wlan(0x02, true), Snap(0x86DD), Ipv6(v6, Tcp({}, Text("x")))}),
                LinkType::kIeee80211),
            DecodeStatus::kOk);
  EXPECT_EQ(meta_.src.ToString(), "2001:db8::1");
}

TEST_F(Ieee80211Test, Radiotap) {
  ExpectPacket(Cat({Radiotap(), Wlan(0x01, true), Snap(0x0800), Packet()}), LinkType::kRadiotap);
  Bytes bad_version = Radiotap();
  bad_version[0] = 1;
  ExpectDrop(Cat({bad_version, Wlan(0x01), Snap(0x0800), Packet()}),
             DropReason::kIeee80211Unsupported, LinkType::kRadiotap);
  ExpectDrop(Bytes{0, 0, 12, 0, 0, 0}, DropReason::kTruncatedLinkHeader, LinkType::kRadiotap);
}

TEST_F(Ieee80211Test, WhatIsNotAnIpPacketIsCountedByName) {
  // Beacon (management), ACK (control), null function (data without payload).
  ExpectDrop(Cat({Wlan(0, false, 0, 0x80), Bytes(12, 0)}), DropReason::kIeee80211NotData,
             LinkType::kIeee80211);
  ExpectDrop(Bytes{0xD4, 0, 0, 0, 2, 2, 2, 2, 2, 2}, DropReason::kIeee80211NotData,
             LinkType::kIeee80211);
  ExpectDrop(Wlan(0x01, false, 0, 0x48), DropReason::kIeee80211NotData, LinkType::kIeee80211);
  ExpectDrop(Cat({Wlan(0x41, true), Bytes(8, 0x77), Packet()}), DropReason::kIeee80211Protected,
             LinkType::kIeee80211);
  // A-MSDU, a non-SNAP LLC header, protocol version 1.
  ExpectDrop(Cat({Wlan(0x01, true, 0x80), Snap(0x0800), Packet()}),
             DropReason::kIeee80211Unsupported, LinkType::kIeee80211);
  ExpectDrop(Cat({Wlan(0x01), Bytes{0x42, 0x42, 0x03, 0, 0, 0, 0, 0}}),
             DropReason::kIeee80211Unsupported, LinkType::kIeee80211);
  ExpectDrop(Cat({Wlan(0x01, false, 0, 0x09), Snap(0x0800), Packet()}),
             DropReason::kIeee80211Unsupported, LinkType::kIeee80211);
  ExpectDrop(Cat({Wlan(0x01), Snap(0x0806), Bytes(28, 0)}), DropReason::kNotIp,
             LinkType::kIeee80211);
}

TEST_F(Ieee80211Test, Truncation) {
  Bytes header = Cat({Wlan(0x03, true), Snap(0x0800)});
  ExpectEveryCutCounted(Cat({header, Packet()}), LinkType::kIeee80211, 0, header.size(),
                        DropReason::kTruncatedIeee80211);
  ExpectEveryCutCounted(Cat({Radiotap(), header, Packet()}), LinkType::kRadiotap, 12,
                        12 + header.size(), DropReason::kTruncatedIeee80211);
}

TEST_F(Ieee80211Test, ArubaGre) {
  Ipv4Spec outer;
  outer.proto = 47;
  for (uint16_t proto : {0x8200, 0x8210, 0x8370}) {
    Bytes frame = Cat(
        {Eth(0x0800), Ipv4(outer, Cat({Gre(proto), Wlan(0x01, true), Snap(0x0800), Packet()}))});
    ExpectPacket(frame, LinkType::kEthernet);
    EXPECT_EQ(meta_.tunnel_flags, kTunnelGre);
  }
  // Not in the range Aruba uses.
  ExpectDrop(Cat({Eth(0x0800), Ipv4(outer, Cat({Gre(0x8205), Bytes(40, 0)}))}),
             DropReason::kGreUnsupported);
  ExpectDrop(Cat({Eth(0x0800), Ipv4(outer, Cat({Gre(0x8380), Bytes(40, 0)}))}),
             DropReason::kGreUnsupported);
}

}  // namespace
}  // namespace bw::decode::testing
