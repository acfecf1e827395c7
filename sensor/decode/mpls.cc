// MPLS label stack (RFC 3032). Nothing in the stack says what follows bottom-of-stack, so the
// payload is guessed the way Wireshark and Suricata do: IPv4/IPv6 by the version nibble, a zero
// nibble as the RFC 4385 pseudowire control word in front of an Ethernet frame, and any other
// start as an Ethernet pseudowire without control word when an EtherType the sensor knows sits
// where an Ethernet header has it.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kMplsLabel = 4;
constexpr size_t kControlWord = 4;
constexpr uint8_t kBottomOfStack = 0x01;
constexpr size_t kEthertypeOffset = 12;

// An Ethernet header at `off` whose EtherType is one the sensor decodes.
bool LooksLikeEthernet(ByteView b, size_t off) {
  uint16_t type = 0;
  if (!LoadBe16(b, off + kEthertypeOffset, type)) return false;
  return type == 0x0800 || type == 0x86DD || type == 0x8100 || type == 0x88A8 || type == 0x8847 ||
         type == 0x8864;
}

}  // namespace

Step DecodeMpls(Cursor& c, PacketMeta& m) {
  m.tunnel_flags |= kTunnelMpls;
  for (;;) {
    uint8_t tc_s = 0;
    if (c.data.size() < kMplsLabel || !LoadU8(c.data, 2, tc_s)) {
      return Drop(DropReason::kTruncatedMpls);
    }
    if (m.mpls_count >= kMaxMplsLabels) return Drop(DropReason::kTooManyMplsLabels);
    ++m.mpls_count;
    c.Advance(kMplsLabel);
    if (tc_s & kBottomOfStack) break;
  }
  uint8_t first = 0;
  if (!LoadU8(c.data, 0, first)) return Drop(DropReason::kTruncatedMpls);
  switch (first >> 4) {
    case 4:
      c.layer = Layer::kIpv4;
      return Next();
    case 6:
      c.layer = Layer::kIpv6;
      return Next();
    case 0:
      // A control word, unless the bytes read as an Ethernet frame without one and not as a
      // zero first half (flags and length, 0 for Ethernet: RFC 4448 section 4.6) before one: a
      // destination MAC may start with a zero nibble too.
      if (!LooksLikeEthernet(c.data, 0) ||
          (c.data.size() >= 2 && c.data[0] == 0 && c.data[1] == 0 &&
           LooksLikeEthernet(c.data, kControlWord))) {
        if (c.data.size() < kControlWord) return Drop(DropReason::kTruncatedMpls);
        c.Advance(kControlWord);
      }
      c.layer = Layer::kEthernet;
      return Next();
    default:
      // An Ethernet pseudowire without control word (RFC 4448 makes the word optional).
      if (!LooksLikeEthernet(c.data, 0)) return Drop(DropReason::kNotIp);
      c.layer = Layer::kEthernet;
      return Next();
  }
}

}  // namespace bw::decode::internal
