#pragma once
// Which worker owns a packet: by the symmetric flow hash, so both directions of a connection land
// on one worker. The dispatcher (one reader handing packets to workers) and the file fanout (each
// worker reading its own share of the file) use this one rule, so a capture is split the same
// way whichever runs.

#include <cstddef>
#include <cstdint>

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

}  // namespace bw::pipeline
