// Chooses the layer after IP, and reports protocols the sensor does not dissect (ICMP, ESP, ...)
// as whole packets without ports: the pipeline counts them as "other".

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr uint8_t kIpProtoGre = 47;

}  // namespace

void SelectTransport(uint8_t proto, Cursor& c, PacketMeta& m) {
  // A tunnel's inner packet replaces whatever the outer transport header reported.
  m.src_port = 0;
  m.dst_port = 0;
  m.tcp_seq = 0;
  m.tcp_ack = 0;
  m.tcp_flags = 0;
  m.tcp_window = 0;
  m.payload = {};
  m.payload_wire_len = 0;
  switch (proto) {
    case kIpProtoTcp:
      c.layer = Layer::kTcp;
      break;
    case kIpProtoUdp:
      c.layer = Layer::kUdp;
      break;
    case kIpProtoGre:
      c.layer = Layer::kGre;
      break;
    default:
      c.layer = Layer::kOtherTransport;
      break;
  }
}

Step DecodeOtherTransport(Cursor& c, PacketMeta& m) { return Done(); }

}  // namespace bw::decode::internal
