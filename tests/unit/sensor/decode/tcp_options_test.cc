// The window-scale option of a SYN (RFC 7323) reaches PacketMeta::tcp_wscale; anything else, a
// malformed option list included, leaves it absent and never drops the packet.

#include <gtest/gtest.h>

#include <cstdint>

#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {
namespace {

constexpr size_t kTcpOffset = 14 + 20;  // Ethernet + IPv4 without options

class TcpOptionsTest : public DecoderTest {
 protected:
  // A frame whose TCP header carries `options` (padded with EOL to a multiple of four).
  Bytes Frame(uint8_t flags, Bytes options, const Bytes& payload = Text("x")) {
    while (options.size() % 4 != 0) options.push_back(0);
    TcpSpec tcp;
    tcp.flags = flags;
    tcp.data_offset = static_cast<uint8_t>(5 + options.size() / 4);
    Bytes frame = Cat({Eth(0x0800), Ipv4Tcp({}, tcp, payload)});
    std::copy(options.begin(), options.end(), frame.begin() + kTcpOffset + 20);
    return frame;
  }
  uint8_t Wscale(uint8_t flags, const Bytes& options) {
    EXPECT_EQ(Run(Frame(flags, options)), DecodeStatus::kOk);
    EXPECT_EQ(AsStringView(meta_.payload), "x");
    return meta_.tcp_wscale;
  }
};

// What Linux sends on a SYN: MSS, SACK permitted, timestamps, NOP, window scale 7.
const Bytes kLinuxSyn = {2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};

TEST_F(TcpOptionsTest, SynWindowScaleIsRead) {
  EXPECT_EQ(Wscale(kTcpSyn, kLinuxSyn), 7);
  EXPECT_EQ(Wscale(kTcpSyn | kTcpAck, {3, 3, 0}), 0);  // present with shift 0
  EXPECT_EQ(Wscale(kTcpSyn | kTcpAck, {1, 1, 1, 3, 3, 14}), 14);
  EXPECT_EQ(meta_.tcp_window, 512);
}

TEST_F(TcpOptionsTest, ShiftAbove14IsClamped) {
  EXPECT_EQ(Wscale(kTcpSyn, {3, 3, 15}), kTcpMaxWscale);
  EXPECT_EQ(Wscale(kTcpSyn, {3, 3, 255}), kTcpMaxWscale);
}

TEST_F(TcpOptionsTest, AbsentWithoutTheOptionOrOnNonSyn) {
  EXPECT_EQ(Wscale(kTcpSyn, {2, 4, 0x05, 0xB4}), kTcpWscaleAbsent);
  EXPECT_EQ(Wscale(kTcpSyn, {}), kTcpWscaleAbsent);
  // Only a SYN negotiates scaling (RFC 7323 section 2.2): ignored elsewhere.
  EXPECT_EQ(Wscale(kTcpAck, {3, 3, 7}), kTcpWscaleAbsent);
}

TEST_F(TcpOptionsTest, MalformedListsStopTheWalkWithoutDropping) {
  EXPECT_EQ(Wscale(kTcpSyn, {0, 3, 3, 7}), kTcpWscaleAbsent);      // after end of list
  EXPECT_EQ(Wscale(kTcpSyn, {2, 0, 3, 3, 7}), kTcpWscaleAbsent);   // length 0
  EXPECT_EQ(Wscale(kTcpSyn, {2, 1, 3, 3, 7}), kTcpWscaleAbsent);   // length 1
  EXPECT_EQ(Wscale(kTcpSyn, {2, 40, 3, 3, 7}), kTcpWscaleAbsent);  // runs past the header
  EXPECT_EQ(Wscale(kTcpSyn, {3, 4, 7, 0}), kTcpWscaleAbsent);      // wrong length for WS
  EXPECT_EQ(Wscale(kTcpSyn, {3, 4, 7, 0, 3, 3, 9}), 9);            // skipped by its length
  EXPECT_EQ(Wscale(kTcpSyn, {1, 1, 1, 3}), kTcpWscaleAbsent);      // kind without length
}

// A snaplen cut inside the options: the header itself is incomplete, so the frame is dropped as
// truncated like any other cut TCP header, and nothing is read past the captured bytes.
TEST_F(TcpOptionsTest, CutInsideTheOptionsIsTruncated) {
  Bytes frame = Frame(kTcpSyn, kLinuxSyn);
  Bytes cut(frame.begin(), frame.begin() + kTcpOffset + 30);
  ExpectDrop(cut, DropReason::kTruncatedTcp, LinkType::kEthernet,
             static_cast<uint32_t>(frame.size()));
}

// Every cut of the option bytes decodes without reading beyond the header: exhaustive over the
// last option byte's value too.
TEST_F(TcpOptionsTest, EveryValueOfTheLastByteIsSafe) {
  for (int v = 0; v < 256; ++v) {
    Bytes opts = {1, 1, 3, static_cast<uint8_t>(v)};
    EXPECT_EQ(Run(Frame(kTcpSyn, opts)), DecodeStatus::kOk) << v;
    // {3, v}: a WS option only when its length says 3, which needs a third byte it lacks here.
    EXPECT_EQ(meta_.tcp_wscale, kTcpWscaleAbsent) << v;
  }
}

}  // namespace
}  // namespace bw::decode::testing
