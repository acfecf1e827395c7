// Chooses the layer after IP (IP in IP, as 6in4 tunnel brokers and IPsec-less site links use,
// is a tunnel like any other), and reports protocols the sensor does not dissect (ICMP, ESP, ...)
// as whole packets without ports: the pipeline counts them as "other".

#include "sensor/decode/layers.h"

namespace bw::decode::internal {
namespace {

constexpr uint8_t kIpProtoGre = 47;
constexpr uint8_t kIpProtoIpv4 = 4;
constexpr uint8_t kIpProtoIpv6 = 41;

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
    case kIpProtoIpv4:
      c.layer = Layer::kIpv4InIp;
      break;
    case kIpProtoIpv6:
      c.layer = Layer::kIpv6InIp;
      break;
    default:
      c.layer = Layer::kOtherTransport;
      break;
  }
}

Step DecodeOtherTransport(Cursor& c, PacketMeta& m) { return Done(); }

Step DecodeIpInIp(Cursor& c, PacketMeta& m, Layer inner) {
  if (!EnterTunnel(m, kTunnelIpInIp)) return Drop(DropReason::kEncapsulationTooDeep);
  c.layer = inner;
  return Next();
}

}  // namespace bw::decode::internal
