#include "sensor/pipeline/flow_splitter.h"

#include "sensor/decode/udp_tunnel_ports.h"
#include "sensor/pipeline/flow_share.h"

namespace bw::pipeline {
namespace {

using Checksum = decode::FrameHint::Checksum;

constexpr size_t kEthernetHeader = 14;
constexpr uint16_t kEthertypeIpv4 = 0x0800;
constexpr uint16_t kEthertypeIpv6 = 0x86DD;

// Fragments only need recognising: a small table (the workers' decoders reassemble them).
decode::DecoderLimits ProbeLimits(decode::DecoderLimits limits) {
  limits.max_fragment_datagrams = 1;
  limits.max_fragment_bytes = 64 << 10;
  return limits;
}

}  // namespace

FlowSplitter::FlowSplitter(size_t workers, decode::LinkType link,
                           const decode::DecoderLimits& limits)
    : workers_(workers),
      link_(link),
      checksums_(limits.tcp_checksum != decode::TcpChecksumMode::kIgnore),
      decoder_(ProbeLimits(limits), drops_, drops_, *this) {}

bool FlowSplitter::ShortPath(ByteView frame, Verdict& out) const {
  if (link_ != decode::LinkType::kEthernet || frame.size() < kEthernetHeader + 20 + 4) {
    return false;
  }
  const uint8_t* ip = frame.data() + kEthernetHeader;
  const size_t captured = frame.size() - kEthernetHeader;
  decode::PacketMeta m;
  size_t l4 = 0;         // transport header's offset in the IP packet
  size_t ip_length = 0;  // the IP packet's length by its header
  switch (Be16(frame.data() + 12)) {
    case kEthertypeIpv4: {
      const size_t ihl = static_cast<size_t>(ip[0] & 0x0F) * 4;
      // Fragments (MF set or an offset) and options long enough to hide the ports: the decoder.
      if ((ip[0] >> 4) != 4 || ihl < 20 || ihl + 4 > captured || (Be16(ip + 6) & 0x3FFF) != 0) {
        return false;
      }
      m.ip_proto = ip[9];
      m.src = decode::IpAddress::V4(ip + 12);
      m.dst = decode::IpAddress::V4(ip + 16);
      l4 = ihl;
      ip_length = Be16(ip + 2);
      break;
    }
    case kEthertypeIpv6:
      // Only with TCP or UDP right after the fixed header; extension headers go to the decoder.
      if ((ip[0] >> 4) != 6 || 40 + 4 > captured) return false;
      m.ip_proto = ip[6];
      m.src = decode::IpAddress::V6(ip + 8);
      m.dst = decode::IpAddress::V6(ip + 24);
      l4 = 40;
      ip_length = 40 + static_cast<size_t>(Be16(ip + 4));
      break;
    default:
      return false;
  }
  if (m.ip_proto != decode::kIpProtoTcp && m.ip_proto != decode::kIpProtoUdp) return false;
  m.src_port = Be16(ip + l4);
  m.dst_port = Be16(ip + l4 + 2);
  // A tunnel's flow is the inner one: the outer ports differ per direction and per packet.
  if (m.ip_proto == decode::kIpProtoUdp && decode::MayBeUdpTunnel(m.src_port, m.dst_port)) {
    return false;
  }
  decode::FrameHint hint;
  hint.owned = true;
  // The checksum, when the segment is whole in the capture and its lengths make sense (else
  // the owner's decoder judges it, or drops the frame).
  if (checksums_ && m.ip_proto == decode::kIpProtoTcp && ip_length >= l4 + 20 &&
      ip_length <= captured) {
    const size_t tcp_header = static_cast<size_t>(ip[l4 + 12] >> 4) * 4;
    if (tcp_header >= 20 && l4 + tcp_header <= ip_length) {
      hint.checksum = decode::FrameHint::FromVerdict(
          decode::ClassifyTcpChecksum(m.src, m.dst, ByteView(ip + l4, ip_length - l4)), true);
    }
  }
  out.lane = static_cast<uint16_t>(WorkerOf(m, workers_));
  out.hint = hint.ToByte();
  return true;
}

FlowSplitter::Verdict FlowSplitter::LaneOf(ByteView frame, uint32_t wire_length) {
  Verdict v;
  if (ShortPath(frame, v)) return v;
  decode::PacketMeta meta;
  checksum_ = Checksum::kUnknown;
  // Packet time does not matter here: nothing this decoder holds is ever used.
  decode::DecodeStatus st = decoder_.Decode(link_, frame, wire_length, 0, meta);
  if (st == decode::DecodeStatus::kNotOwned && !meta.reassembled_fragment) {
    decode::FrameHint hint;
    hint.owned = true;
    hint.checksum = checksum_;
    v.lane = owner_;
    v.hint = hint.ToByte();
  }
  return v;
}

bool FlowSplitter::Owns(const decode::PacketMeta& m) const {
  owner_ = static_cast<uint16_t>(WorkerOf(m, workers_));
  return false;
}

void FlowSplitter::NoteChecksum(Checksum checksum) const { checksum_ = checksum; }

}  // namespace bw::pipeline
