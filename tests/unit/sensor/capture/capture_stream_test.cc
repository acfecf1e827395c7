#include "sensor/capture/capture_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "sensor/capture/pcapng_reader.h"

namespace bw::capture {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

std::string TempPath(const std::string& name) {
  return "/tmp/bw-capture-stream-" + std::to_string(::getpid()) + "-" + name;
}

void WriteFile(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// One gzip member of `data`, as gzip(1) writes it.
Bytes Gzip(const Bytes& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&z, data.size()) + 64);
  z.next_in = const_cast<uint8_t*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  const size_t used = out.size() - z.avail_out;
  deflateEnd(&z);
  return Bytes(out.begin(), out.begin() + static_cast<long>(used));
}

// Everything the stream gives, in reads of `step` bytes, after peeking at its first `peek`.
Bytes Drain(CaptureStream& s, size_t step = 1000, size_t peek = 24) {
  ByteView head = s.Peek(peek);
  Bytes first(head.begin(), head.end());
  Bytes out;
  Bytes buf(step);
  for (;;) {
    size_t got = s.Read(buf.data(), buf.size());
    EXPECT_LE(got, buf.size());
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(got));
    if (got < buf.size()) break;
  }
  // Peek shows what Read returns; the end is sticky.
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<long>(std::min(out.size(), peek))), first);
  EXPECT_EQ(s.Read(buf.data(), buf.size()), 0u);
  return out;
}

Bytes Capture() {
  return ReadFile(std::string(BW_SOURCE_DIR) + "/tests/pcap/demo/storage_demo.pcap");
}

TEST(CaptureStream, PlainFileReadsAsItIs) {
  Bytes data = Capture();
  std::string path = TempPath("plain");
  WriteFile(path, data);
  std::string error;
  auto s = CaptureStream::Open(path, error);
  ASSERT_TRUE(s) << error;
  s->Peek(1);  // sniffs
  EXPECT_FALSE(s->gzip());
  EXPECT_TRUE(s->regular_file());
  EXPECT_EQ(Drain(*s), data);
  EXPECT_TRUE(s->error().empty());
  ::unlink(path.c_str());
  EXPECT_FALSE(CaptureStream::Open(path, error));
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
}

TEST(CaptureStream, GzipIsInflatedByItsMagicWhateverTheName) {
  Bytes data = Capture();
  std::string path = TempPath("no-gz-suffix");
  WriteFile(path, Gzip(data));
  std::string error;
  auto s = CaptureStream::Open(path, error);
  ASSERT_TRUE(s) << error;
  s->Peek(1);  // sniffs
  EXPECT_TRUE(s->gzip());
  EXPECT_FALSE(s->regular_file());  // not to be read by offset
  for (size_t step : {1u, 7u, 4096u, 1u << 20}) {
    auto again = CaptureStream::Open(path, error);
    ASSERT_TRUE(again);
    EXPECT_EQ(Drain(*again, step), data) << step;
    EXPECT_TRUE(again->error().empty()) << again->error();
  }
  ::unlink(path.c_str());
}

TEST(CaptureStream, ConcatenatedGzipMembersReadAsOne) {
  Bytes data = Capture();
  const size_t half = data.size() / 2;
  Bytes joined = Gzip(Bytes(data.begin(), data.begin() + static_cast<long>(half)));
  Bytes second = Gzip(Bytes(data.begin() + static_cast<long>(half), data.end()));
  joined.insert(joined.end(), second.begin(), second.end());
  std::string path = TempPath("members");
  WriteFile(path, joined);
  std::string error;
  auto s = CaptureStream::Open(path, error);
  ASSERT_TRUE(s);
  EXPECT_EQ(Drain(*s), data);
  EXPECT_TRUE(s->error().empty()) << s->error();
  ::unlink(path.c_str());
}

// Cut anywhere (header, data, trailer): the bytes before the cut, then an error that says so.
TEST(CaptureStream, CutGzipIsAnErrorAfterTheBytesBeforeTheCut) {
  Bytes data = Capture();
  Bytes gz = Gzip(data);
  std::string path = TempPath("cut");
  for (size_t cut :
       {size_t{2}, size_t{5}, size_t{11}, gz.size() / 3, gz.size() - 9, gz.size() - 1}) {
    SCOPED_TRACE(cut);
    WriteFile(path, Bytes(gz.begin(), gz.begin() + static_cast<long>(cut)));
    std::string error;
    auto s = CaptureStream::Open(path, error);
    ASSERT_TRUE(s);
    Bytes got = Drain(*s);
    EXPECT_TRUE(s->gzip());
    ASSERT_LE(got.size(), data.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin()));
    EXPECT_NE(s->error().find("gzip stream cut short"), std::string::npos) << s->error();
  }
  ::unlink(path.c_str());
}

TEST(CaptureStream, CorruptGzipIsAnErrorNotACrash) {
  Bytes data = Capture();
  Bytes gz = Gzip(data);
  std::string path = TempPath("corrupt");
  for (size_t at = 3; at < gz.size(); at += gz.size() / 37) {
    Bytes bad = gz;
    bad[at] ^= 0x5a;
    WriteFile(path, bad);
    std::string error;
    auto s = CaptureStream::Open(path, error);
    ASSERT_TRUE(s);
    Bytes got = Drain(*s, 65536);
    EXPECT_LE(got.size(), data.size() + (1u << 20));
    // zlib finds every change: in the header, the deflate data or (at the latest) the checksum.
    EXPECT_FALSE(s->error().empty()) << "flipped byte " << at;
  }
  ::unlink(path.c_str());
}

// A pipe delivering less than a stdio buffer and then closing: read to its end, no wait.
TEST(CaptureStream, ShortPipeReadsToItsEnd) {
  Bytes data = Capture();
  data.resize(3000);
  for (bool gz : {false, true}) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    Bytes sent = gz ? Gzip(data) : data;
    ASSERT_EQ(::write(fds[1], sent.data(), sent.size()), static_cast<ssize_t>(sent.size()));
    ::close(fds[1]);
    auto s = CaptureStream::FromFd(fds[0], /*owned=*/true);
    EXPECT_FALSE(s->regular_file());
    EXPECT_EQ(Drain(*s, 4096, 4), data);
    EXPECT_TRUE(s->error().empty());
  }
}

// A named pipe, opened by path, written by another thread a few bytes at a time.
TEST(CaptureStream, NamedPipe) {
  Bytes data = Capture();
  std::string path = TempPath("fifo");
  ::unlink(path.c_str());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::thread writer([&] {
    int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    for (size_t at = 0; at < data.size(); at += 1500) {
      const size_t n = std::min<size_t>(1500, data.size() - at);
      ASSERT_EQ(::write(fd, data.data() + at, n), static_cast<ssize_t>(n));
    }
    ::close(fd);
  });
  std::string error;
  auto s = CaptureStream::Open(path, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(Drain(*s, 4096, 4), data);
  writer.join();
  ::unlink(path.c_str());
}

// A writer that stays silent: Cancel() from another thread ends the read.
TEST(CaptureStream, CancelEndsAReadWaitingOnASilentWriter) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto s = CaptureStream::FromFd(fds[0], /*owned=*/true);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    s->Cancel();
  });
  auto start = std::chrono::steady_clock::now();
  uint8_t buf[64];
  EXPECT_EQ(s->Read(buf, sizeof(buf)), 0u);
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ::close(fds[1]);
}

// pcapng over a stream that cannot seek: the same packets as from the file.
TEST(CaptureStream, PcapngReadsFromAPipeAndFromGzip) {
  const std::string file = std::string(BW_SOURCE_DIR) + "/tests/fuzz/corpus/capture_file/" +
                           "seed-pcapng-s3_anonymous_curl";
  Bytes data = ReadFile(file);
  ASSERT_FALSE(data.empty());
  auto packets = [](std::unique_ptr<PcapngReader> r) {
    std::vector<Bytes> out;
    PcapngReader::Packet p;
    while (r && r->Next(p) == PcapngReader::Status::kPacket)
      out.emplace_back(p.data.begin(), p.data.end());
    return out;
  };
  std::string error;
  auto want = packets(PcapngReader::Open(file, error));
  ASSERT_GT(want.size(), 3u);
  for (bool gz : {false, true}) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    Bytes sent = gz ? Gzip(data) : data;
    std::thread writer([&] {
      (void)!::write(fds[1], sent.data(), sent.size());
      ::close(fds[1]);
    });
    auto got = packets(PcapngReader::Open(CaptureStream::FromFd(fds[0], true), "pipe", error));
    writer.join();
    EXPECT_EQ(got, want) << error;
  }
}

}  // namespace
}  // namespace bw::capture
