#include <gtest/gtest.h>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

using IpTest = DecoderTest;

TEST_F(IpTest, Ipv4EthernetPaddingIsNotPayload) {
  Bytes ip = Ipv4Tcp({}, {}, Text("ab"));
  Bytes frame = Cat({Eth(0x0800), ip, Bytes(18, 0)});  // padded to the 60-byte minimum
  ASSERT_EQ(Run(frame), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "ab");
  EXPECT_EQ(meta_.payload_wire_len, 2u);
  EXPECT_EQ(meta_.l3.size(), ip.size());
}

TEST_F(IpTest, Ipv4SnaplenCutKeepsGoing) {
  Bytes frame = Cat({Eth(0x0800), Ipv4Tcp({}, {}, Text("0123456789"))});
  Bytes cut(frame.begin(), frame.end() - 6);
  ASSERT_EQ(Run(cut, LinkType::kEthernet, static_cast<uint32_t>(frame.size())), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "0123");
  EXPECT_EQ(meta_.payload_wire_len, 10u);
  EXPECT_EQ(meta_.captured_length, cut.size());
  EXPECT_EQ(meta_.wire_length, frame.size());
  EXPECT_EQ(meta_.l3.size(), cut.size() - 14);
}

TEST_F(IpTest, Ipv4OptionsAreSkipped) {
  Ipv4Spec ip;
  ip.options = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};  // router alert, NOPs, EOL
  ASSERT_EQ(Run(Cat({Eth(0x0800), Ipv4Tcp(ip, {}, Text("x"))})), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "x");
  EXPECT_EQ(meta_.dst_port, 80);
}

TEST_F(IpTest, Ipv4HeaderErrors) {
  Ipv4Spec v5;
  v5.version = 5;
  ExpectDrop(Cat({Eth(0x0800), Ipv4Tcp(v5, {}, {})}), DropReason::kIpv4BadVersion);
  Ipv4Spec short_ihl;
  short_ihl.ihl = 4;
  ExpectDrop(Cat({Eth(0x0800), Ipv4Tcp(short_ihl, {}, {})}), DropReason::kIpv4BadHeaderLength);
  // IHL 15 = 60 bytes, but the whole datagram on the wire is 40 bytes.
  Ipv4Spec long_ihl;
  long_ihl.ihl = 15;
  ExpectDrop(Cat({Eth(0x0800), Ipv4Tcp(long_ihl, {}, {})}), DropReason::kIpv4BadHeaderLength);
  // ... and when the wire was long enough, the capture was merely cut.
  Bytes cut = Cat({Eth(0x0800), Ipv4Tcp(long_ihl, {}, {})});
  ExpectDrop(cut, DropReason::kTruncatedIpv4, LinkType::kEthernet, 200);

  Ipv4Spec small_total;
  small_total.total_len = 19;
  ExpectDrop(Cat({Eth(0x0800), Ipv4Tcp(small_total, {}, {})}), DropReason::kIpv4BadTotalLength);
  Ipv4Spec big_total;
  big_total.total_len = 400;  // more than the frame that was on the wire
  ExpectDrop(Cat({Eth(0x0800), Ipv4Tcp(big_total, {}, {})}), DropReason::kIpv4BadTotalLength);

  ExpectDrop(Cat({Eth(0x0800), Bytes{0x45, 0, 0, 40, 0, 0}}), DropReason::kTruncatedIpv4);
  ExpectDrop(Eth(0x0800), DropReason::kTruncatedIpv4);
}

// Issue 16: a capture on the sending host of TCP segmentation offload (tcpdump on a client
// uploading) holds IPv4 packets with total length 0. Wireshark and Zeek read them with the
// captured length; dropping them lost the host's own requests.
TEST_F(IpTest, Ipv4TotalLengthZeroTakesTheFrameLength) {
  Ipv4Spec tso;
  tso.total_len = 0;
  const std::string request(3000, 'r');  // larger than any MTU: the stack's unsplit segment
  ASSERT_EQ(Run(Cat({Eth(0x0800), Ipv4Tcp(tso, {}, Text(request))})), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), request);
  EXPECT_EQ(meta_.payload_wire_len, request.size());
  EXPECT_EQ(meta_.l3.size(), 20u + 20u + request.size());
  EXPECT_EQ(Count(DropReason::kIpv4ZeroTotalLengthKept), 1u);
  EXPECT_EQ(decoder_->anomalies(), 1u);
  EXPECT_EQ(TotalDrops(), 1u);  // the anomaly, nothing dropped
  // Under a snaplen cut the wire length still gives the payload's length.
  Bytes frame = Cat({Eth(0x0800), Ipv4Tcp(tso, {}, Text("0123456789"))});
  Bytes cut(frame.begin(), frame.end() - 4);
  ASSERT_EQ(Run(cut, LinkType::kEthernet, static_cast<uint32_t>(frame.size())), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "012345");
  EXPECT_EQ(meta_.payload_wire_len, 10u);
  // A fragment with total length 0 is not an offloaded segment: still an error.
  Ipv4Spec frag = tso;
  frag.more_fragments = true;
  ExpectDrop(Cat({Eth(0x0800), Ipv4Tcp(frag, {}, Text("x"))}), DropReason::kIpv4BadTotalLength);
  EXPECT_EQ(decoder_->anomalies(), 2u);
}

TEST_F(IpTest, Ipv6PayloadLengthZeroTakesTheFrameLength) {
  Ipv6Spec big;
  big.payload_len = 0;
  const std::string request(3000, 'r');
  ASSERT_EQ(Run(Cat({Eth(0x86DD), Ipv6(big, Tcp({}, Text(request)))})), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), request);
  EXPECT_EQ(Count(DropReason::kIpv6ZeroPayloadLengthKept), 1u);
  // No next header and nothing after: an ordinary empty packet, no anomaly.
  Ipv6Spec empty;
  empty.next = 59;
  ASSERT_EQ(Run(Cat({Eth(0x86DD), Ipv6(empty, {})})), DecodeStatus::kOk);
  EXPECT_EQ(decoder_->anomalies(), 1u);
}

TEST_F(IpTest, OtherIpProtocolsHaveNoPorts) {
  Ipv4Spec icmp;
  icmp.proto = 1;
  ASSERT_EQ(Run(Cat({Eth(0x0800), Ipv4(icmp, Bytes{8, 0, 0, 0, 0, 1, 0, 1})})), DecodeStatus::kOk);
  EXPECT_EQ(meta_.ip_proto, 1);
  EXPECT_EQ(meta_.src_port, 0);
  EXPECT_EQ(meta_.dst_port, 0);
  EXPECT_TRUE(meta_.payload.empty());
  EXPECT_EQ(meta_.payload_wire_len, 0u);
  EXPECT_EQ(meta_.l3.size(), 28u);
}

TEST_F(IpTest, Ipv6ExtensionHeaderChain) {
  Ipv6Spec ip;
  ip.next = 0;  // hop-by-hop
  Bytes rest =
      Cat({Ipv6Ext(43), Ipv6Ext(60, 1), Ipv6Ext(51), Ipv6Ah(kIpProtoTcp), Tcp({}, Text("chain"))});
  Bytes frame = Cat({Eth(0x86DD), Ipv6(ip, rest)});
  ASSERT_EQ(Run(frame), DecodeStatus::kOk);
  EXPECT_EQ(meta_.ip_proto, kIpProtoTcp);
  EXPECT_EQ(AsStringView(meta_.payload), "chain");
  EXPECT_EQ(meta_.l3.size(), frame.size() - 14);
  EXPECT_EQ(meta_.src.ToString(), "2001:db8::1");
}

TEST_F(IpTest, Ipv6EspAndNoNextHeaderAreOther) {
  for (uint8_t next : {uint8_t{50}, uint8_t{59}, uint8_t{58}}) {
    Ipv6Spec ip;
    ip.next = 60;
    ASSERT_EQ(Run(Cat({Eth(0x86DD), Ipv6(ip, Cat({Ipv6Ext(next), Bytes(16, 0x11)}))})),
              DecodeStatus::kOk);
    EXPECT_EQ(meta_.ip_proto, next);
    EXPECT_EQ(meta_.src_port, 0);
    EXPECT_TRUE(meta_.payload.empty());
  }
}

TEST_F(IpTest, Ipv6ExtensionHeaderLimit) {
  auto chain = [](int n) {
    Bytes rest;
    for (int i = 0; i < n; ++i) rest = Cat({rest, Ipv6Ext(i + 1 < n ? 60 : kIpProtoTcp)});
    Ipv6Spec ip;
    ip.next = 60;
    return Cat({Eth(0x86DD), Ipv6(ip, Cat({rest, Tcp({}, Text("z"))}))});
  };
  ASSERT_EQ(Run(chain(8)), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "z");
  ExpectDrop(chain(9), DropReason::kIpv6TooManyExtensionHeaders);
}

TEST_F(IpTest, Ipv6Errors) {
  Ipv6Spec v4;
  v4.version = 4;
  ExpectDrop(Cat({Eth(0x86DD), Ipv6(v4, Tcp({}, {}))}), DropReason::kIpv6BadVersion);
  ExpectDrop(Cat({Eth(0x86DD), Bytes(39, 0x60)}), DropReason::kTruncatedIpv6);
  Ipv6Spec big;
  big.payload_len = 1000;
  ExpectDrop(Cat({Eth(0x86DD), Ipv6(big, Tcp({}, {}))}), DropReason::kIpv6BadPayloadLength);
  // A destination-options header claiming 64 bytes inside a 28-byte payload.
  Ipv6Spec opts;
  opts.next = 60;
  Bytes ext = Ipv6Ext(kIpProtoTcp);
  ext[1] = 7;
  ExpectDrop(Cat({Eth(0x86DD), Ipv6(opts, Cat({ext, Tcp({}, {})}))}),
             DropReason::kIpv6BadExtensionHeader);
  // The same header inside a long enough datagram whose capture was cut.
  Bytes ok = Cat({Eth(0x86DD), Ipv6(opts, Cat({Ipv6Ext(kIpProtoTcp, 7), Tcp({}, Text("p"))}))});
  Bytes cut(ok.begin(), ok.begin() + 14 + 40 + 20);
  ExpectDrop(cut, DropReason::kTruncatedIpv6, LinkType::kEthernet,
             static_cast<uint32_t>(ok.size()));
}

TEST_F(IpTest, Ipv6PaddingTrimmedAndAtomicFragment) {
  Ipv6Spec ip;
  ip.next = 44;
  Bytes frame = Cat({Eth(0x86DD),
                     Ipv6(ip, Cat({Ipv6Frag(kIpProtoTcp, 0, false, 77), Tcp({}, Text("atomic"))})),
                     Bytes(6, 0)});
  ASSERT_EQ(Run(frame), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "atomic");
  EXPECT_FALSE(meta_.reassembled_fragment);
  EXPECT_EQ(meta_.ip_proto, kIpProtoTcp);
  EXPECT_EQ(meta_.l3.size(), frame.size() - 14 - 6);
}

TEST_F(IpTest, TcpOptionsAndErrors) {
  TcpSpec opts;
  opts.data_offset = 8;
  opts.flags = kTcpSyn;
  ASSERT_EQ(Run(Cat({Eth(0x0800), Ipv4Tcp({}, opts, Text("hi"))})), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "hi");
  EXPECT_EQ(meta_.tcp_flags, kTcpSyn);

  Bytes small_doff = Cat({Eth(0x0800), Ipv4Tcp({}, {}, Text("hi"))});
  small_doff[14 + 20 + 12] = 4 << 4;
  ExpectDrop(small_doff, DropReason::kTcpBadHeaderLength);
  Bytes big_doff = Cat({Eth(0x0800), Ipv4Tcp({}, {}, Text("hi"))});
  big_doff[14 + 20 + 12] = 15 << 4;  // 60 bytes in a 22-byte segment
  ExpectDrop(big_doff, DropReason::kTcpBadHeaderLength);
  // Options present on the wire but cut by the snaplen.
  Bytes with_opts = Cat({Eth(0x0800), Ipv4Tcp({}, opts, Text("hi"))});
  Bytes cut(with_opts.begin(), with_opts.begin() + 14 + 20 + 24);
  ExpectDrop(cut, DropReason::kTruncatedTcp, LinkType::kEthernet,
             static_cast<uint32_t>(with_opts.size()));
  Ipv4Spec ip;
  ExpectDrop(Cat({Eth(0x0800), Ipv4(ip, Bytes(12, 0))}), DropReason::kTruncatedTcp);
}

TEST_F(IpTest, Udp) {
  Ipv4Spec ip;
  ip.proto = kIpProtoUdp;
  ASSERT_EQ(Run(Cat({Eth(0x0800), Ipv4(ip, Udp(5353, 53, Text("query")))})), DecodeStatus::kOk);
  EXPECT_EQ(meta_.ip_proto, kIpProtoUdp);
  EXPECT_EQ(meta_.src_port, 5353);
  EXPECT_EQ(meta_.dst_port, 53);
  EXPECT_EQ(AsStringView(meta_.payload), "query");
  EXPECT_EQ(meta_.payload_wire_len, 5u);
  // A UDP length shorter than the IP payload bounds the datagram.
  ASSERT_EQ(Run(Cat({Eth(0x0800), Ipv4(ip, Udp(1, 2, Text("query"), 10))})), DecodeStatus::kOk);
  EXPECT_EQ(AsStringView(meta_.payload), "qu");
  EXPECT_EQ(meta_.payload_wire_len, 2u);

  ExpectDrop(Cat({Eth(0x0800), Ipv4(ip, Udp(1, 2, Text("q"), 7))}), DropReason::kUdpBadLength);
  ExpectDrop(Cat({Eth(0x0800), Ipv4(ip, Udp(1, 2, Text("q"), 10))}), DropReason::kUdpBadLength);
  ExpectDrop(Cat({Eth(0x0800), Ipv4(ip, Bytes{0, 1, 0, 2, 0})}), DropReason::kTruncatedUdp);
}

TEST_F(IpTest, UdpOverIpv6) {
  Ipv6Spec ip;
  ip.next = kIpProtoUdp;
  ASSERT_EQ(Run(Cat({Eth(0x86DD), Ipv6(ip, Udp(443, 50000, Text("quic")))})), DecodeStatus::kOk);
  EXPECT_EQ(meta_.src_port, 443);
  EXPECT_EQ(AsStringView(meta_.payload), "quic");
}

// The decoder's analogue of chunk invariance: every captured prefix of a valid frame, whether
// cut by the snaplen (wire length intact) or truly short on the wire, either decodes to a prefix
// of the same packet or is dropped with exactly one reason.
TEST_F(IpTest, EveryPrefixIsHandled) {
  Ipv6Spec v6;
  v6.next = 0;
  Ipv4Spec udp;
  udp.proto = kIpProtoUdp;
  const std::vector<Bytes> frames = {
      Cat({Eth(0x0800), Ipv4Tcp({}, {}, Text("GET /bucket/key HTTP/1.1\r\n"))}),
      Cat({Eth(0x88A8), Vlan(1, 0x8100), Vlan(2, 0x8847), Mpls(3, true),
           Ipv6(v6, Cat({Ipv6Ext(kIpProtoTcp), Tcp({}, Text("payload"))}))}),
      Cat({Eth(0x0800),
           Ipv4(udp, Udp(1, 4789, Cat({Vxlan(5), Eth(0x0800), Ipv4Tcp({}, {}, Text("inner"))})))}),
  };
  for (const Bytes& frame : frames) {
    ASSERT_EQ(Run(frame), DecodeStatus::kOk);
    const std::string full(AsStringView(meta_.payload));
    for (size_t n = 0; n <= frame.size(); ++n) {
      Bytes prefix(frame.begin(), frame.begin() + n);
      DecodeStatus snap = Run(prefix, LinkType::kEthernet, static_cast<uint32_t>(frame.size()));
      if (snap == DecodeStatus::kOk) {
        EXPECT_EQ(full.substr(0, meta_.payload.size()), AsStringView(meta_.payload)) << n;
        EXPECT_EQ(meta_.payload_wire_len, full.size()) << n;
      }
      DecodeStatus shrt = Run(prefix);
      if (n < frame.size()) {
        EXPECT_NE(shrt, DecodeStatus::kOk) << n;
      }
    }
  }
}

}  // namespace
}  // namespace bw::decode::testing
