#include "sensor/capture/pcapng_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace bw::capture {
namespace {

// Little helpers that build pcapng blocks in either byte order.
struct Builder {
  bool big = false;
  std::string out;

  std::string U16(uint16_t v) const {
    std::string s(2, '\0');
    for (int i = 0; i < 2; ++i) s[big ? 1 - i : i] = static_cast<char>(v >> (8 * i));
    return s;
  }
  std::string U32(uint32_t v) const {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[big ? 3 - i : i] = static_cast<char>(v >> (8 * i));
    return s;
  }
  static std::string Pad(std::string s) {
    s.append((4 - s.size() % 4) % 4, '\0');
    return s;
  }
  void Block(uint32_t type, const std::string& body) {
    std::string b = Pad(body);
    uint32_t total = static_cast<uint32_t>(12 + b.size());
    out += U32(type) + U32(total) + b + U32(total);
  }
  void Section() { Block(0x0A0D0D0A, U32(0x1A2B3C4D) + U16(1) + U16(0) + std::string(8, '\xff')); }
  void Interface(uint16_t linktype, int tsresol = -1) {
    std::string body = U16(linktype) + U16(0) + U32(65535);
    if (tsresol >= 0) body += U16(9) + U16(1) + Pad(std::string(1, static_cast<char>(tsresol)));
    body += U16(0) + U16(0);
    Block(1, body);
  }
  void Packet(uint32_t iface, uint64_t units, const std::string& frame) {
    Block(6, U32(iface) + U32(static_cast<uint32_t>(units >> 32)) +
                 U32(static_cast<uint32_t>(units)) + U32(static_cast<uint32_t>(frame.size())) +
                 U32(static_cast<uint32_t>(frame.size())) + Pad(frame));
  }
};

class PcapngReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = "/tmp/bw-pcapng-test-" + std::to_string(::getpid()) + ".pcapng"; }
  void TearDown() override { ::unlink(path_.c_str()); }
  void WriteFile(const std::string& data) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << data;
  }
  std::string path_;
};

TEST_F(PcapngReaderTest, NotPcapngIsLeftToLibpcap) {
  WriteFile(std::string("\xd4\xc3\xb2\xa1", 4) + std::string(20, '\0'));
  std::string error;
  EXPECT_EQ(PcapngReader::Open(path_, error), nullptr);
  EXPECT_TRUE(error.empty());
}

TEST_F(PcapngReaderTest, MixedLinkTypesResolutionsAndByteOrders) {
  Builder le;
  le.Section();
  le.Block(0x00000BAD, le.U32(32473) + "custom");
  le.Interface(1);       // Ethernet, default microseconds
  le.Interface(101, 9);  // LINKTYPE_RAW, nanoseconds
  le.Block(0x0000000A, le.U32(0x544C534B) + le.U32(4) + "abcd");
  le.Packet(0, 1'700'000'000'000'001ull, "eth-frame");
  le.Packet(1, 1'700'000'000'000'000'002ull, "raw");
  le.Block(5, le.U32(0) + le.U32(0) + le.U32(0));  // interface statistics
  Builder be;
  be.big = true;
  be.Section();
  be.Interface(113, 0x80 | 10);  // SLL, 2^-10 s
  be.Packet(0, 1024 * 5 + 512, "sll");
  WriteFile(le.out + be.out);

  std::string error;
  auto r = PcapngReader::Open(path_, error);
  ASSERT_NE(r, nullptr) << error;
  EXPECT_EQ(r->first_dlt(), 1);
  PcapngReader::Packet p;
  ASSERT_EQ(r->Next(p), PcapngReader::Status::kPacket) << r->error();
  EXPECT_EQ(p.dlt, 1);
  EXPECT_EQ(p.ts, 1'700'000'000'000'001'000ll);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.data.data()), p.data.size()), "eth-frame");
  ASSERT_EQ(r->Next(p), PcapngReader::Status::kPacket) << r->error();
  EXPECT_EQ(p.dlt, 12);  // DLT_RAW
  EXPECT_EQ(p.ts, 1'700'000'000'000'000'002ll);
  ASSERT_EQ(r->Next(p), PcapngReader::Status::kPacket) << r->error();
  EXPECT_EQ(p.dlt, 113);
  EXPECT_EQ(p.ts, 5'500'000'000ll);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.data.data()), p.data.size()), "sll");
  EXPECT_EQ(r->Next(p), PcapngReader::Status::kEnd);
  EXPECT_EQ(r->blocks_skipped(), 3u);
  EXPECT_EQ(r->sections(), 2u);
  EXPECT_EQ(r->interfaces(), 3u);
}

TEST_F(PcapngReaderTest, MalformedInputIsAnErrorAfterTheGoodPackets) {
  Builder b;
  b.Section();
  b.Interface(1);
  b.Packet(0, 1, "ok");
  std::string good = b.out;
  struct Case {
    const char* name;
    std::string tail;
    const char* error;
  } cases[] = {
      {"truncated block",
       [] {
         Builder x;
         x.Packet(0, 2, "abcdefgh");
         return x.out.substr(0, 20);
       }(),
       "truncated pcapng block"},
      {"undeclared interface",
       [] {
         Builder x;
         x.Packet(7, 1, "zz");
         return x.out;
       }(),
       "undeclared interface 7"},
      {"oversized block", std::string("\x06\0\0\0", 4) + Builder().U32(kMaxBlockBytes + 4),
       "exceeds"},
      {"length not a multiple of 4", std::string("\x06\0\0\0\x0d\0\0\0", 8) + std::string(8, 'x'),
       "block length 13"},
      {"caplen past the block",
       [] {
         Builder x;
         x.Block(6, x.U32(0) + x.U32(0) + x.U32(0) + x.U32(1000) + x.U32(1000) + "abcd");
         return x.out;
       }(),
       "longer than its block"},
  };
  for (const auto& c : cases) {
    WriteFile(good + c.tail);
    std::string error;
    auto r = PcapngReader::Open(path_, error);
    ASSERT_NE(r, nullptr) << c.name << ": " << error;
    PcapngReader::Packet p;
    ASSERT_EQ(r->Next(p), PcapngReader::Status::kPacket) << c.name;
    EXPECT_EQ(r->Next(p), PcapngReader::Status::kError) << c.name;
    EXPECT_NE(r->error().find(c.error), std::string::npos) << c.name << ": " << r->error();
  }
}

}  // namespace
}  // namespace bw::capture
