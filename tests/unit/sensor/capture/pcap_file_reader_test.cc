#include "sensor/capture/pcap_file_reader.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>
#include <string>
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
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
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
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
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

void ExpectSameAsLibpcap(const std::string& path) {
  SCOPED_TRACE(path);
  Ref ref = ReadWithLibpcap(path);
  std::string error;
  auto reader = PcapFileReader::Open(path, error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->dlt(), ref.dlt);
  PcapFileReader::Packet p;
  size_t i = 0;
  PcapFileReader::Status st;
  while ((st = reader->Next(p)) == PcapFileReader::Status::kPacket) {
    ASSERT_LT(i, ref.data.size());
    ASSERT_EQ(p.data.size(), ref.data[i].size()) << "packet " << i;
    EXPECT_TRUE(std::equal(p.data.begin(), p.data.end(), ref.data[i].begin())) << "packet " << i;
    EXPECT_EQ(p.wire_length, ref.len[i]) << "packet " << i;
    EXPECT_EQ(p.ts, ref.ts[i]) << "packet " << i;
    ++i;
  }
  EXPECT_EQ(i, ref.data.size());
  EXPECT_EQ(st == PcapFileReader::Status::kError, !ref.error.empty()) << reader->error();
}

TEST(PcapFileReader, EveryRepositoryCaptureReadsAsLibpcapReadsIt) {
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(BW_SOURCE_DIR) / "tests")) {
    if (e.path().extension() != ".pcap") continue;
    std::vector<uint8_t> head = ReadAll(e.path().string());
    if (head.size() >= 4 && head[0] == 0x0A && head[1] == 0x0D) continue;  // pcapng
    ExpectSameAsLibpcap(e.path().string());
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

void Swap32At(std::vector<uint8_t>& b, size_t at) { std::reverse(b.begin() + at, b.begin() + at + 4); }

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
    std::string path = Variant("snaplen.pcap", [&](std::vector<uint8_t>& b) {
      std::memcpy(&b[16], &snaplen, 4);
    });
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
  // Refusing it left the handler to the next reader.
  EXPECT_TRUE(PcapFileReader::Open(
      std::string(BW_SOURCE_DIR) + "/tests/pcap/e2e/s3_anonymous_curl.pcap", error));
  std::string garbage = TempPath("garbage.pcap");
  WriteAll(garbage, std::vector<uint8_t>(100, 0x42));
  EXPECT_FALSE(PcapFileReader::Open(garbage, error));
  EXPECT_TRUE(error.empty());
  fs::remove(garbage);
}

// Someone truncates the file while it is mapped (log rotation with copytruncate): reading the
// vanished pages raises SIGBUS, which must become an error, not the end of the process.
TEST(PcapFileReader, FileTruncatedWhileMappedIsAnErrorNotACrash) {
  std::vector<uint8_t> one =
      ReadAll(std::string(BW_SOURCE_DIR) + "/tests/pcap/e2e/s3_anonymous_curl.pcap");
  // Enough copies of the records that the file spans many pages.
  std::vector<uint8_t> big(one.begin(), one.end());
  while (big.size() < (1u << 20)) big.insert(big.end(), one.begin() + 24, one.end());
  std::string path = TempPath("shrinks.pcap");
  WriteAll(path, big);
  std::string error;
  auto reader = PcapFileReader::Open(path, error);
  ASSERT_TRUE(reader);
  ASSERT_EQ(truncate(path.c_str(), 4096), 0);
  PcapFileReader::Packet p;
  uint64_t sum = 0;
  PcapFileReader::Status st;
  size_t packets = 0;
  while ((st = reader->Next(p)) == PcapFileReader::Status::kPacket) {
    for (uint8_t b : p.data) sum += b;  // touches the vanished pages
    ++packets;
  }
  EXPECT_EQ(st, PcapFileReader::Status::kError);
  EXPECT_NE(reader->error().find("truncated while being read"), std::string::npos)
      << reader->error();
  EXPECT_GT(packets, 0u);
  reader.reset();
  // The handler is released with the reader: a second reader can claim it again.
  auto again = PcapFileReader::Open(
      std::string(BW_SOURCE_DIR) + "/tests/pcap/e2e/s3_anonymous_curl.pcap", error);
  EXPECT_TRUE(again);
  fs::remove(path);
  (void)sum;
}

}  // namespace
}  // namespace bw::capture
