#include "sensor/output/ledger_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <vector>

#include "dissectors/common/hex.h"
#include "sensor/output/digest.h"
#include "sensor/output/line_writer.h"

namespace bw::output {

namespace {

constexpr size_t kTailChunk = 64 * 1024;
constexpr size_t kMaxTailLine = 64 * 1024 * 1024;  // a longer "last line" is not a ledger line

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string StampOf(TimestampNs ts) {
  time_t secs = static_cast<time_t>(ts / kNsPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The last line of a plain file (without its newline), read backwards in
// chunks; `torn` is set when the file does not end with a newline.
bool LastLineOfPlain(const std::string& path, std::string& line, bool& torn) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return false;
  }
  off_t end = st.st_size;
  char last = 0;
  if (::pread(fd, &last, 1, end - 1) != 1) {
    ::close(fd);
    return false;
  }
  torn = last != '\n';
  if (!torn) --end;
  std::string tail;
  off_t pos = end;
  while (pos > 0 && tail.size() < kMaxTailLine) {
    size_t n = static_cast<size_t>(std::min<off_t>(pos, kTailChunk));
    std::string chunk(n, '\0');
    if (::pread(fd, chunk.data(), n, pos - static_cast<off_t>(n)) != static_cast<ssize_t>(n)) {
      ::close(fd);
      return false;
    }
    pos -= static_cast<off_t>(n);
    tail.insert(0, chunk);
    auto nl = tail.rfind('\n');
    if (nl != std::string::npos) {
      line = tail.substr(nl + 1);
      ::close(fd);
      return true;
    }
  }
  ::close(fd);
  line = tail;
  return true;
}

// The last line of a gzip (or plain) file, by reading it through.
bool LastLineOfGzip(const std::string& path, std::string& line) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) return false;
  std::string current, last;
  char buf[64 * 1024];
  int n;
  while ((n = gzread(gz, buf, sizeof(buf))) > 0) {
    for (int i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        last.swap(current);
        current.clear();
      } else if (current.size() < kMaxTailLine) {
        current.push_back(buf[i]);
      }
    }
  }
  gzclose(gz);
  line = current.empty() ? last : current;
  return n == 0;
}

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// Rotated siblings of `path`, oldest first.
std::vector<std::pair<RotatedName, std::string>> RotatedSiblings(const std::string& path) {
  std::vector<std::pair<RotatedName, std::string>> out;
  std::string dir = DirOf(path);
  std::string base_name =
      path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(base_name + ".", 0) != 0) continue;
    std::string full = path.find('/') == std::string::npos ? name : JoinPath(dir, name);
    auto parsed = ParseRotatedName(full);
    if (parsed && parsed->base == path) out.emplace_back(*parsed, full);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.first.stamp != b.first.stamp) return a.first.stamp < b.first.stamp;
    return a.first.seq < b.first.seq;
  });
  return out;
}

}  // namespace

void Sha256HexTo(std::string_view data, std::string& out) {
  // Once per ledger line on the output thread (and per line in the report's chain check).
  thread_local Digest sha256("SHA256");
  unsigned char digest[EVP_MAX_MD_SIZE];
  size_t len = sha256.Compute(data, digest);
  out.clear();
  AppendHex(out, std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string Sha256Hex(std::string_view data) {
  std::string out;
  Sha256HexTo(data, out);
  return out;
}

void AppendChainFieldTo(std::string& out, std::string_view line, std::string_view prev) {
  // A JSON object ends with '}'; an empty object "{}" takes the member without
  // a comma.
  std::string_view body = line;
  if (!body.empty() && body.back() == '}') body.remove_suffix(1);
  out.append(body);
  bool empty_object = body.size() == 1 && body[0] == '{';
  out.append(empty_object ? kChainFieldPrefix.substr(1) : kChainFieldPrefix);
  out.append(prev);
  out.append(kChainFieldSuffix);
}

std::string AppendChainField(std::string_view line, std::string_view prev) {
  std::string out;
  out.reserve(line.size() + kChainFieldPrefix.size() + prev.size() + kChainFieldSuffix.size());
  AppendChainFieldTo(out, line, prev);
  return out;
}

std::optional<std::string_view> ChainFieldOf(std::string_view line) {
  size_t need = kChainFieldPrefix.size() + 64 + kChainFieldSuffix.size();
  if (line.size() < need) return std::nullopt;
  std::string_view tail = line.substr(line.size() - need);
  if (tail.substr(need - kChainFieldSuffix.size()) != kChainFieldSuffix) return std::nullopt;
  if (tail.substr(0, kChainFieldPrefix.size()) != kChainFieldPrefix) {
    // An otherwise empty object carries the member without the comma:
    // {"log":{...}}.
    if (line.size() != need || line[0] != '{' ||
        line.substr(1, kChainFieldPrefix.size() - 1) != kChainFieldPrefix.substr(1)) {
      return std::nullopt;
    }
  }
  std::string_view hex = tail.substr(kChainFieldPrefix.size(), 64);
  if (!IsHex64(hex)) return std::nullopt;
  return hex;
}

std::optional<RotatedName> ParseRotatedName(std::string_view path) {
  RotatedName r;
  std::string_view s = path;
  if (s.size() > 3 && s.substr(s.size() - 3) == ".gz") {
    r.gzip = true;
    s.remove_suffix(3);
  }
  // Optional ".<n>" after the stamp.
  auto dot = s.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view last = s.substr(dot + 1);
  bool digits = !last.empty() && last.size() <= 9 &&
                std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    r.seq = static_cast<uint32_t>(std::stoul(std::string(last)));
    s = s.substr(0, dot);
    dot = s.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    last = s.substr(dot + 1);
  }
  // YYYYMMDDTHHMMSSZ
  if (last.size() != 16 || last[8] != 'T' || last[15] != 'Z') return std::nullopt;
  for (size_t i = 0; i < 15; ++i) {
    if (i == 8) continue;
    if (last[i] < '0' || last[i] > '9') return std::nullopt;
  }
  if (dot == 0) return std::nullopt;
  r.stamp = std::string(last);
  r.base = std::string(s.substr(0, dot));
  return r;
}

LedgerFileOptions LedgerFileOptions::FromConfig(const config::LedgerConfig& c) {
  LedgerFileOptions o;
  o.rotate_bytes = c.rotate_bytes;
  o.rotate_interval = c.rotate_interval;
  o.compress = c.compression == "gzip";
  o.hash_chain = c.hash_chain;
  return o;
}

LedgerFile::~LedgerFile() { Close(); }

TimestampNs LedgerFile::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void LedgerFile::SetRotation(uint64_t rotate_bytes, TimestampNs rotate_interval, bool compress) {
  std::lock_guard lock(mu_);
  options_.rotate_bytes = rotate_bytes;
  options_.rotate_interval = rotate_interval;
  options_.compress = compress;
  if (compress && !compressor_.joinable() && path_ != "-" && !path_.empty()) {
    compressor_ = std::thread([this] { CompressLoop(); });
  }
}

bool LedgerFile::Open(const std::string& path, const LedgerFileOptions& options,
                      std::string& error) {
  path_ = path;
  options_ = options;
  if (path == "-") {
    file_ = stdout;
    owns_ = false;
    open_.store(true, std::memory_order_relaxed);
    return true;
  }
  SetAsideTornLine();
  ResumeChain();
  if (!OpenActive(error)) return false;
  open_.store(true, std::memory_order_relaxed);
  if (options_.compress) {
    compressor_ = std::thread([this] { CompressLoop(); });
    for (auto& [name, full] : RotatedSiblings(path_)) {
      if (!name.gzip) Enqueue(full);
    }
  }
  return true;
}

void LedgerFile::SetAsideTornLine() {
  std::string fragment;
  bool torn = false;
  if (!LastLineOfPlain(path_, fragment, torn) || !torn) return;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) < fragment.size()) {
    return;
  }
  const off_t cut = st.st_size - static_cast<off_t>(fragment.size());
  // The fragment is kept, byte for byte, next to the ledger: it is evidence, but not a line
  // any JSON reader or the chain verifier can take.
  std::string aside = path_ + ".torn-" + StampOf(Now());
  for (uint32_t seq = 1; Exists(aside); ++seq) {
    aside = path_ + ".torn-" + StampOf(Now()) + "." + std::to_string(seq);
  }
  int fd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  int err = 0;
  bool saved = fd >= 0 && AppendWholeLine(fd, fragment, 0, true, err) && ::fsync(fd) == 0;
  if (!saved && err == 0) err = errno;
  if (fd >= 0) ::close(fd);
  bool cut_ok = saved && ::truncate(path_.c_str(), cut) == 0;
  if (saved && !cut_ok) err = errno;
  if (cut_ok) {
    std::fprintf(stderr,
                 "bucketwatch: %s ended in a torn line (%zu bytes, left by a crash); moved it to "
                 "%s, the ledger continues from its last whole line\n",
                 path_.c_str(), fragment.size(), aside.c_str());
    return;
  }
  // Could not move it: close the line so the next one is not glued to it (the chain, if on,
  // then covers the fragment as a line of its own).
  if (fd >= 0) ::unlink(aside.c_str());
  errors_.fetch_add(1, std::memory_order_relaxed);
  fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0) {
    if (::write(fd, "\n", 1) != 1) errors_.fetch_add(1, std::memory_order_relaxed);
    ::close(fd);
  }
  std::fprintf(stderr,
               "bucketwatch: %s ended in a torn line (%zu bytes) that could not be moved aside "
               "(%s); it stays as a line of its own\n",
               path_.c_str(), fragment.size(), std::strerror(err));
}

void LedgerFile::ResumeChain() {
  if (!options_.hash_chain) return;
  std::string line;
  bool torn = false;
  if (LastLineOfPlain(path_, line, torn)) {
    prev_hash_ = written_hash_ = Sha256Hex(line);
    return;
  }
  auto siblings = RotatedSiblings(path_);
  if (siblings.empty()) return;
  const std::string& newest = siblings.back().second;
  bool ok = siblings.back().first.gzip ? LastLineOfGzip(newest, line)
                                       : LastLineOfPlain(newest, line, torn);
  if (ok && !line.empty()) prev_hash_ = written_hash_ = Sha256Hex(line);
}

bool LedgerFile::OpenActive(std::string& error) {
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = "cannot open " + path_ + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  file_bytes_ = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  file_ = ::fdopen(fd, "a");
  if (!file_) {
    error = "cannot open " + path_ + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  owns_ = true;
  opened_at_ = Now();
  checked_bytes_ = file_bytes_;
  unchecked_lines_ = 0;
  return true;
}

void LedgerFile::Write(std::string_view line) {
  // file_ is only read under the lock: a rotation leaves it null for a moment, and a writer
  // that looked without the lock would drop its line.
  std::lock_guard<std::mutex> lock(mu_);
  if (!file_) {
    // Open, but no file could be opened again after a rotation or a deletion (logged then).
    if (open_.load(std::memory_order_relaxed)) LoseLineLocked(0);
    return;
  }
  const size_t line_bytes =
      line.size() +
      (options_.hash_chain ? kChainFieldPrefix.size() + 64 + kChainFieldSuffix.size() : 0);
  if (owns_) {
    TimestampNs now = Now();
    auto due = [&] {
      const uint64_t bytes = file_bytes_ + batch_.size();
      return bytes > 0 && (bytes + line_bytes + 1 > options_.rotate_bytes ||
                           now - opened_at_ >= options_.rotate_interval);
    };
    if (due()) {
      // A rotation renames whatever is at the path: first make sure that is still this file
      // (which writes the batch out).
      CheckPathLocked();
      if (file_ && due()) RotateLocked(now);
      if (!file_) {
        LoseLineLocked(0);
        return;
      }
    }
  }
  const size_t start = batch_.size();
  if (options_.hash_chain) {
    AppendChainFieldTo(batch_, line, prev_hash_);
    // The chain runs ahead over the batch; a batch that cannot be written takes it back.
    Sha256HexTo(std::string_view(batch_).substr(start), prev_hash_);
  } else {
    batch_.append(line);
  }
  batch_.push_back('\n');
  ++batch_lines_;
  if (batch_.size() >= kLedgerBatchBytes) FlushBatchLocked();
}

void LedgerFile::FlushBatchLocked() {
  if (batch_.empty()) return;
  const uint64_t lines = batch_lines_;
  if (!file_) {
    for (uint64_t i = 0; i < lines; ++i) LoseLineLocked(0);
    DropBatchLocked();
    return;
  }
  int err = 0;
  if (!owns_) std::fflush(file_);  // stdout: whatever stdio holds goes first
  if (AppendWholeLines(::fileno(file_), batch_, file_bytes_, owns_, err)) {
    file_bytes_ += batch_.size();
    unchecked_lines_ += lines;
    lines_.fetch_add(lines, std::memory_order_relaxed);
    written_hash_ = prev_hash_;
    batch_.clear();
    batch_lines_ = 0;
    return;
  }
  // The batch did not fit (disk full) and was cut off again: as many whole lines as fit go in
  // one by one, in order, and the chain continues from the last of them.
  std::string_view rest = batch_;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string_view one = rest.substr(0, nl);
    if (!AppendWholeLine(::fileno(file_), one, file_bytes_, owns_, err)) break;
    file_bytes_ += one.size() + 1;
    ++unchecked_lines_;
    lines_.fetch_add(1, std::memory_order_relaxed);
    if (options_.hash_chain) Sha256HexTo(one, written_hash_);
    rest.remove_prefix(nl + 1);
  }
  for (size_t nl = rest.find('\n'); nl != std::string_view::npos; nl = rest.find('\n')) {
    LoseLineLocked(err);
    rest.remove_prefix(nl + 1);
  }
  DropBatchLocked();
}

void LedgerFile::DropBatchLocked() {
  // The chain advances only over lines that reached the file.
  prev_hash_ = written_hash_;
  batch_.clear();
  batch_lines_ = 0;
}

void LedgerFile::LoseLineLocked(int err) {
  lost_.fetch_add(1, std::memory_order_relaxed);
  if (errors_.fetch_add(1, std::memory_order_relaxed) == 0 && err != 0) {
    std::fprintf(stderr,
                 "bucketwatch: cannot write %s: %s (ledger lines are dropped and counted as "
                 "write errors until there is room; the hash chain continues from the last "
                 "line written)\n",
                 path_.c_str(), std::strerror(err));
  }
}

void LedgerFile::CheckPath() {
  std::lock_guard<std::mutex> lock(mu_);
  CheckPathLocked();
}

void LedgerFile::CheckPathLocked() {
  if (!open_.load(std::memory_order_relaxed) || !owns_) return;
  // Whatever is batched goes to the file first, so a deletion noticed now is noticed with every
  // line before it in the file (and copied to the successor).
  FlushBatchLocked();
  std::string error;
  if (!file_) {
    // A rotation or an earlier reopen could not open the path: it may work again now (the
    // directory is back, there is room).
    if (OpenActive(error)) {
      std::fprintf(stderr, "bucketwatch: ledger %s open again; %llu lines lost so far\n",
                   path_.c_str(), static_cast<unsigned long long>(lines_lost()));
    }
    return;
  }
  const FileFate fate = FateOf(::fileno(file_), path_);
  if (fate == FileFate::kInPlace) {
    checked_bytes_ = file_bytes_;
    unchecked_lines_ = 0;
    return;
  }
  ReplaceVanishedFile(fate, "ledger " + path_, " (the hash chain continues)", file_, file_bytes_,
                      checked_bytes_, unchecked_lines_,
                      [this](std::string& e) { return OpenActive(e); }, {lost_, errors_, reopens_});
}

void LedgerFile::RotateLocked(TimestampNs now) {
  if (std::fclose(file_) != 0) errors_.fetch_add(1, std::memory_order_relaxed);
  file_ = nullptr;
  std::string stamp = StampOf(now);
  std::string target = path_ + "." + stamp;
  for (uint32_t seq = 1; Exists(target) || Exists(target + ".gz"); ++seq) {
    target = path_ + "." + stamp + "." + std::to_string(seq);
  }
  if (::rename(path_.c_str(), target.c_str()) != 0) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "bucketwatch: cannot rotate %s: %s (appending to it)\n", path_.c_str(),
                 std::strerror(errno));
  } else {
    rotations_.fetch_add(1, std::memory_order_relaxed);
    if (options_.compress) Enqueue(target);
  }
  std::string error;
  if (!OpenActive(error)) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "bucketwatch: %s (ledger lines are now counted as write errors)\n",
                 error.c_str());
  }
}

void LedgerFile::Enqueue(std::string rotated) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.push_back(std::move(rotated));
  }
  queue_cv_.notify_one();
}

void LedgerFile::CompressLoop() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  for (;;) {
    queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, with nothing left to do
    std::string next = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    std::string error;
    if (GzipFile(next, error)) {
      compressed_.fetch_add(1, std::memory_order_relaxed);
    } else {
      compress_errors_.fetch_add(1, std::memory_order_relaxed);
      std::fprintf(stderr, "bucketwatch: %s (rotated ledger left uncompressed)\n", error.c_str());
    }
    lock.lock();
  }
}

void LedgerFile::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  FlushBatchLocked();
  if (!file_) return;
  if (std::fflush(file_) != 0) errors_.fetch_add(1, std::memory_order_relaxed);
}

void LedgerFile::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Lines written since the last check to a file deleted meanwhile are still to be saved.
    CheckPathLocked();
    FlushBatchLocked();
    open_.store(false, std::memory_order_relaxed);
    if (file_) {
      if (std::fflush(file_) != 0) errors_.fetch_add(1, std::memory_order_relaxed);
      if (owns_ && std::fclose(file_) != 0) errors_.fetch_add(1, std::memory_order_relaxed);
      file_ = nullptr;
    }
  }
  if (compressor_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    compressor_.join();
  }
}

bool GzipFile(const std::string& path, std::string& error) {
  std::string tmp = path + ".gz.tmp";
  std::string final_name = path + ".gz";
  int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (out < 0) {
    error = "cannot create " + tmp + ": " + std::strerror(errno);
    ::close(in);
    return false;
  }
  gzFile gz = gzdopen(out, "wb6");
  if (!gz) {
    error = "cannot compress " + path;
    ::close(out);
    ::close(in);
    ::unlink(tmp.c_str());
    return false;
  }
  std::vector<char> buf(256 * 1024);
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      error = "cannot read " + path + ": " + std::strerror(errno);
      break;
    }
    if (n == 0) break;
    if (gzwrite(gz, buf.data(), static_cast<unsigned>(n)) != static_cast<int>(n)) {
      ok = false;
      error = "cannot write " + tmp;
      break;
    }
  }
  ::close(in);
  if (gzclose(gz) != Z_OK && ok) {
    ok = false;
    error = "cannot finish " + tmp;
  }
  if (ok && ::rename(tmp.c_str(), final_name.c_str()) != 0) {
    ok = false;
    error = "cannot rename " + tmp + ": " + std::strerror(errno);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  ::unlink(path.c_str());
  return true;
}

}  // namespace bw::output
