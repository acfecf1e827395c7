#pragma once
// Test helper: a StreamSink that rebuilds each direction as runs of data and gaps, so tests can
// compare the delivered stream byte for byte with the original.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sensor/reassembly/stream_sink.h"

namespace bw::reassembly::testing {

struct Run {
  uint64_t offset = 0;
  bool gap = false;
  uint64_t length = 0;
  std::vector<uint8_t> bytes;  // data runs only
};

struct DirectionLog {
  std::vector<Run> runs;  // one per OnData / OnGap call, in order
  uint64_t position = 0;  // bytes delivered + gap bytes
  int ends = 0;
  bool event_after_end = false;
  std::vector<const uint8_t*> data_pointers;  // to prove zero copy

  uint64_t DataBytes() const {
    uint64_t n = 0;
    for (const auto& r : runs) n += r.gap ? 0 : r.length;
    return n;
  }
  uint64_t GapBytes() const {
    uint64_t n = 0;
    for (const auto& r : runs) n += r.gap ? r.length : 0;
    return n;
  }
  size_t GapEvents() const {
    size_t n = 0;
    for (const auto& r : runs) n += r.gap ? 1 : 0;
    return n;
  }
  std::vector<uint8_t> Joined() const {
    std::vector<uint8_t> out;
    for (const auto& r : runs) out.insert(out.end(), r.bytes.begin(), r.bytes.end());
    return out;
  }
  // Every delivered byte equals the original at its offset.
  ::testing::AssertionResult MatchesAtOffsets(const std::vector<uint8_t>& original) const {
    for (const auto& r : runs) {
      if (r.gap) continue;
      if (r.offset + r.length > original.size()) {
        return ::testing::AssertionFailure() << "run at " << r.offset << " runs past the end";
      }
      for (uint64_t i = 0; i < r.length; ++i) {
        if (r.bytes[i] != original[r.offset + i]) {
          return ::testing::AssertionFailure() << "byte " << r.offset + i << " differs";
        }
      }
    }
    return ::testing::AssertionSuccess();
  }
};

class RecordingSink : public StreamSink {
 public:
  void OnData(Direction dir, ByteView data, TimestampNs ts) override {
    DirectionLog& d = log[Index(dir)];
    if (d.ends > 0) d.event_after_end = true;
    EXPECT_FALSE(data.empty());
    d.runs.push_back({d.position, false, data.size(), {data.begin(), data.end()}});
    d.data_pointers.push_back(data.data());
    d.position += data.size();
    last_ts = ts;
  }
  void OnGap(Direction dir, uint64_t length, TimestampNs ts) override {
    DirectionLog& d = log[Index(dir)];
    if (d.ends > 0) d.event_after_end = true;
    EXPECT_GT(length, 0u);
    // Adjacent gaps are merged by the reassembler within one call.
    d.runs.push_back({d.position, true, length, {}});
    d.position += length;
    last_ts = ts;
  }
  void OnEnd(Direction dir, TimestampNs ts) override {
    ++log[Index(dir)].ends;
    last_ts = ts;
  }

  DirectionLog& operator[](Direction d) { return log[Index(d)]; }
  DirectionLog log[2];
  TimestampNs last_ts = 0;
};

}  // namespace bw::reassembly::testing
