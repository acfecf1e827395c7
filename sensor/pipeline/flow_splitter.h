#pragma once
// For the lane of the file fanout that indexes a chunk of the capture: which worker each record
// belongs to (WorkerOf), so the other workers never touch it, and the TCP checksum's verdict,
// computed while the bytes are in this lane's cache (FrameHint).
//
// Guarantees:
//  - A record gets a worker only if its flow is known without state: an IP fragment (each
//    worker reassembles them all, then keeps its datagrams) or anything the decoder cannot take
//    to the ports goes to every lane (kEveryLane), where the capture thread's decoder counts it.
//  - The worker given is the one a full decode and WorkerOf name. Plain Ethernet + IPv4/IPv6 +
//    TCP/UDP, the bulk of storage traffic, is read by a short path; everything else (VLANs,
//    tunnels, extension headers, other link types) by a decoder stopped at the ports. A record
//    the short path gives a worker that its decoder then drops is counted by that worker (the
//    decoder counts every drop of an owned frame as its own), so it is counted once.

#include <cstddef>
#include <cstdint>

#include "sensor/capture/pcap_file_reader.h"
#include "sensor/decode/decoder.h"
#include "sensor/decode/packet_ownership.h"

namespace bw::pipeline {

class FlowSplitter final : public capture::RecordSplitter, private decode::PacketOwnership {
 public:
  FlowSplitter(size_t workers, decode::LinkType link, const decode::DecoderLimits& limits);

  Verdict LaneOf(ByteView frame, uint32_t wire_length) override;

 private:
  // Plain Ethernet/IP/TCP-or-UDP; false when the frame is anything else.
  bool ShortPath(ByteView frame, Verdict& out) const;
  // Records the owner and declines, so the probe decoder stops at the ports.
  bool Owns(const decode::PacketMeta& m) const override;
  bool ClassifiesChecksums() const override { return true; }
  void NoteChecksum(decode::FrameHint::Checksum checksum) const override;

  size_t workers_;
  decode::LinkType link_;
  bool checksums_;  // the mode is not kIgnore
  mutable uint16_t owner_ = kEveryLane;
  mutable decode::FrameHint::Checksum checksum_ = decode::FrameHint::Checksum::kUnknown;
  decode::DropCounters drops_;  // of frames the workers' decoders count themselves
  decode::Decoder decoder_;
};

}  // namespace bw::pipeline
