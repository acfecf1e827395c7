// TCP header (RFC 9293). Options are skipped, not parsed: the reassembler needs only sequence
// numbers, flags and payload.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kMinHeader = 20;

}  // namespace

Step DecodeTcp(Cursor& c, PacketMeta& m) {
  if (c.data.size() < kMinHeader) return Drop(DropReason::kTruncatedTcp);
  const uint8_t* p = c.data.data();
  const size_t header_len = static_cast<size_t>(p[12] >> 4) * 4;
  if (header_len < kMinHeader || header_len > c.wire_len) {
    return Drop(DropReason::kTcpBadHeaderLength);
  }
  if (header_len > c.data.size()) return Drop(DropReason::kTruncatedTcp);
  m.src_port = Be16(p);
  m.dst_port = Be16(p + 2);
  m.tcp_seq = Be32(p + 4);
  m.tcp_ack = Be32(p + 8);
  m.tcp_flags = p[13];
  m.tcp_window = Be16(p + 14);
  m.payload = c.data.subspan(header_len);
  m.payload_wire_len = static_cast<uint32_t>(c.wire_len - header_len);
  return Done();
}

}  // namespace bw::decode::internal
