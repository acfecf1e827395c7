// TCP header (RFC 9293). Of the options only a SYN's window scale (RFC 7323) is read: the
// reassembler needs it to know how far ahead the receiver accepts data; the rest are skipped.
// The checksum is classified as the policy says (tcp_checksum.h): kVerify drops what a receiver
// would discard; kAuto hands the verdict on, for reassembly to treat a wrong sum as weak.

#include <algorithm>

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kMinHeader = 20;
constexpr uint8_t kOptEnd = 0;
constexpr uint8_t kOptNop = 1;
constexpr uint8_t kOptWindowScale = 3;

// The shift of a window-scale option in `opts`, clamped to 14, or kTcpWscaleAbsent. A malformed
// option list ends the walk where it stops making sense (as Linux tcp_parse_options does); what
// was read before stays valid.
uint8_t ParseWindowScale(ByteView opts) {
  size_t i = 0;
  while (i < opts.size()) {
    const uint8_t kind = opts[i];
    if (kind == kOptEnd) break;
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size()) break;
    const size_t len = opts[i + 1];
    if (len < 2 || len > opts.size() - i) break;
    if (kind == kOptWindowScale && len == 3) {
      return std::min(opts[i + 2], kTcpMaxWscale);
    }
    i += len;
  }
  return kTcpWscaleAbsent;
}

}  // namespace

Step DecodeTcp(Cursor& c, PacketMeta& m, TcpChecksumPolicy& checksum) {
  if (c.data.size() < kMinHeader) return Drop(DropReason::kTruncatedTcp);
  const uint8_t* p = c.data.data();
  const size_t header_len = static_cast<size_t>(p[12] >> 4) * 4;
  if (header_len < kMinHeader || header_len > c.wire_len) {
    return Drop(DropReason::kTcpBadHeaderLength);
  }
  if (header_len > c.data.size()) return Drop(DropReason::kTruncatedTcp);
  m.src_port = Be16(p);
  m.dst_port = Be16(p + 2);
  const bool verifiable = c.data.size() >= c.wire_len;  // not cut by the snaplen
  if (c.owner != nullptr && !c.owner->Owns(m)) {
    // Another decoder verifies and keeps this one (file fanout): the ports were all it needed,
    // unless it wants the checksum's verdict from here, where the bytes are in cache.
    if (c.owner->ClassifiesChecksums() && checksum.mode() != TcpChecksumMode::kIgnore) {
      c.owner->NoteChecksum(FrameHint::FromVerdict(
          verifiable ? ClassifyTcpChecksum(m.src, m.dst, c.data) : TcpChecksumVerdict::kBad,
          verifiable));
    }
    return NotOwned();
  }
  if (checksum.verifying()) {
    if (!verifiable || c.hint.checksum == FrameHint::Checksum::kUnverifiable) {
      checksum.NoteUnverifiable();  // the snaplen cut it: the sum covers bytes we do not have
    } else {
      TcpChecksumVerdict v;
      if (!c.hint.Verdict(v)) v = ClassifyTcpChecksum(m.src, m.dst, c.data);
      if (!checksum.Accept(v)) return Drop(DropReason::kTcpBadChecksum);
      m.tcp_checksum = v;
    }
  }
  m.tcp_seq = Be32(p + 4);
  m.tcp_ack = Be32(p + 8);
  m.tcp_flags = p[13];
  m.tcp_window = Be16(p + 14);
  m.tcp_wscale = (m.tcp_flags & kTcpSyn) != 0
                     ? ParseWindowScale(c.data.subspan(kMinHeader, header_len - kMinHeader))
                     : kTcpWscaleAbsent;
  m.payload = c.data.subspan(header_len);
  m.payload_wire_len = static_cast<uint32_t>(c.wire_len - header_len);
  return Done();
}

}  // namespace bw::decode::internal
