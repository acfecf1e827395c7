#include "sensor/capture/capture_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bw::capture {
namespace {

constexpr uint8_t kGzipMagic0 = 0x1f;
constexpr uint8_t kGzipMagic1 = 0x8b;
// How long a read of a pipe waits before it looks at Cancel() again.
constexpr int kPollMs = 100;
// zlib: a gzip wrapper only (16), with the largest window (15).
constexpr int kGzipWindowBits = 16 + 15;

}  // namespace

struct CaptureStream::Inflater {
  z_stream z{};
  bool ready = false;
  bool member_done = false;  // a gzip member ended; another may follow
  ~Inflater() {
    if (ready) inflateEnd(&z);
  }
};

std::unique_ptr<CaptureStream> CaptureStream::Open(const std::string& path, std::string& error) {
  error.clear();
  if (path == "-") {
    // Standard input is read as a stream whatever it is, a redirected file too: one reader, as
    // it always was (a file by its name can be shared by readers).
    auto s = FromFd(STDIN_FILENO, /*owned=*/false);
    s->regular_ = false;
    return s;
  }
  int fd;
  do {
    // Blocks until a named pipe has a writer, as any reader of a pipe does.
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    error = std::strerror(errno);
    return nullptr;
  }
  return FromFd(fd, /*owned=*/true);
}

std::unique_ptr<CaptureStream> CaptureStream::FromFd(int fd, bool owned) {
  std::unique_ptr<CaptureStream> s(new CaptureStream());
  s->fd_ = fd;
  s->owned_ = owned;
  struct stat st {};
  // A regular file read from its start (stdin redirected from a file is one too).
  s->regular_ = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::lseek(fd, 0, SEEK_CUR) == 0;
  return s;
}

void CaptureStream::Sniff() {
  sniffed_ = true;
  // The gzip magic decides: its two bytes stay for Peek and Read either way.
  input_.resize(kInputBytes);
  while (input_end_ < 2) {
    const size_t got = ReadRaw(input_.data() + input_end_, 2 - input_end_);
    if (got == 0) break;
    input_end_ += got;
  }
  if (input_end_ == 2 && input_[0] == kGzipMagic0 && input_[1] == kGzipMagic1) {
    gzip_ = true;
    inflater_ = std::make_unique<Inflater>();
    if (inflateInit2(&inflater_->z, kGzipWindowBits) != Z_OK) {
      error_ = "cannot inflate gzip: out of memory";
      end_ = true;
    } else {
      inflater_->ready = true;
    }
  } else {
    peeked_.assign(input_.begin(), input_.begin() + static_cast<long>(input_end_));
    input_.clear();
    input_.shrink_to_fit();
    input_end_ = 0;
  }
}

CaptureStream::~CaptureStream() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

size_t CaptureStream::ReadRaw(uint8_t* out, size_t n) {
  for (;;) {
    if (cancelled_.load(std::memory_order_relaxed)) return 0;
    if (!regular_) {
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, kPollMs);
      if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
    }
    const ssize_t got = ::read(fd_, out, n);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0) {
      error_ = std::string("read error: ") + std::strerror(errno);
      return 0;
    }
    compressed_read_ += static_cast<uint64_t>(got);
    return static_cast<size_t>(got);
  }
}

size_t CaptureStream::Inflate(uint8_t* out, size_t n) {
  Inflater& in = *inflater_;
  // Each pass either inflates, reads more input, or ends: a pass that did neither is an error.
  for (;;) {
    if (input_at_ == input_end_) {
      input_at_ = 0;
      input_end_ = ReadRaw(input_.data(), input_.size());
      if (input_end_ == 0) {
        if (error_.empty() && !cancelled_.load(std::memory_order_relaxed) && !in.member_done) {
          error_ = "gzip stream cut short: the compressed data ends after " +
                   std::to_string(compressed_read_) + " bytes, before the end of the stream (" +
                   std::to_string(inflated_) + " bytes inflated)";
        }
        return 0;
      }
    }
    if (in.member_done) {
      // More bytes after a member: the next member (gzip -d reads concatenated members).
      if (inflateReset(&in.z) != Z_OK) {
        error_ = "cannot inflate gzip: inflateReset failed";
        return 0;
      }
      in.member_done = false;
    }
    in.z.next_in = input_.data() + input_at_;
    in.z.avail_in = static_cast<uInt>(input_end_ - input_at_);
    in.z.next_out = out;
    in.z.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    const int rc = inflate(&in.z, Z_NO_FLUSH);
    const size_t consumed = (input_end_ - input_at_) - in.z.avail_in;
    const size_t produced = std::min<size_t>(n, 1u << 30) - in.z.avail_out;
    input_at_ += consumed;
    inflated_ += produced;
    if (rc == Z_STREAM_END) {
      in.member_done = true;
    } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && input_at_ == input_end_)) {
      error_ = "corrupt gzip data after " + std::to_string(inflated_) +
               " bytes inflated: " + (in.z.msg ? in.z.msg : "inflate error " + std::to_string(rc));
      return produced;
    }
    if (produced > 0) return produced;
    if (consumed == 0 && input_at_ != input_end_ && rc != Z_STREAM_END) {
      error_ = "corrupt gzip data after " + std::to_string(inflated_) + " bytes inflated";
      return 0;
    }
  }
}

size_t CaptureStream::Fill(uint8_t* out, size_t n) {
  if (end_ || n == 0) return 0;
  if (!error_.empty()) {
    end_ = true;  // the bytes before an error were returned; nothing after it
    return 0;
  }
  const size_t got = gzip_ ? Inflate(out, n) : ReadRaw(out, n);
  if (got == 0) end_ = true;
  return got;
}

ByteView CaptureStream::Peek(size_t n) {
  if (!sniffed_) Sniff();
  if (peeked_at_ > 0) {
    peeked_.erase(peeked_.begin(), peeked_.begin() + static_cast<long>(peeked_at_));
    peeked_at_ = 0;
  }
  while (peeked_.size() < n && !end_) {
    const size_t have = peeked_.size();
    peeked_.resize(n);
    const size_t got = Fill(peeked_.data() + have, n - have);
    peeked_.resize(have + got);
  }
  return ByteView(peeked_.data(), std::min(n, peeked_.size()));
}

size_t CaptureStream::Read(uint8_t* out, size_t n) {
  if (!sniffed_) Sniff();
  size_t got = 0;
  if (peeked_at_ < peeked_.size()) {
    got = std::min(n, peeked_.size() - peeked_at_);
    std::memcpy(out, peeked_.data() + peeked_at_, got);
    peeked_at_ += got;
  }
  while (got < n && !end_) {
    const size_t more = Fill(out + got, n - got);
    if (more == 0) break;
    got += more;
  }
  return got;
}

size_t CaptureStream::ReadSome(uint8_t* out, size_t n) {
  if (!sniffed_) Sniff();
  if (peeked_at_ < peeked_.size()) {
    const size_t got = std::min(n, peeked_.size() - peeked_at_);
    std::memcpy(out, peeked_.data() + peeked_at_, got);
    peeked_at_ += got;
    return got;
  }
  return Fill(out, n);
}

void CaptureStream::ReadOn(uint64_t limit) {
  if (!gzip_ || !error_.empty()) return;
  uint8_t scratch[16 * 1024];
  for (uint64_t read = 0; read < limit;) {
    const size_t got = Read(scratch, sizeof(scratch));
    if (got == 0) break;
    read += got;
  }
}

FILE* CaptureStream::ToFile(std::unique_ptr<CaptureStream> stream) {
  cookie_io_functions_t io{};
  io.read = [](void* cookie, char* buf, size_t n) -> ssize_t {
    return static_cast<ssize_t>(
        static_cast<CaptureStream*>(cookie)->ReadSome(reinterpret_cast<uint8_t*>(buf), n));
  };
  io.close = [](void* cookie) -> int {
    delete static_cast<CaptureStream*>(cookie);
    return 0;
  };
  FILE* f = ::fopencookie(stream.get(), "r", io);
  if (f != nullptr) stream.release();
  return f;
}

}  // namespace bw::capture
