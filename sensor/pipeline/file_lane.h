#pragma once
// Sensor::Lane, private to the sensor's own files (sensor.cc builds lanes, lane_loop.cc runs
// them, snapshot.cc reads their counters). With file fanout, worker i > 0 reads the capture file
// itself through lane i - 1, which holds what that thread writes while it runs: its reader, its
// decoder and the decoder's drop counters.

#include <memory>

#include "sensor/pipeline/sensor.h"

namespace bw::pipeline {

// File fanout: worker `index` reads its share of the capture on its own thread.
struct Sensor::Lane {
  Lane(size_t index, size_t workers, const decode::DecoderLimits& limits, decode::LinkType link)
      : share(index, workers),
        decoder(limits, drops, discarded, share),
        splitter(workers, link, limits) {}
  FlowShare share;
  decode::DropCounters drops;      // its own: the checksums it rejected
  decode::DropCounters discarded;  // what every lane sees alike, counted by the capture thread
  decode::Decoder decoder;
  FlowSplitter splitter;  // for the chunks of the file this lane reads first
  std::unique_ptr<capture::PacketSource> source;
};

}  // namespace bw::pipeline
