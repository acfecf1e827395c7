#include "sensor/capture/pcap_file_reader.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bw::capture {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::string TempPath(const std::string& name) {
  return (fs::temp_directory_path() / ("bw_pcap_reader_" + std::to_string(getpid()) + "_" + name))
      .string();
}

// Every packet, as libpcap's offline reader gives it (nanosecond timestamps).
struct Ref {
  std::vector<std::vector<uint8_t>> data;
  std::vector<uint32_t> len;
  std::vector<int64_t> ts;
  int dlt = -1;
  std::string error;
};

Ref ReadWithLibpcap(const std::string& path) {
  Ref r;
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    r.error = err;
    return r;
  }
  r.dlt = pcap_datalink(p);
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
    r.data.emplace_back(d, d + h->caplen);
    r.len.push_back(h->len);
    r.ts.push_back(static_cast<int64_t>(h->ts.tv_sec) * 1000000000 + h->ts.tv_usec);
  }
  if (rc == -1) r.error = pcap_geterr(p);
  pcap_close(p);
  return r;
}

struct Read {
  std::vector<std::vector<uint8_t>> data;
  std::vector<uint32_t> len;
  std::vector<int64_t> ts;
  bool error = false;
  std::string error_text;
};

Read ReadLane(PcapFileReader& reader) {
  Read r;
  PcapFileReader::Packet p;
  PcapFileReader::Status st;
  while ((st = reader.Next(p)) == PcapFileReader::Status::kPacket) {
    r.data.emplace_back(p.data.begin(), p.data.end());
    r.len.push_back(p.wire_length);
    r.ts.push_back(p.ts);
  }
  r.error = st == PcapFileReader::Status::kError;
  r.error_text = reader.error();
  return r;
}

void ExpectSame(const Read& got, const Ref& ref) {
  ASSERT_EQ(got.data.size(), ref.data.size());
  for (size_t i = 0; i < ref.data.size(); ++i) {
    ASSERT_EQ(got.data[i], ref.data[i]) << "packet " << i;
    EXPECT_EQ(got.len[i], ref.len[i]) << "packet " << i;
    EXPECT_EQ(got.ts[i], ref.ts[i]) << "packet " << i;
  }
  EXPECT_EQ(got.error, !ref.error.empty()) << got.error_text;
}

// `lanes` readers of the file, each on its own thread (as the file fanout runs them): every one
// must read exactly what libpcap reads.
void ExpectSameAsLibpcap(const std::string& path, size_t lanes = 1) {
  SCOPED_TRACE(path + " with " + std::to_string(lanes) + " lanes");
  Ref ref = ReadWithLibpcap(path);
  std::string error;
  auto reader = PcapFileReader::Open(path, error, lanes);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->dlt(), ref.dlt);
  std::vector<std::unique_ptr<PcapFileReader>> others;
  for (size_t i = 1; i < lanes; ++i) {
    others.push_back(reader->OpenLane(i));
    ASSERT_TRUE(others.back());
    EXPECT_EQ(others.back()->dlt(), ref.dlt);
  }
  EXPECT_FALSE(reader->OpenLane(lanes));
  std::vector<Read> reads(lanes);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < lanes; ++i) {
    threads.emplace_back([&, i] { reads[i] = ReadLane(*others[i - 1]); });
  }
  reads[0] = ReadLane(*reader);
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < lanes; ++i) {
    SCOPED_TRACE("lane " + std::to_string(i));
    ExpectSame(reads[i], ref);
  }
}

TEST(PcapFileReader, EveryRepositoryCaptureReadsAsLibpcapReadsIt) {
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(BW_SOURCE_DIR) / "tests")) {
    if (e.path().extension() != ".pcap") continue;
    std::vector<uint8_t> head = ReadAll(e.path().string());
    if (head.size() >= 4 && head[0] == 0x0A && head[1] == 0x0D) continue;  // pcapng
    ExpectSameAsLibpcap(e.path().string());
    ExpectSameAsLibpcap(e.path().string(), 3);
    ++files;
  }
  EXPECT_GE(files, 10u);
}

// A capture with the bytes of tests/pcap/e2e/s3_anonymous_curl.pcap, rewritten by `edit`.
std::string Variant(const std::string& name,
                    const std::function<void(std::vector<uint8_t>&)>& edit) {
  std::vector<uint8_t> bytes =
      ReadAll(std::string(BW_SOURCE_DIR) + "/tests/pcap/e2e/s3_anonymous_curl.pcap");
  edit(bytes);
  std::string path = TempPath(name);
  WriteAll(path, bytes);
  return path;
}

void Swap32At(std::vector<uint8_t>& b, size_t at) {
  std::reverse(b.begin() + at, b.begin() + at + 4);
}

TEST(PcapFileReader, OtherByteOrderAndNanosecondMagic) {
  // Big-endian: every 32-bit field of the file header and of each record header swapped.
  std::string swapped = Variant("swapped.pcap", [](std::vector<uint8_t>& b) {
    Swap32At(b, 0);
    std::reverse(b.begin() + 4, b.begin() + 6);
    std::reverse(b.begin() + 6, b.begin() + 8);
    for (size_t at : {8, 12, 16, 20}) Swap32At(b, at);
    size_t off = 24;
    while (off + 16 <= b.size()) {
      uint32_t caplen;
      std::memcpy(&caplen, &b[off + 8], 4);
      for (size_t k = 0; k < 16; k += 4) Swap32At(b, off + k);
      off += 16 + caplen;
    }
  });
  ExpectSameAsLibpcap(swapped);
  std::string nano = Variant("nano.pcap", [](std::vector<uint8_t>& b) {
    const uint32_t magic = 0xA1B23C4D;
    std::memcpy(&b[0], &magic, 4);
  });
  ExpectSameAsLibpcap(nano);
  fs::remove(swapped);
  fs::remove(nano);
}

// Records longer than the snaplen the file header declares (a malformed writer, or one lying):
// read as libpcap reads them.
TEST(PcapFileReader, RecordsPastTheFileSnaplen) {
  for (uint32_t snaplen : {100u, 1000u, 0u}) {
    std::string path =
        Variant("snaplen.pcap", [&](std::vector<uint8_t>& b) { std::memcpy(&b[16], &snaplen, 4); });
    ExpectSameAsLibpcap(path);
    fs::remove(path);
  }
}

TEST(PcapFileReader, TruncatedFilesEndWithLibpcapsWordsAfterThePacketsBeforeTheCut) {
  std::vector<uint8_t> whole =
      ReadAll(std::string(BW_SOURCE_DIR) + "/tests/pcap/e2e/s3_anonymous_curl.pcap");
  for (size_t cut : {whole.size() - 1, whole.size() - 30, whole.size() / 2, size_t{24 + 7}}) {
    std::string path = Variant("cut.pcap", [&](std::vector<uint8_t>& b) { b.resize(cut); });
    ExpectSameAsLibpcap(path);
    ExpectSameAsLibpcap(path, 2);
    std::string error;
    auto reader = PcapFileReader::Open(path, error);
    ASSERT_TRUE(reader);
    PcapFileReader::Packet p;
    while (reader->Next(p) == PcapFileReader::Status::kPacket) {
    }
    EXPECT_NE(reader->error().find("truncated dump file"), std::string::npos) << reader->error();
    EXPECT_EQ(reader->Next(p), PcapFileReader::Status::kError);  // stays at the error
    fs::remove(path);
  }
}

TEST(PcapFileReader, HugeCaptureLengthIsAnErrorNotARead) {
  std::string path = Variant("huge.pcap", [](std::vector<uint8_t>& b) {
    const uint32_t caplen = 0x7FFFFFF0;
    std::memcpy(&b[24 + 8], &caplen, 4);
  });
  std::string error;
  auto reader = PcapFileReader::Open(path, error);
  ASSERT_TRUE(reader);
  PcapFileReader::Packet p;
  EXPECT_EQ(reader->Next(p), PcapFileReader::Status::kError);
  EXPECT_NE(reader->error().find("invalid packet capture length"), std::string::npos);
  fs::remove(path);
}

TEST(PcapFileReader, LeavesEverythingElseToLibpcap) {
  std::string error;
  EXPECT_FALSE(PcapFileReader::Open("/dev/stdin", error));  // not a regular file
  EXPECT_TRUE(error.empty());
  EXPECT_FALSE(PcapFileReader::Open(TempPath("missing.pcap"), error));
  EXPECT_TRUE(error.empty());
  // A version before 2.4 (caplen and len in the other order): libpcap's to read.
  std::string old = Variant("v23.pcap", [](std::vector<uint8_t>& b) { b[6] = 3; });
  EXPECT_FALSE(PcapFileReader::Open(old, error));
  EXPECT_TRUE(error.empty());
  fs::remove(old);
  std::string garbage = TempPath("garbage.pcap");
  WriteAll(garbage, std::vector<uint8_t>(100, 0x42));
  EXPECT_FALSE(PcapFileReader::Open(garbage, error));
  EXPECT_TRUE(error.empty());
  fs::remove(garbage);
}

// Records of every size (up to the largest libpcap takes), so that some cross the reader's chunk
// boundaries and the file is several times the pool the lanes share.
std::string LargeCapture(const std::string& name, size_t bytes) {
  std::vector<uint8_t> one =
      ReadAll(std::string(BW_SOURCE_DIR) + "/tests/pcap/e2e/s3_anonymous_curl.pcap");
  std::vector<uint8_t> out(one.begin(), one.begin() + 24);
  const uint32_t snaplen = 262144;
  std::memcpy(&out[16], &snaplen, 4);
  uint32_t seq = 0;
  while (out.size() < bytes) {
    // Mostly the real records, now and then a record of up to 256 KiB of filler.
    if (++seq % 97 == 0) {
      uint32_t caplen = (seq * 7919u) % 262144u + 1;
      uint32_t header[4] = {seq, seq % 1000000, caplen, caplen};
      const auto* h = reinterpret_cast<const uint8_t*>(header);
      out.insert(out.end(), h, h + 16);
      for (uint32_t k = 0; k < caplen; ++k) out.push_back(static_cast<uint8_t>(k * 31 + seq));
    } else {
      out.insert(out.end(), one.begin() + 24, one.end());
    }
  }
  std::string path = TempPath(name);
  WriteAll(path, out);
  return path;
}

TEST(PcapFileReader, LanesOnThreadsEachReadEveryRecordAcrossChunkBoundaries) {
  const size_t size = 9 * PcapFileReader::kChunkBytes + 12345;
  std::string path = LargeCapture("large.pcap", size);
  for (size_t lanes : {1u, 2u, 4u}) {
    ExpectSameAsLibpcap(path, lanes);
    std::string error;
    auto reader = PcapFileReader::Open(path, error, lanes);
    ASSERT_TRUE(reader);
    // Bounded by the pool (4 chunks per lane, each with its index) and the stitching buffers,
    // whatever the file's size.
    auto small = PcapFileReader::Open(
        std::string(BW_SOURCE_DIR) + "/tests/pcap/e2e/s3_anonymous_curl.pcap", error, lanes);
    ASSERT_TRUE(small);
    EXPECT_EQ(reader->buffer_bytes(), small->buffer_bytes());
    EXPECT_LE(reader->buffer_bytes(), lanes * 6 * PcapFileReader::kChunkBytes);
  }
  fs::remove(path);
}

// A file whose record `boundary_record` starts `delta` bytes from the first chunk boundary (its
// header or its data cut by it, or starting right on it), among ordinary records; `last_caplen`
// overrides that record's captured length (an invalid one makes it the bad record).
std::string AroundTheBoundary(const std::string& name, long delta,
                              std::optional<uint32_t> last_caplen = std::nullopt) {
  std::vector<uint8_t> one =
      ReadAll(std::string(BW_SOURCE_DIR) + "/tests/pcap/e2e/s3_anonymous_curl.pcap");
  std::vector<uint8_t> out(one.begin(), one.begin() + 24);
  const uint32_t snaplen = 262144;
  std::memcpy(&out[16], &snaplen, 4);
  auto record = [&](uint32_t caplen, uint32_t seq) {
    uint32_t header[4] = {seq, 0, caplen, caplen};
    const auto* h = reinterpret_cast<const uint8_t*>(header);
    out.insert(out.end(), h, h + 16);
    // An impossible length gets no bytes: the reader must stop at its header.
    for (uint32_t k = 0; k < caplen && caplen <= snaplen; ++k) {
      out.push_back(static_cast<uint8_t>(k + seq));
    }
  };
  const long target = static_cast<long>(PcapFileReader::kChunkBytes) + delta;
  uint32_t seq = 1;
  // Fillers up to a last one that ends exactly at `target`.
  while (target - static_cast<long>(out.size()) > 200000 + 16) record(200000, seq++);
  record(static_cast<uint32_t>(target - static_cast<long>(out.size()) - 16), seq++);
  record(last_caplen.value_or(1000), seq++);  // the record at the boundary
  for (int i = 0; i < 5; ++i) record(60 + static_cast<uint32_t>(i), seq++);
  std::string path = TempPath(name);
  WriteAll(path, out);
  return path;
}

TEST(PcapFileReader, RecordsAtEveryPositionAroundAChunkBoundary) {
  for (long delta : {-1017L, -1000L, -17L, -16L, -15L, -9L, -1L, 0L, 1L, 16L}) {
    SCOPED_TRACE("record at boundary " + std::to_string(delta));
    std::string path = AroundTheBoundary("boundary.pcap", delta);
    for (size_t lanes : {1u, 2u, 3u}) ExpectSameAsLibpcap(path, lanes);
    fs::remove(path);
    // The same record with an impossible length: libpcap's error, after the records before it.
    std::string bad = AroundTheBoundary("boundary_bad.pcap", delta, 0x7FFFFFF0u);
    for (size_t lanes : {1u, 2u}) ExpectSameAsLibpcap(bad, lanes);
    fs::remove(bad);
  }
}

// Splits by the frame's first byte and length, so each lane gets a scattered share; some records
// go to every lane.
class TestSplitter final : public RecordSplitter {
 public:
  explicit TestSplitter(size_t lanes) : lanes_(lanes) {}
  Verdict LaneOf(ByteView frame, uint32_t wire_length) override {
    ++calls;
    Verdict v;
    const size_t pick = ((frame.empty() ? 0 : frame[0]) + wire_length) % (lanes_ + 1);
    if (pick < lanes_) {
      v.lane = static_cast<uint16_t>(pick);
      v.hint = static_cast<uint8_t>(wire_length | 1);
    }
    return v;
  }
  size_t calls = 0;

 private:
  size_t lanes_;
};

// Splitting lanes: each gets, in file order, its own records (with their hint), the records for
// every lane, and every record that crosses a chunk boundary (hint 0 for those); what it did not
// get it is told it passed over; and each record was split once, by whichever lane indexed it.
TEST(PcapFileReader, SplittingLanesGetTheirShareAndCountTheRest) {
  std::string path = LargeCapture("split.pcap", 7 * PcapFileReader::kChunkBytes + 999);
  Ref ref = ReadWithLibpcap(path);
  ASSERT_TRUE(ref.error.empty());
  // Where each record starts and ends in the file, to know which ones cross chunks.
  std::vector<uint8_t> bytes = ReadAll(path);
  std::vector<bool> crosses;
  for (size_t off = 24; off + 16 <= bytes.size();) {
    uint32_t caplen;
    std::memcpy(&caplen, &bytes[off + 8], 4);
    const size_t end = off + 16 + caplen;
    crosses.push_back(off / PcapFileReader::kChunkBytes != (end - 1) / PcapFileReader::kChunkBytes);
    off = end;
  }
  ASSERT_EQ(crosses.size(), ref.data.size());
  constexpr size_t kLanes = 3;
  TestSplitter expect_splitter(kLanes);
  std::string error;
  auto first = PcapFileReader::Open(path, error, kLanes);
  ASSERT_TRUE(first);
  std::vector<std::unique_ptr<PcapFileReader>> lanes;
  lanes.push_back(std::move(first));
  for (size_t i = 1; i < kLanes; ++i) lanes.push_back(lanes[0]->OpenLane(i));
  std::vector<std::unique_ptr<TestSplitter>> splitters;
  for (auto& lane : lanes) {
    splitters.push_back(std::make_unique<TestSplitter>(kLanes));
    lane->SetSplitter(splitters.back().get());
  }
  struct Got {
    std::vector<std::vector<uint8_t>> data;
    std::vector<uint8_t> hints;
    uint64_t passed = 0, passed_bytes = 0, wire = 0;
    PcapFileReader::Status end = PcapFileReader::Status::kPacket;
  };
  std::vector<Got> got(kLanes);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kLanes; ++i) {
    threads.emplace_back([&, i] {
      PcapFileReader::Packet p;
      while ((got[i].end = lanes[i]->Next(p)) == PcapFileReader::Status::kPacket) {
        got[i].data.emplace_back(p.data.begin(), p.data.end());
        got[i].hints.push_back(p.hint);
        got[i].wire += p.wire_length;
        got[i].passed += p.passed;
        got[i].passed_bytes += p.passed_wire_bytes;
      }
      got[i].passed += p.passed;
      got[i].passed_bytes += p.passed_wire_bytes;
    });
  }
  for (auto& t : threads) t.join();
  uint64_t total_wire = 0;
  for (uint32_t len : ref.len) total_wire += len;
  size_t split_calls = 0;
  for (const auto& sp : splitters) split_calls += sp->calls;
  size_t uncrossing = 0;
  for (bool c : crosses) uncrossing += c ? 0 : 1;
  EXPECT_EQ(split_calls, uncrossing);  // once per record, crossing ones excepted
  for (size_t lane = 0; lane < kLanes; ++lane) {
    SCOPED_TRACE("lane " + std::to_string(lane));
    EXPECT_EQ(got[lane].end, PcapFileReader::Status::kEnd);
    std::vector<std::vector<uint8_t>> want;
    std::vector<uint8_t> want_hints;
    for (size_t r = 0; r < ref.data.size(); ++r) {
      RecordSplitter::Verdict v =
          expect_splitter.LaneOf(ByteView(ref.data[r].data(), ref.data[r].size()), ref.len[r]);
      if (crosses[r] || v.lane == RecordSplitter::kEveryLane || v.lane == lane) {
        want.push_back(ref.data[r]);
        want_hints.push_back(crosses[r] ? 0 : v.hint);
      }
    }
    EXPECT_LT(want.size(), ref.data.size());
    ASSERT_EQ(got[lane].data.size(), want.size());
    EXPECT_TRUE(got[lane].data == want);
    EXPECT_TRUE(got[lane].hints == want_hints);
    EXPECT_EQ(got[lane].data.size() + got[lane].passed, ref.data.size());
    EXPECT_EQ(got[lane].wire + got[lane].passed_bytes, total_wire);
  }
  fs::remove(path);
}

// A file cut short (issue 18: --workers 2 counted 158 of 313 packets): every lane ends with the
// error, and what it read plus what it was told it passed over is every record before the cut, as
// with one lane. Cut inside the first chunk and inside a later one.
TEST(PcapFileReader, SplittingLanesOfACutFileCountEveryRecordBeforeTheCut) {
  std::string whole = LargeCapture("cut_whole.pcap", 4 * PcapFileReader::kChunkBytes);
  std::vector<uint8_t> bytes = ReadAll(whole);
  for (size_t cut : {size_t{70001}, 3 * PcapFileReader::kChunkBytes + 4099}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    std::string path = TempPath("cut.pcap");
    WriteAll(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(cut)));
    Ref ref = ReadWithLibpcap(path);
    ASSERT_FALSE(ref.error.empty());
    uint64_t total_wire = 0;
    for (uint32_t len : ref.len) total_wire += len;
    constexpr size_t kLanes = 2;
    std::string error;
    std::vector<std::unique_ptr<PcapFileReader>> lanes;
    lanes.push_back(PcapFileReader::Open(path, error, kLanes));
    ASSERT_TRUE(lanes[0]);
    lanes.push_back(lanes[0]->OpenLane(1));
    std::vector<std::unique_ptr<TestSplitter>> splitters;
    for (auto& lane : lanes) {
      splitters.push_back(std::make_unique<TestSplitter>(kLanes));
      lane->SetSplitter(splitters.back().get());
    }
    struct Got {
      uint64_t own = 0, passed = 0, wire = 0, passed_bytes = 0;
      PcapFileReader::Status end = PcapFileReader::Status::kPacket;
    };
    std::vector<Got> got(kLanes);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < kLanes; ++i) {
      threads.emplace_back([&, i] {
        PcapFileReader::Packet p;
        while ((got[i].end = lanes[i]->Next(p)) == PcapFileReader::Status::kPacket) {
          ++got[i].own;
          got[i].wire += p.wire_length;
          got[i].passed += p.passed;
          got[i].passed_bytes += p.passed_wire_bytes;
        }
        got[i].passed += p.passed;
        got[i].passed_bytes += p.passed_wire_bytes;
      });
    }
    for (auto& t : threads) t.join();
    for (size_t lane = 0; lane < kLanes; ++lane) {
      SCOPED_TRACE("lane " + std::to_string(lane));
      EXPECT_EQ(got[lane].end, PcapFileReader::Status::kError);
      EXPECT_LT(got[lane].own, ref.data.size());
      EXPECT_EQ(got[lane].own + got[lane].passed, ref.data.size());
      EXPECT_EQ(got[lane].wire + got[lane].passed_bytes, total_wire);
    }
    fs::remove(path);
  }
  fs::remove(whole);
}

// Someone truncates the file while it is read (log rotation with copytruncate): every lane ends
// with an error after the packets before the cut, none waits forever for a chunk.
TEST(PcapFileReader, FileTruncatedWhileReadIsAnErrorForEveryLane) {
  std::string path = LargeCapture("shrinks.pcap", 6 * PcapFileReader::kChunkBytes);
  std::string error;
  auto reader = PcapFileReader::Open(path, error, 2);
  ASSERT_TRUE(reader);
  auto other = reader->OpenLane(1);
  ASSERT_TRUE(other);
  ASSERT_EQ(truncate(path.c_str(), 2 * PcapFileReader::kChunkBytes + 100), 0);
  Read second;
  std::thread t([&] { second = ReadLane(*other); });
  Read first = ReadLane(*reader);
  t.join();
  for (const Read* r : {&first, &second}) {
    EXPECT_TRUE(r->error);
    EXPECT_NE(r->error_text.find("truncated while being read"), std::string::npos) << r->error_text;
    EXPECT_GT(r->data.size(), 0u);
  }
  EXPECT_EQ(first.data, second.data);
  fs::remove(path);
}

// A lane that stops early (the sensor was told to stop) must not hold the others: they need its
// pool slots once they are a pool's length ahead.
TEST(PcapFileReader, ALaneThatStopsEarlyDoesNotHoldTheOthers) {
  std::string path = LargeCapture("stops.pcap", 12 * PcapFileReader::kChunkBytes);
  Ref ref = ReadWithLibpcap(path);
  for (bool destroy : {false, true}) {
    std::string error;
    auto reader = PcapFileReader::Open(path, error, 3);
    ASSERT_TRUE(reader);
    auto stops = reader->OpenLane(1);
    auto never = reader->OpenLane(2);
    PcapFileReader::Packet p;
    ASSERT_EQ(stops->Next(p), PcapFileReader::Status::kPacket);
    if (destroy) {
      stops.reset();
      never.reset();
    } else {
      stops->Detach();
      never->Detach();
      EXPECT_EQ(stops->Next(p), PcapFileReader::Status::kEnd);
    }
    ExpectSame(ReadLane(*reader), ref);
  }
  fs::remove(path);
}

}  // namespace
}  // namespace bw::capture
