#include "sensor/reassembly/tcp_connection.h"

namespace bw::reassembly {

void TcpConnection::OnPacket(const decode::PacketMeta& p, Direction dir, StreamSink& sink) {
  TcpReassembler& self = half_[Index(dir)];
  TcpReassembler& peer = half_[Index(Opposite(dir))];
  const uint8_t f = p.tcp_flags;

  if ((f & decode::kTcpRst) != 0) {
    // A RST payload is a diagnostic text, not stream data: it is not delivered.
    flags_ |= kRstSeen;
    Finish(p.ts, sink);
    return;
  }

  uint32_t seq = p.tcp_seq;
  if ((f & decode::kTcpSyn) != 0) {
    flags_ |= (f & decode::kTcpAck) != 0 ? kSynAckSeen : kSynSeen;
    self.InitFromSyn(seq);
    ++seq;  // the SYN occupies one sequence number; any payload (TFO) follows it
  }
  self.OnSegment(seq, p.payload, p.payload_wire_len, (f & decode::kTcpFin) != 0, p.ts, dir, sink);
  peer.CheckTimeout(p.ts, Opposite(dir), sink);
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
