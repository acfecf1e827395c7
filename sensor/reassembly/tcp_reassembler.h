#pragma once
// TcpReassembler: ONE direction of a TCP connection turned into an ordered byte stream.
//
// Guarantees, for every call sequence:
//  - Bytes reach the sink exactly once, in sequence order. An in-order segment is passed
//    straight through (zero copy, no allocation); only out-of-order bytes are copied.
//  - A byte range that will never be delivered is reported as OnGap(length) at its place in
//    the stream, so delivered bytes + gap bytes always equal the stream position. Nothing is
//    stitched together silently. Adjacent lost ranges are merged into one gap event.
//  - Overlaps are first-wins: bytes already delivered or buffered are kept; a later copy that
//    differs is counted (overlap_conflicts) where the first copy is still buffered to compare.
//  - Sequence numbers use 32-bit serial arithmetic, so streams crossing 2^32 are seamless.
//  - Buffered bytes are charged to the per-direction cap and the worker's global budget; when a
//    cap would be exceeded, the oldest hole becomes a gap and the data behind it is delivered,
//    which frees memory. A hole older than `hole_timeout` becomes a gap the same way.
//  - Snaplen-cut segments: the captured bytes are data, the cut tail is a gap.
//  - OnEnd is emitted exactly once: when a FIN is reached in order, or on Finish().
//  - Nothing here throws, asserts on packet data, or reads a clock: time is the packet's.

#include <cstddef>
#include <cstdint>

#include "dissectors/common/bytes.h"
#include "dissectors/common/direction.h"
#include "dissectors/common/timestamp.h"
#include "sensor/reassembly/reassembly_context.h"
#include "sensor/reassembly/stream_sink.h"

namespace bw::reassembly {

class TcpReassembler {
  // An out-of-order range kept in a sorted, non-overlapping list; its bytes follow the header
  // in the same allocation. `lost` ranges (snaplen-cut tails) hold no bytes.
  struct Segment {
    Segment* prev;
    Segment* next;
    TimestampNs ts;  // capture time of the packet that carried it
    uint32_t seq;
    uint32_t len;
    bool lost;
    uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this + 1); }
  };

 public:
  // What one buffered segment costs the budget beyond its payload bytes.
  static constexpr size_t kSegmentOverhead = sizeof(Segment);

  explicit TcpReassembler(ReassemblyContext& ctx) : ctx_(&ctx) {}
  // Discards anything still buffered (releasing its budget) without delivering it; call
  // Finish() first to deliver.
  ~TcpReassembler();
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;
  TcpReassembler(TcpReassembler&& other) noexcept;
  TcpReassembler& operator=(TcpReassembler&& other) noexcept;

  // The sender's SYN: the first data byte is isn + 1. Ignored once the direction has started.
  void InitFromSyn(uint32_t isn);

  // One segment of this direction. `payload` is what the capture kept; `payload_wire_len` is
  // the payload length on the wire (larger when snaplen cut the packet). `fin` marks the end
  // of the direction at seq + payload_wire_len. A direction not started by InitFromSyn starts
  // at the first segment carrying data or FIN (mid-stream pickup). Also checks hole timeouts.
  void OnSegment(uint32_t seq, ByteView payload, uint32_t payload_wire_len, bool fin,
                 TimestampNs ts, Direction dir, StreamSink& sink);

  // Declares holes older than the hole timeout as gaps (for directions that went quiet).
  void CheckTimeout(TimestampNs now, Direction dir, StreamSink& sink);

  // The direction is over (RST, flow end, eviction): delivers everything buffered, holes as
  // gaps (up to the FIN when one was seen), then OnEnd. No effect when already ended.
  void Finish(TimestampNs ts, Direction dir, StreamSink& sink);

  bool started() const { return started_; }
  bool ended() const { return ended_; }
  bool fin_seen() const { return fin_known_; }
  uint32_t next_seq() const { return next_seq_; }      // next byte expected (valid once started)
  size_t buffered_bytes() const { return buffered_; }  // charged: payload + segment headers
  size_t buffered_segments() const;

 private:
  class Emitter;
  struct Accounting;

  int64_t Rel(uint32_t seq) const {
    return static_cast<int64_t>(static_cast<int32_t>(seq - next_seq_));
  }
  static uint32_t End(const Segment* s) { return s->seq + s->len; }

  void Add(uint32_t seq, const uint8_t* data, uint32_t len, TimestampNs ts, Accounting& acc,
           Emitter& out);
  Segment* FirstEndingAfter(int64_t rel) const;
  void MakeRoom(uint32_t seq, Emitter& out);
  void DeclareGapTo(uint32_t seq, Emitter& out);
  void DrainContiguous(Emitter& out);
  void ExpireHoles(TimestampNs now, Emitter& out);
  void NoteFin(uint32_t fin_seq, TimestampNs ts);
  void MaybeEnd(Emitter& out);
  void EndDirection(Emitter& out);
  void Unlink(Segment* s);
  void Free(Segment* s);
  void FreeAll();

  ReassemblyContext* ctx_;
  Segment* head_ = nullptr;
  Segment* tail_ = nullptr;
  TimestampNs hole_since_ = 0;  // when the hole in front of head_ became known
  TimestampNs fin_ts_ = 0;
  uint32_t next_seq_ = 0;
  uint32_t fin_seq_ = 0;
  size_t buffered_ = 0;  // charged bytes; per_flow_bytes bounds it
  bool started_ = false;
  bool ended_ = false;
  bool fin_known_ = false;
};

}  // namespace bw::reassembly
