#pragma once
// A classic pcap file (microsecond or nanosecond magic, either byte order) read in place from a
// read-only memory mapping: packets are handed out as views into the page cache, so reading a
// file costs no copy, as live capture through the TPACKET_V3 ring does not (libpcap's offline
// reader copies every byte twice: kernel to stdio buffer, stdio buffer to its packet buffer).
// Guarantees:
//  - The file is mapped one window of kWindowBytes at a time (more when one record is longer),
//    so the pages it adds to the resident size stay bounded whatever the file's size. A packet
//    is valid until the next call to Next(), as with libpcap.
//  - Open() takes only regular files whose first bytes are a version 2.4 pcap header; anything
//    else (pcapng, pipes, modified-pcap variants, older versions) returns nullptr with `error`
//    empty, for libpcap.
//  - Every record is bounds-checked against the file size seen at open: a record cut by the end
//    of the file, or one claiming more than 256 KiB, is a one-line error after which the packets
//    before it stand (libpcap's wording); a record longer than the file's snaplen is cut to it.
//  - A file truncated by someone else while it is mapped does not kill the process: the SIGBUS
//    handler maps zero pages over the vanished part and the next Next() reports the truncation.
//    One reader at a time holds the handler's region (a second concurrent reader falls back).

#include <cstdint>
#include <memory>
#include <string>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"

namespace bw::capture {

class PcapFileReader {
 public:
  enum class Status : uint8_t { kPacket, kEnd, kError };
  struct Packet {
    ByteView data;  // valid while the reader lives
    uint32_t wire_length = 0;
    TimestampNs ts = 0;
  };

  static constexpr size_t kWindowBytes = 32u << 20;

  static std::unique_ptr<PcapFileReader> Open(const std::string& path, std::string& error);
  ~PcapFileReader();
  PcapFileReader(const PcapFileReader&) = delete;
  PcapFileReader& operator=(const PcapFileReader&) = delete;

  Status Next(Packet& out);
  int dlt() const { return dlt_; }
  const std::string& error() const { return error_; }

 private:
  PcapFileReader() = default;
  uint32_t U32(const uint8_t* p) const;
  Status Fail(std::string why);
  // Maps the window holding [offset, offset + length) of the file; false if mmap failed.
  bool Map(size_t offset, size_t length);
  // A view of [offset, offset + length) of the file, mapping another window when needed.
  const uint8_t* Bytes(size_t offset, size_t length);

  bool claimed_ = false;  // holds the SIGBUS handler's region
  int fd_ = -1;
  size_t size_ = 0;         // of the file, when it was opened
  size_t offset_ = 24;      // of the next record in the file
  uint8_t* window_ = nullptr;
  size_t window_offset_ = 0;  // file offset of window_[0] (page aligned)
  size_t window_length_ = 0;
  bool swapped_ = false;
  bool nanosecond_ = false;
  uint32_t snapshot_ = 0;  // the file's snaplen as libpcap adjusts it
  int dlt_ = 0;
  std::string error_;
};

}  // namespace bw::capture
