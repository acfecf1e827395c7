// A threaded worker's loop (live capture or a pipe, several workers): drains its ring of packets,
// ticks and clock records from the capture thread.

#include "sensor/pipeline/sensor.h"

namespace bw::pipeline {

void Sensor::WorkerLoop(size_t index) {
  Worker& worker = *workers_[first_threaded_ + index];
  PacketRing& ring = *rings_[index];
  PacketRing::Record rec;
  for (;;) {
    int n = 0;
    while (ring.TryPop(rec)) {
      if (rec.kind == RecordKind::kPacket) {
        worker.Process(rec.meta);
      } else if (rec.kind == RecordKind::kTick) {
        worker.Tick(rec.tick);
      } else if (rec.kind == RecordKind::kClock) {
        worker.AdvanceClock(rec.tick);
      }
      if (++n == kPublishBatch) {
        ring.Release();
        n = 0;
      }
    }
    ring.Release();
    if (ring.closed() && ring.empty()) break;
    ring.WaitForData();
  }
  // Nothing more comes before the drain at the end, which is stamped with the latest time.
  output_->queue(first_threaded_ + index).Advance(OutputQueue::kForever);
}

}  // namespace bw::pipeline
