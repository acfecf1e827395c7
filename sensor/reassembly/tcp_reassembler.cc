#include "sensor/reassembly/tcp_reassembler.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

namespace bw::reassembly {

// Collects the effects of one call on the sink so that adjacent lost ranges leave as one gap,
// and a gap is always emitted before the data that follows it.
class TcpReassembler::Emitter {
 public:
  Emitter(StreamSink& sink, Direction dir, TimestampNs ts, ReassemblyCounters& counters)
      : sink_(sink), dir_(dir), ts_(ts), counters_(counters) {}
  Emitter(const Emitter&) = delete;
  Emitter& operator=(const Emitter&) = delete;

  void Data(const uint8_t* data, size_t len, TimestampNs ts) {
    if (len == 0) return;
    Flush();
    sink_.OnData(dir_, ByteView(data, len), ts);
    Bump(counters_.bytes_delivered, len);
  }
  void Gap(uint64_t len) { pending_gap_ += len; }
  void Flush() {
    if (pending_gap_ == 0) return;
    sink_.OnGap(dir_, pending_gap_, ts_);
    Bump(counters_.gaps);
    Bump(counters_.gap_bytes, pending_gap_);
    pending_gap_ = 0;
  }
  void End() {
    Flush();
    sink_.OnEnd(dir_, ts_);
  }

 private:
  StreamSink& sink_;
  Direction dir_;
  TimestampNs ts_;
  ReassemblyCounters& counters_;
  uint64_t pending_gap_ = 0;
};

// What one segment did, to classify it once (retransmission, overlap, out of order).
struct TcpReassembler::Accounting {
  uint64_t fresh = 0;                    // bytes new to the stream (delivered or buffered)
  uint64_t seen = 0;                     // bytes already delivered or buffered
  bool conflict = false;                 // an overlapping byte differed from the first copy
  bool retransmission_conflict = false;  // bytes already delivered differed (DeliveredHistory)
  bool buffered = false;                 // some bytes had to wait for a hole
};

// The copy a segment's bytes belong to in the out-of-order queue: its first and end sequence
// numbers. `start` is earlier than the segment when it extends a buffered copy (coalescing).
// `provisional`: it starts beyond the receiver's known window (see BeyondReceiveWindow).
// `weak`: its checksum is one the receiver rejects.
struct TcpReassembler::Copy {
  uint32_t start;
  uint32_t end;
  bool provisional;
  bool weak;
};

TcpReassembler::~TcpReassembler() { FreeAll(); }

TcpReassembler::TcpReassembler(TcpReassembler&& o) noexcept
    : ctx_(o.ctx_),
      head_(std::exchange(o.head_, nullptr)),
      tail_(std::exchange(o.tail_, nullptr)),
      hole_since_(o.hole_since_),
      fin_ts_(o.fin_ts_),
      next_seq_(o.next_seq_),
      fin_seq_(o.fin_seq_),
      buffered_(std::exchange(o.buffered_, 0)),
      segments_(std::exchange(o.segments_, 0)),
      provisional_segments_(std::exchange(o.provisional_segments_, 0)),
      window_edge_(o.window_edge_),
      window_max_(o.window_max_),
      acked_(o.acked_),
      started_(o.started_),
      ended_(o.ended_),
      fin_known_(o.fin_known_),
      window_known_(o.window_known_),
      ack_known_(o.ack_known_),
      history_(o.history_) {}

TcpReassembler& TcpReassembler::operator=(TcpReassembler&& o) noexcept {
  if (this != &o) {
    FreeAll();
    ctx_ = o.ctx_;
    head_ = std::exchange(o.head_, nullptr);
    tail_ = std::exchange(o.tail_, nullptr);
    hole_since_ = o.hole_since_;
    fin_ts_ = o.fin_ts_;
    next_seq_ = o.next_seq_;
    fin_seq_ = o.fin_seq_;
    buffered_ = std::exchange(o.buffered_, 0);
    segments_ = std::exchange(o.segments_, 0);
    provisional_segments_ = std::exchange(o.provisional_segments_, 0);
    window_edge_ = o.window_edge_;
    window_max_ = o.window_max_;
    acked_ = o.acked_;
    started_ = o.started_;
    ended_ = o.ended_;
    fin_known_ = o.fin_known_;
    window_known_ = o.window_known_;
    ack_known_ = o.ack_known_;
    history_ = o.history_;
  }
  return *this;
}

void TcpReassembler::InitFromSyn(uint32_t isn) {
  if (started_) return;
  started_ = true;
  next_seq_ = isn + 1;
}

void TcpReassembler::NoteReceiverWindow(uint32_t ack, uint32_t window) {
  if (!started_ || ended_) return;
  // Every edge kept stays within 2^31 of the stream (serial arithmetic): ack within 1 GiB,
  // window below 1 GiB.
  constexpr int64_t kReach = int64_t{1} << 30;
  const int64_t r = Rel(ack);
  if (r < -kReach || r > kReach) return;
  window = std::min(window, kMaxReceiveWindow);
  const uint32_t edge = ack + window;
  if (!window_known_ || Rel(window_edge_) < 0 || Rel(edge) > Rel(window_edge_)) {
    window_edge_ = edge;
  }
  window_max_ = window_known_ ? std::max(window_max_, window) : window;
  window_known_ = true;
}

void TcpReassembler::NoteAck(uint32_t ack, TimestampNs ts, Direction dir, StreamSink& sink) {
  if (!started_ || ended_) return;
  constexpr int64_t kReach = int64_t{1} << 30;
  const int64_t r = Rel(ack);
  if (r < -kReach || r > kReach) return;
  if (!ack_known_ || r >= Rel(acked_)) {
    acked_ = ack;
    ack_known_ = true;
  }
  // A weak range this ACK reaches into, without passing it, was refused if nothing passes it
  // later (Refused).
  // Most ACKs stop at or before the delivery point: no walk of the list for them.
  if (head_ != nullptr && Rel(acked_) >= Rel(head_->seq)) {
    Segment* at = FirstEndingAfter(Rel(acked_));
    if (at != nullptr && at->weak && Rel(at->seq) <= Rel(acked_)) at->refused = true;
  }
  if (!WeakWaiting() || AckedLength(head_) == 0) return;
  Emitter out(sink, dir, ts, ctx_->counters);
  DrainContiguous(out);
  MaybeEnd(out);
  out.Flush();
}

void TcpReassembler::CountIgnoredWeakControl() { Bump(ctx_->counters.weak_controls_ignored); }
void TcpReassembler::CountConfirmedWeakSyn() { Bump(ctx_->counters.weak_syns_confirmed); }

// How many of a weak range's first bytes the receiver acknowledged.
uint32_t TcpReassembler::AckedLength(const Segment* s) const {
  if (!ack_known_) return 0;
  return static_cast<uint32_t>(std::clamp<int64_t>(Rel(acked_) - Rel(s->seq), 0, int64_t{s->len}));
}

// The receiver had every byte before the weak range, said so after the range was captured, and
// never acknowledged it. (An ACK already on its way when the range was sent looks the same; it
// matters only when the flow ends or times out within that round trip.)
bool TcpReassembler::Refused(const Segment* s) const {
  return s->refused && AckedLength(s) < s->len;
}

// A weak range waits at the delivery point.
bool TcpReassembler::WeakWaiting() const {
  return head_ != nullptr && head_->weak && Rel(head_->seq) <= 0;
}

// The weak range at the delivery point will not be replaced in time: used, unless refused.
void TcpReassembler::ResolveWeakHead(Emitter& out, bool reset) {
  Segment* s = head_;
  if (Refused(s) || (reset && ack_known_)) {
    Bump(ctx_->counters.weak_discarded);
    const TimestampNs ts = s->ts;
    Unlink(s);
    Free(s);
    // The range is a hole again, as old as the segment that left it.
    if (head_ != nullptr) hole_since_ = ts;
    return;
  }
  const int64_t skip = -Rel(s->seq);
  if (skip < int64_t{s->len}) {
    const uint32_t k = s->len - static_cast<uint32_t>(skip);
    Deliver(End(s) - k, s->bytes() + skip, k, s->ts, out);
    next_seq_ = End(s);
  }
  Bump(ctx_->counters.weak_used);
  Unlink(s);
  Free(s);
  DrainContiguous(out);
}

// Linux accepts a segment starting up to rcv_nxt + receive window (tcp_sequence). The sensor
// may have missed ACKs that moved the edge: it takes the furthest edge it saw, and the largest
// window counted from the next expected byte, whichever reaches further.
bool TcpReassembler::BeyondReceiveWindow(int64_t rel) const {
  if (!window_known_ || rel <= 0) return false;
  return rel > std::max<int64_t>(Rel(window_edge_), window_max_);
}

// A provisional range that no ACK has covered yet. The ACK that opened the window may reach
// the capture just after the data it allowed (two mirrored directions merged, a reordering
// tap), so a segment beyond the window is held, not dropped, until its bytes would be used.
bool TcpReassembler::Unconfirmed(const Segment* s) const {
  return s->provisional && window_known_ && Rel(s->seq) > Rel(window_edge_);
}

// The receiver never accepted what is still unconfirmed when its bytes are needed (delivered,
// or declared lost): it is discarded and counted, leaving its range a hole again.
bool TcpReassembler::DiscardUnconfirmed() {
  if (provisional_segments_ == 0) return false;
  bool any = false;
  for (Segment* s = head_; s != nullptr;) {
    Segment* next = s->next;
    if (Unconfirmed(s)) {
      if (s->copy_end) Bump(ctx_->counters.out_of_window);
      Unlink(s);
      Free(s);
      any = true;
    }
    s = next;
  }
  return any;
}

void TcpReassembler::OnSegment(uint32_t seq, ByteView payload, uint32_t payload_wire_len, bool fin,
                               TimestampNs ts, Direction dir, StreamSink& sink, bool weak) {
  ReassemblyCounters& c = ctx_->counters;
  Bump(c.segments);
  if (weak && payload_wire_len > 0) Bump(c.weak_segments);
  // The capture never keeps more than the wire carried; trust the bytes we hold if it claims so.
  uint32_t captured =
      static_cast<uint32_t>(std::min<size_t>(payload.size(), std::numeric_limits<uint32_t>::max()));
  uint32_t wire_len = std::max(payload_wire_len, captured);

  if (ended_) {
    if (wire_len > 0 || fin) Bump(c.after_end);
    return;
  }
  if (!started_) {
    if (wire_len == 0 && !fin) return;  // a pure ACK does not tell where data starts
    started_ = true;
    next_seq_ = seq;
  }

  Emitter out(sink, dir, ts, c);
  const int64_t rel = Rel(seq);
  // Every byte kept must stay well inside the 2^31 reach of serial arithmetic, so the window is
  // capped at 1 GiB whatever the configuration says, and a segment must end inside it.
  const int64_t window = std::clamp<int64_t>(ctx_->limits.max_window_bytes, 1, int64_t{1} << 30);
  const int64_t rel_end = rel + int64_t{wire_len};
  if (rel_end > window || rel_end < -window || wire_len > window) {
    Bump(c.out_of_window);
  } else {
    const bool provisional = (wire_len > 0 || fin) && BeyondReceiveWindow(rel);
    if (wire_len > captured) Bump(c.truncated_segments);
    // A FIN beyond the window is not believed: the receiver would drop the segment.
    if (fin && !provisional) NoteFin(seq + wire_len, ts);
    if (fin && provisional && wire_len == 0) Bump(c.out_of_window);
    if (fin_known_) {
      // Nothing exists beyond the FIN: trim what a segment claims past it.
      const int64_t fin_rel = Rel(fin_seq_);
      if (rel + int64_t{wire_len} > fin_rel) {
        Bump(c.after_end);
        wire_len = static_cast<uint32_t>(std::clamp<int64_t>(fin_rel - rel, 0, wire_len));
        captured = std::min(captured, wire_len);
      }
    }
    if (wire_len > 0) {
      Accounting acc;
      const Copy copy = CopyOf(seq, wire_len, provisional, weak);
      Add(seq, payload.data(), captured, copy, ts, acc, out);
      if (wire_len > captured) {
        Add(seq + captured, nullptr, wire_len - captured, copy, ts, acc, out);
      }
      if (acc.fresh == 0) {
        Bump(c.retransmissions);
      } else if (acc.seen > 0) {
        Bump(c.overlaps);
      }
      if (acc.conflict) Bump(c.overlap_conflicts);
      if (acc.retransmission_conflict) Bump(c.retransmission_conflicts);
      if (acc.buffered) Bump(c.out_of_order_segments);
      DrainContiguous(out);
    }
  }
  ExpireHoles(ts, out);
  MaybeEnd(out);
  out.Flush();
}

void TcpReassembler::CheckTimeout(TimestampNs now, Direction dir, StreamSink& sink) {
  if (!started_ || ended_) return;
  Emitter out(sink, dir, now, ctx_->counters);
  ExpireHoles(now, out);
  MaybeEnd(out);
  out.Flush();
}

void TcpReassembler::Finish(TimestampNs ts, Direction dir, StreamSink& sink, bool reset) {
  if (ended_) return;
  Emitter out(sink, dir, ts, ctx_->counters);
  DiscardUnconfirmed();
  while (head_ != nullptr) {
    DeclareGapTo(head_->seq, out);
    DrainContiguous(out);
    if (WeakWaiting()) ResolveWeakHead(out, reset);
  }
  if (fin_known_ && Rel(fin_seq_) > 0) DeclareGapTo(fin_seq_, out);
  EndDirection(out);
}

// Which copy [seq, seq + len) belongs to. A segment that starts in a hole exactly where a
// buffered copy ends joins that copy (Linux tcp_ooo_try_coalesce appends it to the queued skb),
// so later overlaps compare against the copy's start, not the segment's.
TcpReassembler::Copy TcpReassembler::CopyOf(uint32_t seq, uint32_t len, bool provisional,
                                            bool weak) {
  Copy copy{seq, seq + len, provisional, weak};
  const int64_t r = Rel(seq);
  if (r <= 0 || head_ == nullptr || provisional || weak) return copy;
  Segment* it = FirstEndingAfter(r);
  if (it != nullptr && Rel(it->seq) <= r) return copy;  // starts inside buffered bytes
  Segment* before = it != nullptr ? it->prev : tail_;
  if (before != nullptr && End(before) == seq && before->copy_end && !before->provisional &&
      !before->weak) {
    copy.start = before->origin;
    before->copy_end = false;
  }
  return copy;
}

// Whether `copy` takes the buffered bytes of `owner` (a range it covers from the range's first
// byte): it starts earlier, or at the same place and ends later (tcp_data_queue_ofo).
bool TcpReassembler::Displaces(const Copy& copy, const Segment* owner) const {
  // Data the receiver accepted beats data it may never have seen, and never the reverse.
  if (Unconfirmed(owner)) return !copy.provisional && !copy.weak;
  if (copy.provisional) return false;
  // A strong copy beats a weak one (Add replaces such ranges whole), never the reverse.
  if (owner->weak != copy.weak) return owner->weak;
  const int64_t start = Rel(copy.start);
  const int64_t owner_start = Rel(owner->origin);
  if (start != owner_start) return start < owner_start;
  // Same start: find where the owner's copy ends. Its bytes are contiguous up to that end;
  // anything else (never expected) keeps the owner, as does an equal end.
  const int64_t end = Rel(copy.end);
  for (const Segment* s = owner; s != nullptr; s = s->next) {
    if (s->origin != owner->origin || Rel(End(s)) >= end) return false;
    if (s->copy_end) return true;
    if (s->next != nullptr && s->next->seq != End(s)) return false;
  }
  return false;
}

// Takes the first `k` bytes out of a buffered range; its allocation (and charge) stays.
void TcpReassembler::DropPrefix(Segment* s, uint32_t k) {
  if (!s->lost) std::memmove(s->bytes(), s->bytes() + k, s->len - k);
  s->seq += k;
  s->len -= k;
}

// Walks [seq, seq + len) against the delivered point and the buffered list. Bytes already
// delivered are skipped (first wins) after a comparison with the history of delivered pieces.
// Buffered bytes stay unless this copy displaces theirs; then they are taken out and the range
// is filled again from this copy. Bytes at the delivered point go straight to the sink; bytes
// ahead of a hole are copied into the list. `data` is null for a lost (cut) range.
void TcpReassembler::Add(uint32_t seq, const uint8_t* data, uint32_t len, const Copy& copy,
                         TimestampNs ts, Accounting& acc, Emitter& out) {
  const ReassemblyLimits& limits = ctx_->limits;
  auto advance = [&](uint32_t k) {
    seq += k;
    len -= k;
    if (data != nullptr) data += k;
  };
  // Displaced bytes are counted once, as seen, when they are taken out; `counted_to` marks how
  // far that reaches so that refilling them does not count them as new.
  uint32_t counted_to = seq;
  auto tally = [&](uint32_t k, bool fresh) {
    const int64_t ahead = static_cast<int32_t>(counted_to - seq);
    const uint32_t done = static_cast<uint32_t>(std::clamp<int64_t>(ahead, 0, k));
    (fresh ? acc.fresh : acc.seen) += k - done;
  };
  bool displaced = false;
  // A cap stopped a weak piece from waiting at the delivery point: nothing buffered can make room
  // for it there, so it is used at once.
  bool no_room_to_wait = false;
  auto no_room = [&](uint32_t at, Emitter& e) {
    if (Rel(at) == 0) {
      no_room_to_wait = true;
    } else {
      MakeRoom(at, e);
    }
  };
  while (len > 0) {
    const int64_t r = Rel(seq);
    if (r < 0) {  // already delivered (or declared lost)
      uint32_t k = static_cast<uint32_t>(std::min<int64_t>(len, -r));
      if (data != nullptr && history_.Differs(seq, data, k, ctx_->history_key)) {
        acc.retransmission_conflict = true;
      }
      tally(k, false);
      advance(k);
      continue;
    }
    Segment* it = FirstEndingAfter(r);
    if (it != nullptr && Rel(it->seq) <= r) {  // inside a buffered range
      const int64_t off = r - Rel(it->seq);
      uint32_t k = static_cast<uint32_t>(std::min<int64_t>(len, Rel(End(it)) - r));
      if (it->weak && !copy.weak && !copy.provisional) {
        // A strong copy replaces the weak range whole: bytes of it this copy does not carry
        // become a hole again rather than keep what the receiver rejected. The receiver never
        // had the weak bytes, so this copy's are new to the stream, not an overlap.
        Bump(ctx_->counters.weak_replaced);
        Unlink(it);
        Free(it);
        displaced = true;
        continue;
      }
      if (data != nullptr && !it->lost && std::memcmp(data, it->bytes() + off, k) != 0) {
        acc.conflict = true;
      }
      tally(k, false);
      if (off > 0 && !copy.provisional && !copy.weak && Unconfirmed(it)) {
        // Accepted data starting inside an unconfirmed range: the range ends where it starts.
        if (static_cast<int32_t>(seq + k - counted_to) > 0) counted_to = seq + k;
        it->len = static_cast<uint32_t>(off);
        it->copy_end = false;
        displaced = true;
        continue;
      }
      // This copy can only displace a range it covers from the range's start: a copy starting
      // inside a range starts after the range's owner.
      if (off == 0 && Displaces(copy, it)) {
        if (static_cast<int32_t>(seq + k - counted_to) > 0) counted_to = seq + k;
        if (k == it->len) {
          Unlink(it);
          Free(it);
        } else {
          DropPrefix(it, k);
        }
        displaced = true;
        continue;  // the range is a hole now: filled below
      }
      advance(k);
      continue;
    }
    // In a hole: the piece runs to the next buffered segment or the end of the range.
    uint32_t piece =
        it == nullptr ? len : static_cast<uint32_t>(std::min<int64_t>(len, Rel(it->seq) - r));
    // A weak piece at the delivery point waits in the list, unless the receiver already
    // acknowledged it.
    const bool wait = copy.weak && data != nullptr && !no_room_to_wait &&
                      (!ack_known_ || Rel(acked_) - r < int64_t{piece});
    if (r == 0 && !wait) {
      if (copy.weak && data != nullptr) Bump(ctx_->counters.weak_used);
      if (data != nullptr) {
        Deliver(seq, data, piece, ts, out);
      } else {
        out.Gap(piece);
        history_.Prune(seq + piece);
      }
      next_seq_ += piece;
      tally(piece, true);
      advance(piece);
      continue;
    }
    const uint32_t capacity = data != nullptr ? piece : 0;
    const size_t charge = capacity + kSegmentOverhead;
    if (buffered_ + charge > std::min(limits.per_flow_bytes, kMaxFlowBytes)) {
      Bump(ctx_->counters.per_flow_cap_hits);
      no_room(seq, out);
      continue;
    }
    // Checked after the byte cap so that a flood both caps bind on is counted once, as before.
    if (segments_ >= limits.max_segments_per_flow) {
      Bump(ctx_->counters.segment_cap_hits);
      no_room(seq, out);
      continue;
    }
    if (!ctx_->memory.TryCharge(charge)) {
      Bump(ctx_->counters.global_cap_hits);
      no_room(seq, out);
      continue;
    }
    void* mem = ::operator new(sizeof(Segment) + capacity, std::nothrow);
    if (mem == nullptr) {
      ctx_->memory.Release(charge);
      Bump(ctx_->counters.global_cap_hits);
      no_room(seq, out);
      continue;
    }
    Segment* s = new (mem) Segment{nullptr,
                                   nullptr,
                                   ts,
                                   seq,
                                   piece,
                                   copy.start,
                                   capacity,
                                   data == nullptr,
                                   seq + piece == copy.end,
                                   copy.provisional,
                                   copy.weak && data != nullptr,  // a cut tail is a gap anyway
                                   false};
    if (data != nullptr) std::memcpy(s->bytes(), data, piece);
    buffered_ += static_cast<uint32_t>(charge);  // fits: the cap above is below 2^32
    ++segments_;
    if (copy.provisional) ++provisional_segments_;
    // A displaced range emptied the list; the hole in front is as old as it was.
    if (head_ == nullptr && !displaced) hole_since_ = ts;
    // Link before `it` (or at the tail).
    s->next = it;
    s->prev = it != nullptr ? it->prev : tail_;
    if (s->prev != nullptr) {
      s->prev->next = s;
    } else {
      head_ = s;
    }
    if (it != nullptr) {
      it->prev = s;
    } else {
      tail_ = s;
    }
    tally(piece, true);
    if (r > 0) acc.buffered = true;  // weak bytes waiting at the delivery point are in order
    advance(piece);
  }
}

// The first buffered segment ending after relative offset `rel`. Out-of-order data usually
// arrives in increasing order (it ends at the tail), but a burst arriving from the top down lands
// next to the head, and a search from the tail alone walks the whole list for each of its
// segments. So the search steps in from both ends at once: it costs twice the distance from the
// nearer end, which neither end alone can know in advance.
TcpReassembler::Segment* TcpReassembler::FirstEndingAfter(int64_t rel) const {
  if (head_ == nullptr) return nullptr;
  if (Rel(End(head_)) > rel) return head_;
  if (Rel(End(tail_)) <= rel) return nullptr;
  // The answer lies after `lo` (ends at or before rel) and at or before `hi` (ends after it), so
  // neither runs off the list and they meet at the answer.
  const Segment* lo = head_;
  Segment* hi = tail_;
  for (;;) {
    if (Rel(End(lo->next)) > rel) return lo->next;
    lo = lo->next;
    if (Rel(End(hi->prev)) <= rel) return hi;
    hi = hi->prev;
  }
}

// A cap stopped `seq` from being buffered. Frees memory by delivering what is deliverable, and
// otherwise gives up the oldest hole: the one in front of the buffered data, or the one in front
// of `seq` when that comes first (then `seq` is delivered directly and needs no memory).
void TcpReassembler::MakeRoom(uint32_t seq, Emitter& out) {
  const size_t before = buffered_;
  DiscardUnconfirmed();
  DrainContiguous(out);
  if (buffered_ < before) return;
  if (WeakWaiting()) {
    ResolveWeakHead(out);
    return;
  }
  if (head_ == nullptr || Rel(seq) < Rel(head_->seq)) {
    DeclareGapTo(seq, out);
  } else {
    DeclareGapTo(head_->seq, out);
    DrainContiguous(out);
  }
}

// Bytes at the delivered point go to the sink and into the history.
void TcpReassembler::Deliver(uint32_t seq, const uint8_t* data, uint32_t len, TimestampNs ts,
                             Emitter& out) {
  out.Data(data, len, ts);
  history_.Record(seq, data, len, ctx_->history_key);
}

void TcpReassembler::DeclareGapTo(uint32_t seq, Emitter& out) {
  const int64_t r = Rel(seq);
  if (r <= 0) return;
  out.Gap(static_cast<uint64_t>(r));
  next_seq_ = seq;
  history_.Prune(seq);
}

void TcpReassembler::DrainContiguous(Emitter& out) {
  bool drained = false;
  while (head_ != nullptr && Rel(head_->seq) <= 0) {
    Segment* s = head_;
    if (Unconfirmed(s)) {  // its bytes are due now and no ACK ever covered them
      if (s->copy_end) Bump(ctx_->counters.out_of_window);
      Unlink(s);
      Free(s);
      drained = true;
      continue;
    }
    if (s->weak) {
      // Only what the receiver acknowledged; the rest waits (ResolveWeakHead decides).
      const uint32_t acked = AckedLength(s);
      const int64_t skip = -Rel(s->seq);
      if (acked < s->len) {
        if (acked <= skip) break;
        const uint32_t k = acked - static_cast<uint32_t>(skip);
        Deliver(s->seq + acked - k, s->bytes() + skip, k, s->ts, out);
        next_seq_ = s->seq + acked;
        DropPrefix(s, acked);
        drained = true;
        break;
      }
      Bump(ctx_->counters.weak_used);
    }
    // Segments never start behind the delivered point; tolerate it rather than trust it.
    const int64_t skip = -Rel(s->seq);
    if (skip < int64_t{s->len}) {
      const uint32_t k = s->len - static_cast<uint32_t>(skip);
      if (s->lost) {
        out.Gap(k);
        history_.Prune(End(s));
      } else {
        Deliver(End(s) - k, s->bytes() + skip, k, s->ts, out);
      }
      next_seq_ = End(s);
    }
    Unlink(s);
    Free(s);
    drained = true;
  }
  // The hole now in front is known at least since the segment behind it arrived.
  if (drained && head_ != nullptr) hole_since_ = head_->ts;
}

void TcpReassembler::ExpireHoles(TimestampNs now, Emitter& out) {
  const TimestampNs limit = ctx_->limits.hole_timeout;
  while (head_ != nullptr) {
    if (WeakWaiting()) {  // not a hole: weak bytes waiting as long as a hole may
      if (now - head_->ts <= limit) break;
      ResolveWeakHead(out);
      continue;
    }
    if (now - hole_since_ <= limit) break;
    if (DiscardUnconfirmed()) {
      if (head_ != nullptr) hole_since_ = std::max(hole_since_, head_->ts);
      continue;
    }
    Bump(ctx_->counters.hole_timeouts);
    DeclareGapTo(head_->seq, out);
    DrainContiguous(out);
  }
  if (head_ == nullptr && fin_known_ && Rel(fin_seq_) > 0 && now - fin_ts_ > limit) {
    Bump(ctx_->counters.hole_timeouts);
    DeclareGapTo(fin_seq_, out);
  }
}

// First FIN wins; a FIN behind bytes already delivered or buffered contradicts them and is
// ignored (the bytes were received first).
void TcpReassembler::NoteFin(uint32_t fin_seq, TimestampNs ts) {
  if (fin_known_) {
    if (fin_seq != fin_seq_) Bump(ctx_->counters.bad_fins);
    return;
  }
  // Bytes held beyond the window do not count: the receiver may never have had them.
  const Segment* last = tail_;
  while (last != nullptr && (Unconfirmed(last) || last->weak)) last = last->prev;
  if (Rel(fin_seq) < 0 || (last != nullptr && Rel(fin_seq) < Rel(End(last)))) {
    Bump(ctx_->counters.bad_fins);
    return;
  }
  fin_known_ = true;
  fin_seq_ = fin_seq;
  fin_ts_ = ts;
}

void TcpReassembler::MaybeEnd(Emitter& out) {
  if (!ended_ && fin_known_ && next_seq_ == fin_seq_) EndDirection(out);
}

void TcpReassembler::EndDirection(Emitter& out) {
  // Weak ranges left are beyond the FIN: bytes that do not exist.
  for (const Segment* s = head_; s != nullptr; s = s->next) {
    if (s->weak) Bump(ctx_->counters.weak_discarded);
  }
  FreeAll();
  ended_ = true;
  out.End();
}

void TcpReassembler::Unlink(Segment* s) {
  if (s->prev != nullptr) {
    s->prev->next = s->next;
  } else {
    head_ = s->next;
  }
  if (s->next != nullptr) {
    s->next->prev = s->prev;
  } else {
    tail_ = s->prev;
  }
}

void TcpReassembler::Free(Segment* s) {
  const size_t charge = size_t{s->capacity} + kSegmentOverhead;
  buffered_ -= static_cast<uint32_t>(std::min<size_t>(buffered_, charge));
  if (segments_ > 0) --segments_;
  if (s->provisional && provisional_segments_ > 0) --provisional_segments_;
  ctx_->memory.Release(charge);
  s->~Segment();
  ::operator delete(s);
}

void TcpReassembler::FreeAll() {
  while (head_ != nullptr) {
    Segment* s = head_;
    Unlink(s);
    Free(s);
  }
}

}  // namespace bw::reassembly
