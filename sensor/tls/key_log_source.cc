#include "sensor/tls/key_log_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

namespace bw::tls {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kChunk = 64 * 1024;
// Directory entries looked at in one scan: beyond max_files_per_directory files, names are only
// counted, so a directory of a million entries costs a bounded scan.
constexpr size_t kMaxEntriesPerScan = 1 << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

bool SameFile(const struct stat& a, dev_t dev, ino_t ino) {
  return a.st_dev == dev && a.st_ino == ino;
}

}  // namespace

// One open file or FIFO and the state of reading it.
struct KeyLogSource::Reader {
  std::string path;  // for messages
  int fd = -1;
  bool fifo = false;
  dev_t dev = 0;
  ino_t ino = 0;
  uint64_t offset = 0;       // bytes consumed (regular files)
  uint64_t line_number = 0;  // of the last line delivered, for messages
  bool warned_malformed = false;
  bool warned_error = false;
  Clock::time_point last_growth = Clock::now();
  KeyLogLineSplitter splitter;

  ~Reader() {
    if (fd >= 0) ::close(fd);
  }
};

// A file of a watched directory, open or closed while idle.
struct KeyLogSource::DirFile {
  ino_t ino = 0;
  uint64_t offset = 0;  // where a reopened file continues
  std::unique_ptr<Reader> reader;
  // Why it was not opened; looked at again only when its inode, mode or owner change.
  OpenRefusal refused;
  mode_t refused_mode = 0;
  uid_t refused_uid = 0;
};

// One configured path.
struct KeyLogSource::Watch {
  std::string path;
  std::unique_ptr<Reader> reader;  // a file or a FIFO
  // A directory: its files by name.
  bool is_directory = false;
  std::map<std::string, DirFile> files;
  struct timespec dir_mtime {};
  Clock::time_point last_scan{};
  bool scanned = false;
  bool warned_missing = false;
  bool warned_kind = false;
  bool warned_error = false;
  bool warned_full = false;
  std::string last_refusal;  // logged once until it changes
};

KeyLogSource::KeyLogSource(KeyLogSourceOptions options, SharedKeyStore& store)
    : options_(std::move(options)), store_(store), buffer_(kChunk) {
  if (options_.max_bytes_per_poll < kChunk) options_.max_bytes_per_poll = kChunk;
  if (options_.max_files_per_directory == 0) options_.max_files_per_directory = 1;
}

KeyLogSource::~KeyLogSource() {
  Stop();
  OPENSSL_cleanse(buffer_.data(), buffer_.size());
}

std::string KeyLogSource::InsecureReason(const struct stat& st) const {
  const mode_t mode = st.st_mode;
  std::string what;
  if (mode & S_IWOTH) {
    what = "world-writable";
  } else if (mode & S_IWGRP) {
    what = "group-writable";
  } else if (mode & S_IROTH) {
    what = "world-readable";
  }
  if (!what.empty()) return what + " (mode " + Octal(mode) + ")";
  if (st.st_uid != 0 && st.st_uid != options_.run_uid) {
    return "owned by uid " + std::to_string(st.st_uid) +
           ", neither root nor the sensor's user (uid " + std::to_string(options_.run_uid) + ")";
  }
  return {};
}

std::unique_ptr<KeyLogSource::Reader> KeyLogSource::OpenReader(const std::string& path, int dir_fd,
                                                               const char* name, bool regular_only,
                                                               OpenRefusal& refusal) {
  refusal = {};
  // Non-blocking: a FIFO opens without a writer, and a read never waits for one. The kind and
  // the permissions are checked on the descriptor, so they are those of what is read.
  const int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (dir_fd >= 0 ? O_NOFOLLOW : 0);
  int fd = dir_fd >= 0 ? ::openat(dir_fd, name, flags) : ::open(path.c_str(), flags);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ELOOP) return nullptr;  // gone, or a link in a directory
    ++counters_.read_errors;
    refusal = {OpenRefusal::kError, "cannot open it: " + ErrnoText(err)};
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    ++counters_.read_errors;
    refusal = {OpenRefusal::kError, "cannot stat it: " + ErrnoText(err)};
    return nullptr;
  }
  const bool fifo = S_ISFIFO(st.st_mode);
  if (!S_ISREG(st.st_mode) && !(fifo && !regular_only)) {
    ::close(fd);
    refusal = {OpenRefusal::kNotAFile, "not a regular file or FIFO"};
    return nullptr;
  }
  if (std::string why = InsecureReason(st); !why.empty()) {
    if (!options_.allow_insecure_permissions) {
      ::close(fd);
      ++counters_.files_refused;
      refusal = {OpenRefusal::kInsecure, why};
      return nullptr;
    }
    spdlog::warn("tls.keylog: {}: {}; reading it anyway (tls.keylog_allow_insecure_permissions)",
                 path, why);
  }
  auto r = std::make_unique<Reader>();
  r->path = path;
  r->fd = fd;
  r->fifo = fifo;
  r->dev = st.st_dev;
  r->ino = st.st_ino;
  ++counters_.files_opened;
  spdlog::debug("tls.keylog: reading {}", path);
  return r;
}

bool KeyLogSource::Open(std::string& error) {
  auto refuse_text = [](const std::string& path, const std::string& why) {
    return "tls.keylog: " + path + ": " + why +
           "; key logs decrypt traffic: make it accessible to root and the sensor's user only "
           "(chmod o-rwx,g-w), or set tls.keylog_allow_insecure_permissions: true";
  };
  for (const std::string& path : options_.paths) {
    auto w = std::make_unique<Watch>();
    w->path = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      int err = errno;
      if (err != ENOENT) {
        error = "tls.keylog: " + path + ": " + ErrnoText(err);
        return false;
      }
      std::filesystem::path parent = std::filesystem::path(path).parent_path();
      if (parent.empty()) parent = ".";
      std::error_code ec;
      if (!options_.follow) {
        error = "tls.keylog: " + path + ": no such file or directory";
        return false;
      }
      if (!std::filesystem::is_directory(parent, ec)) {
        error = "tls.keylog: " + path + ": no such file or directory, nor its directory " +
                parent.string();
        return false;
      }
      spdlog::warn("tls.keylog: {} does not exist yet; waiting for it to appear", path);
      w->warned_missing = true;
    } else if (S_ISDIR(st.st_mode)) {
      if (std::string why = InsecureReason(st); !why.empty()) {
        if (!options_.allow_insecure_permissions) {
          error = refuse_text(path, why);
          return false;
        }
        spdlog::warn(
            "tls.keylog: {}: {}; reading it anyway (tls.keylog_allow_insecure_permissions)", path,
            why);
      }
      w->is_directory = true;
      ScanDirectory(*w);
      // The files there at start are held to the same rule as the directory.
      for (auto& [name, f] : w->files) {
        if (f.refused.kind == OpenRefusal::kInsecure) {
          error = refuse_text((std::filesystem::path(path) / name).string(), f.refused.why);
          return false;
        }
      }
    } else if (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) {
      OpenRefusal refusal;
      w->reader = OpenReader(path, -1, nullptr, false, refusal);
      if (!w->reader) {
        error = refusal.kind == OpenRefusal::kInsecure ? refuse_text(path, refusal.why)
                : refusal.kind == OpenRefusal::kNone
                    ? "tls.keylog: " + path + ": removed while it was being opened"
                    : "tls.keylog: " + path + ": " + refusal.why;
        return false;
      }
    } else {
      error = "tls.keylog: " + path + ": not a regular file, directory or FIFO";
      return false;
    }
    watches_.push_back(std::move(w));
  }
  return true;
}

void KeyLogSource::LogRefusal(const std::string& path, const OpenRefusal& refusal) {
  switch (refusal.kind) {
    case OpenRefusal::kNone:
      return;
    case OpenRefusal::kInsecure:
      spdlog::error(
          "tls.keylog: {}: {}; skipped: key logs decrypt traffic (chmod o-rwx,g-w, or "
          "tls.keylog_allow_insecure_permissions)",
          path, refusal.why);
      return;
    case OpenRefusal::kNotAFile:
      spdlog::debug("tls.keylog: {}: {}; skipped", path, refusal.why);
      return;
    case OpenRefusal::kError:
      spdlog::error("tls.keylog: {}: {}", path, refusal.why);
      return;
  }
}

void KeyLogSource::OnLine(Reader& r, std::string_view line) {
  ++r.line_number;
  counters_.lines_read.fetch_add(1, std::memory_order_relaxed);
  KeyLogEntry entry;  // its Secret wipes itself when it goes
  KeyLogLineResult result = ParseKeyLogLine(line, entry);
  switch (result.status) {
    case KeyLogLineStatus::kEntry:
      if (store_.Insert(entry) == KeyLogInsert::kDuplicate) {
        counters_.keys_duplicate.fetch_add(1, std::memory_order_relaxed);
      } else {
        counters_.keys_loaded.fetch_add(1, std::memory_order_relaxed);
      }
      break;
    case KeyLogLineStatus::kIgnored:
      counters_.lines_ignored.fetch_add(1, std::memory_order_relaxed);
      break;
    case KeyLogLineStatus::kMalformed:
      counters_.malformed_lines.fetch_add(1, std::memory_order_relaxed);
      counters_.malformed[static_cast<size_t>(result.error)].fetch_add(1,
                                                                       std::memory_order_relaxed);
      // The line number and the reason, never the line: it may hold most of a key.
      if (!r.warned_malformed) {
        r.warned_malformed = true;
        spdlog::warn(
            "tls.keylog: {}: line {} skipped: {}; further malformed lines of it are only "
            "counted",
            r.path, r.line_number, KeyLogErrorName(result.error));
      }
      break;
  }
}

void KeyLogSource::Read(Reader& r, bool to_end) {
  // To the end: as much as the file holds now (a bound, should a writer never stop); else a
  // share per poll.
  uint64_t budget = options_.max_bytes_per_poll;
  if (to_end && !r.fifo) {
    struct stat st {};
    if (::fstat(r.fd, &st) == 0 && static_cast<uint64_t>(st.st_size) > r.offset) {
      budget = static_cast<uint64_t>(st.st_size) - r.offset + kChunk;
    }
  }
  auto deliver = [&](std::string_view line) { OnLine(r, line); };
  // At most one EINTR per chunk read: the loop is bounded by the budget.
  int interrupted = 0;
  while (budget > 0) {
    size_t want = budget < buffer_.size() ? static_cast<size_t>(budget) : buffer_.size();
    ssize_t n = ::read(r.fd, buffer_.data(), want);
    if (n < 0) {
      int err = errno;
      if (err == EINTR && interrupted++ < 8) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return;  // a FIFO whose writer is quiet
      ++counters_.read_errors;
      if (!r.warned_error) {
        r.warned_error = true;
        spdlog::error("tls.keylog: {}: read failed: {}", r.path, ErrnoText(err));
      }
      return;
    }
    if (n == 0) {
      // A FIFO without writers: the last writer's unfinished line ended when it closed.
      if (r.fifo) Finish(r);
      return;
    }
    const uint64_t overlong_before = r.splitter.counts().overlong_lines;
    r.splitter.Feed(ByteView(buffer_.data(), static_cast<size_t>(n)), deliver);
    OPENSSL_cleanse(buffer_.data(), static_cast<size_t>(n));
    counters_.overlong_lines.fetch_add(r.splitter.counts().overlong_lines - overlong_before,
                                       std::memory_order_relaxed);
    counters_.bytes_read.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    r.offset += static_cast<uint64_t>(n);
    r.last_growth = Clock::now();
    budget -= static_cast<uint64_t>(n);
  }
}

void KeyLogSource::Finish(Reader& r) {
  r.splitter.Finish([&](std::string_view line) { OnLine(r, line); });
}

void KeyLogSource::PollWatch(Watch& w, bool to_end) {
  struct stat st {};
  if (::stat(w.path.c_str(), &st) != 0) {
    int err = errno;
    // Renamed away (rotation): what the writer still appends to the old file is read until a
    // new file takes the name.
    if (w.reader) Read(*w.reader, to_end);
    if (err != ENOENT && !w.warned_error) {
      w.warned_error = true;
      ++counters_.read_errors;
      spdlog::error("tls.keylog: {}: {}", w.path, ErrnoText(err));
    }
    return;
  }
  w.warned_error = false;
  if (S_ISDIR(st.st_mode)) {
    if (w.reader) {
      Read(*w.reader, true);
      Finish(*w.reader);
      w.reader.reset();
    }
    w.is_directory = true;
    PollDirectory(w, to_end);
    return;
  }
  if (w.is_directory) {
    w.is_directory = false;
    w.files.clear();
  }
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    if (!w.warned_kind) {
      w.warned_kind = true;
      spdlog::error("tls.keylog: {}: not a regular file, directory or FIFO; waiting for one",
                    w.path);
    }
    return;
  }
  w.warned_kind = false;
  if (w.reader && !SameFile(st, w.reader->dev, w.reader->ino)) {
    // Another file took the name (rotation by rename): the rest of the old one first.
    Read(*w.reader, true);
    Finish(*w.reader);
    w.reader.reset();
    ++counters_.files_reopened;
    spdlog::info("tls.keylog: {} was replaced; reading the new file from its start", w.path);
  }
  if (w.reader && !w.reader->fifo && static_cast<uint64_t>(st.st_size) < w.reader->offset) {
    // Truncated: written again from the start. The unfinished line, if any, is dropped.
    Reader& r = *w.reader;
    if (::lseek(r.fd, 0, SEEK_SET) == 0) {
      ++counters_.files_reopened;
      r.offset = 0;
      r.line_number = 0;
      r.splitter.Finish([](std::string_view) {});
      spdlog::info("tls.keylog: {} was truncated; reading it again from its start", w.path);
    }
  }
  if (!w.reader) {
    OpenRefusal refusal;
    w.reader = OpenReader(w.path, -1, nullptr, false, refusal);
    if (!w.reader) {
      if (refusal.kind != OpenRefusal::kNone && refusal.why != w.last_refusal) {
        LogRefusal(w.path, refusal);
      }
      w.last_refusal = refusal.why;
      return;
    }
    w.last_refusal.clear();
    if (w.warned_missing) spdlog::info("tls.keylog: {} appeared; reading it", w.path);
    w.warned_missing = false;
  }
  Read(*w.reader, to_end);
}

void KeyLogSource::ScanDirectory(Watch& w) {
  w.scanned = true;
  w.last_scan = Clock::now();
  int dir_fd = ::open(w.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    if (!w.warned_error) {
      w.warned_error = true;
      ++counters_.read_errors;
      spdlog::error("tls.keylog: {}: cannot open the directory: {}", w.path, ErrnoText(errno));
    }
    return;
  }
  struct stat dst {};
  if (::fstat(dir_fd, &dst) == 0) w.dir_mtime = dst.st_mtim;
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    ::close(dir_fd);
    ++counters_.read_errors;
    return;
  }
  std::set<std::string> present;
  size_t entries = 0;
  while (entries++ < kMaxEntriesPerScan) {
    errno = 0;
    struct dirent* e = ::readdir(dir);
    if (e == nullptr) break;
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    // Not a regular file by its entry (subdirectories, sockets, links): never a key log here.
    if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
    std::string key(name);
    auto it = w.files.find(key);
    if (it == w.files.end() && w.files.size() >= options_.max_files_per_directory) {
      ++counters_.files_skipped;
      if (!w.warned_full) {
        w.warned_full = true;
        spdlog::warn("tls.keylog: {}: more than {} files; further files are skipped (counted)",
                     w.path, options_.max_files_per_directory);
      }
      continue;
    }
    present.insert(key);
    DirFile& f = w.files[key];
    const std::string path = (std::filesystem::path(w.path) / key).string();
    struct stat st {};
    if (::fstatat(dir_fd, key.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (f.reader && st.st_ino != f.reader->ino) {
      // A new file under the old name: the rest of the old one, then the new from its start.
      Read(*f.reader, true);
      Finish(*f.reader);
      f.reader.reset();
      f.offset = 0;
      ++counters_.files_reopened;
    }
    if (f.refused.kind != OpenRefusal::kNone) {
      // Looked at again only when something changed (chmod, chown, a new file).
      if (st.st_ino == f.ino && st.st_mode == f.refused_mode && st.st_uid == f.refused_uid) {
        continue;
      }
      f.refused = {};
    }
    if (f.reader) continue;
    if (st.st_ino != f.ino) f.offset = 0;  // a file not seen before under this name
    const bool grown_or_new = st.st_ino != f.ino || static_cast<uint64_t>(st.st_size) != f.offset;
    if (!grown_or_new) continue;  // idle and closed: nothing new
    OpenRefusal refusal;
    f.reader = OpenReader(path, dir_fd, key.c_str(), true, refusal);
    f.ino = st.st_ino;
    if (!f.reader) {
      if (refusal.kind != OpenRefusal::kNone) {
        f.refused = refusal;
        f.refused_mode = st.st_mode;
        f.refused_uid = st.st_uid;
        LogRefusal(path, refusal);
      }
      continue;
    }
    if (static_cast<uint64_t>(st.st_size) >= f.offset && f.offset > 0 &&
        ::lseek(f.reader->fd, static_cast<off_t>(f.offset), SEEK_SET) ==
            static_cast<off_t>(f.offset)) {
      f.reader->offset = f.offset;  // reopened after idling: continue where it stopped
    } else {
      f.offset = 0;
    }
  }
  ::closedir(dir);
  // Files gone from the directory: what they still held, then they are forgotten.
  for (auto it = w.files.begin(); it != w.files.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.reader) {
      Read(*it->second.reader, true);
      Finish(*it->second.reader);
    }
    it = w.files.erase(it);
  }
}

void KeyLogSource::PollDirectory(Watch& w, bool to_end) {
  const Clock::time_point now = Clock::now();
  struct stat dst {};
  bool changed = !w.scanned || to_end || now - w.last_scan >= options_.rescan_interval;
  if (!changed && ::stat(w.path.c_str(), &dst) == 0) {
    changed =
        dst.st_mtim.tv_sec != w.dir_mtime.tv_sec || dst.st_mtim.tv_nsec != w.dir_mtime.tv_nsec;
  }
  if (changed) ScanDirectory(w);
  for (auto& [name, f] : w.files) {
    if (!f.reader) continue;
    Reader& r = *f.reader;
    struct stat st {};
    if (::fstat(r.fd, &st) == 0 && static_cast<uint64_t>(st.st_size) < r.offset &&
        ::lseek(r.fd, 0, SEEK_SET) == 0) {
      ++counters_.files_reopened;
      r.offset = 0;
      r.line_number = 0;
      r.splitter.Finish([](std::string_view) {});
    }
    Read(r, to_end);
    f.offset = r.offset;
    // Idle: closed, its offset kept; a rescan reopens it when it grows. Not with half a line
    // pending, which only the same descriptor's next bytes can finish.
    if (!to_end && r.splitter.pending() == 0 && now - r.last_growth >= options_.idle_close) {
      f.reader.reset();
    }
  }
}

void KeyLogSource::PollAll(bool to_end) {
  for (auto& w : watches_) PollWatch(*w, to_end);
}

void KeyLogSource::LoadAll() {
  PollAll(true);
  if (!options_.follow) {
    // Nothing will be appended: a last line without its newline is a line.
    for (auto& w : watches_) {
      if (w->reader) Finish(*w->reader);
      for (auto& [name, f] : w->files) {
        if (f.reader) Finish(*f.reader);
      }
    }
  }
  KeyLogSourceCounts c = Counts();
  spdlog::info(
      "tls.keylog: {} keys loaded from {} file(s) ({} lines, {} duplicate, {} malformed, {} "
      "overlong)",
      c.keys_loaded, c.files_opened, c.lines_read, c.keys_duplicate, c.malformed_lines,
      c.overlong_lines);
}

void KeyLogSource::Loop() {
  std::unique_lock lock(stop_mutex_);
  while (!stop_) {
    lock.unlock();
    PollAll(false);
    lock.lock();
    stop_cv_.wait_for(lock, options_.poll_interval, [this] { return stop_; });
  }
}

void KeyLogSource::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void KeyLogSource::Stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

KeyLogSourceCounts KeyLogSource::Counts() const {
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  KeyLogSourceCounts c;
  c.bytes_read = get(counters_.bytes_read);
  c.lines_read = get(counters_.lines_read);
  c.lines_ignored = get(counters_.lines_ignored);
  c.keys_loaded = get(counters_.keys_loaded);
  c.keys_duplicate = get(counters_.keys_duplicate);
  c.malformed_lines = get(counters_.malformed_lines);
  for (size_t i = 0; i < kKeyLogErrorCount; ++i) c.malformed[i] = get(counters_.malformed[i]);
  c.overlong_lines = get(counters_.overlong_lines);
  c.files_opened = get(counters_.files_opened);
  c.files_reopened = get(counters_.files_reopened);
  c.files_refused = get(counters_.files_refused);
  c.files_skipped = get(counters_.files_skipped);
  c.read_errors = get(counters_.read_errors);
  return c;
}

}  // namespace bw::tls
