#pragma once
// The UDP ports the decoder follows into a tunnel (udp.cc): VXLAN (and -GPE), GENEVE and GRE-in-UDP
// by destination (both directions of a mirror or load-balancer tunnel are sent to the port),
// Teredo, AYIYA and GTP-U on either side (a relay or peer answers from it). A datagram that matches
// may carry another flow inside, so whoever shards flows by the outer header must decode it first.

#include <cstdint>
#include <initializer_list>

namespace bw::decode {

constexpr uint16_t kVxlanPort = 4789;
constexpr uint16_t kVxlanGpePort = 4790;  // VXLAN with a next-protocol field
constexpr uint16_t kGenevePort = 6081;
constexpr uint16_t kTeredoPort = 3544;
constexpr uint16_t kAyiyaPort = 5072;
constexpr uint16_t kGtpUPort = 2152;
constexpr uint16_t kGreInUdpPort = 4754;  // RFC 8086

constexpr bool MayBeUdpTunnel(uint16_t src_port, uint16_t dst_port) {
  for (uint16_t p : {kTeredoPort, kAyiyaPort, kGtpUPort}) {
    if (src_port == p || dst_port == p) return true;
  }
  return dst_port == kVxlanPort || dst_port == kVxlanGpePort || dst_port == kGenevePort ||
         dst_port == kGreInUdpPort;
}

}  // namespace bw::decode
