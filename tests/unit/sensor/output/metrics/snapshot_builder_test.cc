#include "sensor/output/metrics/snapshot_builder.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>

namespace bw::metrics {
namespace {

TEST(SnapshotBuilder, SumsWorkersAndKeepsPerWorkerPackets) {
  flow::FlowTableCounters f0, f1;
  f0.created = 3;
  f0.active = 2;
  f1.created = 4;
  f1.active = 1;
  f1.evicted = 1;
  reassembly::ReassemblyContext r0, r1;
  r0.counters.gaps = 2;
  r1.counters.gaps = 3;
  r1.counters.global_cap_hits = 1;
  r0.counters.segment_cap_hits = 4;
  ASSERT_TRUE(r1.memory.TryCharge(100));
  app::AppCounters a0, a1;
  a0.http.requests = 5;
  a1.http.requests = 6;
  a1.http.Count(http::HttpError::kBadChunkSize);
  StorageRequestCounters s0, s1;
  storage::StorageEvent e;
  e.operation = storage::Operation::kListObjectsV2;
  e.outcome = storage::Outcome::kSuccess;
  e.response_bytes = 42;
  s0.Count(e);
  s1.Count(e);

  SensorSnapshot s;
  AddWorker(s, {0, 10, 1000, &f0, &r0, &a0, &s0});
  AddWorker(s, {1, 20, 2000, &f1, &r1, &a1, &s1});
  ASSERT_EQ(s.workers.size(), 2u);
  EXPECT_EQ(s.workers[1].packets, 20u);
  EXPECT_EQ(s.workers[1].bytes, 2000u);
  EXPECT_EQ(s.flows.created, 7u);
  EXPECT_EQ(s.flows.active, 3u);
  EXPECT_EQ(s.flows.evicted, 1u);
  EXPECT_EQ(s.reassembly.gaps, 5u);
  EXPECT_EQ(s.reassembly.global_cap_hits, 1u);
  EXPECT_EQ(s.reassembly.segment_cap_hits, 4u);
  EXPECT_EQ(s.reassembly.bytes_buffered, 100u);
  EXPECT_EQ(s.http.requests, 11u);
  EXPECT_EQ(s.http.errors[static_cast<size_t>(http::HttpError::kBadChunkSize)], 1u);
  ASSERT_EQ(s.storage.requests.size(), 1u);
  EXPECT_EQ(s.storage.requests.begin()->second, 2u);
  EXPECT_EQ(s.storage.requests.begin()->first.operation,
            OperationIndex(storage::Operation::kListObjectsV2));
  EXPECT_EQ(s.storage.anonymous_bytes_served[0], 84u);
  r1.memory.Release(100);
}

// What the run report prints besides /metrics: sums, and the maxima that must not be summed.
TEST(SnapshotBuilder, SumsWhatTheRunReportPrints) {
  flow::FlowTableCounters f0, f1;
  f0.memory_high_water = 1000;
  f1.memory_high_water = 500;
  reassembly::ReassemblyContext r0, r1;
  r0.counters.out_of_window = 1;
  r1.counters.out_of_window = 2;
  r1.counters.truncated_segments = 3;
  ASSERT_TRUE(r0.memory.TryCharge(300));
  ASSERT_TRUE(r1.memory.TryCharge(200));
  app::AppCounters a0, a1;
  a0.http_flows = 2;
  a1.http_flows = 3;
  a1.tls_flows = 4;
  a0.other_flows = 1;
  a1.tls_client_hellos = 4;
  a0.storage_events = 5;
  a1.non_storage_http = 6;
  a0.http.no_response = 1;
  a1.http.truncated = 2;
  a0.http.tunnels = 1;
  a1.http.gave_up = 1;
  a0.http.pipelined_max_depth = 3;
  a1.http.pipelined_max_depth = 7;
  const std::map<std::string, uint64_t> p0{{"HTTP", 2}, {"TLS.AmazonAWS", 1}};
  const std::map<std::string, uint64_t> p1{{"HTTP", 3}};

  SensorSnapshot s;
  AddWorker(s, {0, 10, 1000, &f0, &r0, &a0, nullptr, 8, 1, 1, &p0});
  AddWorker(s, {1, 20, 2000, &f1, &r1, &a1, nullptr, 15, 4, 1, &p1});
  EXPECT_EQ(s.packets.processed, 30u);
  EXPECT_EQ(s.packets.tcp, 23u);
  EXPECT_EQ(s.packets.udp, 5u);
  EXPECT_EQ(s.packets.other, 2u);
  EXPECT_EQ(s.flows.memory_high_water_bytes, 1500u);  // each worker's most, summed
  EXPECT_EQ(s.reassembly.out_of_window, 3u);
  EXPECT_EQ(s.reassembly.truncated_segments, 3u);
  EXPECT_EQ(s.reassembly.buffered_high_water, 300u);  // the most of one worker
  EXPECT_EQ(s.app.http_flows, 5u);
  EXPECT_EQ(s.app.tls_flows, 4u);
  EXPECT_EQ(s.app.other_flows, 1u);
  EXPECT_EQ(s.app.tls_client_hellos, 4u);
  EXPECT_EQ(s.app.storage_events, 5u);
  EXPECT_EQ(s.app.non_storage_http, 6u);
  EXPECT_EQ(s.http.no_response, 1u);
  EXPECT_EQ(s.http.truncated, 2u);
  EXPECT_EQ(s.http.tunnels, 1u);
  EXPECT_EQ(s.http.gave_up, 1u);
  EXPECT_EQ(s.http.pipelined_max_depth, 7u);  // the deepest, not a sum
  EXPECT_EQ(s.protocols, (std::map<std::string, uint64_t>{{"HTTP", 5}, {"TLS.AmazonAWS", 1}}));
  r0.memory.Release(300);
  r1.memory.Release(200);
}

// A running worker's protocol map is not shared: a view without it adds no protocol.
TEST(SnapshotBuilder, ProtocolsOnlyWhenGiven) {
  SensorSnapshot s;
  AddWorker(s, {0, 1, 1, nullptr, nullptr, nullptr, nullptr});
  EXPECT_TRUE(s.protocols.empty());
}

TEST(SnapshotBuilder, TcpChecksumsAddUp) {
  decode::TcpChecksumPolicy verify(decode::TcpChecksumMode::kVerify);
  EXPECT_TRUE(verify.Accept(decode::TcpChecksumVerdict::kGood));
  EXPECT_FALSE(verify.Accept(decode::TcpChecksumVerdict::kBad));
  verify.NoteUnverifiable();
  decode::TcpChecksumPolicy automatic(decode::TcpChecksumMode::kAuto);
  for (uint32_t i = 0; i < 7; ++i) {
    EXPECT_TRUE(automatic.Accept(decode::TcpChecksumVerdict::kBad));
    EXPECT_TRUE(automatic.Accept(decode::TcpChecksumVerdict::kUnfilled));
  }
  SensorSnapshot s;
  AddTcpChecksum(s, verify);
  AddTcpChecksum(s, automatic);
  AddTcpChecksum(s, verify);
  EXPECT_EQ(s.decode.tcp_checksum.good, 2u);
  EXPECT_EQ(s.decode.tcp_checksum.rejected, 2u);
  EXPECT_EQ(s.decode.tcp_checksum.bad, 9u);
  EXPECT_EQ(s.decode.tcp_checksum.unfilled, 7u);
  EXPECT_EQ(s.decode.tcp_checksum.unverifiable, 2u);
}

TEST(SnapshotBuilder, SharedStorageCountersAddToTheWorkers) {
  StorageRequestCounters shared;
  storage::StorageEvent e;
  e.operation = storage::Operation::kGetBlob;
  e.provider = storage::Provider::kAzureBlob;
  e.outcome = storage::Outcome::kSuccess;
  e.response_bytes = 10;
  shared.Count(e);
  shared.Count(e);
  SensorSnapshot s;
  AddWorker(s, {0, 1, 1, nullptr, nullptr, nullptr, &shared});
  AddStorage(s, shared);
  ASSERT_EQ(s.workers.size(), 1u);  // AddStorage adds no worker
  ASSERT_EQ(s.storage.requests.size(), 1u);
  EXPECT_EQ(s.storage.requests.begin()->second, 4u);
  EXPECT_EQ(s.storage.anonymous_bytes_served[1], 40u);
}

TEST(SnapshotBuilder, NullCounterViewsAreSkipped) {
  SensorSnapshot s;
  AddWorker(s, {3, 1, 2, nullptr, nullptr, nullptr, nullptr});
  ASSERT_EQ(s.workers.size(), 1u);
  EXPECT_EQ(s.workers[0].id, 3);
  EXPECT_EQ(s.flows.created, 0u);
}

TEST(SnapshotBuilder, DecodeDrops) {
  decode::DropCounters d;
  d.Count(decode::DropReason::kNotIp);
  d.Count(decode::DropReason::kNotIp);
  SensorSnapshot s;
  AddDecodeDrops(s, d);
  AddDecodeDrops(s, d);
  EXPECT_EQ(s.decode.drops[static_cast<size_t>(decode::DropReason::kNotIp)], 4u);
}

TEST(SnapshotBuilder, AlertsFoldUnknownRulesAndSeverities) {
  SensorSnapshot s;
  AddAlerts(s, "bulk_exfiltration", "critical", 1);
  AddAlerts(s, "bulk_exfiltration", "critical", 3);
  AddAlerts(s, "client-10.0.0.1", "high", 1);
  AddAlerts(s, "another-unknown", "high", 1);
  AddAlerts(s, "anonymous_list", "SEVERE", 1);
  AddAlerts(s, "anonymous_read", "low", 0);  // a zero still creates the series
  ASSERT_EQ(s.alerts.size(), 4u);
  EXPECT_EQ(s.alerts[0].rule, "bulk_exfiltration");
  EXPECT_EQ(s.alerts[0].raised, 4u);
  EXPECT_EQ(s.alerts[1].rule, "other");
  EXPECT_EQ(s.alerts[1].raised, 2u);
  EXPECT_EQ(s.alerts[2].severity, "unknown");
  EXPECT_EQ(s.alerts[3].raised, 0u);
  AddSuppressed(s, "bulk_exfiltration", 2);
  AddSuppressed(s, "bulk_exfiltration", 4);
  AddSuppressed(s, "10.1.2.3", 1);
  ASSERT_EQ(s.suppressed.size(), 2u);
  EXPECT_EQ(s.suppressed[0].count, 6u);
  EXPECT_EQ(s.suppressed[1].rule, "other");
}

TEST(SnapshotBuilder, ParsesProcStatus) {
  ProcessSnapshot p;
  ParseProcStatus("Name:\tbucketwatch\nVmSize:\t  204800 kB\nVmRSS:\t   10240 kB\nThreads:\t5\n",
                  p);
  EXPECT_EQ(p.virtual_bytes, 204800u * 1024);
  EXPECT_EQ(p.resident_bytes, 10240u * 1024);
  EXPECT_EQ(p.threads, 5u);
  ProcessSnapshot bad;
  ParseProcStatus("VmRSS:\tlots\nno colon here\n:\n", bad);
  EXPECT_EQ(bad.resident_bytes, 0u);
}

TEST(SnapshotBuilder, ReadsThisProcess) {
  ProcessSnapshot p = ReadProcessSnapshot();
  EXPECT_GT(p.resident_bytes, 1u << 20);
  EXPECT_GE(p.virtual_bytes, p.resident_bytes);
  EXPECT_GE(p.threads, 1u);
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(p.start_time_seconds, now + 1);
  EXPECT_GT(p.start_time_seconds, now - 3600);
}

TEST(CaptureStatus, TracksStateAndTimes) {
  CaptureStatus h;
  CaptureSnapshot c;
  h.Fill(c);
  EXPECT_EQ(c.state, CaptureState::kStarting);
  EXPECT_EQ(c.heartbeat_steady_ns, 0);
  // Every stamp comes from the coarse clock (it may trail SteadyNowNs by a tick).
  int64_t before = CoarseSteadyNowNs();
  h.Start();
  h.Fill(c);
  EXPECT_EQ(c.state, CaptureState::kRunning);
  EXPECT_GE(c.heartbeat_steady_ns, before);
  EXPECT_GE(c.started_steady_ns, before);
  EXPECT_EQ(c.last_packet_steady_ns, 0);
  int64_t coarse_before = CoarseSteadyNowNs();
  EXPECT_LE(coarse_before, SteadyNowNs());
  h.Packet(60);
  h.Packet(1500);
  h.SetKernelStats(7, 2);
  h.Fill(c);
  EXPECT_GE(c.last_packet_steady_ns, coarse_before);
  EXPECT_EQ(c.packets, 2u);
  EXPECT_EQ(c.bytes, 1560u);
  EXPECT_EQ(c.kernel_drops, 7u);
  EXPECT_EQ(c.interface_drops, 2u);
  h.Fail(std::string(500, 'x'));  // longer than the buffer: truncated, not overflowed
  h.Fill(c);
  EXPECT_EQ(c.state, CaptureState::kFailed);
  EXPECT_EQ(c.error, std::string(159, 'x'));
  CaptureStatus done;
  done.Start();
  done.Finish();
  done.Fill(c);
  EXPECT_EQ(c.state, CaptureState::kFinished);
}

TEST(CaptureStatus, ReadableWhileWritten) {
  CaptureStatus h;
  h.Start();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load()) h.Packet(60);
  });
  int64_t last = 0;
  for (int i = 0; i < 10000; ++i) {
    CaptureSnapshot c;
    h.Fill(c);
    EXPECT_GE(c.heartbeat_steady_ns, last);  // monotonic as seen by the reader
    last = c.heartbeat_steady_ns;
  }
  stop = true;
  writer.join();
}

}  // namespace
}  // namespace bw::metrics
