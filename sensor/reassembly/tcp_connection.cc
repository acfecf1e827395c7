#include "sensor/reassembly/tcp_connection.h"

#include <algorithm>

namespace bw::reassembly {

void TcpConnection::OnPacket(const decode::PacketMeta& p, Direction dir, StreamSink& sink) {
  TcpReassembler& self = half_[Index(dir)];
  TcpReassembler& peer = half_[Index(Opposite(dir))];
  uint8_t f = p.tcp_flags;
  const bool weak = !trust_[Index(dir)].Strong(p.tcp_checksum, (f & decode::kTcpSyn) != 0);
  if ((f & decode::kTcpAck) != 0) ConfirmWeakSyn(Opposite(dir), p.tcp_ack);
  if (weak && (f & (decode::kTcpSyn | decode::kTcpRst | decode::kTcpFin)) != 0) {
    self.CountIgnoredWeakControl();
    if ((f & decode::kTcpSyn) != 0 && !self.started()) {
      // Held until the peer acknowledges exactly this ISN (ConfirmWeakSyn): public captures
      // with rewritten addresses carry wrong sums on every segment, handshake included.
      const uint8_t bit = PendingBit(dir);
      flags_ = static_cast<uint8_t>((flags_ & ~(bit | PendingAckBit(dir))) | bit |
                                    ((f & decode::kTcpAck) != 0 ? PendingAckBit(dir) : 0));
      self.HoldWeakSyn(p.tcp_seq);
      wscale_[Index(dir)] = p.tcp_wscale;  // used only once the handshake flags say so
    }
    // A SYN's sequence number and options would reset the stream; the whole segment goes.
    if ((f & (decode::kTcpSyn | decode::kTcpRst)) != 0) return;
    f &= static_cast<uint8_t>(~decode::kTcpFin);
  }

  if ((f & decode::kTcpRst) != 0) {
    // A RST payload is a diagnostic text, not stream data: it is not delivered.
    flags_ |= kRstSeen;
    half_[0].Finish(p.ts, Direction::kToServer, sink, /*reset=*/true);
    half_[1].Finish(p.ts, Direction::kToClient, sink, /*reset=*/true);
    return;
  }

  uint32_t seq = p.tcp_seq;
  if ((f & decode::kTcpSyn) != 0) {
    flags_ &= static_cast<uint8_t>(~(PendingBit(dir) | PendingAckBit(dir)));
    wscale_[Index(dir)] = p.tcp_wscale;
    StartFromSyn(dir, seq, (f & decode::kTcpAck) != 0);
    ++seq;  // the SYN occupies one sequence number; any payload (TFO) follows it
  }
  if ((f & decode::kTcpAck) != 0) {
    NoteWindow(p, dir);
    // Before this segment's own data: the request it acknowledges is delivered ahead of a
    // response it carries.
    peer.NoteAck(p.tcp_ack, p.ts, Opposite(dir), sink);
  }
  self.OnSegment(seq, p.payload, p.payload_wire_len, (f & decode::kTcpFin) != 0, p.ts, dir, sink,
                 weak);
  peer.CheckTimeout(p.ts, Opposite(dir), sink);
}

void TcpConnection::StartFromSyn(Direction dir, uint32_t isn, bool syn_ack) {
  flags_ |= syn_ack ? kSynAckSeen : kSynSeen;
  half_[Index(dir)].InitFromSyn(isn);
}

// A weak SYN is used as a weak data segment is: once its receiver's ACK shows it was accepted.
// An ACK of exactly ISN + 1 is the SYN's acknowledgement; any other ACK says nothing of it.
void TcpConnection::ConfirmWeakSyn(Direction dir, uint32_t ack) {
  TcpReassembler& half = half_[Index(dir)];
  if ((flags_ & PendingBit(dir)) == 0) return;
  if (half.started()) {  // picked up mid-stream meanwhile: the SYN no longer matters
    flags_ &= static_cast<uint8_t>(~(PendingBit(dir) | PendingAckBit(dir)));
    return;
  }
  if (ack != half.weak_syn_isn() + 1) return;
  const bool syn_ack = (flags_ & PendingAckBit(dir)) != 0;
  flags_ &= static_cast<uint8_t>(~(PendingBit(dir) | PendingAckBit(dir)));
  half.CountConfirmedWeakSyn();
  StartFromSyn(dir, half.weak_syn_isn(), syn_ack);
}

// The sender of `p` is the receiver of the opposite direction: its ACK and window bound what
// that direction's receiver accepts.
void TcpConnection::NoteWindow(const decode::PacketMeta& p, Direction dir) {
  if ((flags_ & (kSynSeen | kSynAckSeen)) != (kSynSeen | kSynAckSeen)) return;
  uint32_t window = p.tcp_window;
  // A SYN's own window is never scaled (RFC 7323 section 2.2).
  if ((p.tcp_flags & decode::kTcpSyn) == 0) {
    const uint8_t own = wscale_[Index(dir)];
    const uint8_t peer = wscale_[Index(Opposite(dir))];
    if (own != decode::kTcpWscaleAbsent && peer != decode::kTcpWscaleAbsent) {
      window <<= std::min(own, decode::kTcpMaxWscale);
    }
  }
  half_[Index(Opposite(dir))].NoteReceiverWindow(p.tcp_ack, window);
}

void TcpConnection::CheckTimeouts(TimestampNs now, StreamSink& sink) {
  half_[0].CheckTimeout(now, Direction::kToServer, sink);
  half_[1].CheckTimeout(now, Direction::kToClient, sink);
}

void TcpConnection::Finish(TimestampNs ts, StreamSink& sink) {
  half_[0].Finish(ts, Direction::kToServer, sink);
  half_[1].Finish(ts, Direction::kToClient, sink);
}

}  // namespace bw::reassembly
