#pragma once
// Internal contract between the decoder loop and the per-layer functions. Each layer reads its
// header from `Cursor::data` with bounds-checked loads, records what it learned in the stack
// PacketMeta, and either names the next layer (advancing the cursor past its header), finishes,
// holds a fragment, or drops with one reason. No layer calls another: the loop in decoder.cc
// drives them, so nesting is bounded by counters instead of recursion depth.

#include <cstdint>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"
#include "sensor/decode/drop_reason.h"
#include "sensor/decode/fragment_reassembler.h"
#include "sensor/decode/packet_meta.h"
#include "sensor/decode/packet_ownership.h"
#include "sensor/decode/tcp_checksum.h"

namespace bw::decode::internal {

enum class Layer : uint8_t {
  kEthernet,
  kEthertype,  // dispatch on Cursor::ethertype; data starts after the type field
  kVlan,
  kMpls,
  kIpAnyVersion,  // IPv4 or IPv6 by the first nibble
  kIpv4,
  kIpv6,
  kTcp,
  kUdp,
  kVxlan,
  kVxlanGpe,
  kIpv4InIp,  // IPv4 or IPv6 carried directly by IP (protocols 4 and 41)
  kIpv6InIp,
  kGre,
  kErspanII,
  kErspanIII,
  kGeneve,
  kTeredo,
  kAyiya,
  kGtpU,
  kPppoe,  // PPPoE session header, then PPP
  kPpp,    // the PPP protocol field
  kIeee80211,
  kOtherTransport,
};

struct Cursor {
  Layer layer = Layer::kEthernet;
  ByteView data;          // captured bytes from the start of the current layer
  uint64_t wire_len = 0;  // bytes the current layer spans on the wire; always >= data.size()
  uint16_t ethertype = 0;
  const PacketOwnership* owner = nullptr;  // set when this decoder keeps only some flows
  FrameHint hint;                          // what another decoder found out about the frame
  // Something a layer tolerated (an anomaly, see drop_reason.h); counted if the frame is kept.
  DropReason anomaly = DropReason::kCount;

  // Moves past `n` bytes of header; the caller has checked that they were captured.
  void Advance(size_t n) {
    data = data.subspan(n);
    wire_len -= n;
  }
  // Limits the layer to `n` wire bytes (trailing padding is not payload).
  void Trim(uint64_t n) {
    if (n < data.size()) data = data.first(static_cast<size_t>(n));
    wire_len = n;
  }
};

enum class StepKind : uint8_t { kNext, kDone, kDrop, kHeld, kNotOwned };

struct Step {
  StepKind kind = StepKind::kNext;
  DropReason reason = DropReason::kCount;
};

inline Step Next() { return {StepKind::kNext, DropReason::kCount}; }
inline Step Done() { return {StepKind::kDone, DropReason::kCount}; }
inline Step Held() { return {StepKind::kHeld, DropReason::kCount}; }
inline Step Drop(DropReason r) { return {StepKind::kDrop, r}; }
inline Step NotOwned() { return {StepKind::kNotOwned, DropReason::kCount}; }

// The reassembler and packet time, for the IP layers.
struct FragmentContext {
  FragmentReassembler& reassembler;
  TimestampNs ts;
};

// link_layer.cc: positions the cursor after the link header of `link`.
Step DecodeLinkLayer(LinkType link, Cursor& c, PacketMeta& m);
// ethernet.cc
Step DecodeEthernet(Cursor& c, PacketMeta& m);
Step DispatchEthertype(Cursor& c, PacketMeta& m);
// vlan.cc
Step DecodeVlan(Cursor& c, PacketMeta& m);
// mpls.cc
Step DecodeMpls(Cursor& c, PacketMeta& m);
// ipv4.cc / ipv6.cc; ip_version.cc holds the first-nibble dispatch.
Step DecodeIpAnyVersion(Cursor& c, PacketMeta& m);
Step DecodeIpv4(Cursor& c, PacketMeta& m, FragmentContext& f);
Step DecodeIpv6(Cursor& c, PacketMeta& m, FragmentContext& f);
// Selects the transport layer for `proto` once an IP layer set c.data to its payload.
void SelectTransport(uint8_t proto, Cursor& c, PacketMeta& m);
// tcp.cc / udp.cc / other transports.
Step DecodeTcp(Cursor& c, PacketMeta& m, TcpChecksumPolicy& checksum);
Step DecodeUdp(Cursor& c, PacketMeta& m);
Step DecodeOtherTransport(Cursor& c, PacketMeta& m);
// vxlan.cc / gre.cc (GRE and ERSPAN)
Step DecodeVxlan(Cursor& c, PacketMeta& m);
Step DecodeVxlanGpe(Cursor& c, PacketMeta& m);
// transport.cc: IP in IP (RFC 2003, RFC 4213 6in4, RFC 2473), `inner` the IP layer inside.
Step DecodeIpInIp(Cursor& c, PacketMeta& m, Layer inner);
Step DecodeGre(Cursor& c, PacketMeta& m);
Step DecodeErspanII(Cursor& c, PacketMeta& m);
Step DecodeErspanIII(Cursor& c, PacketMeta& m);
// UDP tunnels: geneve.cc, teredo.cc, ayiya.cc, gtp_u.cc. Each leaves a datagram that does not
// look like its tunnel as the plain UDP packet it is (Done), as VXLAN does.
Step DecodeGeneve(Cursor& c, PacketMeta& m);
Step DecodeTeredo(Cursor& c, PacketMeta& m);
Step DecodeAyiya(Cursor& c, PacketMeta& m);
Step DecodeGtpU(Cursor& c, PacketMeta& m);
// ppp.cc: PPPoE sessions and the PPP protocol field.
Step DecodePppoe(Cursor& c, PacketMeta& m);
Step DecodePpp(Cursor& c, PacketMeta& m);
// ieee80211.cc: 802.11 data frames and their LLC/SNAP header.
Step DecodeIeee80211(Cursor& c, PacketMeta& m);

// Entering a tunnel: counts one level of encapsulation, or refuses past the bound.
inline bool EnterTunnel(PacketMeta& m, uint16_t flag) {
  if (m.encapsulation_depth >= kMaxEncapsulationDepth) return false;
  ++m.encapsulation_depth;
  m.tunnel_flags |= flag;
  return true;
}

}  // namespace bw::decode::internal
