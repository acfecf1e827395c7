// UDP header (RFC 768); port 4789 continues into VXLAN.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr size_t kHeader = 8;
constexpr uint16_t kVxlanPort = 4789;

}  // namespace

Step DecodeUdp(Cursor& c, PacketMeta& m) {
  if (c.data.size() < kHeader) return Drop(DropReason::kTruncatedUdp);
  const uint8_t* p = c.data.data();
  const uint16_t length = Be16(p + 4);
  if (length < kHeader || length > c.wire_len) return Drop(DropReason::kUdpBadLength);
  m.src_port = Be16(p);
  m.dst_port = Be16(p + 2);
  c.Trim(length);
  c.Advance(kHeader);
  m.payload = c.data;
  m.payload_wire_len = static_cast<uint32_t>(c.wire_len);
  if (m.dst_port == kVxlanPort) {
    c.layer = Layer::kVxlan;
    return Next();
  }
  return Done();
}

}  // namespace bw::decode::internal
