#include "sensor/output/line_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace bw::output {

bool AppendWholeLines(int fd, std::string_view lines, uint64_t size_before, bool truncatable,
                      int& err) {
  size_t done = 0;
  while (done < lines.size()) {
    ssize_t n = ::write(fd, lines.data() + done, lines.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;
      // Cut off what got in: the file holds whole lines only (a hash chain stays verifiable).
      if (done > 0 && truncatable) {
        while (::ftruncate(fd, static_cast<off_t>(size_before)) != 0 && errno == EINTR) {
        }
      }
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

bool AppendWholeLine(int fd, std::string_view line, uint64_t size_before, bool truncatable,
                     int& err) {
  std::string buf;
  buf.reserve(line.size() + 1);
  buf.append(line);
  buf.push_back('\n');
  return AppendWholeLines(fd, buf, size_before, truncatable, err);
}

FileFate FateOf(int fd, const std::string& path) {
  struct stat open_st {};
  if (::fstat(fd, &open_st) != 0 || !S_ISREG(open_st.st_mode)) return FileFate::kInPlace;
  if (open_st.st_nlink == 0) return FileFate::kDeleted;
  struct stat path_st {};
  if (::stat(path.c_str(), &path_st) != 0) {
    // Gone from the path but still linked elsewhere: renamed away. Any other error (a directory
    // made unreadable) says nothing about the file.
    return errno == ENOENT || errno == ENOTDIR ? FileFate::kMoved : FileFate::kInPlace;
  }
  if (path_st.st_dev != open_st.st_dev || path_st.st_ino != open_st.st_ino) return FileFate::kMoved;
  return FileFate::kInPlace;
}

bool CopyTail(int from, uint64_t begin, uint64_t end, int to, uint64_t to_size, int& err) {
  if (begin >= end) return true;
  const std::string self = "/proc/self/fd/" + std::to_string(from);
  int in = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    err = errno;
    return false;
  }
  std::string buf(64 * 1024, '\0');
  uint64_t pos = begin;
  bool ok = true;
  while (ok && pos < end) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - pos));
    ssize_t n = ::pread(in, buf.data(), want, static_cast<off_t>(pos));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;  // the file is shorter than what was written to it
      ok = false;
      break;
    }
    size_t done = 0;
    while (done < static_cast<size_t>(n)) {
      ssize_t w = ::write(to, buf.data() + done, static_cast<size_t>(n) - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        err = w < 0 ? errno : ENOSPC;
        ok = false;
        break;
      }
      done += static_cast<size_t>(w);
    }
    pos += static_cast<uint64_t>(n);
  }
  ::close(in);
  if (!ok) {
    while (::ftruncate(to, static_cast<off_t>(to_size)) != 0 && errno == EINTR) {
    }
  }
  return ok;
}

void ReplaceVanishedFile(FileFate fate, const std::string& label, const char* note, FILE*& file,
                         uint64_t& size, uint64_t& checked, uint64_t pending,
                         const std::function<bool(std::string&)>& open,
                         VanishedFileCounters counters) {
  FILE* old = file;
  file = nullptr;
  const uint64_t from = checked, to = size;
  std::string error;
  const bool opened = open(error);
  int err = 0;
  bool copied = fate == FileFate::kMoved || pending == 0;
  if (!copied && opened) {
    copied = CopyTail(::fileno(old), from, to, ::fileno(file), size, err);
    if (copied) {
      size += to - from;
      checked = size;
    }
  }
  if (!copied) counters.lost.fetch_add(pending, std::memory_order_relaxed);
  std::fclose(old);
  const char* what = fate == FileFate::kDeleted ? "deleted" : "moved away";
  const auto n = static_cast<unsigned long long>(pending);
  if (!opened) {
    counters.errors.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr,
                 "bucketwatch: %s was %s while open and cannot be opened again: %s (%llu lines "
                 "written since it was last seen in place are lost; further lines are counted as "
                 "lost until it can be opened)\n",
                 label.c_str(), what, error.c_str(), copied ? 0ull : n);
    return;
  }
  counters.reopens.fetch_add(1, std::memory_order_relaxed);
  if (fate == FileFate::kMoved) {
    std::fprintf(stderr,
                 "bucketwatch: %s was renamed or replaced while open; the lines before are in "
                 "the moved file, new lines go to the file now at the path%s\n",
                 label.c_str(), note);
  } else if (copied && n > 0) {
    std::fprintf(stderr,
                 "bucketwatch: %s was deleted while open; writing to a new file at the path, "
                 "which starts with the %llu lines written since the deleted one was last seen "
                 "in place%s\n",
                 label.c_str(), n, note);
  } else if (copied) {
    std::fprintf(stderr,
                 "bucketwatch: %s was deleted while open; writing to a new file at the "
                 "path%s\n",
                 label.c_str(), note);
  } else {
    counters.errors.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr,
                 "bucketwatch: %s was deleted while open; writing to a new file at the path%s; "
                 "the %llu lines written since the deleted one was last seen in place could not "
                 "be moved to it (%s) and are lost\n",
                 label.c_str(), note, n, std::strerror(err));
  }
}

LineWriter::~LineWriter() {
  Flush();
  if (file_ && owns_) std::fclose(file_);
}

bool LineWriter::OpenFile(std::string& error) {
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = "cannot open " + path_ + ": " + std::strerror(errno);
    return false;
  }
  file_ = ::fdopen(fd, "a");
  if (!file_) {
    error = "cannot open " + path_ + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  struct stat st {};
  size_ = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  checked_size_ = size_;
  unchecked_lines_ = 0;
  owns_ = true;
  return true;
}

bool LineWriter::Open(const std::string& path, std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  path_ = path;
  if (path == "-") {
    file_ = stdout;
    owns_ = false;
  } else if (!OpenFile(error)) {
    return false;
  }
  open_.store(true, std::memory_order_relaxed);
  return true;
}

void LineWriter::LoseLine(int err) {
  lost_.fetch_add(1, std::memory_order_relaxed);
  if (errors_.fetch_add(1, std::memory_order_relaxed) == 0 && err != 0) {
    std::fprintf(stderr,
                 "bucketwatch: cannot write %s: %s (lines are dropped and counted as write "
                 "errors until there is room)\n",
                 path_.c_str(), std::strerror(err));
  }
}

void LineWriter::Write(std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!file_) {
    // Open, but the path could not be opened again after a deletion (logged then).
    if (open_.load(std::memory_order_relaxed)) LoseLine(0);
    return;
  }
  int err = 0;
  if (!owns_) std::fflush(file_);  // stdout: whatever stdio holds goes first
  if (!AppendWholeLine(::fileno(file_), line, size_, owns_, err)) {
    LoseLine(err);
    return;
  }
  size_ += line.size() + 1;
  ++unchecked_lines_;
  lines_.fetch_add(1, std::memory_order_relaxed);
}

void LineWriter::CheckPath() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!open_.load(std::memory_order_relaxed) || !owns_) return;
  std::string error;
  if (!file_) {
    if (OpenFile(error)) {
      std::fprintf(stderr, "bucketwatch: %s open again; %llu lines lost so far\n", path_.c_str(),
                   static_cast<unsigned long long>(lines_lost()));
    }
    return;
  }
  const FileFate fate = FateOf(::fileno(file_), path_);
  if (fate == FileFate::kInPlace) {
    checked_size_ = size_;
    unchecked_lines_ = 0;
    return;
  }
  ReplaceVanishedFile(fate, path_, "", file_, size_, checked_size_, unchecked_lines_,
                      [this](std::string& e) { return OpenFile(e); }, {lost_, errors_, reopens_});
}

void LineWriter::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!file_) return;
  if (std::fflush(file_) != 0) errors_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace bw::output
