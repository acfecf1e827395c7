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
static_assert(PcapFileReader::kChunkBytes > kMaxRecord, "a record must fit in two chunks");

uint32_t LoadNative32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace

// The pool the lanes of one file share. Chunk j of the file sits in slot j % slots while any lane
// may still need it; the first lane to need a chunk reads it. Locked once per chunk and lane
// (a thousand packets or so), never per packet.
class PcapFileChunks {
 public:
  PcapFileChunks(int fd, uint64_t size, size_t lanes)
      : fd_(fd), size_(size), slots_(2 * lanes), needs_(lanes, 0) {
    for (Slot& s : slots_) s.data = std::make_unique<uint8_t[]>(PcapFileReader::kChunkBytes);
  }
  ~PcapFileChunks() { ::close(fd_); }

  uint64_t size() const { return size_; }
  size_t lanes() const { return needs_.size(); }
  size_t slots() const { return slots_.size(); }
  size_t ChunkLength(int64_t index) const {
    uint64_t start = static_cast<uint64_t>(index) * PcapFileReader::kChunkBytes;
    return static_cast<size_t>(std::min<uint64_t>(PcapFileReader::kChunkBytes, size_ - start));
  }

  // The bytes of chunk `index`, read if no lane has yet; the caller must have announced that it
  // needs nothing before it (Need). nullptr with `error` set when the read failed.
  const uint8_t* Acquire(int64_t index, std::string& error) {
    std::unique_lock<std::mutex> lock(mutex_);
    Slot& s = slots_[static_cast<size_t>(index) % slots_.size()];
    for (;;) {
      if (s.chunk == index && s.state == State::kReady) return s.data.get();
      if (s.chunk == index && s.state == State::kFailed) {
        error = s.error;
        return nullptr;
      }
      if (s.chunk != index && s.state != State::kLoading && Unneeded(s.chunk)) {
        s.chunk = index;
        s.state = State::kLoading;
        lock.unlock();
        std::string why;
        bool ok = Read(index, s.data.get(), why);
        lock.lock();
        s.state = ok ? State::kReady : State::kFailed;
        s.error = std::move(why);
        changed_.notify_all();
        continue;
      }
      // Another lane is reading it, or the slot still holds a chunk a slower lane needs.
      changed_.wait(lock);
    }
  }

  // Lane `lane` needs no chunk before `index` any more (max: it reads no more).
  void Need(size_t lane, int64_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    needs_[lane] = index;
    changed_.notify_all();
  }

 private:
  enum class State : uint8_t { kEmpty, kLoading, kReady, kFailed };
  struct Slot {
    int64_t chunk = -1;
    State state = State::kEmpty;
    std::unique_ptr<uint8_t[]> data;
    std::string error;
  };

  bool Unneeded(int64_t chunk) const {
    for (int64_t n : needs_) {
      if (n <= chunk) return false;
    }
    return true;
  }

  bool Read(int64_t index, uint8_t* into, std::string& error) const {
    const size_t want = ChunkLength(index);
    size_t got = 0;
    const off_t at = static_cast<off_t>(index) * static_cast<off_t>(PcapFileReader::kChunkBytes);
    while (got < want) {
      ssize_t n = ::pread(fd_, into + got, want - got, at + static_cast<off_t>(got));
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
    return true;
  }

  int fd_;
  uint64_t size_;  // when the file was opened
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Slot> slots_;
  std::vector<int64_t> needs_;  // per lane: the first chunk it may still need
};

std::unique_ptr<PcapFileReader> PcapFileReader::Open(const std::string& path, std::string& error,
                                                     size_t lanes) {
  error.clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;  // libpcap opens it again and words the error
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
  const bool swapped = magic != kMagicMicro && magic != kMagicNano;
  // Only version 2.4, which every writer since 1998 uses. Older ones keep caplen and len in the
  // other order (2.3: sometimes), a quirk libpcap handles and this reader leaves to it.
  const uint16_t major = static_cast<uint16_t>(swapped ? header[5] | header[4] << 8
                                                       : header[4] | header[5] << 8);
  const uint16_t minor = static_cast<uint16_t>(swapped ? header[7] | header[6] << 8
                                                       : header[6] | header[7] << 8);
  if (major != 2 || minor != 4) {
    ::close(fd);
    return nullptr;
  }
  // Read front to back, once per chunk: let the kernel read ahead generously.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  auto chunks = std::make_shared<PcapFileChunks>(fd, static_cast<uint64_t>(st.st_size),
                                                 std::max<size_t>(1, lanes));
  std::unique_ptr<PcapFileReader> r(new PcapFileReader(std::move(chunks), 0));
  r->swapped_ = swapped;
  r->nanosecond_ = (swapped ? swapped_magic : magic) == kMagicNano;
  uint32_t snaplen = r->U32(header + 16);
  r->snapshot_ = snaplen == 0 || snaplen > kMaxSnaplen ? kMaxSnaplen : snaplen;
  // The upper bits carry FCS information (LT_FCS_*); the link type is the low 26.
  r->dlt_ = LinktypeToDlt(r->U32(header + 20) & 0x03FFFFFF);
  return r;
}

PcapFileReader::PcapFileReader(std::shared_ptr<PcapFileChunks> chunks, size_t lane)
    : chunks_(std::move(chunks)), lane_(lane), stitch_(kMaxRecord) {}

std::unique_ptr<PcapFileReader> PcapFileReader::OpenLane(size_t lane) const {
  if (lane == 0 || lane >= chunks_->lanes()) return nullptr;
  std::unique_ptr<PcapFileReader> r(new PcapFileReader(chunks_, lane));
  r->swapped_ = swapped_;
  r->nanosecond_ = nanosecond_;
  r->snapshot_ = snapshot_;
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
  return chunks_->slots() * kChunkBytes + chunks_->lanes() * kMaxRecord;
}

const uint8_t* PcapFileReader::Bytes(uint64_t offset, size_t length) {
  if (length == 0) return stitch_.data();  // nothing to read, and maybe no chunk at `offset`
  const auto index = static_cast<int64_t>(offset / kChunkBytes);
  const size_t in = static_cast<size_t>(offset % kChunkBytes);
  // Records only move forward, so a lane never needs an earlier chunk again.
  if (index != held_) {
    chunks_->Need(lane_, index);
    held_ = index;
    held_data_ = chunks_->Acquire(index, error_);
    if (held_data_ == nullptr) return nullptr;
  }
  const size_t length_here = chunks_->ChunkLength(index);
  if (in + length <= length_here) return held_data_ + in;
  // Crosses into the next chunk (the caller checked the file holds it all): stitch.
  const size_t first = length_here - in;
  std::memcpy(stitch_.data(), held_data_ + in, first);
  chunks_->Need(lane_, index + 1);
  held_ = index + 1;
  held_data_ = chunks_->Acquire(index + 1, error_);
  if (held_data_ == nullptr) return nullptr;
  std::memcpy(stitch_.data() + first, held_data_, length - first);
  return stitch_.data();
}

uint32_t PcapFileReader::U32(const uint8_t* p) const {
  uint32_t v = LoadNative32(p);
  return swapped_ ? __builtin_bswap32(v) : v;
}

PcapFileReader::Status PcapFileReader::Fail(std::string why) {
  error_ = std::move(why);
  Detach();
  return Status::kError;
}

PcapFileReader::Status PcapFileReader::Next(Packet& out) {
  if (!error_.empty()) return Status::kError;
  if (detached_) return Status::kEnd;
  const uint64_t size = chunks_->size();
  if (offset_ >= size) {
    Detach();
    return Status::kEnd;
  }
  uint64_t left = size - offset_;
  if (left < kRecordHeader) {
    return Fail("truncated dump file; tried to read " + std::to_string(kRecordHeader) +
                " header bytes, only got " + std::to_string(left));
  }
  const uint8_t* h = Bytes(offset_, kRecordHeader);
  if (h == nullptr) return Fail(error_);
  uint32_t sec = U32(h);
  uint32_t frac = U32(h + 4);
  uint32_t caplen = U32(h + 8);
  uint32_t len = U32(h + 12);
  if (caplen > kMaxSnaplen) {
    return Fail("invalid packet capture length " + std::to_string(caplen) +
                ", bigger than maximum of " + std::to_string(kMaxSnaplen));
  }
  left -= kRecordHeader;
  if (caplen > left) {
    return Fail("truncated dump file; tried to read " + std::to_string(caplen) +
                " captured bytes, only got " + std::to_string(left));
  }
  // The header is parsed: its bytes (perhaps in stitch_) may be overwritten now.
  const uint8_t* data = Bytes(offset_ + kRecordHeader, caplen);
  if (data == nullptr) return Fail(error_);
  // As libpcap: bytes past the file's snaplen are skipped, not handed out.
  out.data = ByteView(data, std::min(caplen, snapshot_));
  out.wire_length = len;
  // Both fields are signed 32-bit, as libpcap reads them (struct pcap_timeval): a packet's time
  // must not depend on which reader took the file.
  const auto seconds = static_cast<TimestampNs>(static_cast<int32_t>(sec));
  const auto fraction = static_cast<TimestampNs>(static_cast<int32_t>(frac));
  out.ts = seconds * kNsPerSecond + (nanosecond_ ? fraction : fraction * 1000);
  offset_ += kRecordHeader + caplen;
  return Status::kPacket;
}

}  // namespace bw::capture
