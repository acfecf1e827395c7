#pragma once
// What the decoder learned about one captured frame. Lives on the stack of the caller; views
// point into the frame (or into the fragment reassembler's buffer, valid until its next call).

#include <array>
#include <cstdint>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"
#include "sensor/decode/ip_address.h"
#include "sensor/decode/tcp_checksum.h"

namespace bw::decode {

// pcap DLT values the sensor accepts (pcap_datalink() numbering, not LINKTYPE_).
enum class LinkType : int {
  kNull = 0,                // DLT_NULL: BSD loopback, 4-byte host-order family
  kArcnet = 7,              // DLT_ARCNET (BSD): source, destination, ARCNET type
  kEthernet = 1,            // DLT_EN10MB
  kPpp = 9,                 // DLT_PPP: optional HDLC address/control, then the PPP protocol
  kRaw = 12,                // DLT_RAW on Linux: raw IPv4 or IPv6
  kRawAlt = 14,             // DLT_RAW on OpenBSD numbering
  kPppSerial = 50,          // DLT_PPP_SERIAL: PPP in HDLC-like framing
  kPppEther = 51,           // DLT_PPP_ETHER: PPPoE session header without Ethernet
  kCiscoHdlc = 104,         // DLT_C_HDLC: address, control, EtherType
  kIeee80211 = 105,         // DLT_IEEE802_11: 802.11 frames, no radio header
  kLoop = 108,              // DLT_LOOP: like NULL but network-order family
  kHdlc = 112,              // DLT_HDLC (LINKTYPE_NETBSD_HDLC): Cisco HDLC framing as well
  kLinuxSll = 113,          // DLT_LINUX_SLL
  kArcnetLinux = 129,       // DLT_ARCNET_LINUX: source, destination, 2-byte offset, type
  kRadiotap = 127,          // DLT_IEEE802_11_RADIO: radiotap header, then 802.11
  kPppWithDir = 204,        // DLT_PPP_WITH_DIR: direction byte, then PPP
  kCiscoHdlcWithDir = 205,  // DLT_C_HDLC_WITH_DIR: direction byte, then Cisco HDLC
  kIpv4 = 228,              // DLT_IPV4
  kIpv6 = 229,              // DLT_IPV6
  kNflog = 239,             // DLT_NFLOG: Linux netfilter log (`tcpdump -i nflog`)
  kLinuxSll2 = 276,         // DLT_LINUX_SLL2
};

constexpr size_t kMaxVlanTags = 4;
constexpr size_t kMaxMplsLabels = 8;
constexpr uint8_t kMaxEncapsulationDepth = 4;  // nested tunnels (VXLAN in GRE in ...)

enum TunnelFlags : uint16_t {
  kTunnelNone = 0,
  kTunnelVxlan = 1 << 0,
  kTunnelGre = 1 << 1,
  kTunnelErspan = 1 << 2,
  kTunnelMpls = 1 << 3,
  kTunnelGeneve = 1 << 4,
  kTunnelTeredo = 1 << 5,
  kTunnelAyiya = 1 << 6,
  kTunnelGtp = 1 << 7,
  kTunnelPppoe = 1 << 8,
  kTunnelIpInIp = 1 << 9,
};

enum TcpFlags : uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
};

constexpr uint8_t kTcpWscaleAbsent = 0xFF;
constexpr uint8_t kTcpMaxWscale = 14;  // RFC 7323 section 2.3

constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;

struct PacketMeta {
  TimestampNs ts = 0;
  uint32_t wire_length = 0;      // frame length on the wire
  uint32_t captured_length = 0;  // bytes the capture kept (snaplen may cut)

  // Layer 2 and encapsulation, outermost first.
  uint8_t vlan_count = 0;
  std::array<uint16_t, kMaxVlanTags> vlan_ids{};
  uint8_t mpls_count = 0;
  uint8_t encapsulation_depth = 0;  // tunnels unwrapped to reach the inner packet
  uint16_t tunnel_flags = kTunnelNone;

  // Innermost IP layer: the packet the flow belongs to.
  IpAddress src;
  IpAddress dst;
  uint8_t ip_proto = 0;
  bool reassembled_fragment = false;  // l3 points into the fragment reassembler
  ByteView l3;                        // IP header to end of captured IP payload

  // Transport.
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t tcp_seq = 0;
  uint32_t tcp_ack = 0;
  uint8_t tcp_flags = 0;
  uint16_t tcp_window = 0;
  // Window-scale shift from a SYN's option (RFC 7323), clamped to 14; kTcpWscaleAbsent when the
  // packet is not a SYN or carried no such option.
  uint8_t tcp_wscale = 0xFF;
  // The checksum's verdict (tcp_checksum.h); kGood also when it was not checked (kIgnore, cut by
  // the snaplen). kVerify drops the others before they get here.
  TcpChecksumVerdict tcp_checksum = TcpChecksumVerdict::kGood;

  ByteView payload;               // captured transport payload
  uint32_t payload_wire_len = 0;  // payload length per the IP header; > payload.size() when cut
};

}  // namespace bw::decode
