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
  uint64_t fresh = 0;     // bytes new to the stream (delivered or buffered)
  uint64_t seen = 0;      // bytes already delivered or buffered
  bool conflict = false;  // an overlapping byte differed from the first copy
  bool buffered = false;  // some bytes had to wait for a hole
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
      started_(o.started_),
      ended_(o.ended_),
      fin_known_(o.fin_known_) {}

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
    started_ = o.started_;
    ended_ = o.ended_;
    fin_known_ = o.fin_known_;
  }
  return *this;
}

size_t TcpReassembler::buffered_segments() const {
  size_t n = 0;
  for (const Segment* s = head_; s != nullptr; s = s->next) ++n;
  return n;
}

void TcpReassembler::InitFromSyn(uint32_t isn) {
  if (started_) return;
  started_ = true;
  next_seq_ = isn + 1;
}

void TcpReassembler::OnSegment(uint32_t seq, ByteView payload, uint32_t payload_wire_len, bool fin,
                               TimestampNs ts, Direction dir, StreamSink& sink) {
  ReassemblyCounters& c = ctx_->counters;
  Bump(c.segments);
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
    if (wire_len > captured) Bump(c.truncated_segments);
    if (fin) NoteFin(seq + wire_len, ts);
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
      Add(seq, payload.data(), captured, ts, acc, out);
      if (wire_len > captured) Add(seq + captured, nullptr, wire_len - captured, ts, acc, out);
      if (acc.fresh == 0) {
        Bump(c.retransmissions);
      } else if (acc.seen > 0) {
        Bump(c.overlaps);
      }
      if (acc.conflict) Bump(c.overlap_conflicts);
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

void TcpReassembler::Finish(TimestampNs ts, Direction dir, StreamSink& sink) {
  if (ended_) return;
  Emitter out(sink, dir, ts, ctx_->counters);
  while (head_ != nullptr) {
    DeclareGapTo(head_->seq, out);
    DrainContiguous(out);
  }
  if (fin_known_ && Rel(fin_seq_) > 0) DeclareGapTo(fin_seq_, out);
  EndDirection(out);
}

// Walks [seq, seq + len) against the delivered point and the buffered list: bytes already there
// are compared and skipped (first wins), bytes at the delivered point go straight to the sink,
// bytes ahead of a hole are copied into the list. `data` is null for a lost (cut) range.
void TcpReassembler::Add(uint32_t seq, const uint8_t* data, uint32_t len, TimestampNs ts,
                         Accounting& acc, Emitter& out) {
  const ReassemblyLimits& limits = ctx_->limits;
  auto advance = [&](uint32_t k) {
    seq += k;
    len -= k;
    if (data != nullptr) data += k;
  };
  while (len > 0) {
    const int64_t r = Rel(seq);
    if (r < 0) {  // already delivered (or declared lost)
      uint32_t k = static_cast<uint32_t>(std::min<int64_t>(len, -r));
      acc.seen += k;
      advance(k);
      continue;
    }
    Segment* it = FirstEndingAfter(r);
    if (it != nullptr && Rel(it->seq) <= r) {  // inside a buffered segment: it wins
      const int64_t off = r - Rel(it->seq);
      uint32_t k = static_cast<uint32_t>(std::min<int64_t>(len, Rel(End(it)) - r));
      if (data != nullptr && !it->lost && std::memcmp(data, it->bytes() + off, k) != 0) {
        acc.conflict = true;
      }
      acc.seen += k;
      advance(k);
      continue;
    }
    // In a hole: the piece runs to the next buffered segment or the end of the range.
    uint32_t piece =
        it == nullptr ? len : static_cast<uint32_t>(std::min<int64_t>(len, Rel(it->seq) - r));
    if (r == 0) {
      if (data != nullptr) {
        out.Data(data, piece, ts);
      } else {
        out.Gap(piece);
      }
      next_seq_ += piece;
      acc.fresh += piece;
      advance(piece);
      continue;
    }
    const size_t charge = (data != nullptr ? piece : 0) + kSegmentOverhead;
    if (buffered_ + charge > limits.per_flow_bytes) {
      Bump(ctx_->counters.per_flow_cap_hits);
      MakeRoom(seq, out);
      continue;
    }
    if (!ctx_->memory.TryCharge(charge)) {
      Bump(ctx_->counters.global_cap_hits);
      MakeRoom(seq, out);
      continue;
    }
    void* mem = ::operator new(sizeof(Segment) + (data != nullptr ? piece : 0), std::nothrow);
    if (mem == nullptr) {
      ctx_->memory.Release(charge);
      Bump(ctx_->counters.global_cap_hits);
      MakeRoom(seq, out);
      continue;
    }
    Segment* s = new (mem) Segment{nullptr, nullptr, ts, seq, piece, data == nullptr};
    if (data != nullptr) std::memcpy(s->bytes(), data, piece);
    buffered_ += charge;
    if (head_ == nullptr) hole_since_ = ts;
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
    acc.fresh += piece;
    acc.buffered = true;
    advance(piece);
  }
}

// The first buffered segment ending after relative offset `rel`. Out-of-order data usually
// arrives in increasing order, so the search starts from the tail.
TcpReassembler::Segment* TcpReassembler::FirstEndingAfter(int64_t rel) const {
  if (head_ == nullptr) return nullptr;
  if (Rel(End(head_)) > rel) return head_;
  if (Rel(End(tail_)) <= rel) return nullptr;
  Segment* x = tail_;
  while (x->prev != nullptr && Rel(End(x->prev)) > rel) x = x->prev;
  return x;
}

// A cap stopped `seq` from being buffered. Frees memory by delivering what is deliverable, and
// otherwise gives up the oldest hole: the one in front of the buffered data, or the one in front
// of `seq` when that comes first (then `seq` is delivered directly and needs no memory).
void TcpReassembler::MakeRoom(uint32_t seq, Emitter& out) {
  const size_t before = buffered_;
  DrainContiguous(out);
  if (buffered_ < before) return;
  if (head_ == nullptr || Rel(seq) < Rel(head_->seq)) {
    DeclareGapTo(seq, out);
  } else {
    DeclareGapTo(head_->seq, out);
    DrainContiguous(out);
  }
}

void TcpReassembler::DeclareGapTo(uint32_t seq, Emitter& out) {
  const int64_t r = Rel(seq);
  if (r <= 0) return;
  out.Gap(static_cast<uint64_t>(r));
  next_seq_ = seq;
}

void TcpReassembler::DrainContiguous(Emitter& out) {
  bool drained = false;
  while (head_ != nullptr && Rel(head_->seq) <= 0) {
    Segment* s = head_;
    // Segments never start behind the delivered point; tolerate it rather than trust it.
    const int64_t skip = -Rel(s->seq);
    if (skip < int64_t{s->len}) {
      const uint32_t k = s->len - static_cast<uint32_t>(skip);
      if (s->lost) {
        out.Gap(k);
      } else {
        out.Data(s->bytes() + skip, k, s->ts);
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
  while (head_ != nullptr && now - hole_since_ > limit) {
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
  if (Rel(fin_seq) < 0 || (tail_ != nullptr && Rel(fin_seq) < Rel(End(tail_)))) {
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
  const size_t charge = (s->lost ? 0 : s->len) + kSegmentOverhead;
  buffered_ -= std::min(buffered_, charge);
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
