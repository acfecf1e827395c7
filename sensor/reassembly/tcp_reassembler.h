#pragma once
// TcpReassembler: ONE direction of a TCP connection turned into an ordered byte stream.
//
// Guarantees, for every call sequence:
//  - Bytes reach the sink exactly once, in sequence order. An in-order segment is passed
//    straight through (zero copy, no allocation); only out-of-order bytes are copied.
//  - A byte range that will never be delivered is reported as OnGap(length) at its place in
//    the stream, so delivered bytes + gap bytes always equal the stream position. Nothing is
//    stitched together silently. Adjacent lost ranges are merged into one gap event.
//  - Overlaps are resolved as Linux resolves them (net/ipv4/tcp_input.c). Bytes already
//    delivered are never changed (tcp_data_queue: a retransmission is dropped, the reader skips
//    what it already has). Bytes still buffered out of order belong to the copy that starts
//    first and, on an equal start, to the longer one (tcp_data_queue_ofo: a segment inside a
//    queued one is dropped, one with the same start that ends later replaces it, one that
//    starts earlier is delivered first when the queue drains). A segment that begins exactly
//    where a buffered one ends, in a hole, extends it (tcp_ooo_try_coalesce), so it competes
//    with that one's start. A replaced or ignored copy whose bytes differ is counted
//    (overlap_conflicts).
//  - Bytes already delivered are no longer held, so a segment resending them is compared with
//    a keyed hash of the last few delivered pieces (DeliveredHistory, 32 bytes per direction):
//    when it covers one of them entirely and its bytes there differ, it is counted
//    (retransmission_conflicts) besides retransmissions or overlaps, and still dropped. Partial
//    overlaps of a recorded piece and pieces the history rotated past are not compared (see
//    delivered_history.h); equal bytes are never counted.
//  - Once the receiver's advertised window is known (NoteReceiverWindow), a segment starting
//    beyond the furthest right edge it advertised is one Linux drops (tcp_sequence,
//    tcp_data_queue). It is held provisionally, without displacing accepted bytes, because the
//    capture may show the ACK that allowed it just after it; if no ACK has covered it by the
//    time its bytes are due (the hole before it filled, timed out, a cap, or the end), it is
//    discarded and counted (out_of_window), leaving no data and no gap. Until the window is
//    known nothing is held back.
//  - Weak segments (a checksum the receiver rejects; decode/tcp_checksum.h decides) are never
//    delivered on arrival. Their bytes are buffered, even in order, in ranges of their own (never
//    coalesced with another copy), and never displace bytes of a strong copy. A strong copy that
//    overlaps any byte of a weak range replaces the whole range (weak_replaced): a fake sent with
//    a bad sum ahead of the real bytes loses. A weak range waiting at the delivery point is used
//    as soon as the receiver's cumulative ACK (NoteAck, from any segment of the other direction)
//    passes its bytes: a receiver acknowledges only what it accepted, and when the capture missed
//    the good copy the weak one is the best there is (weak_used). When it is still waiting at the
//    flow's end, after the hole timeout, or when a cap needs its memory, it is discarded
//    (weak_discarded, its range a hole again) if the receiver refused it, i.e. acknowledged up to
//    its start by an ACK captured after it and never past it; otherwise it is used, because
//    nothing says the receiver refused it and dropping it would lose the request of a capture
//    whose sums are all wrong or whose other direction is missing. Data behind a waiting weak
//    range waits with it, bounded by the same caps and timeout.
//  - Sequence numbers use 32-bit serial arithmetic, so streams crossing 2^32 are seamless.
//  - Buffered bytes are charged to the per-direction cap and the worker's global budget, and the
//    buffered ranges are counted against a per-direction segment cap; when a cap would be
//    exceeded, the oldest hole becomes a gap and the data behind it is delivered, which frees
//    memory and ranges. A hole older than `hole_timeout` becomes a gap the same way.
//  - Snaplen-cut segments: the captured bytes are data, the cut tail is a gap.
//  - OnEnd is emitted exactly once: when a FIN is reached in order, or on Finish().
//  - Nothing here throws, asserts on packet data, or reads a clock: time is the packet's.

#include <cstddef>
#include <cstdint>

#include "dissectors/common/bytes.h"
#include "dissectors/common/direction.h"
#include "dissectors/common/timestamp.h"
#include "sensor/reassembly/delivered_history.h"
#include "sensor/reassembly/reassembly_context.h"
#include "sensor/reassembly/stream_sink.h"

namespace bw::reassembly {

class TcpReassembler {
  // An out-of-order range kept in a sorted, non-overlapping list; its bytes follow the header
  // in the same allocation. `lost` ranges (snaplen-cut tails) hold no bytes.
  // Each range remembers the copy (wire segment, or run of coalesced segments) its bytes came
  // from: where that copy starts, and whether this range holds its last byte. A copy always
  // owns a contiguous suffix of its own range, so its end is found by walking to that range.
  struct Segment {
    Segment* prev;
    Segment* next;
    TimestampNs ts;  // capture time of the packet that carried it
    uint32_t seq;
    uint32_t len;
    uint32_t origin;    // first sequence number of the copy these bytes belong to
    uint32_t capacity;  // payload bytes allocated after the header (charged to the budget)
    bool lost;
    bool copy_end;     // holds the last byte of its copy
    bool provisional;  // arrived beyond the receiver's window: see Unconfirmed()
    bool weak;         // from a segment with a wrong checksum: see the class comment
    bool refused;      // weak, and an ACK captured after it reached its start but not its end
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
  // `weak`: the segment's checksum is one the receiver rejects (see the class comment); a weak
  // segment's FIN is the caller's to ignore.
  void OnSegment(uint32_t seq, ByteView payload, uint32_t payload_wire_len, bool fin,
                 TimestampNs ts, Direction dir, StreamSink& sink, bool weak = false);

  // The receiver of this direction acknowledged every byte before `ack` (any ACK, handshake seen
  // or not, checksum good or not: a forged ACK could as well carry a good one). Weak bytes it
  // passes are delivered. Ignored before the direction started and for ACKs more than 1 GiB away.
  void NoteAck(uint32_t ack, TimestampNs ts, Direction dir, StreamSink& sink);

  // A weak SYN, RST or FIN the caller ignored (counted here, with the other weak counters).
  void CountIgnoredWeakControl();
  // An ignored weak SYN of this direction that the peer acknowledged, so it started the stream.
  void CountConfirmedWeakSyn();
  // The ISN of the last weak SYN of this direction, kept until the peer acknowledges it
  // (TcpConnection keeps whether one waits). Held in next_seq_, which means nothing before the
  // direction starts, so a connection stays as small as before; meaningful only while !started().
  void HoldWeakSyn(uint32_t isn) {
    if (!started_) next_seq_ = isn;
  }
  uint32_t weak_syn_isn() const { return next_seq_; }

  // The receiver of this direction acknowledged `ack` and advertised `window` bytes (already
  // scaled). Only the furthest right edge counts: a smaller window later never narrows it, so
  // a forged or stale ACK cannot make legitimate data look out of window. Ignored before the
  // direction started and for ACKs more than 1 GiB away from the stream.
  void NoteReceiverWindow(uint32_t ack, uint32_t window);

  // Declares holes older than the hole timeout as gaps (for directions that went quiet).
  void CheckTimeout(TimestampNs now, Direction dir, StreamSink& sink);

  // The direction is over (RST, flow end, eviction): delivers everything buffered, holes as
  // gaps (up to the FIN when one was seen), then OnEnd. No effect when already ended.
  // `reset`: a RST ends it. A weak range still waiting is then used only when no ACK of the
  // receiver was ever seen: the sender gave up on the connection, and a receiver that was seen
  // acknowledging and did not acknowledge these bytes is taken to have refused them.
  void Finish(TimestampNs ts, Direction dir, StreamSink& sink, bool reset = false);

  bool started() const { return started_; }
  bool ended() const { return ended_; }
  bool fin_seen() const { return fin_known_; }
  uint32_t next_seq() const { return next_seq_; }      // next byte expected (valid once started)
  size_t buffered_bytes() const { return buffered_; }  // charged: payload + segment headers
  size_t buffered_segments() const { return segments_; }
  bool window_known() const { return window_known_; }
  const DeliveredHistory& history() const { return history_; }

  // Charged bytes one direction may hold, whatever per_flow_bytes says (the configuration allows
  // 1 GiB): the charge is kept in 32 bits so that the per-flow state stays small.
  static constexpr size_t kMaxFlowBytes = size_t{1} << 30;

  // Largest window a receiver can advertise: 65535 << 14 (RFC 7323).
  static constexpr uint32_t kMaxReceiveWindow = uint32_t{65535} << 14;

 private:
  class Emitter;
  struct Accounting;

  int64_t Rel(uint32_t seq) const {
    return static_cast<int64_t>(static_cast<int32_t>(seq - next_seq_));
  }
  static uint32_t End(const Segment* s) { return s->seq + s->len; }

  struct Copy;

  void Add(uint32_t seq, const uint8_t* data, uint32_t len, const Copy& copy, TimestampNs ts,
           Accounting& acc, Emitter& out);
  Copy CopyOf(uint32_t seq, uint32_t len, bool provisional, bool weak);
  bool Displaces(const Copy& copy, const Segment* owner) const;
  void DropPrefix(Segment* s, uint32_t k);
  bool BeyondReceiveWindow(int64_t rel) const;
  bool Unconfirmed(const Segment* s) const;
  bool DiscardUnconfirmed();
  uint32_t AckedLength(const Segment* s) const;
  bool Refused(const Segment* s) const;
  bool WeakWaiting() const;
  void ResolveWeakHead(Emitter& out, bool reset = false);
  Segment* FirstEndingAfter(int64_t rel) const;
  void MakeRoom(uint32_t seq, Emitter& out);
  void Deliver(uint32_t seq, const uint8_t* data, uint32_t len, TimestampNs ts, Emitter& out);
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
  uint32_t buffered_ = 0;              // charged bytes; per_flow_bytes bounds it
  uint32_t segments_ = 0;              // ranges in the list; max_segments_per_flow bounds it
  uint32_t provisional_segments_ = 0;  // buffered ranges held beyond the window
  uint32_t window_edge_ = 0;           // furthest ack + window the receiver advertised
  uint32_t window_max_ = 0;            // largest window it advertised
  uint32_t acked_ = 0;                 // furthest cumulative ACK of the receiver (NoteAck)
  bool started_ = false;
  bool ended_ = false;
  bool fin_known_ = false;
  bool window_known_ = false;
  bool ack_known_ = false;
  DeliveredHistory history_;  // the last pieces delivered, to compare retransmissions with
};

}  // namespace bw::reassembly
