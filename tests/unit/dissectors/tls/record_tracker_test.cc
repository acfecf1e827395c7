#include "dissectors/tls/record_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/dissectors/tls/tls_test_util.h"

namespace bw::tls {
namespace {

using testing::Bytes;
using testing::Records;

ByteView View(const Bytes& b) { return {b.data(), b.size()}; }

std::string Describe(const TlsRecordTracker& t) {
  const TlsRecordCounts& c = t.counts();
  std::string s;
  for (uint64_t n : c.records_by_type) s += std::to_string(n) + ",";
  s += "|" + std::to_string(c.records) + "|" + std::to_string(c.application_data_records) + "|" +
       std::to_string(c.application_data_bytes) + "|" + std::to_string(c.bytes_fed) + "|" +
       std::to_string(c.bytes_after_sync_loss) + "|" + std::to_string(t.in_sync());
  return s;
}

// A whole TLS 1.2-style flight: handshake, change_cipher_spec, several application-data
// records of different sizes (one of full size) and a closing alert.
Bytes Flight() {
  Bytes s = Records(Bytes(300, 0x01), 16384, 22, 0x0301);
  auto add = [&](uint8_t type, size_t len) {
    Bytes r = Records(Bytes(len, static_cast<uint8_t>(len)), 16384, type, 0x0303);
    s.insert(s.end(), r.begin(), r.end());
  };
  add(20, 1);
  add(22, 40);
  add(23, 313);
  add(23, 16384);
  add(23, 1);
  add(24, 3);
  add(21, 2);
  return s;
}

TEST(TlsRecordTrackerTest, CountsByType) {
  Bytes s = Flight();
  TlsRecordTracker t;
  EXPECT_EQ(t.Feed(View(s)), 3u);
  const TlsRecordCounts& c = t.counts();
  EXPECT_TRUE(t.in_sync());
  EXPECT_EQ(c.records, 8u);
  EXPECT_EQ(c.count(ContentType::kHandshake), 2u);
  EXPECT_EQ(c.count(ContentType::kChangeCipherSpec), 1u);
  EXPECT_EQ(c.count(ContentType::kApplicationData), 3u);
  EXPECT_EQ(c.count(ContentType::kAlert), 1u);
  EXPECT_EQ(c.count(ContentType::kHeartbeat), 1u);
  EXPECT_EQ(c.application_data_records, 3u);
  EXPECT_EQ(c.application_data_bytes, 313u + 16384u + 1u);
  EXPECT_EQ(c.bytes_fed, s.size());
  EXPECT_EQ(c.bytes_after_sync_loss, 0u);
}

TEST(TlsRecordTrackerTest, ChunkInvariant) {
  Bytes s = Flight();
  TlsRecordTracker whole;
  size_t whole_started = whole.Feed(View(s));
  const std::string expected = Describe(whole);

  TlsRecordTracker bytewise;
  size_t started = 0;
  for (size_t i = 0; i < s.size(); ++i) started += bytewise.Feed(View(s).subspan(i, 1));
  EXPECT_EQ(Describe(bytewise), expected);
  EXPECT_EQ(started, whole_started);

  for (size_t split = 0; split <= s.size(); ++split) {
    TlsRecordTracker t;
    size_t n = t.Feed(View(s).first(split));
    n += t.Feed(View(s).subspan(split));
    ASSERT_EQ(Describe(t), expected) << "split at " << split;
    ASSERT_EQ(n, whole_started) << "split at " << split;
  }
}

TEST(TlsRecordTrackerTest, FeedReportsApplicationDataAsItStarts) {
  Bytes s = Flight();
  TlsRecordTracker t;
  // The handshake records report no application data; the first application-data header does.
  size_t hs_end = 5 + 300 + 5 + 1 + 5 + 40;
  EXPECT_EQ(t.Feed(View(s).first(hs_end)), 0u);
  EXPECT_EQ(t.Feed(View(s).subspan(hs_end, 4)), 0u);  // header not complete yet
  EXPECT_EQ(t.Feed(View(s).subspan(hs_end + 4, 1)), 1u);
}

TEST(TlsRecordTrackerTest, GapInsideBodyKeepsSync) {
  Bytes s = Flight();
  size_t big = 5 + 300 + 5 + 1 + 5 + 40 + 5 + 313;  // header of the 16384-byte record
  TlsRecordTracker t;
  t.Feed(View(s).first(big + 5 + 100));
  t.Gap(1000);  // lost inside the 16384-byte body
  t.Feed(View(s).subspan(big + 5 + 1100));
  TlsRecordTracker reference;
  reference.Feed(View(s));
  EXPECT_TRUE(t.in_sync());
  EXPECT_EQ(t.counts().records, reference.counts().records);
  EXPECT_EQ(t.counts().application_data_records, 3u);
  EXPECT_EQ(t.counts().gaps, 1u);
  EXPECT_EQ(t.counts().gaps_inside_record, 1u);
  EXPECT_EQ(t.counts().gap_bytes, 1000u);
}

TEST(TlsRecordTrackerTest, GapUpToTheEndOfABodyKeepsSync) {
  Bytes s = Flight();
  TlsRecordTracker t;
  t.Feed(View(s).first(5 + 10));
  t.Gap(290);  // the rest of the first record exactly
  t.Feed(View(s).subspan(5 + 300));
  EXPECT_TRUE(t.in_sync());
  EXPECT_EQ(t.counts().records, 8u);
}

TEST(TlsRecordTrackerTest, GapOverAHeaderLosesSync) {
  Bytes s = Flight();
  TlsRecordTracker t;
  t.Feed(View(s).first(5 + 290));
  t.Gap(20);  // runs past the end of the first record into the next header
  EXPECT_FALSE(t.in_sync());
  EXPECT_EQ(t.sync_loss(), SyncLoss::kGap);
  uint64_t records = t.counts().records;
  EXPECT_EQ(t.Feed(View(s).subspan(5 + 310)), 0u);
  EXPECT_EQ(t.counts().records, records);  // nothing counted after the loss
  EXPECT_EQ(t.counts().bytes_after_sync_loss, 20u + s.size() - (5 + 310));
}

TEST(TlsRecordTrackerTest, GapInsideASplitHeaderLosesSync) {
  Bytes s = Flight();
  TlsRecordTracker t;
  t.Feed(View(s).first(2));
  t.Gap(3);
  EXPECT_FALSE(t.in_sync());
  EXPECT_EQ(t.sync_loss(), SyncLoss::kGap);
}

TEST(TlsRecordTrackerTest, InvalidHeaderLosesSync) {
  for (Bytes bad : {Bytes{19, 3, 3, 0, 1, 0}, Bytes{25, 3, 3, 0, 1, 0}, Bytes{23, 2, 0, 0, 1, 0},
                    Bytes{23, 3, 5, 0, 1, 0}, Bytes{23, 3, 3, 0x48, 0x01, 0},
                    Bytes{'G', 'E', 'T', ' ', '/', ' '}}) {
    Bytes s = Records(Bytes(10, 1), 10, 23, 0x0303);
    s.insert(s.end(), bad.begin(), bad.end());
    Bytes after = Records(Bytes(10, 1), 10, 23, 0x0303);
    s.insert(s.end(), after.begin(), after.end());
    for (size_t split = 0; split <= s.size(); ++split) {
      TlsRecordTracker t;
      t.Feed(View(s).first(split));
      t.Feed(View(s).subspan(split));
      ASSERT_FALSE(t.in_sync()) << split;
      ASSERT_EQ(t.sync_loss(), SyncLoss::kInvalidHeader);
      ASSERT_EQ(t.counts().application_data_records, 1u) << split;
      ASSERT_EQ(t.counts().bytes_fed, s.size());
    }
  }
}

TEST(TlsRecordTrackerTest, RealCaptureBothDirectionsOfBothConnections) {
  auto streams = testing::ReadTcpStreams(testing::SourcePath("tests/pcap/captures/tls_sni.pcap"));
  ASSERT_EQ(streams.size(), 4u);
  int tls12_client = 0;
  for (const auto& [ports, bytes] : streams) {
    // An independent walk over the contiguous stream as the reference.
    uint64_t records = 0;
    uint64_t app = 0;
    size_t off = 0;
    while (off + 5 <= bytes.size()) {
      ++records;
      if (bytes[off] == 23) ++app;
      off += 5 + (size_t{bytes[off + 3]} << 8 | bytes[off + 4]);
    }
    ASSERT_EQ(off, bytes.size()) << "captured streams end on a record boundary";
    TlsRecordTracker whole;
    whole.Feed(View(bytes));
    EXPECT_TRUE(whole.in_sync());
    EXPECT_EQ(whole.counts().records, records);
    EXPECT_EQ(whole.counts().application_data_records, app);
    EXPECT_GE(app, 1u);
    for (size_t split = 0; split <= bytes.size(); split += 7) {
      TlsRecordTracker t;
      t.Feed(View(bytes).first(split));
      t.Feed(View(bytes).subspan(split));
      ASSERT_EQ(Describe(t), Describe(whole)) << split;
    }
    // The TLS 1.2 client (the one that did not offer TLS 1.3, first in port order here is
    // not guaranteed): handshake, change_cipher_spec, finished, one request, close alert.
    if (ports.second == 47182 && whole.counts().count(ContentType::kChangeCipherSpec) == 1 &&
        whole.counts().records == 6) {
      ++tls12_client;
      EXPECT_EQ(whole.counts().count(ContentType::kHandshake), 3u);
      EXPECT_EQ(whole.counts().application_data_records, 1u);
      EXPECT_EQ(whole.counts().application_data_bytes, 313u);
      EXPECT_EQ(whole.counts().count(ContentType::kAlert), 1u);
    }
  }
  EXPECT_EQ(tls12_client, 1);
}

}  // namespace
}  // namespace bw::tls
