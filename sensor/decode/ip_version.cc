// Raw IP links and ERSPAN III IP frames carry IPv4 or IPv6 with nothing but the version nibble
// to tell them apart.

#include "sensor/decode/layers.h"

namespace bw::decode::internal {

Step DecodeIpAnyVersion(Cursor& c, PacketMeta& m) {
  uint8_t first = 0;
  if (!LoadU8(c.data, 0, first)) return Drop(DropReason::kTruncatedIpv4);
  switch (first >> 4) {
    case 4:
      c.layer = Layer::kIpv4;
      return Next();
    case 6:
      c.layer = Layer::kIpv6;
      return Next();
    default:
      return Drop(DropReason::kNotIp);
  }
}

}  // namespace bw::decode::internal
