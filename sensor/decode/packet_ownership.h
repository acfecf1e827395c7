#pragma once
// Which packets a decoder keeps when several threads each read the whole capture (file fanout):
// a packet of a flow another thread owns is skipped as soon as its ports are known, before its
// TCP checksum, the one per-byte step of decoding, is verified.

#include "sensor/decode/packet_meta.h"

namespace bw::decode {

// Guarantees: Owns() is called at most once per packet, with the addresses, protocol and
// ports of the innermost IP packet filled in; it must answer the same for both directions.
class PacketOwnership {
 public:
  virtual ~PacketOwnership() = default;
  virtual bool Owns(const PacketMeta& m) const = 0;
};

}  // namespace bw::decode
