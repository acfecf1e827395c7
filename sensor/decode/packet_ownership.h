#pragma once
// Which packets a decoder keeps when several threads share a capture (file fanout): a packet of a
// flow another thread owns is skipped as soon as its ports are known, before its TCP checksum,
// the one per-byte step of decoding, is verified. And what one thread's decoder learnt about a
// frame that it hands to the owner (FrameHint).

#include <cstdint>

#include "sensor/decode/packet_meta.h"
#include "sensor/decode/tcp_checksum.h"

namespace bw::decode {

// What the decoder that indexed a frame for the others already found out (file fanout), so the
// owner does not repeat it: that the frame is this decoder's, and the TCP checksum's verdict,
// computed while the frame's bytes were still in that decoder's cache. Fits in a byte.
struct FrameHint {
  enum class Checksum : uint8_t { kUnknown, kGood, kUnfilled, kBad, kUnverifiable };
  bool owned = false;
  Checksum checksum = Checksum::kUnknown;

  // A verdict as the hint carries it; `verifiable` false: the snaplen cut the segment.
  static Checksum FromVerdict(TcpChecksumVerdict v, bool verifiable) {
    if (!verifiable) return Checksum::kUnverifiable;
    return v == TcpChecksumVerdict::kGood       ? Checksum::kGood
           : v == TcpChecksumVerdict::kUnfilled ? Checksum::kUnfilled
                                                : Checksum::kBad;
  }
  // The verdict the hint carries; false when it carries none (kUnknown, kUnverifiable).
  bool Verdict(TcpChecksumVerdict& out) const {
    switch (checksum) {
      case Checksum::kGood:
        out = TcpChecksumVerdict::kGood;
        return true;
      case Checksum::kUnfilled:
        out = TcpChecksumVerdict::kUnfilled;
        return true;
      case Checksum::kBad:
        out = TcpChecksumVerdict::kBad;
        return true;
      case Checksum::kUnknown:
      case Checksum::kUnverifiable:
        break;
    }
    return false;
  }

  uint8_t ToByte() const {
    return static_cast<uint8_t>((owned ? 1 : 0) | static_cast<uint8_t>(checksum) << 1);
  }
  static FrameHint FromByte(uint8_t b) {
    FrameHint h;
    h.owned = (b & 1) != 0;
    const uint8_t c = b >> 1;
    h.checksum = c <= static_cast<uint8_t>(Checksum::kUnverifiable) ? static_cast<Checksum>(c)
                                                                    : Checksum::kUnknown;
    return h;
  }
};

// Guarantees: Owns() is called at most once per packet, with the addresses, protocol and
// ports of the innermost IP packet filled in; it must answer the same for both directions.
class PacketOwnership {
 public:
  virtual ~PacketOwnership() = default;
  virtual bool Owns(const PacketMeta& m) const = 0;
  // For a TCP segment Owns() declined: whether the decoder should still classify its checksum
  // and report it (NoteChecksum), for the owner (see FrameHint). Unless the mode is kIgnore.
  virtual bool ClassifiesChecksums() const { return false; }
  virtual void NoteChecksum(FrameHint::Checksum /*checksum*/) const {}
};

}  // namespace bw::decode
