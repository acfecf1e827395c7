#pragma once
// A classic pcap file (microsecond or nanosecond magic, either byte order) read in 1 MiB chunks
// with pread into a small pool of buffers, by one or more lanes that split its records between
// them (the sensor's file fanout: each worker thread is a lane and keeps its own flows).
//
// How the lanes share the work: a chunk is read from the kernel by the first lane to need it (or
// by a lane with time to spare, ahead of need), and indexed by the first lane to need it: walked,
// each record given to a lane by that lane's RecordSplitter. The other lanes then jump straight
// to their own records. So N lanes cost one copy of the file and one walk over its records,
// done by whichever lane gets there first, and a lane touches only the bytes of its own
// packets; a chunk is small enough to be still in cache when it is indexed.
//
// Why not libpcap: its offline reader copies every byte twice (kernel to stdio buffer, stdio
// buffer to its packet buffer). Why not a memory mapping: mapping and unmapping page-cache pages
// cost more CPU than copying them into a reused buffer, and a file truncated under a mapping
// raises SIGBUS.
//
// Guarantees:
//  - Memory is bounded whatever the file's size: kChunkBytes per pool slot and 4 slots per lane,
//    their record indexes (at most one entry per 16 bytes of chunk), and one stitching buffer
//    per lane for a record that crosses chunks (buffer_bytes()).
//  - Each lane gets, in file order, the records its splitter's verdict gave it, the records
//    given to every lane (kEveryLane), and every record that crosses a chunk boundary (lanes
//    filter those themselves). Without splitters (one lane) that is every record.
//  - A packet is valid until the same lane's next call to Next(), as with libpcap.
//  - Open() takes only regular files whose first bytes are a version 2.4 pcap header; anything
//    else (pcapng, pipes, modified-pcap variants, older versions) returns nullptr with `error`
//    empty, for libpcap.
//  - Every record is bounds-checked against the file size seen at open: a record cut by the end
//    of the file, or one claiming more than 256 KiB, is a one-line error (libpcap's wording) that
//    every lane reports after its packets before it; a record longer than the file's snaplen is
//    cut to it. A file that shrinks while it is read is an error at the first chunk that comes
//    up short.
//  - Lanes wait for each other only through the pool: a lane a pool's length ahead of the
//    slowest waits for it. A lane that stops early must Detach() (its destructor does),
//    or the others wait for it forever; returning kEnd or kError detaches.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dissectors/common/bytes.h"
#include "dissectors/common/timestamp.h"

namespace bw::capture {

class PcapFileChunks;
struct ChunkSlot;

// Says which lane a record belongs to, for the lane that indexes the chunk holding it. One per
// lane (it is called from that lane's thread only).
class RecordSplitter {
 public:
  static constexpr uint16_t kEveryLane = 0xFFFF;
  struct Verdict {
    uint16_t lane = kEveryLane;  // below the number of lanes, or kEveryLane
    uint8_t hint = 0;            // handed to that lane with the record (Packet::hint)
  };
  virtual ~RecordSplitter() = default;
  // `frame`: the record's captured bytes (cut to the snaplen); `wire_length` its length on the
  // wire.
  virtual Verdict LaneOf(ByteView frame, uint32_t wire_length) = 0;
};

class PcapFileReader {
 public:
  enum class Status : uint8_t { kPacket, kEnd, kError };
  struct Packet {
    ByteView data;  // valid until this lane's next Next()
    uint32_t wire_length = 0;
    TimestampNs ts = 0;
    // What the splitter said about this record to its lane (0 for records of every lane).
    uint8_t hint = 0;
    // Records of other lanes passed over since the previous call (set with every status).
    uint64_t passed = 0;
    uint64_t passed_wire_bytes = 0;
    // The latest time of any record in the chunks this lane has left: every lane's clock can
    // keep up with the file's, so the output stage's merge never waits on a lane whose own
    // flows went quiet.
    TimestampNs passed_latest = 0;
  };

  // Larger than the largest record (16 + 256 KiB), so a record spans at most two chunks.
  static constexpr size_t kChunkBytes = 1u << 20;

  // Lane 0 of `lanes`; the others come from OpenLane() and must all be opened, or Detach()ed.
  static std::unique_ptr<PcapFileReader> Open(const std::string& path, std::string& error,
                                              size_t lanes = 1);
  // The same over `fd`, which it owns (closed on every return): the file a CaptureStream sniffed.
  static std::unique_ptr<PcapFileReader> OpenFd(int fd, std::string& error, size_t lanes = 1);
  // Lane `lane` (1 .. lanes − 1) of the same file, before any lane has read.
  std::unique_ptr<PcapFileReader> OpenLane(size_t lane) const;
  ~PcapFileReader();
  PcapFileReader(const PcapFileReader&) = delete;
  PcapFileReader& operator=(const PcapFileReader&) = delete;

  // With several lanes, every lane needs one before reading (it outlives the reader).
  void SetSplitter(RecordSplitter* splitter) { splitter_ = splitter; }
  // Called on this lane's thread whenever passed_latest grows, possibly before Next() returns
  // (a lane may then wait for a pool slot): a lane's clock must not lag the file while it waits
  // for another lane, or a consumer merging the lanes' output in time order would wait too.
  void SetPassedHook(std::function<void(TimestampNs)> hook) { passed_hook_ = std::move(hook); }
  Status Next(Packet& out);
  // This lane reads no more: the others stop waiting for it. Idempotent.
  void Detach();
  int dlt() const { return dlt_; }
  const std::string& error() const { return error_; }
  // What the pool, its indexes and the stitching buffers of all lanes may hold.
  size_t buffer_bytes() const;

 private:
  PcapFileReader(std::shared_ptr<PcapFileChunks> chunks, size_t lane);
  // A 32-bit field of a record header, in the file's byte order.
  uint32_t U32(const uint8_t* p) const;
  // Hands the count of other lanes' records passed over since the last call to `out`.
  void ReportPassed(Packet& out);
  Status Fail(Packet& out, std::string why);
  Status End(Packet& out);
  // Moves on to chunk `index` (indexing it if no lane has); false on a read error.
  bool Enter(int64_t index);
  // Done with the held chunk: counts what it gave the other lanes.
  void Leave();
  // The record that starts in the held chunk at `at` and ends in the next one, stitched.
  Status Crossing(Packet& out, uint32_t at);
  // Fills `out` from a record header and its captured bytes.
  void Fill(Packet& out, const uint8_t* header, const uint8_t* data, uint32_t caplen) const;

  std::shared_ptr<PcapFileChunks> chunks_;
  size_t lane_ = 0;
  RecordSplitter* splitter_ = nullptr;
  bool detached_ = false;
  int64_t held_ = -1;                // the chunk this lane holds, or -1
  const ChunkSlot* slot_ = nullptr;  // its pool slot
  size_t next_ = 0;                  // of this lane's records in the held chunk
  size_t next_shared_ = 0;           // of the held chunk's records for every lane
  bool crossing_done_ = false;       // the held chunk's crossing record was delivered
  uint64_t passed_ = 0;              // other lanes' records passed over, not yet reported
  uint64_t passed_bytes_ = 0;
  TimestampNs passed_latest_ = 0;
  std::function<void(TimestampNs)> passed_hook_;
  std::vector<uint8_t> stitch_;  // a record that crosses a chunk boundary
  int dlt_ = 0;
  std::string error_;
};

}  // namespace bw::capture
