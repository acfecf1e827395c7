#pragma once
// Frames and decoders for the file fanout tests: every outcome a decoder can reach, on many
// flows, and the decoders of N lanes as the sensor builds them.

#include <deque>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "sensor/pipeline/flow_share.h"
#include "tests/unit/sensor/decode/frame_builder.h"

namespace bw::decode::testing {

// A TCP segment from 10.0.1.<client>:<port> to 52.216.0.10:80, with a correct checksum or a
// wrong one.
inline Bytes TcpFrame(uint8_t client, uint16_t port, bool good_checksum, const std::string& text) {
  Ipv4Spec ip;
  ip.src = {10, 0, 1, client};
  ip.dst = {52, 216, 0, 10};
  TcpSpec tcp;
  tcp.src_port = port;
  Bytes segment = Tcp(tcp, Text(text));
  if (good_checksum) {
    // The ones' complement sum over the pseudo header and the segment.
    uint32_t sum = 0;
    auto add16 = [&](uint8_t hi, uint8_t lo) { sum += static_cast<uint32_t>(hi << 8 | lo); };
    for (size_t i = 0; i < 4; i += 2) {
      add16(ip.src[i], ip.src[i + 1]);
      add16(ip.dst[i], ip.dst[i + 1]);
    }
    sum += kIpProtoTcp + static_cast<uint32_t>(segment.size());
    for (size_t i = 0; i < segment.size(); i += 2) {
      add16(segment[i], i + 1 < segment.size() ? segment[i + 1] : 0);
    }
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    const auto check = static_cast<uint16_t>(~sum);
    segment[16] = static_cast<uint8_t>(check >> 8);
    segment[17] = static_cast<uint8_t>(check);
  } else {
    segment[16] = 0x12;  // neither right nor an offload's placeholder
    segment[17] = 0x34;
  }
  return Cat({Eth(0x0800), Ipv4(ip, segment)});
}

// Frames of every outcome: good and bad checksums on many flows, UDP, undecodable frames, and a
// TCP segment in two IPv4 fragments; plus IPv6, VLAN-tagged and lying-length frames.
inline std::vector<Bytes> MixedFrames() {
  std::vector<Bytes> frames;
  for (uint8_t client = 1; client <= 40; ++client) {
    for (uint16_t port : {40001, 40002, 40003}) {
      frames.push_back(TcpFrame(client, port, true, "GET /bucket/ HTTP/1.1\r\n\r\n"));
      if (client % 7 == 0) frames.push_back(TcpFrame(client, port, false, "GET /fake/ HTTP/1.1"));
    }
    Ipv4Spec udp_ip;
    udp_ip.src = {10, 0, 2, client};
    udp_ip.proto = kIpProtoUdp;
    frames.push_back(Cat({Eth(0x0800), Ipv4(udp_ip, Udp(5353, 5353, Text("mdns")))}));
    if (client % 5 == 0) frames.push_back(Cat({Eth(0x0800), Bytes{0x45, 0x00}}));  // truncated
  }
  Bytes segment = TcpFrame(99, 41000, true, std::string(200, 'x'));
  Bytes l4(segment.begin() + 14 + 20, segment.end());
  for (auto [begin, length, more] : {std::tuple{0u, 96u, true}, std::tuple{96u, 0u, false}}) {
    Ipv4Spec ip;
    ip.src = {10, 0, 1, 99};
    ip.dst = {52, 216, 0, 10};
    ip.id = 77;
    ip.more_fragments = more;
    ip.offset_bytes = static_cast<uint16_t>(begin);
    size_t n = more ? length : l4.size() - begin;
    frames.push_back(
        Cat({Eth(0x0800), Ipv4(ip, Bytes(l4.begin() + begin, l4.begin() + begin + n))}));
  }
  for (uint8_t client = 1; client <= 20; ++client) {
    // IPv6 TCP (short path) and IPv6 TCP behind a destination-options header (decoder).
    Ipv6Spec v6;
    v6.src = V6(client);
    frames.push_back(Cat({Eth(0x86DD), Ipv6(v6, Tcp({}, Text("GET /v6/ HTTP/1.1\r\n")))}));
    Ipv6Spec v6ext;
    v6ext.src = V6(client);
    v6ext.next = 60;
    frames.push_back(
        Cat({Eth(0x86DD), Ipv6(v6ext, Cat({Ipv6Ext(kIpProtoTcp), Tcp({}, Text("x"))}))}));
    // VLAN-tagged IPv4 TCP (decoder).
    Ipv4Spec ip;
    ip.src = {10, 0, 3, client};
    frames.push_back(Cat({Eth(0x8100), Vlan(42, 0x0800), Ipv4Tcp(ip, {}, Text("GET /vlan/"))}));
    // An IPv4 header whose total length is shorter than its TCP header: the short path gives it
    // a worker by its ports, whose decoder drops it.
    Ipv4Spec liar;
    liar.src = {10, 0, 4, client};
    liar.total_len = 30;
    frames.push_back(Cat({Eth(0x0800), Ipv4Tcp(liar, {}, Text("GET /liar/"))}));
  }
  return frames;
}

// The decoders of `lanes` lanes: decoder i keeps worker i's flows, counts its own drops in
// own[i], and decoder 0 also counts what every lane sees (the others discard it).
struct FanoutDecoders {
  FanoutDecoders(size_t lanes, const DecoderLimits& limits) : own(lanes) {
    for (size_t i = 0; i < lanes; ++i) shares.emplace_back(i, lanes);
    for (size_t i = 0; i < lanes; ++i) {
      decoders.push_back(
          std::make_unique<Decoder>(limits, own[i], i == 0 ? own[0] : discarded, shares[i]));
    }
  }
  uint64_t Drops(DropReason r) const {
    uint64_t n = 0;
    for (const DropCounters& d : own) n += d.Get(r);
    return n;
  }
  std::deque<pipeline::FlowShare> shares;
  std::deque<DropCounters> own;
  DropCounters discarded;
  std::vector<std::unique_ptr<Decoder>> decoders;
};

}  // namespace bw::decode::testing
