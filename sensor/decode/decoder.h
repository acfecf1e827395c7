#pragma once
// Layer 2..4 decoder of one worker thread. Guarantees: every frame either decodes fully
// (kOk, with `PacketMeta` filled for the innermost IP packet), is held as an IP fragment (kHeld),
// or is dropped (kDropped) after incrementing exactly one `DropReason` counter. A frame that is
// kept although a header was off in a way Wireshark and Zeek tolerate (IPv4 total length 0 from
// segmentation offload) counts its `_kept` anomaly reason instead. TCP segments whose checksum a
// receiver would reject are dropped (tcp_bad_checksum) in kVerify mode and marked
// (PacketMeta::tcp_checksum) otherwise, as DecoderLimits says.
// Reads are bounds-checked, nesting is bounded (kMaxEncapsulationDepth, kMaxVlanTags,
// kMaxMplsLabels), nothing throws, and after warm-up no packet allocates: fragment buffers are
// pooled. Not thread-safe: one Decoder per worker.

#include <cstddef>
#include <cstdint>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"
#include "sensor/decode/decoder_limits.h"
#include "sensor/decode/drop_reason.h"
#include "sensor/decode/fragment_reassembler.h"
#include "sensor/decode/packet_meta.h"
#include "sensor/decode/packet_ownership.h"
#include "sensor/decode/tcp_checksum.h"

namespace bw::decode {

// kHeld: a fragment was stored. kNotOwned: decoded far enough to know its flow, which another
// thread's decoder owns (see PacketOwnership); nothing counted.
enum class DecodeStatus : uint8_t { kOk, kDropped, kHeld, kNotOwned };

// True for the pcap DLT values listed in LinkType.
bool IsSupportedLinkType(int dlt);

class Decoder {
 public:
  Decoder(const DecoderLimits& limits, DropCounters& drops);
  // One of several decoders reading the same packets, keeping those `owner` owns. What every
  // such decoder sees alike (header drops, fragment drops) is counted in `shared_drops`, which
  // one of them passes as its `own_drops` and the others discard; what depends on ownership
  // (rejected checksums) in `own_drops`. Summed over the decoders, each drop counts once.
  Decoder(const DecoderLimits& limits, DropCounters& own_drops, DropCounters& shared_drops,
          const PacketOwnership& owner);

  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one captured frame of `wire_length` bytes (frame.size() may be smaller: snaplen).
  // On kOk `out` is fully filled; views stay valid until the next Decode call.
  // `hint`: what the decoder that indexed the frame found out (file fanout); it must come from a
  // decoder with the same limits over the same bytes. A drop of a frame hinted `owned` counts in
  // this decoder's own drops, whatever the reason.
  DecodeStatus Decode(LinkType link, ByteView frame, uint32_t wire_length, TimestampNs ts,
                      PacketMeta& out, FrameHint hint = {});

  // Drops datagrams whose first fragment is older than the timeout (each counts
  // kFragmentTimeout). Decode also expires lazily whenever a fragment arrives.
  void ExpireFragments(TimestampNs now);

  // Datagrams completed by reassembly and handed on as one packet.
  uint64_t fragments_reassembled() const { return reassembler_.datagrams_reassembled(); }
  // Fragments accepted into a datagram (each kHeld result plus the completing ones).
  uint64_t fragments_stored() const { return reassembler_.fragments_stored(); }
  // Datagrams discarded because the table or the byte budget was full (kFragmentTableFull).
  uint64_t fragment_datagrams_evicted() const { return reassembler_.datagrams_evicted(); }
  // Datagrams discarded because they did not complete in time (kFragmentTimeout).
  uint64_t fragment_datagrams_expired() const { return reassembler_.datagrams_expired(); }
  size_t fragment_datagrams_held() const { return reassembler_.datagrams_held(); }
  size_t fragment_bytes_held() const { return reassembler_.bytes_held(); }
  // Frames kept despite an anomaly (the `_kept` reasons of drop_reason.h), each also counted
  // under its reason: the drop counters grow by one per kDropped frame plus this.
  uint64_t anomalies() const { return anomalies_; }
  // TCP checksum verdicts so far (good, unfilled, bad, rejected = kTcpBadChecksum drops,
  // unverifiable).
  const TcpChecksumPolicy& tcp_checksum() const { return checksum_; }

 private:
  DropCounters& drops_;         // drops only the owner of the packet sees
  DropCounters& shared_drops_;  // drops every decoder of the packet sees
  const PacketOwnership* owner_ = nullptr;
  FragmentReassembler reassembler_;
  TcpChecksumPolicy checksum_;
  uint64_t anomalies_ = 0;
};

}  // namespace bw::decode
