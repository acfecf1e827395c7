// The capture thread's loop: reads the input, keeps packet time, ticks and clocks the workers,
// and hands each decoded packet to its worker, on this thread or through the worker's ring.

#include <spdlog/spdlog.h>

#include <chrono>

#include "sensor/pipeline/sensor.h"

namespace bw::pipeline {

namespace {

// How often, in steady time, the capture thread hands its clock to the threaded workers while
// packets flow: an idle worker's watermark lags the busy ones by about this much, and the output
// stage holds records back until every watermark passed them, so it adds to alert latency.
constexpr int64_t kClockIntervalNs = 2'000'000;

TimestampNs WallClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool Sensor::CaptureLoop() {
  const decode::LinkType link = source_->link_type();
  const bool live = source_->live();
  if (live) {
    spdlog::info("capturing on {} (link type {}, snaplen {}, {} worker{})", source_->description(),
                 static_cast<int>(link), options_.capture.snaplen, workers_.size(),
                 workers_.size() == 1 ? "" : "s");
  }
  capture::RawPacket raw;
  decode::PacketMeta meta;
  bool failed = false;
  capture_status_.Start();
  while (!stop_.load(std::memory_order_relaxed)) {
    if (reload_.load(std::memory_order_relaxed)) Reload();
    capture::NextStatus st = source_->Next(raw);
    if (raw.passed > 0) {
      // File fanout: frames the other workers took (they count nothing of the capture).
      packets_ += raw.passed;
      bytes_ += raw.passed_wire_bytes;
      capture_status_.Packet(raw.passed_wire_bytes, raw.passed);
    }
    // Also when nothing was passed over: the chunk this lane left may have held only its own
    // records, and the reader's hook has already promised the output stage its latest time.
    if (raw.passed_latest > last_ts_) last_ts_ = raw.passed_latest;
    if (st == capture::NextStatus::kPacket) {
      ++packets_;
      bytes_ += raw.wire_length;
      if ((++frames_read_ & 1023) == 0) memory_budget_.Poll();
      capture_status_.Packet(raw.wire_length);
      if (first_ts_ == 0) first_ts_ = raw.ts;
      // Packet time never runs backwards for the workers, whatever the capture's order.
      if (raw.ts > last_ts_) last_ts_ = raw.ts;
      // Before processing, as a lane does: what this packet makes is stamped at or after the
      // watermark, and a frame that fails to decode still moves the clock.
      for (size_t i = 0; i < first_threaded_; ++i) workers_[i]->AdvanceClock(last_ts_);
      if (last_ts_ - last_tick_ >= kTickInterval) {
        TickAll(last_ts_);
        last_tick_ = last_ts_;
      }
      auto status = decoder_->Decode(raw.link_type, raw.data, raw.wire_length, raw.ts, meta,
                                     decode::FrameHint::FromByte(raw.hint));
      if (status != decode::DecodeStatus::kOk) continue;
      meta.wire_length = raw.wire_length;
      if (rings_.empty()) {
        ProcessInline(meta);
      } else {
        Dispatch(meta);
      }
      if (!rings_.empty() && metrics::CoarseSteadyNowNs() - last_clock_ns_ >= kClockIntervalNs) {
        ClockAll(last_ts_);
      }
    } else if (st == capture::NextStatus::kTimeout) {
      capture_status_.Beat();
      memory_budget_.Poll();
      for (auto& r : rings_) r->Publish(true);
      // Idle live link: wall-clock time still passes for timeouts.
      TimestampNs now = WallClockNs();
      if (now - last_tick_ >= kTickInterval) {
        TickAll(now);
        capture::KernelStats ks;
        if (source_->Stats(ks)) capture_status_.SetKernelStats(ks.kernel_drops, ks.interface_drops);
        const capture::LinkEvents& le = source_->link_events();
        capture_status_.SetLinkEvents(le.interface_down, le.resumed, le.reopens,
                                      le.reopen_failures);
        last_tick_ = now;
        if (now > last_ts_) last_ts_ = now;
      }
      ClockAll(last_ts_);
    } else if (st == capture::NextStatus::kEnd) {
      // A stop cancels a read waiting on a pipe, which then ends early: not the input's end.
      input_ended_ = !source_->broken();
      break;
    } else {
      capture_error_ = source_->error();
      failed = true;
      break;
    }
  }
  if (live && source_->Stats(kernel_stats_)) {
    capture_status_.SetKernelStats(kernel_stats_.kernel_drops, kernel_stats_.interface_drops);
  }
  // The last link events: the loop passes them on only at idle ticks, and a scrape during the
  // drain or the report must not see older ones than --stats-json prints.
  const capture::LinkEvents& events = source_->link_events();
  capture_status_.SetLinkEvents(events.interface_down, events.resumed, events.reopens,
                                events.reopen_failures);
  return !failed;
}

void Sensor::ProcessInline(const decode::PacketMeta& meta) { workers_[0]->Process(meta); }

void Sensor::Dispatch(const decode::PacketMeta& meta) {
  size_t index = WorkerOf(meta, workers_.size());
  if (index < first_threaded_) {
    workers_[index]->Process(meta);
    return;
  }
  PacketRing& ring = *rings_[index - first_threaded_];
  while (!ring.TryPushPacket(meta)) {
    // The worker is behind: make what we pushed visible and wait for room. Live, the kernel
    // buffer absorbs the stall (and counts drops); offline, nothing is lost. The others get the
    // clock first: this worker may be waiting on the output stage, which may be waiting for
    // their watermarks.
    ClockAll(last_ts_);
    ring.Publish(true);
    ++ring_waits_;
    ring.WaitForRoom();
  }
  if (ring.unpublished() >= kPublishBatch) ring.Publish();
}

void Sensor::ClockAll(TimestampNs now) {
  for (size_t i = 0; i < first_threaded_; ++i) workers_[i]->AdvanceClock(now);
  ClockRings(now);
}

void Sensor::ClockRings(TimestampNs now) {
  last_clock_ns_ = metrics::CoarseSteadyNowNs();
  for (auto& ring : rings_) {
    // A full ring's worker has packets to move its clock with.
    if (ring->TryPushTick(now, RecordKind::kClock)) ring->Publish(true);
  }
}

void Sensor::TickAll(TimestampNs now) {
  decoder_->ExpireFragments(now);
  for (size_t i = 0; i < first_threaded_; ++i) workers_[i]->Tick(now);
  for (auto& ring : rings_) {
    while (!ring->TryPushTick(now)) {
      ring->Publish(true);
      ring->WaitForRoom();
    }
    ring->Publish(true);
  }
}

}  // namespace bw::pipeline
