#include "sensor/output/line_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bw::output {

LineWriter::~LineWriter() {
  Flush();
  if (file_ && owns_) std::fclose(file_);
}

bool LineWriter::Open(const std::string& path, std::string& error) {
  path_ = path;
  if (path == "-") {
    file_ = stdout;
    owns_ = false;
    return true;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  file_ = ::fdopen(fd, "a");
  if (!file_) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  owns_ = true;
  return true;
}

void LineWriter::Write(std::string_view line) {
  if (!file_) return;
  std::lock_guard<std::mutex> lock(mu_);
  bool ok = std::fwrite(line.data(), 1, line.size(), file_) == line.size() &&
            std::fputc('\n', file_) != EOF;
  if (!ok) {
    if (errors_.fetch_add(1, std::memory_order_relaxed) == 0) {
      std::fprintf(stderr, "bucketwatch: cannot write %s: %s (counting further failures)\n",
                   path_.c_str(), std::strerror(errno));
    }
    std::clearerr(file_);
    return;
  }
  lines_.fetch_add(1, std::memory_order_relaxed);
  if (file_ == stdout) std::fflush(file_);
}

void LineWriter::Flush() {
  if (!file_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (std::fflush(file_) != 0) errors_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace bw::output
