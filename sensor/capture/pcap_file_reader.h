#pragma once
// A classic pcap file (microsecond or nanosecond magic, either byte order) read in 1 MiB chunks
// with pread into a small pool of buffers, by one or more lanes: each lane is a reader that sees
// every record of the file in order, typically on its own thread (the sensor's file fanout: each
// worker reads the whole file and keeps its own flows). A chunk is read from the kernel once,
// by whichever lane needs it first, and shared by all lanes, so N lanes cost one copy of the
// file, not N; and a chunk is small enough to still be in cache when the lanes decode it.
//
// Why not libpcap: its offline reader copies every byte twice (kernel to stdio buffer, stdio
// buffer to its packet buffer). Why not a memory mapping: mapping and unmapping page-cache pages
// cost more CPU than copying them into a reused buffer, and a file truncated under a mapping
// raises SIGBUS.
//
// Guarantees:
//  - Memory is bounded whatever the file's size: kChunkBytes per pool slot, 2 slots per lane,
//    plus one stitching buffer per lane for a record that crosses chunks (buffer_bytes()).
//  - A packet is valid until the same lane's next call to Next(), as with libpcap.
//  - Open() takes only regular files whose first bytes are a version 2.4 pcap header; anything
//    else (pcapng, pipes, modified-pcap variants, older versions) returns nullptr with `error`
//    empty, for libpcap.
//  - Every record is bounds-checked against the file size seen at open: a record cut by the end
//    of the file, or one claiming more than 256 KiB, is a one-line error after which the packets
//    before it stand (libpcap's wording); a record longer than the file's snaplen is cut to it.
//    A file that shrinks while it is read is an error at the first chunk that comes up short.
//  - Lanes wait for each other only through the pool: a lane at most 2 × lanes − 1 chunks ahead
//    of the slowest waits for it. A lane that stops early must Detach() (its destructor does),
//    or the others wait for it forever; returning kEnd or kError detaches.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"

namespace bw::capture {

class PcapFileChunks;

class PcapFileReader {
 public:
  enum class Status : uint8_t { kPacket, kEnd, kError };
  struct Packet {
    ByteView data;  // valid until this lane's next Next()
    uint32_t wire_length = 0;
    TimestampNs ts = 0;
  };

  // Larger than the largest record (16 + 256 KiB), so a record spans at most two chunks.
  static constexpr size_t kChunkBytes = 1u << 20;

  // Lane 0 of `lanes`; the others come from OpenLane() and must all be opened, or Detach()ed.
  static std::unique_ptr<PcapFileReader> Open(const std::string& path, std::string& error,
                                              size_t lanes = 1);
  // Lane `lane` (1 .. lanes − 1) of the same file, before any lane has read.
  std::unique_ptr<PcapFileReader> OpenLane(size_t lane) const;
  ~PcapFileReader();
  PcapFileReader(const PcapFileReader&) = delete;
  PcapFileReader& operator=(const PcapFileReader&) = delete;

  Status Next(Packet& out);
  // This lane reads no more: the others stop waiting for it. Idempotent.
  void Detach();
  int dlt() const { return dlt_; }
  const std::string& error() const { return error_; }
  // What the pool and the stitching buffers of all lanes may hold.
  size_t buffer_bytes() const;

 private:
  PcapFileReader(std::shared_ptr<PcapFileChunks> chunks, size_t lane);
  uint32_t U32(const uint8_t* p) const;
  Status Fail(std::string why);
  // A view of [offset, offset + length) of the file (length <= kChunkBytes): in the chunk that
  // holds it, or copied into stitch_ when it crosses into the next one. nullptr on a read error.
  const uint8_t* Bytes(uint64_t offset, size_t length);

  std::shared_ptr<PcapFileChunks> chunks_;
  size_t lane_ = 0;
  bool detached_ = false;
  int64_t held_ = -1;               // the chunk this lane holds, or -1
  const uint8_t* held_data_ = nullptr;
  uint64_t offset_ = 24;            // of the next record in the file
  std::vector<uint8_t> stitch_;     // a record that crosses a chunk boundary
  bool swapped_ = false;
  bool nanosecond_ = false;
  uint32_t snapshot_ = 0;  // the file's snaplen as libpcap adjusts it
  int dlt_ = 0;
  std::string error_;
};

}  // namespace bw::capture
