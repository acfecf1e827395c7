#pragma once
// What TCP reassembly hands to the application layer: in-order byte spans per direction, holes
// as explicit gap events with their length (never stitched over), and the end of each direction.

#include <cstdint>

#include "dissectors/common/bytes.h"
#include "dissectors/common/direction.h"
#include "dissectors/common/timestamp.h"

namespace bw::reassembly {

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // `data` is valid only during the call.
  virtual void OnData(Direction dir, ByteView data, TimestampNs ts) = 0;
  // `length` bytes of this direction are lost for good and will not be delivered.
  virtual void OnGap(Direction dir, uint64_t length, TimestampNs ts) = 0;
  // No more bytes will come in this direction (FIN reached in order, RST, or flow end).
  virtual void OnEnd(Direction dir, TimestampNs ts) = 0;
};

}  // namespace bw::reassembly
