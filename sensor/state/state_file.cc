#include "sensor/state/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sensor/common/file_io.h"

namespace bw::state {

namespace {

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

StateFile::StateFile(std::string dir, uint64_t max_bytes, std::string file_name)
    : dir_(std::move(dir)), path_(dir_ + "/" + file_name), max_bytes_(max_bytes) {}

bool StateFile::Prepare(std::string& error) {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    error = Errno("cannot create state directory", dir_);
    return false;
  }
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0) {
    error = Errno("cannot use state directory", dir_);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    error = "state directory " + dir_ + " is not a directory";
    return false;
  }
  if (::access(dir_.c_str(), W_OK | X_OK) != 0) {
    error = Errno("cannot write state directory", dir_);
    return false;
  }
  return true;
}

StateFile::LoadStatus StateFile::Load(ParseResult& out, std::string& message) {
  out = ParseResult{};
  // O_NONBLOCK: a FIFO put in the file's place must not hang the start.
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) return LoadStatus::kNone;
  std::string why;
  std::string text;
  struct stat st {};
  if (fd < 0) {
    why = std::strerror(errno);
  } else if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    why = "not a regular file";
  } else {
    text.resize(max_bytes_ + 1);
    size_t got = 0;
    while (got < text.size()) {
      ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        why = std::strerror(errno);
        break;
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
    if (why.empty() && got > max_bytes_) {
      why = "larger than state.max_bytes (" + std::to_string(max_bytes_) + ")";
    }
  }
  if (fd >= 0) ::close(fd);
  if (why.empty()) {
    out = Parse(text);
    if (out.ok) return LoadStatus::kLoaded;
    why = out.error;
  }
  const std::string kept = path_ + ".rejected";
  if (::rename(path_.c_str(), kept.c_str()) == 0) {
    message = path_ + ": " + why + "; moved to " + kept + ", starting without learned state";
  } else {
    message = path_ + ": " + why +
              "; starting without learned state (cannot move it aside: " + std::strerror(errno) +
              ")";
  }
  return LoadStatus::kRejected;
}

bool StateFile::Save(const std::string& document, std::string& error) {
  if (document.size() > max_bytes_) {
    error = "state of " + std::to_string(document.size()) + " bytes exceeds state.max_bytes (" +
            std::to_string(max_bytes_) + "); not saved";
    return false;
  }
  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = Errno("cannot write", tmp);
    return false;
  }
  bool ok = common::WriteAll(fd, document) && ::fsync(fd) == 0;
  if (!ok) error = Errno("cannot write", tmp);
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = Errno("cannot write", tmp);
  }
  if (ok && ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ok = false;
    error = Errno("cannot replace", path_);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace bw::state
