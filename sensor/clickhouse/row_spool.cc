#include "sensor/clickhouse/row_spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "sensor/common/file_io.h"

namespace bw::clickhouse {

namespace {

// Version 2 carries the INSERT clause its rows are written for; version 1 (JSONEachRow rows
// with every column named) is still read, so a queue left by an older sensor is sent as it is.
constexpr std::string_view kMagic = "BWROWS2 ";
constexpr std::string_view kMagicV1 = "BWROWS1 ";
constexpr std::string_view kClauseV1 = "FORMAT JSONEachRow";
constexpr std::string_view kSuffix = ".rows";
constexpr std::string_view kTempSuffix = ".rows.tmp";

uint32_t Crc(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes a uInt length: feed large batches in pieces.
  while (!data.empty()) {
    const size_t n = std::min<size_t>(data.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n));
    data.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

bool ParseId(std::string_view name, std::string_view suffix, uint64_t& id) {
  if (name.size() != 16 + suffix.size() || name.substr(16) != suffix) return false;
  auto [p, ec] = std::from_chars(name.data(), name.data() + 16, id, 16);
  return ec == std::errc() && p == name.data() + 16;
}

}  // namespace

RowSpool::RowSpool(std::string dir, uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

std::string RowSpool::PathOf(uint64_t id) const {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(id));
  return dir_ + "/" + name + std::string(kSuffix);
}

std::string RowSpool::Encode(std::string_view clause, std::string_view rows, uint64_t count) {
  std::string payload;
  payload.reserve(clause.size() + 1 + rows.size());
  payload.append(clause).append(1, '\n').append(rows);
  char header[96];
  int n = std::snprintf(header, sizeof header, "%.*s%llu %zu %08x\n",
                        static_cast<int>(kMagic.size()), kMagic.data(),
                        static_cast<unsigned long long>(count), payload.size(), Crc(payload));
  return std::string(header, static_cast<size_t>(n)) + payload;
}

bool RowSpool::Decode(std::string_view file, std::string_view& clause, std::string_view& rows,
                      uint64_t& count) {
  const bool v1 = file.substr(0, kMagicV1.size()) == kMagicV1;
  if (!v1 && file.substr(0, kMagic.size()) != kMagic) return false;
  size_t eol = file.find('\n');
  if (eol == std::string_view::npos || eol > 80) return false;
  std::string_view h = file.substr(kMagic.size(), eol - kMagic.size());
  uint64_t len = 0;
  uint32_t crc = 0;
  const char* p = h.data();
  const char* end = h.data() + h.size();
  auto r1 = std::from_chars(p, end, count);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != ' ') return false;
  auto r2 = std::from_chars(r1.ptr + 1, end, len);
  if (r2.ec != std::errc() || r2.ptr == end || *r2.ptr != ' ') return false;
  auto r3 = std::from_chars(r2.ptr + 1, end, crc, 16);
  if (r3.ec != std::errc() || r3.ptr != end) return false;
  const std::string_view payload = file.substr(eol + 1);
  if (payload.size() != len || Crc(payload) != crc || count == 0) return false;
  if (v1) {
    clause = kClauseV1;
    rows = payload;
  } else {
    const size_t cut = payload.find('\n');
    if (cut == std::string_view::npos || cut == 0) return false;
    clause = payload.substr(0, cut);
    rows = payload.substr(cut + 1);
  }
  // The count is outside the CRC: one row per line holds it to the rows.
  return !rows.empty() && rows.back() == '\n' &&
         static_cast<uint64_t>(std::count(rows.begin(), rows.end(), '\n')) == count;
}

bool RowSpool::SyncDir() {
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

bool RowSpool::Open(std::string& error) {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    error = "cannot create " + dir_ + ": " + std::strerror(errno);
    return false;
  }
  DIR* d = ::opendir(dir_.c_str());
  if (!d) {
    error = "cannot read " + dir_ + ": " + std::strerror(errno);
    return false;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::lock_guard lock(mu_);
  std::string file;
  for (const std::string& name : names) {
    uint64_t id = 0;
    if (ParseId(name, kTempSuffix, id)) {
      // A batch whose append a crash cut short before its rename: its rows were never
      // acknowledged as queued; the sender never saw them.
      ::unlink((dir_ + "/" + name).c_str());
      ++stats_.corrupt;
      spdlog::warn("clickhouse: removed {} (a batch a crash cut short)", name);
      continue;
    }
    if (!ParseId(name, kSuffix, id)) continue;
    std::string_view clause, rows;
    uint64_t count = 0;
    if (!common::ReadFile(dir_ + "/" + name, file) || !Decode(file, clause, rows, count)) {
      ::unlink((dir_ + "/" + name).c_str());
      ++stats_.corrupt;
      spdlog::error("clickhouse: removed damaged queue file {}/{}", dir_, name);
      continue;
    }
    batches_[id] = Batch{count, file.size()};
    stats_.rows += count;
    stats_.bytes += file.size();
    next_id_ = std::max(next_id_, id + 1);
  }
  stats_.batches = batches_.size();
  return true;
}

RowSpool::AppendResult RowSpool::Append(std::string_view clause, std::string_view rows,
                                        uint64_t count) {
  if (count == 0) return AppendResult::kOk;
  const std::string data = Encode(clause, rows, count);
  uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    if (stats_.bytes + data.size() > max_bytes_) return AppendResult::kFull;
    id = next_id_++;
    // Reserve the room now: a concurrent append must not pass the bound.
    stats_.bytes += data.size();
  }
  const std::string path = PathOf(id);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && common::WriteAll(fd, data) && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0 && SyncDir();
  std::lock_guard lock(mu_);
  if (!ok) {
    ::unlink(tmp.c_str());
    stats_.bytes -= data.size();
    ++stats_.write_errors;
    return AppendResult::kError;
  }
  batches_[id] = Batch{count, data.size()};
  stats_.rows += count;
  stats_.batches = batches_.size();
  return AppendResult::kOk;
}

uint64_t RowSpool::ReadOldest(uint64_t max_rows, uint64_t max_bytes, std::vector<uint64_t>& ids,
                              std::string& clause, std::string& rows) {
  ids.clear();
  clause.clear();
  uint64_t total = 0;
  std::string file;
  for (;;) {
    uint64_t id = 0;
    {
      std::lock_guard lock(mu_);
      auto it = ids.empty() ? batches_.begin() : batches_.upper_bound(ids.back());
      if (it == batches_.end()) break;
      if (!ids.empty() &&
          (total + it->second.rows > max_rows || rows.size() + it->second.bytes > max_bytes)) {
        break;
      }
      id = it->first;
    }
    std::string_view batch_clause, body;
    uint64_t count = 0;
    if (!common::ReadFile(PathOf(id), file) || !Decode(file, batch_clause, body, count)) {
      spdlog::error("clickhouse: removed damaged queue file {}", PathOf(id));
      std::lock_guard lock(mu_);
      ++stats_.corrupt;
      RemoveLocked(id);
      if (ids.empty()) continue;
      break;
    }
    // One INSERT takes rows of one clause: an older sensor's batches go in their own.
    if (ids.empty()) {
      clause.assign(batch_clause);
    } else if (batch_clause != clause) {
      break;
    }
    rows.append(body);
    ids.push_back(id);
    total += count;
  }
  return total;
}

void RowSpool::RemoveLocked(uint64_t id) {
  auto it = batches_.find(id);
  if (it == batches_.end()) return;
  if (::unlink(PathOf(id).c_str()) != 0 && errno != ENOENT) ++stats_.write_errors;
  stats_.rows -= it->second.rows;
  stats_.bytes -= it->second.bytes;
  batches_.erase(it);
  stats_.batches = batches_.size();
}

void RowSpool::Remove(const std::vector<uint64_t>& ids) {
  {
    std::lock_guard lock(mu_);
    for (uint64_t id : ids) RemoveLocked(id);
  }
  // Not durable at once is harmless: a batch that comes back after a power loss is sent again
  // and collapses under FINAL.
  SyncDir();
}

RowSpoolStats RowSpool::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace bw::clickhouse
