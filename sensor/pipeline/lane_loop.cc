// A file lane's loop (file fanout): a worker reading its own share of the capture file on its
// own thread, keeping its clock from the records it reads and those it passes over.

#include <algorithm>

#include "sensor/pipeline/file_lane.h"
#include "sensor/pipeline/sensor.h"

namespace bw::pipeline {

void Sensor::LaneLoop(size_t index) {
  Lane& lane = *lanes_[index];
  Worker& worker = *workers_[index + 1];
  capture::RawPacket raw;
  decode::PacketMeta meta;
  TimestampNs last_tick = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    // The end, or an error the capture thread meets at the same record and reports.
    if (lane.source->Next(raw) != capture::NextStatus::kPacket) break;
    // Ticked by the times of its own packets and of the chunks it passed over, so its clock
    // keeps up with the file's as the capture thread's does (TickAll): between two of its own
    // packets nothing reaches its flows, so what expires at the next tick expires as it would
    // there, only noticed later.
    worker.AdvanceClock(std::max(raw.ts, raw.passed_latest));
    const TimestampNs now = worker.clock();
    if (now - last_tick >= kTickInterval) {
      lane.decoder.ExpireFragments(now);
      worker.Tick(now);
      last_tick = now;
    }
    if (lane.decoder.Decode(raw.link_type, raw.data, raw.wire_length, raw.ts, meta,
                            decode::FrameHint::FromByte(raw.hint)) != decode::DecodeStatus::kOk) {
      continue;
    }
    worker.Process(meta);
  }
  lane.source->StopReading();  // stopped early: the other lanes must not wait for this one
  // Nothing more comes before the drain at the end, which is stamped with the latest time.
  output_->queue(index + 1).Advance(OutputQueue::kForever);
}

}  // namespace bw::pipeline
