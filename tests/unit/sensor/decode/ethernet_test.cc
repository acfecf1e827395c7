#include <gtest/gtest.h>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

using EthernetTest = DecoderTest;

Bytes Packet() { return Ipv4Tcp({}, {}, Text("data")); }

TEST_F(EthernetTest, SingleVlanTag) {
  ASSERT_EQ(Run(Cat({Eth(0x8100), Vlan(42, 0x0800, 5), Packet()})), DecodeStatus::kOk);
  EXPECT_EQ(meta_.vlan_count, 1);
  EXPECT_EQ(meta_.vlan_ids[0], 42);
  EXPECT_EQ(AsStringView(meta_.payload), "data");
}

TEST_F(EthernetTest, QinQWithEveryOuterTpid) {
  for (uint16_t outer : {uint16_t{0x88A8}, uint16_t{0x9100}, uint16_t{0x8100}}) {
    ASSERT_EQ(Run(Cat({Eth(outer), Vlan(100, 0x8100), Vlan(200, 0x0800), Packet()})),
              DecodeStatus::kOk);
    EXPECT_EQ(meta_.vlan_count, 2);
    EXPECT_EQ(meta_.vlan_ids[0], 100);
    EXPECT_EQ(meta_.vlan_ids[1], 200);
    EXPECT_EQ(meta_.dst_port, 80);
  }
}

TEST_F(EthernetTest, VlanTagLimit) {
  Bytes four = Cat(
      {Eth(0x88A8), Vlan(1, 0x8100), Vlan(2, 0x8100), Vlan(3, 0x8100), Vlan(4, 0x0800), Packet()});
  ASSERT_EQ(Run(four), DecodeStatus::kOk);
  EXPECT_EQ(meta_.vlan_count, kMaxVlanTags);
  EXPECT_EQ(meta_.vlan_ids[3], 4);
  Bytes five = Cat({Eth(0x88A8), Vlan(1, 0x8100), Vlan(2, 0x8100), Vlan(3, 0x8100), Vlan(4, 0x8100),
                    Vlan(5, 0x0800), Packet()});
  ExpectDrop(five, DropReason::kTooManyVlanTags);
}

TEST_F(EthernetTest, TruncatedVlan) {
  ExpectDrop(Cat({Eth(0x8100), Bytes{0x00, 0x2A, 0x08}}), DropReason::kTruncatedVlan);
  ExpectDrop(Eth(0x8100), DropReason::kTruncatedVlan);
}

TEST_F(EthernetTest, NonIpBehindVlan) {
  ExpectDrop(Cat({Eth(0x8100), Vlan(3, 0x0806), Bytes(28, 0)}), DropReason::kNotIp);
}

TEST_F(EthernetTest, MplsStackToIpv4AndIpv6) {
  ASSERT_EQ(Run(Cat({Eth(0x8847), Mpls(100, false), Mpls(200, false), Mpls(300, true), Packet()})),
            DecodeStatus::kOk);
  EXPECT_EQ(meta_.mpls_count, 3);
  EXPECT_TRUE(meta_.tunnel_flags & kTunnelMpls);
  EXPECT_EQ(meta_.encapsulation_depth, 0);
  EXPECT_EQ(meta_.dst.ToString(), "10.0.0.2");

  ASSERT_EQ(Run(Cat({Eth(0x8848), Mpls(5, true), Ipv6({}, Tcp({}, Text("v6")))})),
            DecodeStatus::kOk);
  EXPECT_EQ(meta_.mpls_count, 1);
  EXPECT_EQ(meta_.src.family, 6);
  EXPECT_EQ(AsStringView(meta_.payload), "v6");
}

TEST_F(EthernetTest, QinQPlusMpls) {
  ASSERT_EQ(Run(Cat({Eth(0x88A8), Vlan(10, 0x8100), Vlan(20, 0x8847), Mpls(16, false),
                     Mpls(17, true), Packet()})),
            DecodeStatus::kOk);
  EXPECT_EQ(meta_.vlan_count, 2);
  EXPECT_EQ(meta_.vlan_ids[1], 20);
  EXPECT_EQ(meta_.mpls_count, 2);
  EXPECT_EQ(AsStringView(meta_.payload), "data");
}

TEST_F(EthernetTest, MplsPseudowireWithControlWord) {
  Bytes inner = Cat({Eth(0x8100), Vlan(9, 0x0800), Packet()});
  ASSERT_EQ(Run(Cat({Eth(0x8847), Mpls(1000, true), Bytes{0, 0, 0, 0}, inner})), DecodeStatus::kOk);
  EXPECT_EQ(meta_.mpls_count, 1);
  EXPECT_EQ(meta_.vlan_count, 1);
  EXPECT_EQ(meta_.vlan_ids[0], 9);
  EXPECT_EQ(AsStringView(meta_.payload), "data");
}

// RFC 4448 makes the control word optional: an Ethernet pseudowire without one starts with the
// destination MAC, whatever its first nibble.
TEST_F(EthernetTest, MplsPseudowireWithoutControlWord) {
  Bytes inner = Cat({Eth(0x8100), Vlan(9, 0x0800), Packet()});
  ASSERT_EQ(inner[0] >> 4, 0);  // reads like a control word, but an EtherType follows at 12
  ASSERT_EQ(Run(Cat({Eth(0x8847), Mpls(1000, true), inner})), DecodeStatus::kOk);
  EXPECT_EQ(meta_.vlan_ids[0], 9);
  EXPECT_EQ(AsStringView(meta_.payload), "data");
  Bytes other = inner;
  other[0] = 0xA2;  // a first nibble that is neither IP nor a control word
  ASSERT_EQ(Run(Cat({Eth(0x8847), Mpls(1000, true), other})), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "data");
}

TEST_F(EthernetTest, MplsInsideVlan) {
  ASSERT_EQ(
      Run(Cat({Eth(0x8100), Vlan(100, 0x8847), Mpls(1000, false), Mpls(2000, true), Packet()})),
      DecodeStatus::kOk);
  EXPECT_EQ(meta_.vlan_ids[0], 100);
  EXPECT_EQ(meta_.mpls_count, 2);
  EXPECT_EQ(AsStringView(meta_.payload), "data");
}

TEST_F(EthernetTest, MplsErrors) {
  Bytes nine = Eth(0x8847);
  for (int i = 0; i < 8; ++i) nine = Cat({nine, Mpls(16 + i, false)});
  nine = Cat({nine, Mpls(99, true), Packet()});
  ExpectDrop(nine, DropReason::kTooManyMplsLabels);
  ExpectDrop(Cat({Eth(0x8847), Mpls(1, false), Bytes{0, 0}}), DropReason::kTruncatedMpls);
  ExpectDrop(Cat({Eth(0x8847), Mpls(1, true)}), DropReason::kTruncatedMpls);
  ExpectDrop(Cat({Eth(0x8847), Mpls(1, true), Bytes{0, 0}}), DropReason::kTruncatedMpls);
  ExpectDrop(Cat({Eth(0x8847), Mpls(1, true), Bytes(30, 0x91)}), DropReason::kNotIp);
}

}  // namespace
}  // namespace bw::decode::testing
