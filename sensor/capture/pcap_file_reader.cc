#include "sensor/capture/pcap_file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <utility>

#include "sensor/capture/link_type_map.h"

namespace bw::capture {
namespace {

constexpr uint32_t kMagicMicro = 0xA1B2C3D4;
constexpr uint32_t kMagicNano = 0xA1B23C4D;
constexpr size_t kFileHeader = 24;
constexpr size_t kRecordHeader = 16;
// libpcap's largest snapshot length for the link types the decoder supports: a longer record is
// an error, and a file's snaplen of 0 or above it means this.
constexpr uint32_t kMaxSnaplen = 262144;
constexpr size_t kMaxRecord = kRecordHeader + kMaxSnaplen;
constexpr size_t kChunk = PcapFileReader::kChunkBytes;
static_assert(kChunk > kMaxRecord, "a record must fit in two chunks");
// Records per chunk at most (each has a 16-byte header): bounds every index.
constexpr size_t kMaxRecordsPerChunk = kChunk / kRecordHeader;
constexpr uint32_t kNoCrossing = std::numeric_limits<uint32_t>::max();

uint32_t LoadNative32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

std::string TruncatedHeader(uint64_t got) {
  return "truncated dump file; tried to read " + std::to_string(kRecordHeader) +
         " header bytes, only got " + std::to_string(got);
}

std::string TruncatedData(uint32_t caplen, uint64_t got) {
  return "truncated dump file; tried to read " + std::to_string(caplen) +
         " captured bytes, only got " + std::to_string(got);
}

std::string TooLong(uint32_t caplen) {
  return "invalid packet capture length " + std::to_string(caplen) + ", bigger than maximum of " +
         std::to_string(kMaxSnaplen);
}

// How the file encodes its records.
struct Format {
  bool swapped = false;
  bool nanosecond = false;
  uint32_t snapshot = kMaxSnaplen;  // the file's snaplen as libpcap adjusts it
  uint32_t U32(const uint8_t* p) const {
    uint32_t v = LoadNative32(p);
    return swapped ? __builtin_bswap32(v) : v;
  }
  // A record header's time. Both fields are signed 32-bit, as libpcap reads them (struct
  // pcap_timeval): a packet's time must not depend on which reader took the file.
  TimestampNs Time(const uint8_t* header) const {
    const auto seconds = static_cast<TimestampNs>(static_cast<int32_t>(U32(header)));
    const auto fraction = static_cast<TimestampNs>(static_cast<int32_t>(U32(header + 4)));
    return seconds * kNsPerSecond + (nanosecond ? fraction : fraction * 1000);
  }
};

}  // namespace

// One pool slot: a chunk of the file and its index.
struct ChunkSlot {
  enum class State : uint8_t { kEmpty, kLoading, kLoaded, kIndexing, kReady, kFailed };
  int64_t chunk = -1;
  State state = State::kEmpty;
  std::unique_ptr<uint8_t[]> data;
  size_t length = 0;
  std::string read_error;  // kFailed
  // The index, built by the first lane to need the chunk.
  std::vector<std::vector<uint32_t>> records;  // per lane: where its records start, in order
  std::vector<std::vector<uint8_t>> hints;     // per lane: the splitter's hint for each
  std::vector<uint32_t> shared;                // where the records for every lane start
  std::vector<uint64_t> own;                   // per lane: records it gets, and their wire bytes
  std::vector<uint64_t> own_wire_bytes;
  uint64_t total = 0;  // records whose header this chunk's walk read, and their wire bytes
  uint64_t total_wire_bytes = 0;
  TimestampNs latest = 0;           // the latest time of those records
  uint32_t crossing = kNoCrossing;  // where a record starts that ends in the next chunk
  std::string error;                // a bad record after the indexed ones: every lane stops there
  bool carry_error = false;         // ... the one crossing in from the previous chunk
};

// The pool the lanes of one file share. Chunk j sits in slot j % slots while any lane may still
// need it. A lane that needs a chunk nobody has read reads it; one that has to wait for another
// lane meanwhile reads a later chunk into a free slot (so two lanes read in parallel instead of
// taking turns). Indexing is in file order: the first lane to need a read chunk indexes it.
// Locked a few times per chunk and lane (a thousand packets or so), never per packet.
class PcapFileChunks {
 public:
  static constexpr size_t kSlotsPerLane = 4;

  PcapFileChunks(int fd, uint64_t size, size_t lanes, Format format)
      : fd_(fd), size_(size), format_(format), slots_(kSlotsPerLane * lanes), needs_(lanes, 0) {
    for (ChunkSlot& s : slots_) {
      s.data.reset(new uint8_t[kChunk]);  // not zeroed: pages are touched only when read into
      s.records.resize(lanes);
      s.hints.resize(lanes);
      s.own.resize(lanes);
      s.own_wire_bytes.resize(lanes);
    }
  }
  ~PcapFileChunks() { ::close(fd_); }

  uint64_t size() const { return size_; }
  size_t lanes() const { return needs_.size(); }
  size_t slots() const { return slots_.size(); }
  const Format& format() const { return format_; }

  // Chunk `index`, read and indexed (with `splitter`, the calling lane's) if no lane has yet;
  // the caller announced it needs nothing before it (Need). nullptr with `error` on a read error.
  const ChunkSlot* Acquire(int64_t index, RecordSplitter* splitter, std::string& error) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ChunkSlot& s = SlotOf(index);
      if (s.chunk == index) {
        if (s.state == ChunkSlot::State::kReady) return &s;
        if (s.state == ChunkSlot::State::kFailed) {
          error = s.read_error;
          return nullptr;
        }
        // Every lane passes every chunk in order, so the one before is indexed by now.
        if (s.state == ChunkSlot::State::kLoaded && indexed_ == index - 1) {
          s.state = ChunkSlot::State::kIndexing;
          Carry carry = carry_;
          lock.unlock();
          Index(index, s, splitter, carry);
          lock.lock();
          carry_ = carry;
          indexed_ = index;
          s.state = ChunkSlot::State::kReady;
          changed_.notify_all();
          continue;
        }
      } else if (Loadable(index)) {
        Load(index, lock);
        continue;
      }
      // Another lane is reading or indexing it, or a slower lane still needs the slot: read a
      // later chunk meanwhile if one has a free slot, else wait.
      bool read_ahead = false;
      for (int64_t k = index + 1; k < MinNeed() + static_cast<int64_t>(slots_.size()); ++k) {
        if (static_cast<uint64_t>(k) * kChunk >= size_) break;
        if (SlotOf(k).chunk == k) continue;
        if (Loadable(k)) {
          Load(k, lock);
          read_ahead = true;
        }
        break;
      }
      if (!read_ahead) changed_.wait(lock);
    }
  }

  // Lane `lane` needs no chunk before `index` any more (max: it reads no more).
  void Need(size_t lane, int64_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    needs_[lane] = index;
    changed_.notify_all();
  }

 private:
  // Where the walk of the last chunk indexed stopped, for the next one.
  struct Carry {
    uint64_t next = kFileHeader;  // the file offset of the next record
    // A record header cut by the chunk's end: its bytes so far (the next record starts after it).
    uint8_t header[kRecordHeader] = {};
    uint32_t header_length = 0;
  };

  ChunkSlot& SlotOf(int64_t chunk) { return slots_[static_cast<size_t>(chunk) % slots_.size()]; }

  int64_t MinNeed() const { return *std::min_element(needs_.begin(), needs_.end()); }

  // Chunk k may go into its slot: the slot is idle and what it holds no lane needs, and k is
  // within a pool's length of the slowest lane (so no chunk it still needs shares k's slot).
  bool Loadable(int64_t k) {
    const ChunkSlot& s = SlotOf(k);
    const bool idle =
        s.state != ChunkSlot::State::kLoading && s.state != ChunkSlot::State::kIndexing;
    const int64_t min_need = MinNeed();
    return idle && s.chunk < min_need && k < min_need + static_cast<int64_t>(slots_.size());
  }

  // Reads chunk k into its slot, unlocked meanwhile (claimed by kLoading).
  void Load(int64_t k, std::unique_lock<std::mutex>& lock) {
    ChunkSlot& s = SlotOf(k);
    s.chunk = k;
    s.state = ChunkSlot::State::kLoading;
    lock.unlock();
    std::string why;
    bool ok = Read(k, s, why);
    lock.lock();
    s.state = ok ? ChunkSlot::State::kLoaded : ChunkSlot::State::kFailed;
    s.read_error = std::move(why);
    changed_.notify_all();
  }

  bool Read(int64_t index, ChunkSlot& s, std::string& error) const {
    const uint64_t start = static_cast<uint64_t>(index) * kChunk;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size_ - start));
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(fd_, s.data.get() + got, want - got, static_cast<off_t>(start + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = std::string("cannot read the capture file: ") + std::strerror(errno);
        return false;
      }
      if (n == 0) {
        error = "the capture file was truncated while being read";
        return false;
      }
      got += static_cast<size_t>(n);
    }
    s.length = want;
    return true;
  }

  // A record every lane gets (the splitter cannot tell, or it crosses chunks).
  void ToEveryLane(ChunkSlot& s, uint32_t at, uint32_t wire, bool listed) const {
    if (listed) s.shared.push_back(at);
    for (size_t l = 0; l < s.records.size(); ++l) {
      ++s.own[l];
      s.own_wire_bytes[l] += wire;
    }
  }

  // Walks the chunk's records from where the previous chunk's walk stopped, asking `splitter`
  // whose each one is; leaves in `carry` where the next chunk's first record starts.
  void Index(int64_t index, ChunkSlot& s, RecordSplitter* splitter, Carry& carry) const {
    for (auto& r : s.records) r.clear();
    for (auto& h : s.hints) h.clear();
    s.shared.clear();
    std::fill(s.own.begin(), s.own.end(), 0);
    std::fill(s.own_wire_bytes.begin(), s.own_wire_bytes.end(), 0);
    s.total = s.total_wire_bytes = 0;
    s.latest = 0;
    s.crossing = kNoCrossing;
    s.error.clear();
    s.carry_error = false;
    const uint64_t base = static_cast<uint64_t>(index) * kChunk;
    const uint8_t* data = s.data.get();
    uint64_t next = carry.next;
    if (carry.header_length > 0) {
      // The previous chunk ended inside a record header; the file holds all of it (checked
      // there), so this chunk has the rest.
      const uint32_t rest = static_cast<uint32_t>(kRecordHeader) - carry.header_length;
      std::memcpy(carry.header + carry.header_length, data, rest);
      const uint32_t caplen = format_.U32(carry.header + 8);
      const uint64_t after_header = base + rest;
      if (caplen > kMaxSnaplen) {
        s.error = TooLong(caplen);
        s.carry_error = true;
        return;
      }
      if (caplen > size_ - after_header) {
        s.error = TruncatedData(caplen, size_ - after_header);
        s.carry_error = true;
        return;
      }
      ++s.total;
      s.total_wire_bytes += format_.U32(carry.header + 12);
      s.latest = std::max(s.latest, format_.Time(carry.header));
      ToEveryLane(s, 0, format_.U32(carry.header + 12), /*listed=*/false);
      next = after_header + caplen;
      carry.header_length = 0;
    }
    const size_t lanes = s.records.size();
    uint64_t at = next;
    for (;;) {
      if (at >= size_) break;            // the end of the file
      if (at >= base + s.length) break;  // the next chunk's
      const uint64_t left = size_ - at;
      if (left < kRecordHeader) {
        s.error = TruncatedHeader(left);
        break;
      }
      const auto pos = static_cast<uint32_t>(at - base);
      if (pos + kRecordHeader > s.length) {
        // The header itself crosses: the next chunk completes it.
        s.crossing = pos;
        carry.header_length = static_cast<uint32_t>(s.length - pos);
        std::memcpy(carry.header, data + pos, carry.header_length);
        break;
      }
      const uint8_t* h = data + pos;
      const uint32_t caplen = format_.U32(h + 8);
      const uint32_t wire = format_.U32(h + 12);
      if (caplen > kMaxSnaplen) {
        s.error = TooLong(caplen);
        break;
      }
      if (caplen > left - kRecordHeader) {
        s.error = TruncatedData(caplen, left - kRecordHeader);
        break;
      }
      ++s.total;
      s.total_wire_bytes += wire;
      s.latest = std::max(s.latest, format_.Time(h));
      if (pos + kRecordHeader + caplen > s.length) {
        s.crossing = pos;
        ToEveryLane(s, pos, wire, /*listed=*/false);
        at += kRecordHeader + caplen;
        break;
      }
      RecordSplitter::Verdict verdict;
      if (lanes == 1) {
        verdict.lane = 0;
      } else if (splitter != nullptr) {
        verdict =
            splitter->LaneOf(ByteView(h + kRecordHeader, std::min(caplen, format_.snapshot)), wire);
      }
      const uint16_t lane = verdict.lane;
      if (lane < lanes) {
        s.records[lane].push_back(pos);
        s.hints[lane].push_back(verdict.hint);
        ++s.own[lane];
        s.own_wire_bytes[lane] += wire;
      } else {
        ToEveryLane(s, pos, wire, /*listed=*/true);
      }
      at += kRecordHeader + caplen;
    }
    carry.next = at;
  }

  int fd_;
  uint64_t size_;  // when the file was opened
  Format format_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ChunkSlot> slots_;
  std::vector<int64_t> needs_;  // per lane: the first chunk it may still need
  Carry carry_;                 // where the walk of chunk indexed_ stopped
  int64_t indexed_ = -1;
};

std::unique_ptr<PcapFileReader> PcapFileReader::Open(const std::string& path, std::string& error,
                                                     size_t lanes) {
  error.clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;  // libpcap opens it again and words the error
  return OpenFd(fd, error, lanes);
}

std::unique_ptr<PcapFileReader> PcapFileReader::OpenFd(int fd, std::string& error, size_t lanes) {
  error.clear();
  if (fd < 0) return nullptr;
  struct stat st {};
  uint8_t header[kFileHeader];
  bool candidate = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                   static_cast<size_t>(st.st_size) >= kFileHeader &&
                   ::pread(fd, header, sizeof(header), 0) == static_cast<ssize_t>(sizeof(header));
  uint32_t magic = candidate ? LoadNative32(header) : 0;
  uint32_t swapped_magic = __builtin_bswap32(magic);
  if (magic != kMagicMicro && magic != kMagicNano && swapped_magic != kMagicMicro &&
      swapped_magic != kMagicNano) {
    ::close(fd);
    return nullptr;
  }
  Format format;
  format.swapped = magic != kMagicMicro && magic != kMagicNano;
  // Only version 2.4, which every writer since 1998 uses. Older ones keep caplen and len in the
  // other order (2.3: sometimes), a quirk libpcap handles and this reader leaves to it.
  const uint16_t major = static_cast<uint16_t>(format.swapped ? header[5] | header[4] << 8
                                                              : header[4] | header[5] << 8);
  const uint16_t minor = static_cast<uint16_t>(format.swapped ? header[7] | header[6] << 8
                                                              : header[6] | header[7] << 8);
  if (major != 2 || minor != 4) {
    ::close(fd);
    return nullptr;
  }
  format.nanosecond = (format.swapped ? swapped_magic : magic) == kMagicNano;
  uint32_t snaplen = format.U32(header + 16);
  format.snapshot = snaplen == 0 || snaplen > kMaxSnaplen ? kMaxSnaplen : snaplen;
  // Read front to back, once per chunk: let the kernel read ahead generously.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  auto chunks = std::make_shared<PcapFileChunks>(fd, static_cast<uint64_t>(st.st_size),
                                                 std::max<size_t>(1, lanes), format);
  std::unique_ptr<PcapFileReader> r(new PcapFileReader(std::move(chunks), 0));
  // The upper bits carry FCS information (LT_FCS_*); the link type is the low 26.
  r->dlt_ = LinktypeToDlt(format.U32(header + 20) & 0x03FFFFFF);
  return r;
}

PcapFileReader::PcapFileReader(std::shared_ptr<PcapFileChunks> chunks, size_t lane)
    : chunks_(std::move(chunks)), lane_(lane), stitch_(kMaxRecord) {}

std::unique_ptr<PcapFileReader> PcapFileReader::OpenLane(size_t lane) const {
  if (lane == 0 || lane >= chunks_->lanes()) return nullptr;
  std::unique_ptr<PcapFileReader> r(new PcapFileReader(chunks_, lane));
  r->dlt_ = dlt_;
  return r;
}

PcapFileReader::~PcapFileReader() { Detach(); }

void PcapFileReader::Detach() {
  if (detached_) return;
  detached_ = true;
  chunks_->Need(lane_, std::numeric_limits<int64_t>::max());
}

size_t PcapFileReader::buffer_bytes() const {
  // Each record is listed once (for its lane, or for every lane), with a hint byte.
  const size_t index = kMaxRecordsPerChunk * (sizeof(uint32_t) + 1);
  return chunks_->slots() * (kChunk + index) + chunks_->lanes() * kMaxRecord;
}

uint32_t PcapFileReader::U32(const uint8_t* p) const { return chunks_->format().U32(p); }

void PcapFileReader::ReportPassed(Packet& out) {
  out.passed = std::exchange(passed_, 0);
  out.passed_wire_bytes = std::exchange(passed_bytes_, 0);
  out.passed_latest = passed_latest_;
}

PcapFileReader::Status PcapFileReader::Fail(Packet& out, std::string why) {
  error_ = std::move(why);
  // The records before the bad one that other lanes took were passed over too: without them a
  // lane's count of the file stops at its own share of the chunk that ends in the error.
  Leave();
  Detach();
  ReportPassed(out);
  return Status::kError;
}

PcapFileReader::Status PcapFileReader::End(Packet& out) {
  Detach();
  ReportPassed(out);
  return Status::kEnd;
}

void PcapFileReader::Leave() {
  if (slot_ == nullptr) return;
  // What the chunk gave other lanes was passed over.
  passed_ += slot_->total - slot_->own[lane_];
  passed_bytes_ += slot_->total_wire_bytes - slot_->own_wire_bytes[lane_];
  if (slot_->latest > passed_latest_) {
    passed_latest_ = slot_->latest;
    if (passed_hook_) passed_hook_(passed_latest_);
  }
  slot_ = nullptr;
}

bool PcapFileReader::Enter(int64_t index) {
  Leave();
  chunks_->Need(lane_, index);
  held_ = index;
  next_ = 0;
  next_shared_ = 0;
  crossing_done_ = false;
  slot_ = chunks_->Acquire(index, splitter_, error_);
  return slot_ != nullptr;
}

void PcapFileReader::Fill(Packet& out, const uint8_t* header, const uint8_t* data,
                          uint32_t caplen) const {
  const Format& format = chunks_->format();
  // As libpcap: bytes past the file's snaplen are skipped, not handed out.
  out.data = ByteView(data, std::min(caplen, format.snapshot));
  out.wire_length = format.U32(header + 12);
  out.ts = format.Time(header);
}

PcapFileReader::Status PcapFileReader::Crossing(Packet& out, uint32_t at) {
  // Copy this chunk's part before letting it go; the record's bounds were checked when the
  // header was indexed (here, or in the next chunk when the header itself crosses).
  const auto* s = slot_;
  const size_t first = s->length - at;
  std::memcpy(stitch_.data(), s->data.get() + at, first);
  if (!Enter(held_ + 1)) return Fail(out, error_);
  s = slot_;
  if (s->carry_error) return Fail(out, s->error);
  if (first < kRecordHeader) {
    std::memcpy(stitch_.data() + first, s->data.get(), kRecordHeader - first);
  }
  const uint32_t caplen = U32(stitch_.data() + 8);
  const size_t whole = kRecordHeader + caplen;
  if (first < whole) {
    const size_t have = std::max(first, kRecordHeader);
    std::memcpy(stitch_.data() + have, s->data.get() + (have - first), whole - have);
  }
  Fill(out, stitch_.data(), stitch_.data() + kRecordHeader, caplen);
  out.hint = 0;
  ReportPassed(out);
  return Status::kPacket;
}

PcapFileReader::Status PcapFileReader::Next(Packet& out) {
  if (!error_.empty()) return Fail(out, error_);
  if (detached_) return End(out);
  if (held_ < 0) {
    if (chunks_->size() <= kFileHeader) return End(out);
    if (!Enter(0)) return Fail(out, error_);
  }
  for (;;) {
    const auto* s = slot_;
    // This lane's records and every lane's, merged in file order.
    const std::vector<uint32_t>& mine = s->records[lane_];
    const bool have_mine = next_ < mine.size();
    const bool have_shared = next_shared_ < s->shared.size();
    if (have_mine || have_shared) {
      const bool take_mine = have_mine && (!have_shared || mine[next_] < s->shared[next_shared_]);
      const uint8_t* h;
      if (take_mine) {
        out.hint = s->hints[lane_][next_];
        h = s->data.get() + mine[next_++];
        // The next record of this lane is likely in another core's cache (the lane that read
        // the chunk): ask for its headers now, so they arrive while this one is processed.
        if (next_ < mine.size()) {
          const uint8_t* ahead = s->data.get() + mine[next_];
          __builtin_prefetch(ahead);
          __builtin_prefetch(ahead + 64);
        }
      } else {
        out.hint = 0;
        h = s->data.get() + s->shared[next_shared_++];
      }
      Fill(out, h, h + kRecordHeader, U32(h + 8));
      ReportPassed(out);
      return Status::kPacket;
    }
    // After this lane's records: the bad record that ended the walk (one crossing in from the
    // previous chunk was reported by Crossing(), before any record of this chunk).
    if (!s->error.empty()) return Fail(out, s->error);
    if (s->crossing != kNoCrossing && !crossing_done_) {
      crossing_done_ = true;
      return Crossing(out, s->crossing);
    }
    if (static_cast<uint64_t>(held_) * kChunkBytes + s->length >= chunks_->size()) {
      Leave();
      return End(out);
    }
    if (!Enter(held_ + 1)) return Fail(out, error_);
  }
}

}  // namespace bw::capture
