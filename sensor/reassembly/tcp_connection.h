#pragma once
// TcpConnection: both directions of one TCP connection, driven packet by packet.
//
// Guarantees: each direction starts at the sender's ISN + 1 when its SYN (or SYN+ACK) was seen
// and at its first data segment otherwise (mid-stream pickup); a direction ends when its FIN is
// reached in order; a RST ends both directions at once, delivering what is buffered with the
// holes as gaps; Finish() does the same at flow end or eviction. The sink sees OnEnd exactly
// once per direction. Hole timeouts of both directions are checked on every packet, so a quiet
// direction does not hold its holes while the other one talks.
//
// Receive windows: once both SYNs were seen (so the window-scale negotiation is known, RFC 7323:
// scaling only when both carried the option), every ACK tells the reassembler of the opposite
// direction how far ahead its receiver accepts data. Without the handshake nothing is dropped
// for being beyond a window.
//
// Checksums (decode/tcp_checksum.h): each direction keeps a TcpChecksumTrust that turns the
// decoder's verdict into strong or weak. A weak segment's data goes to reassembly as weak; its SYN,
// RST and FIN are ignored (counted), since the receiver never acted on them: a fake RST with a bad
// sum must not end the flow the sensor follows. Its ACK still counts (see NoteAck). A weak SYN is
// kept aside and starts its direction once the peer acknowledges exactly its ISN + 1 (and no
// strong SYN came first): the peer accepted it (counted as weak_syns_confirmed).
//
// The connection keeps only a pointer to the worker's ReassemblyContext and two small
// reassemblers (sizeof(TcpConnection) is about 232 bytes, 64 of them the two directions'
// DeliveredHistory).

#include <cstddef>
#include <cstdint>

#include "dissectors/common/direction.h"
#include "sensor/decode/packet_meta.h"
#include "sensor/decode/tcp_checksum.h"
#include "sensor/reassembly/reassembly_context.h"
#include "sensor/reassembly/stream_sink.h"
#include "sensor/reassembly/tcp_reassembler.h"

namespace bw::reassembly {

class TcpConnection {
 public:
  explicit TcpConnection(ReassemblyContext& ctx)
      : half_{TcpReassembler(ctx), TcpReassembler(ctx)} {}

  // One decoded TCP packet of this connection; `dir` comes from the flow's client decision.
  void OnPacket(const decode::PacketMeta& p, Direction dir, StreamSink& sink);

  // Declares holes older than the hole timeout in both directions (periodic housekeeping).
  void CheckTimeouts(TimestampNs now, StreamSink& sink);

  // Flow end, eviction or timeout: flushes both directions (gaps included) and ends them.
  void Finish(TimestampNs ts, StreamSink& sink);

  // Both directions ended: the flow can be marked closed in the flow table.
  bool closed() const { return half_[0].ended() && half_[1].ended(); }
  bool reset_seen() const { return (flags_ & kRstSeen) != 0; }
  // A SYN (client) or SYN+ACK (server) was seen, so the stream starts at its first byte.
  bool handshake_seen() const { return (flags_ & (kSynSeen | kSynAckSeen)) != 0; }
  bool syn_seen() const { return (flags_ & kSynSeen) != 0; }
  bool syn_ack_seen() const { return (flags_ & kSynAckSeen) != 0; }

  // A new SYN on a connection that already ended (port reuse): the owner should end this flow
  // and start a new one, rather than feed the SYN here.
  bool IsReopeningSyn(const decode::PacketMeta& p) const {
    return closed() && (p.tcp_flags & (decode::kTcpSyn | decode::kTcpAck)) == decode::kTcpSyn;
  }

  const TcpReassembler& half(Direction d) const { return half_[Index(d)]; }
  const decode::TcpChecksumTrust& checksum_trust(Direction d) const { return trust_[Index(d)]; }

 private:
  // kWeakSyn*: a weak SYN (or SYN+ACK, with kWeakSynAck*) waits for its acknowledgement, one
  // bit per direction it was sent in.
  enum : uint8_t {
    kSynSeen = 1,
    kSynAckSeen = 2,
    kRstSeen = 4,
    kWeakSynToServer = 8,
    kWeakSynToClient = 16,
    kWeakSynAckToServer = 32,
    kWeakSynAckToClient = 64,
  };
  static uint8_t PendingBit(Direction d) {
    return d == Direction::kToServer ? kWeakSynToServer : kWeakSynToClient;
  }
  static uint8_t PendingAckBit(Direction d) {
    return d == Direction::kToServer ? kWeakSynAckToServer : kWeakSynAckToClient;
  }

  void NoteWindow(const decode::PacketMeta& p, Direction dir);
  void StartFromSyn(Direction dir, uint32_t isn, bool syn_ack);
  void ConfirmWeakSyn(Direction dir, uint32_t ack);

  TcpReassembler half_[2];
  decode::TcpChecksumTrust trust_[2];  // by the direction its sender sends in
  uint8_t flags_ = 0;
  // The window-scale shift each side announced in its SYN, by the direction it sends in.
  uint8_t wscale_[2] = {decode::kTcpWscaleAbsent, decode::kTcpWscaleAbsent};
};

}  // namespace bw::reassembly
