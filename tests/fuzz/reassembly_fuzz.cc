// libFuzzer entry for TCP reassembly. The input is decoded into limits, two ISNs and a sequence
// of segments for both directions of one TcpConnection. Payload bytes are a function of their
// stream offset, so every delivered byte can be checked at its place; the harness traps when
// a delivered byte is wrong (unless the input asked for conflicting copies), when data + gaps
// disagree with the stream position, when a direction ends twice or talks after its end, or
// when buffered memory is not fully released at the end.
//
// Input layout (all little-endian, missing bytes read as zero):
//   u8 per_flow_kib, u8 global_kib, u8 hole_timeout, u32 isn[2], then records of 8 bytes:
//   u16 offset, u16 length, u8 flags, u8 captured_pct, u8 ts_delta, u8 corrupt_xor
//   flags: bit0 direction, bit1 FIN, bit2 SYN, bit3 RST, bit4 use Tick, bit5 no SYN seq shift,
//          bit6 wrong checksum, bit7 unfilled checksum (weak segments, issue 16)
// Each segment acknowledges the other direction's stream at offset captured_pct * 64, so weak
// bytes are used, refused or replaced as ACKs pass them or stop short.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sensor/decode/packet_meta.h"
#include "sensor/reassembly/reassembly_context.h"
#include "sensor/reassembly/tcp_connection.h"

namespace {

using bw::ByteView;
using bw::Direction;
using bw::TimestampNs;

uint8_t StreamByte(Direction dir, uint64_t offset) {
  return static_cast<uint8_t>(offset * 131 + 7 + (dir == Direction::kToClient ? 91 : 0));
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(U8() | (U8() << 8)); }
  uint32_t U32() { return U16() | (uint32_t{U16()} << 16); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

class CheckingSink : public bw::reassembly::StreamSink {
 public:
  bool check_content = true;
  uint64_t position[2] = {0, 0};
  int ends[2] = {0, 0};

  void OnData(Direction dir, ByteView data, TimestampNs) override {
    const int d = bw::Index(dir);
    if (ends[d] != 0 || data.empty()) __builtin_trap();
    if (check_content) {
      for (size_t i = 0; i < data.size(); ++i) {
        if (data[i] != StreamByte(dir, position[d] + i)) __builtin_trap();
      }
    }
    position[d] += data.size();
  }
  void OnGap(Direction dir, uint64_t length, TimestampNs) override {
    const int d = bw::Index(dir);
    if (ends[d] != 0 || length == 0) __builtin_trap();
    position[d] += length;
  }
  void OnEnd(Direction dir, TimestampNs) override {
    if (++ends[bw::Index(dir)] != 1) __builtin_trap();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  bw::reassembly::ReassemblyLimits limits;
  limits.per_flow_bytes = (size_t{in.U8()} + 1) * 1024;
  limits.global_bytes = (size_t{in.U8()} + 1) * 1536;
  limits.hole_timeout = in.U8();
  const uint32_t isn[2] = {in.U32(), in.U32()};
  bw::reassembly::ReassemblyContext ctx(limits);
  CheckingSink sink;
  TimestampNs ts = 0;
  std::vector<uint8_t> payload;
  {
    bw::reassembly::TcpConnection conn(ctx);
    while (!in.done()) {
      const uint16_t offset = in.U16();
      const uint16_t length = in.U16() % 4096;
      const uint8_t flags = in.U8();
      const uint8_t captured_pct = in.U8();
      ts += in.U8();
      const uint8_t corrupt = in.U8();
      const Direction dir = (flags & 1) != 0 ? Direction::kToClient : Direction::kToServer;
      const int d = bw::Index(dir);

      // A proper SYN carries its payload (TFO) at stream offset 0.
      const bool proper_syn = (flags & 4) != 0 && (flags & 32) == 0;
      const uint64_t stream_offset = proper_syn ? 0 : offset;
      uint32_t captured = captured_pct >= 100 ? length : length * captured_pct / 100;
      payload.resize(captured);
      for (uint32_t i = 0; i < captured; ++i) {
        payload[i] = static_cast<uint8_t>(StreamByte(dir, stream_offset + i) ^ corrupt);
      }
      if (corrupt != 0 && captured != 0) sink.check_content = false;

      bw::decode::PacketMeta p;
      p.ts = ts;
      p.ip_proto = bw::decode::kIpProtoTcp;
      p.tcp_flags = bw::decode::kTcpAck;
      if ((flags & 2) != 0) p.tcp_flags |= bw::decode::kTcpFin;
      if ((flags & 8) != 0) p.tcp_flags |= bw::decode::kTcpRst;
      uint32_t seq = isn[d] + 1 + offset;
      if ((flags & 4) != 0) {
        p.tcp_flags |= bw::decode::kTcpSyn;
        if (dir == Direction::kToClient) p.tcp_flags |= bw::decode::kTcpAck;
        if (proper_syn) seq = isn[d];
      }
      p.tcp_seq = seq;
      p.tcp_ack = isn[1 - d] + 1 + uint32_t{captured_pct} * 64;
      if ((flags & 64) != 0) {
        p.tcp_checksum = bw::decode::TcpChecksumVerdict::kBad;
      } else if ((flags & 128) != 0) {
        p.tcp_checksum = bw::decode::TcpChecksumVerdict::kUnfilled;
      }
      p.payload = ByteView(payload.data(), payload.size());
      p.payload_wire_len = length;
      // Without the SYN a direction starts mid-stream, where offsets no longer line up.
      if ((flags & 4) == 0 && !conn.half(dir).started()) sink.check_content = false;
      if ((flags & 4) != 0 && (flags & 32) != 0) sink.check_content = false;
      conn.OnPacket(p, dir, sink);
      if ((flags & 16) != 0) conn.CheckTimeouts(ts, sink);
      if (ctx.memory.used() > limits.global_bytes) __builtin_trap();
      for (Direction e : {Direction::kToServer, Direction::kToClient}) {
        if (conn.half(e).buffered_bytes() > limits.per_flow_bytes) __builtin_trap();
        if (conn.half(e).buffered_segments() > limits.max_segments_per_flow) __builtin_trap();
      }
    }
    conn.Finish(ts + 1, sink);
    if (sink.ends[0] != 1 || sink.ends[1] != 1) __builtin_trap();
  }
  const auto& c = ctx.counters;
  if (c.bytes_delivered.load() + c.gap_bytes.load() != sink.position[0] + sink.position[1]) {
    __builtin_trap();
  }
  if (ctx.memory.used() != 0 || ctx.memory.accounting_errors() != 0) __builtin_trap();
  return 0;
}
