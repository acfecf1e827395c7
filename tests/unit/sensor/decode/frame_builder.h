#pragma once
// Test-only builders that assemble frames byte by byte, header by header, so each test shows
// exactly which bytes the decoder sees; plus a fixture that checks the "exactly one drop reason"
// contract on every call.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "sensor/decode/decoder.h"

namespace bw::decode::testing {

using Bytes = std::vector<uint8_t>;

inline void PutBe16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void PutBe32(Bytes& b, uint32_t v) {
  PutBe16(b, static_cast<uint16_t>(v >> 16));
  PutBe16(b, static_cast<uint16_t>(v));
}
inline void PutLe32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline Bytes Eth(uint16_t type) {
  Bytes b = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  PutBe16(b, type);
  return b;
}

// One VLAN tag body (TCI + next EtherType); the tag's own TPID is the previous type field.
inline Bytes Vlan(uint16_t vid, uint16_t next_type, uint8_t pcp = 0) {
  Bytes b;
  PutBe16(b, static_cast<uint16_t>((pcp << 13) | (vid & 0x0FFF)));
  PutBe16(b, next_type);
  return b;
}

inline Bytes Mpls(uint32_t label, bool bottom, uint8_t ttl = 64) {
  Bytes b;
  PutBe32(b, (label << 12) | (bottom ? 0x100u : 0u) | ttl);
  return b;
}

using V4Addr = std::array<uint8_t, 4>;
using V6Addr = std::array<uint8_t, 16>;

inline V6Addr V6(uint8_t last, uint8_t first_byte = 0x20) {
  V6Addr a{};
  a[0] = first_byte;
  a[1] = 0x01;
  a[2] = 0x0d;
  a[3] = 0xb8;
  a[15] = last;
  return a;
}

struct Ipv4Spec {
  V4Addr src{10, 0, 0, 1};
  V4Addr dst{10, 0, 0, 2};
  uint8_t proto = kIpProtoTcp;
  uint16_t id = 0x1234;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t offset_bytes = 0;  // multiple of 8
  Bytes options;              // multiple of 4
  std::optional<uint16_t> total_len;
  std::optional<uint8_t> ihl;
  uint8_t version = 4;
};

inline Bytes Ipv4(const Ipv4Spec& s, const Bytes& payload) {
  const size_t header_len = 20 + s.options.size();
  Bytes b;
  b.push_back(static_cast<uint8_t>((s.version << 4) | s.ihl.value_or(header_len / 4)));
  b.push_back(0);
  PutBe16(b, s.total_len.value_or(static_cast<uint16_t>(header_len + payload.size())));
  PutBe16(b, s.id);
  PutBe16(b, static_cast<uint16_t>((s.dont_fragment ? 0x4000 : 0) |
                                   (s.more_fragments ? 0x2000 : 0) | (s.offset_bytes / 8)));
  b.push_back(64);
  b.push_back(s.proto);
  PutBe16(b, 0xBEEF);  // deliberately wrong checksum: the decoder must not care
  b.insert(b.end(), s.src.begin(), s.src.end());
  b.insert(b.end(), s.dst.begin(), s.dst.end());
  b.insert(b.end(), s.options.begin(), s.options.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

struct Ipv6Spec {
  V6Addr src = V6(1);
  V6Addr dst = V6(2);
  uint8_t next = kIpProtoTcp;  // first header after the fixed header
  std::optional<uint16_t> payload_len;
  uint8_t version = 6;
};

// `rest` is everything after the fixed header: extension headers and the upper layer.
inline Bytes Ipv6(const Ipv6Spec& s, const Bytes& rest) {
  Bytes b;
  b.push_back(static_cast<uint8_t>(s.version << 4));
  b.push_back(0);
  PutBe16(b, 0);
  PutBe16(b, s.payload_len.value_or(static_cast<uint16_t>(rest.size())));
  b.push_back(s.next);
  b.push_back(64);
  b.insert(b.end(), s.src.begin(), s.src.end());
  b.insert(b.end(), s.dst.begin(), s.dst.end());
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

// Hop-by-hop / routing / destination options: (units + 1) * 8 bytes, padded with PadN.
inline Bytes Ipv6Ext(uint8_t next, uint8_t units = 0) {
  Bytes b = {next, units};
  b.resize((size_t{units} + 1) * 8, 0);
  b[2] = 1;  // PadN option covering the rest
  b[3] = static_cast<uint8_t>(b.size() - 4);
  return b;
}

inline Bytes Ipv6Ah(uint8_t next) {
  Bytes b = {next, 4, 0, 0};  // (4 + 2) * 4 = 24 bytes
  PutBe32(b, 0x100);          // SPI
  PutBe32(b, 1);              // sequence
  b.resize(24, 0xAA);         // ICV
  return b;
}

inline Bytes Ipv6Frag(uint8_t next, uint16_t offset_bytes, bool more, uint32_t id) {
  Bytes b = {next, 0};
  PutBe16(b, static_cast<uint16_t>((offset_bytes & 0xFFF8) | (more ? 1 : 0)));
  PutBe32(b, id);
  return b;
}

struct TcpSpec {
  uint16_t src_port = 40000;
  uint16_t dst_port = 80;
  uint32_t seq = 1000;
  uint32_t ack = 2000;
  uint8_t flags = kTcpAck | kTcpPsh;
  uint16_t window = 512;
  uint8_t data_offset = 5;  // options are NOPs
};

inline Bytes Tcp(const TcpSpec& s, const Bytes& payload) {
  Bytes b;
  PutBe16(b, s.src_port);
  PutBe16(b, s.dst_port);
  PutBe32(b, s.seq);
  PutBe32(b, s.ack);
  b.push_back(static_cast<uint8_t>(s.data_offset << 4));
  b.push_back(s.flags);
  PutBe16(b, s.window);
  PutBe16(b, 0);
  PutBe16(b, 0);
  if (s.data_offset > 5) b.resize(size_t{s.data_offset} * 4, 0x01);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

inline Bytes Udp(uint16_t src_port, uint16_t dst_port, const Bytes& payload,
                 std::optional<uint16_t> length = std::nullopt) {
  Bytes b;
  PutBe16(b, src_port);
  PutBe16(b, dst_port);
  PutBe16(b, length.value_or(static_cast<uint16_t>(8 + payload.size())));
  PutBe16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

inline Bytes Vxlan(uint32_t vni, uint8_t flags = 0x08) {
  Bytes b = {flags, 0, 0, 0};
  PutBe32(b, vni << 8);
  return b;
}

// GRE v0; checksum, key and sequence fields are appended when their flag is set.
inline Bytes Gre(uint16_t proto, uint8_t flags = 0, uint8_t version = 0) {
  Bytes b = {flags, version};
  PutBe16(b, proto);
  if (flags & 0x80) PutBe32(b, 0);
  if (flags & 0x20) PutBe32(b, 0x0000002A);
  if (flags & 0x10) PutBe32(b, 7);
  return b;
}

inline Bytes ErspanII(uint16_t session, uint8_t version = 1) {
  Bytes b;
  PutBe16(b, static_cast<uint16_t>((version << 12) | 100));  // VLAN 100
  PutBe16(b, session & 0x03FF);
  PutBe32(b, 0);
  return b;
}

inline Bytes ErspanIII(uint16_t session, bool platform, uint8_t frame_type = 0,
                       uint8_t version = 2) {
  Bytes b;
  PutBe16(b, static_cast<uint16_t>((version << 12) | 100));
  PutBe16(b, session & 0x03FF);
  PutBe32(b, 0x01020304);  // timestamp
  PutBe16(b, 0);           // SGT
  PutBe16(b, static_cast<uint16_t>(((frame_type & 0x1F) << 10) | (platform ? 1 : 0)));
  if (platform) {
    PutBe32(b, 0x0C000000);
    PutBe32(b, 0);
  }
  return b;
}

// A TCP/IPv4 packet inside Ethernet: the reference payload most tests wrap.
inline Bytes Ipv4Tcp(const Ipv4Spec& ip, const TcpSpec& tcp, const Bytes& payload) {
  return Ipv4(ip, Tcp(tcp, payload));
}

class DecoderTest : public ::testing::Test {
 protected:
  void Reset(const DecoderLimits& limits) {
    decoder_.reset();
    drops_ = std::make_unique<DropCounters>();
    decoder_ = std::make_unique<Decoder>(limits, *drops_);
  }
  void SetUp() override { Reset(DecoderLimits{}); }

  uint64_t TotalDrops() const {
    uint64_t n = 0;
    for (size_t i = 0; i < kDropReasonCount; ++i) n += drops_->Get(static_cast<DropReason>(i));
    return n;
  }
  uint64_t Count(DropReason r) const { return drops_->Get(r); }

  // Decodes a copy of `frame` kept in frame_ (the views in meta_ point into it) and checks the
  // counting contract: kOk and kHeld count nothing unless the reassembler evicted or expired
  // other datagrams; kDropped counts exactly one reason.
  DecodeStatus Run(const Bytes& frame, LinkType link = LinkType::kEthernet,
                   std::optional<uint32_t> wire = std::nullopt, TimestampNs ts = kNsPerSecond) {
    frame_ = frame;
    const uint64_t before = TotalDrops();
    const uint64_t side = SideDrops();
    const uint64_t anomalies = decoder_->anomalies();
    DecodeStatus s =
        decoder_->Decode(link, ByteView(frame_.data(), frame_.size()),
                         wire.value_or(static_cast<uint32_t>(frame_.size())), ts, meta_);
    const uint64_t side_delta = SideDrops() - side;
    const uint64_t anomaly_delta = decoder_->anomalies() - anomalies;
    EXPECT_LE(anomaly_delta, s == DecodeStatus::kDropped ? 0u : 1u);
    EXPECT_EQ(TotalDrops() - before,
              (s == DecodeStatus::kDropped ? 1u : 0u) + side_delta + anomaly_delta);
    return s;
  }

  // Cuts `frame` at every length, once as a snaplen cut (the wire length stays) and once as a
  // frame that short on the wire: no crash, one reason per drop (Run checks), and a kept frame
  // never claims more payload than was captured. Snaplen cuts in [from, to) must drop for
  // `reason`: the header of the layer under test.
  void ExpectEveryCutCounted(const Bytes& frame, LinkType link, size_t from, size_t to,
                             DropReason reason) {
    const Bytes whole = frame;
    for (size_t n = 0; n < whole.size(); ++n) {
      const Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
      for (bool snaplen : {true, false}) {
        const uint64_t before = Count(reason);
        const DecodeStatus s =
            Run(cut, link, snaplen ? std::optional<uint32_t>(whole.size()) : std::nullopt);
        if (s == DecodeStatus::kOk) {
          EXPECT_LE(meta_.payload.size(), meta_.payload_wire_len) << n;
        }
        if (snaplen && n >= from && n < to) {
          EXPECT_EQ(s, DecodeStatus::kDropped) << "cut at " << n;
          EXPECT_EQ(Count(reason) - before, 1u)
              << "cut at " << n << ": expected " << DropReasonName(reason);
        }
      }
    }
  }

  // Expects the frame to be dropped for `reason` (and only that reason).
  void ExpectDrop(const Bytes& frame, DropReason reason, LinkType link = LinkType::kEthernet,
                  std::optional<uint32_t> wire = std::nullopt) {
    const uint64_t before = Count(reason);
    EXPECT_EQ(Run(frame, link, wire), DecodeStatus::kDropped) << DropReasonName(reason);
    EXPECT_EQ(Count(reason) - before, 1u) << "expected " << DropReasonName(reason);
  }

  uint64_t SideDrops() const {
    return decoder_->fragment_datagrams_evicted() + decoder_->fragment_datagrams_expired();
  }

  std::unique_ptr<DropCounters> drops_;
  std::unique_ptr<Decoder> decoder_;
  Bytes frame_;  // the last frame decoded
  PacketMeta meta_;
};

inline Bytes ToBytes(ByteView v) { return Bytes(v.begin(), v.end()); }

}  // namespace bw::decode::testing
