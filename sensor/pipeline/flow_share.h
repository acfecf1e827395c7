#pragma once
// Which worker owns a packet: the symmetric flow hash modulo the number of workers, so both
// directions of a connection land on one worker. The dispatcher (one reader handing packets to
// workers) and the file fanout (every worker reading the file, keeping its own share) use this
// one rule, so a capture is split the same way whichever runs.

#include <cstddef>
#include <cstdint>

#include "sensor/capture/pcap_file_reader.h"
#include "sensor/decode/decoder.h"
#include "sensor/decode/packet_meta.h"
#include "sensor/decode/packet_ownership.h"
#include "sensor/flow/flow_key.h"

namespace bw::pipeline {

// From the hash's high half: each worker's flow table places flows by the low bits, and a
// worker given only hashes ≡ i (mod workers) would use one bucket in `workers` (with two
// workers, every odd bucket empty and linear probing runs twice as long).
inline size_t WorkerOfHash(uint64_t hash, size_t workers) {
  return static_cast<size_t>(((hash >> 32) * workers) >> 32);
}

inline size_t WorkerOf(const decode::PacketMeta& m, size_t workers) {
  bool src_is_lo = false;
  return WorkerOfHash(flow::FlowKey::FromPacket(m, src_is_lo).Hash(), workers);
}

// The packets of worker `index` of `workers`, for that worker's decoder in a file fanout.
class FlowShare final : public decode::PacketOwnership {
 public:
  FlowShare(size_t index, size_t workers) : index_(index), workers_(workers) {}
  bool Owns(const decode::PacketMeta& m) const override { return WorkerOf(m, workers_) == index_; }

 private:
  size_t index_;
  size_t workers_;
};

// For the lane that indexes a chunk of the capture file: which worker each record belongs to, so
// the other workers never touch it. It decodes a frame as far as its flow's ports (never the
// checksum) and answers kEveryLane for what every worker's own decoder must see: IP fragments
// (each worker reassembles them all, then keeps its datagrams) and frames that do not decode
// (the capture thread's decoder counts the drop). Those are rare on storage traffic.
class FlowSplitter final : public capture::RecordSplitter, private decode::PacketOwnership {
 public:
  FlowSplitter(size_t workers, decode::LinkType link, const decode::DecoderLimits& limits)
      : workers_(workers), link_(link), decoder_(Probe(limits), drops_, drops_, *this) {}

  Verdict LaneOf(ByteView frame, uint32_t wire_length) override {
    decode::PacketMeta meta;
    checksum_ = decode::FrameHint::Checksum::kUnknown;
    // Packet time does not matter here: nothing this decoder holds is ever used.
    decode::DecodeStatus st = decoder_.Decode(link_, frame, wire_length, 0, meta);
    Verdict v;
    if (st == decode::DecodeStatus::kNotOwned && !meta.reassembled_fragment) {
      decode::FrameHint hint;
      hint.owned = true;
      hint.checksum = checksum_;
      v.lane = owner_;
      v.hint = hint.ToByte();
    }
    return v;
  }

 private:
  // Records the owner and declines, so decoding stops at the ports.
  bool Owns(const decode::PacketMeta& m) const override {
    owner_ = static_cast<uint16_t>(WorkerOf(m, workers_));
    return false;
  }
  // The owner's decoder takes the checksum's verdict from here, where the bytes are in cache.
  bool ClassifiesChecksums() const override { return true; }
  void NoteChecksum(decode::TcpChecksumVerdict v, bool verifiable) const override {
    using C = decode::FrameHint::Checksum;
    checksum_ = !verifiable                                ? C::kUnverifiable
                : v == decode::TcpChecksumVerdict::kGood     ? C::kGood
                : v == decode::TcpChecksumVerdict::kUnfilled ? C::kUnfilled
                                                             : C::kBad;
  }
  // Fragments only need recognising: a small table (the workers' decoders reassemble them).
  static decode::DecoderLimits Probe(decode::DecoderLimits limits) {
    limits.max_fragment_datagrams = 1;
    limits.max_fragment_bytes = 64 << 10;
    return limits;
  }

  size_t workers_;
  decode::LinkType link_;
  mutable uint16_t owner_ = kEveryLane;
  mutable decode::FrameHint::Checksum checksum_ = decode::FrameHint::Checksum::kUnknown;
  decode::DropCounters drops_;  // of frames the workers' decoders count themselves
  decode::Decoder decoder_;
};

}  // namespace bw::pipeline
