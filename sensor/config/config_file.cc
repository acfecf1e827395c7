#include "sensor/config/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace bw::config {
namespace {

// std::strerror is not thread-safe and reloads run beside other threads.
std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

const char* FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory, not a config file";
  if (S_ISFIFO(mode)) return "is a named pipe (FIFO), not a regular file";
  if (S_ISCHR(mode)) return "is a character device, not a regular file";
  if (S_ISBLK(mode)) return "is a block device, not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  return "is not a regular file";
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

bool ReadConfigFile(const std::string& path, std::string& text, std::string& error, size_t limit) {
  // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever. It changes
  // nothing for a regular file, the only kind read below.
  Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    error = path + ": cannot open file: " + ErrnoText(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    error = path + ": cannot stat file: " + ErrnoText(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + ": " + FileKind(st.st_mode);
    return false;
  }
  const std::string too_large = path + ": larger than " +
                                (limit % (1u << 20) == 0 ? std::to_string(limit >> 20) + " MiB"
                                                         : std::to_string(limit) + " bytes");
  if (static_cast<uint64_t>(st.st_size) > limit) {
    error = too_large + " (" + std::to_string(st.st_size) + " bytes)";
    return false;
  }
  // The size may change while reading (a file being written): the read stays bounded anyway.
  std::string buf(static_cast<size_t>(st.st_size) + 1, '\0');
  size_t got = 0;
  for (;;) {
    if (got == buf.size()) {
      if (buf.size() > limit) break;
      buf.resize(std::min(limit + 1, buf.size() * 2 + 4096));
    }
    ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": read error: " + ErrnoText(errno);
      return false;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > limit) {
    error = too_large;
    return false;
  }
  buf.resize(got);
  text = std::move(buf);
  return true;
}

}  // namespace bw::config
