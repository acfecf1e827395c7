// libFuzzer target for the capture-file readers: arbitrary bytes as a capture file (a memfd, so
// the readers see a regular file, as from --read). The mapped classic-pcap reader is checked
// against libpcap itself on the same bytes (differential): for a link type the decoder supports,
// the same packets (bytes, lengths, timestamps) and an error exactly when libpcap gives one.
// The pcapng reader must terminate without fault, with every packet inside the file. Every
// packet byte is read, so an out-of-bounds view is caught by ASan. The stream every --read goes
// through (CaptureStream: sniffed once, gzip inflated as read) must give a plain input back byte
// for byte, show in Peek() what Read() then returns, and end for good; the pcapng reader reads
// through it, so a gzip-compressed input fuzzes inflate and the reader behind it.

#include <pcap/pcap.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sensor/capture/capture_stream.h"
#include "sensor/capture/pcap_file_reader.h"
#include "sensor/capture/pcapng_reader.h"
#include "sensor/decode/decoder.h"

namespace {

struct Packet {
  std::vector<uint8_t> data;
  uint32_t wire_length;
  int64_t ts;
};

uint64_t Touch(bw::ByteView v) {
  uint64_t sum = 0;
  for (uint8_t b : v) sum += b;
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  // A gzip input inflates up to ~1000 times its size: keep one run well inside the timeout.
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (gzip && size > (64u << 10)) return 0;
  int fd = memfd_create("capture", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  volatile uint64_t sink = 0;

  std::string error;
  if (auto reader = bw::capture::PcapFileReader::Open(path, error)) {
    std::vector<Packet> ours;
    bw::capture::PcapFileReader::Packet p;
    bw::capture::PcapFileReader::Status st;
    while ((st = reader->Next(p)) == bw::capture::PcapFileReader::Status::kPacket) {
      if (p.data.size() > 262144) std::abort();
      sink = sink + Touch(p.data);
      ours.push_back({std::vector<uint8_t>(p.data.begin(), p.data.end()), p.wire_length, p.ts});
    }
    const bool our_error = st == bw::capture::PcapFileReader::Status::kError;
    if (our_error && reader->error().empty()) std::abort();

    if (bw::decode::IsSupportedLinkType(reader->dlt())) {
      char errbuf[PCAP_ERRBUF_SIZE] = {};
      FILE* f = fdopen(dup(fd), "rb");
      if (f == nullptr) std::abort();
      std::rewind(f);
      pcap_t* pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
      if (pc == nullptr) {
        // libpcap refused the header we accepted: only a version it does not know may differ.
        std::fclose(f);
      } else {
        pcap_pkthdr* h = nullptr;
        const u_char* d = nullptr;
        size_t i = 0;
        int rc;
        while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
          if (i >= ours.size()) std::abort();
          const Packet& o = ours[i++];
          if (o.data.size() != h->caplen || o.wire_length != h->len) std::abort();
          if (h->caplen > 0 && std::memcmp(o.data.data(), d, h->caplen) != 0) std::abort();
          if (o.ts != static_cast<int64_t>(h->ts.tv_sec) * 1000000000 + h->ts.tv_usec) std::abort();
        }
        if (i != ours.size()) std::abort();
        if ((rc == -1) != our_error) std::abort();
        pcap_close(pc);
      }
    }
  }

  if (auto reader = bw::capture::PcapngReader::Open(path, error)) {
    bw::capture::PcapngReader::Packet p;
    size_t packets = 0;
    // Every packet takes bytes of the file (of what it inflates to: deflate's ratio is < 1100).
    const size_t most = gzip ? size * 1100 : size;
    while (reader->Next(p) == bw::capture::PcapngReader::Status::kPacket) {
      sink = sink + Touch(p.data);
      if (++packets > most) std::abort();
    }
  }

  if (auto stream = bw::capture::CaptureStream::Open(path, error)) {
    bw::ByteView head = stream->Peek(24);
    const std::vector<uint8_t> first(head.begin(), head.end());
    std::vector<uint8_t> all;
    uint8_t buf[4096];
    while (all.size() < (size_t{64} << 20)) {
      const size_t got = stream->Read(buf, sizeof(buf));
      if (got > sizeof(buf)) std::abort();
      all.insert(all.end(), buf, buf + got);
      if (got < sizeof(buf)) {
        if (stream->Read(buf, sizeof(buf)) != 0) std::abort();  // the end is for good
        break;
      }
    }
    if (first.size() > all.size() || !std::equal(first.begin(), first.end(), all.begin())) {
      std::abort();
    }
    if (stream->gzip() != gzip) std::abort();
    if (!gzip && (all.size() != size || (size > 0 && std::memcmp(all.data(), data, size) != 0))) {
      std::abort();
    }
    sink = sink + all.size();
  }
  close(fd);
  return 0;
}
