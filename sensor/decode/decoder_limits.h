#pragma once
// Bounds on the decoder's only stateful part, IP fragment reassembly. Every limit is finite; what
// happens at the cap is explicit (evict the oldest datagram, counted) so a flood of fragments can
// neither grow memory nor stall the worker.

#include <cstddef>

#include "dissectors/common/timestamp.h"
#include "sensor/decode/tcp_checksum.h"

namespace bw::decode {

struct DecoderLimits {
  size_t max_fragment_datagrams = 4096;  // datagrams under reassembly per decoder
  size_t max_fragment_bytes = 8 << 20;   // bytes held by fragment reassembly per decoder
  TimestampNs fragment_timeout = 30 * kNsPerSecond;
  // What a wrong TCP checksum means; see tcp_checksum.h.
  TcpChecksumMode tcp_checksum = TcpChecksumMode::kAuto;
};

}  // namespace bw::decode
