// MPLS label stack (RFC 3032). Nothing in the stack says what follows bottom-of-stack, so the
// payload is guessed the way Wireshark and Suricata do: IPv4/IPv6 by the version nibble, and a
// zero nibble as the RFC 4385 pseudowire control word in front of an Ethernet frame.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kMplsLabel = 4;
constexpr size_t kControlWord = 4;
constexpr uint8_t kBottomOfStack = 0x01;

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
      if (c.data.size() < kControlWord) return Drop(DropReason::kTruncatedMpls);
      c.Advance(kControlWord);
      c.layer = Layer::kEthernet;
      return Next();
    default:
      return Drop(DropReason::kNotIp);
  }
}

}  // namespace bw::decode::internal
