#include "sensor/capture/pcap_file_reader.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

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

uint32_t LoadNative32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The one mapping the SIGBUS handler may repair. Plain atomics: read in a signal handler.
std::atomic<uintptr_t> g_region_begin{0};
std::atomic<uintptr_t> g_region_end{0};
std::atomic<bool> g_region_truncated{false};
uintptr_t g_page_size = 4096;
struct sigaction g_previous_sigbus {};

void OnSigbus(int sig, siginfo_t* info, void* context) {
  uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  uintptr_t begin = g_region_begin.load(std::memory_order_relaxed);
  uintptr_t end = g_region_end.load(std::memory_order_relaxed);
  if (begin != 0 && addr >= begin && addr < end) {
    // The file shrank under the mapping: zero pages from here to the end let the faulting read
    // finish; the reader reports the truncation at its next packet. mmap is async-signal-safe.
    uintptr_t page = addr & ~(g_page_size - 1);
    void* r = mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (r != MAP_FAILED) {
      g_region_truncated.store(true, std::memory_order_relaxed);
      return;
    }
  }
  // Not ours: whoever handled SIGBUS before (or the default, which ends the process) gets it
  // when the faulting instruction runs again.
  sigaction(SIGBUS, &g_previous_sigbus, nullptr);
  (void)sig;
  (void)context;
}

// Whether a reader owns the handler (one at a time).
std::atomic<bool> g_region_owned{false};

bool ClaimRegion() {
  bool expected = false;
  if (!g_region_owned.compare_exchange_strong(expected, true)) return false;
  g_page_size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  g_region_truncated.store(false);
  struct sigaction sa {};
  sa.sa_sigaction = OnSigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &g_previous_sigbus);
  return true;
}

// The mapping the handler may repair: the reader's current window. Only the thread reading the
// file touches the window, so it is never moved while a fault on it is being handled.
void SetRegion(const uint8_t* base, size_t length) {
  uintptr_t begin = reinterpret_cast<uintptr_t>(base);
  g_region_begin.store(0);
  g_region_end.store(begin + ((length + g_page_size - 1) & ~(g_page_size - 1)));
  g_region_begin.store(begin);
}

void ReleaseRegion() {
  sigaction(SIGBUS, &g_previous_sigbus, nullptr);
  g_region_begin.store(0);
  g_region_end.store(0);
  g_region_owned.store(false);
}

}  // namespace

std::unique_ptr<PcapFileReader> PcapFileReader::Open(const std::string& path,
                                                     std::string& error) {
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
  std::unique_ptr<PcapFileReader> r(new PcapFileReader());
  r->swapped_ = magic != kMagicMicro && magic != kMagicNano;
  // Only version 2.4, which every writer since 1998 uses. Older ones keep caplen and len in the
  // other order (2.3: sometimes), a quirk libpcap handles and this reader leaves to it.
  const uint16_t major = static_cast<uint16_t>(r->swapped_ ? header[5] | header[4] << 8
                                                           : header[4] | header[5] << 8);
  const uint16_t minor = static_cast<uint16_t>(r->swapped_ ? header[7] | header[6] << 8
                                                           : header[6] | header[7] << 8);
  if (major != 2 || minor != 4 || !ClaimRegion()) {
    ::close(fd);
    return nullptr;
  }
  r->claimed_ = true;
  r->fd_ = fd;
  r->size_ = static_cast<size_t>(st.st_size);
  r->nanosecond_ = (r->swapped_ ? swapped_magic : magic) == kMagicNano;
  uint32_t snaplen = r->U32(header + 16);
  r->snapshot_ = snaplen == 0 || snaplen > kMaxSnaplen ? kMaxSnaplen : snaplen;
  // The upper bits carry FCS information (LT_FCS_*); the link type is the low 26.
  r->dlt_ = LinktypeToDlt(r->U32(header + 20) & 0x03FFFFFF);
  if (!r->Map(0, kFileHeader)) return nullptr;  // libpcap opens it instead
  return r;
}

PcapFileReader::~PcapFileReader() {
  if (window_ != nullptr) ::munmap(window_, window_length_);
  if (claimed_) ReleaseRegion();
  if (fd_ >= 0) ::close(fd_);
}

bool PcapFileReader::Map(size_t offset, size_t length) {
  if (window_ != nullptr) ::munmap(window_, window_length_);
  window_ = nullptr;
  const size_t page = g_page_size;
  size_t start = offset & ~(page - 1);
  size_t want = std::max(kWindowBytes, offset - start + length);
  size_t map_length = std::min(want, size_ - start);
  void* map = ::mmap(nullptr, map_length, PROT_READ, MAP_PRIVATE, fd_, static_cast<off_t>(start));
  if (map == MAP_FAILED) return false;
  // Read ahead aggressively: the file is read once, front to back.
  ::madvise(map, map_length, MADV_SEQUENTIAL);
  window_ = static_cast<uint8_t*>(map);
  window_offset_ = start;
  window_length_ = map_length;
  SetRegion(window_, window_length_);
  return true;
}

const uint8_t* PcapFileReader::Bytes(size_t offset, size_t length) {
  if (offset < window_offset_ || offset + length > window_offset_ + window_length_) {
    if (!Map(offset, length)) return nullptr;
  }
  return window_ + (offset - window_offset_);
}

uint32_t PcapFileReader::U32(const uint8_t* p) const {
  uint32_t v = LoadNative32(p);
  return swapped_ ? __builtin_bswap32(v) : v;
}

PcapFileReader::Status PcapFileReader::Fail(std::string why) {
  error_ = std::move(why);
  return Status::kError;
}

PcapFileReader::Status PcapFileReader::Next(Packet& out) {
  if (!error_.empty()) return Status::kError;
  if (g_region_truncated.load(std::memory_order_relaxed)) {
    return Fail("the capture file was truncated while being read");
  }
  if (offset_ >= size_) return Status::kEnd;
  size_t left = size_ - offset_;
  if (left < kRecordHeader) {
    return Fail("truncated dump file; tried to read " + std::to_string(kRecordHeader) +
                " header bytes, only got " + std::to_string(left));
  }
  const uint8_t* h = Bytes(offset_, kRecordHeader);
  if (h == nullptr) return Fail(std::string("cannot map the capture file: ") + std::strerror(errno));
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
  h = Bytes(offset_, kRecordHeader + caplen);
  if (h == nullptr) return Fail(std::string("cannot map the capture file: ") + std::strerror(errno));
  // As libpcap: bytes past the file's snaplen are skipped, not handed out.
  out.data = ByteView(h + kRecordHeader, std::min(caplen, snapshot_));
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
