#include "sensor/output/sinks/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "sensor/common/file_io.h"

namespace bw::output::sinks {

namespace {

constexpr std::string_view kMagic = "BWSPOOL1 ";
constexpr size_t kIdDigits = 16;

uint32_t Crc32(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

bool ParseHexId(std::string_view s, uint64_t& out) {
  if (s.size() != kIdDigits) return false;
  out = 0;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return false;
    }
    out = (out << 4) | static_cast<uint64_t>(v);
  }
  return out != 0;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Spool::Spool(std::string dir, uint64_t max_alerts, uint64_t max_bytes,
             std::vector<std::string> sinks)
    : dir_(std::move(dir)),
      max_alerts_(max_alerts),
      max_bytes_(max_bytes),
      sinks_(std::move(sinks)),
      pending_(sinks_.size(), 0) {}

std::string Spool::IdName(uint64_t id) {
  char buf[kIdDigits + 1];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

std::string Spool::EncodeRecord(std::string_view json) {
  char head[64];
  std::snprintf(head, sizeof head, "%zu %08x\n", json.size(), Crc32(json));
  std::string out(kMagic);
  out += head;
  out += json;
  out += '\n';
  return out;
}

bool Spool::DecodeRecord(std::string_view record, std::string& json) {
  if (record.substr(0, kMagic.size()) != kMagic) return false;
  auto nl = record.find('\n');
  if (nl == std::string_view::npos) return false;
  std::string head(record.substr(kMagic.size(), nl - kMagic.size()));
  unsigned long long len = 0;
  unsigned int crc = 0;
  char extra = 0;
  if (std::sscanf(head.c_str(), "%llu %8x%c", &len, &crc, &extra) != 2) return false;
  if (record.size() != nl + 1 + len + 1 || record.back() != '\n') return false;
  auto body = record.substr(nl + 1, len);
  if (Crc32(body) != crc) return false;
  // Only the exact form EncodeRecord writes (no sign, no leading zeros,
  // lower-case hex).
  char canonical[64];
  std::snprintf(canonical, sizeof canonical, "%llu %08x", len, crc);
  if (head != canonical) return false;
  json.assign(body);
  return true;
}

size_t Spool::DecodeValidPrefix(std::string_view file, std::vector<std::string>& jsons,
                                std::vector<uint64_t>* record_bytes) {
  jsons.clear();
  if (record_bytes) record_bytes->clear();
  size_t valid = 0;
  while (valid < file.size()) {
    std::string_view rest = file.substr(valid);
    // A record's own header says how long it is; DecodeRecord checks the rest.
    auto nl = rest.find('\n');
    if (nl == std::string_view::npos || rest.substr(0, kMagic.size()) != kMagic) break;
    unsigned long long len = 0;
    if (std::sscanf(std::string(rest.substr(kMagic.size(), nl - kMagic.size())).c_str(), "%llu",
                    &len) != 1 ||
        len > rest.size() - nl - 1 - 1) {
      break;
    }
    std::string json;
    if (!DecodeRecord(rest.substr(0, nl + 1 + len + 1), json)) break;
    jsons.push_back(std::move(json));
    if (record_bytes) record_bytes->push_back(nl + 1 + len + 1);
    valid += nl + 1 + len + 1;
  }
  return valid;
}

bool Spool::DecodeRecords(std::string_view file, std::vector<std::string>& jsons,
                          std::vector<uint64_t>* record_bytes) {
  return DecodeValidPrefix(file, jsons, record_bytes) == file.size() && !jsons.empty();
}

std::string Spool::AlertPath(uint64_t id) const { return dir_ + "/" + IdName(id) + ".alert"; }

std::string Spool::MarkerPath(uint64_t id, size_t sink) const {
  return dir_ + "/" + IdName(id) + "." + sinks_[sink] + ".done";
}

bool Spool::SyncDir() {
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

bool Spool::Open(std::string& error) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    error = "spool directory " + dir_ + ": " + ec.message();
    return false;
  }
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = "spool directory " + dir_ + ": not a directory";
    return false;
  }
  if ((st.st_mode & 0777) != 0700 && ::chmod(dir_.c_str(), 0700) != 0) {
    error = "spool directory " + dir_ + ": chmod 0700: " + std::strerror(errno);
    return false;
  }
  if (::access(dir_.c_str(), W_OK | X_OK) != 0) {
    error = "spool directory " + dir_ + ": " + std::strerror(errno);
    return false;
  }
  DIR* d = ::opendir(dir_.c_str());
  if (!d) {
    error = "spool directory " + dir_ + ": " + std::strerror(errno);
    return false;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);

  entries_.clear();
  files_.clear();
  std::vector<std::pair<uint64_t, std::string>> markers;
  std::vector<std::pair<uint64_t, std::string>> temps;
  std::string record;
  std::vector<std::string> jsons;
  std::vector<uint64_t> record_bytes;
  for (const auto& name : names) {
    std::string path = dir_ + "/" + name;
    uint64_t id = 0;
    const bool ours = name.size() >= kIdDigits + 1 &&
                      ParseHexId(std::string_view(name).substr(0, kIdDigits), id) &&
                      name[kIdDigits] == '.';
    if (EndsWith(name, ".tmp")) {
      // An append that never reached its rename: its records may be whole (recovered once the
      // held alerts are known, below).
      if (ours && std::string_view(name).substr(kIdDigits + 1) == "alert.tmp") {
        temps.emplace_back(id, name);
      } else {
        ::unlink(path.c_str());
      }
      continue;
    }
    if (!ours) continue;  // not ours: leave it alone
    std::string_view rest = std::string_view(name).substr(kIdDigits + 1);
    if (rest == "alert") {
      if (!common::ReadFile(path, record) || !DecodeRecords(record, jsons, &record_bytes)) {
        spdlog::warn("alert spool: removing damaged record {}", name);
        ::unlink(path.c_str());
        ++stats_.corrupt;
        continue;
      }
      IndexFileLocked(id, record_bytes);
    } else if (EndsWith(rest, ".done")) {
      markers.emplace_back(id, std::string(rest.substr(0, rest.size() - 5)));
      if (id > last_id_) last_id_ = id;
    }
  }
  for (const auto& [id, name] : temps) RecoverTempLocked(name, id);
  for (const auto& [id, sink_name] : markers) {
    auto it = entries_.find(id);
    size_t index = sinks_.size();
    for (size_t i = 0; i < sinks_.size(); ++i) {
      if (sinks_[i] == sink_name) index = i;
    }
    if (it == entries_.end()) {
      // The alert was removed before its markers (crash mid-removal): the
      // marker is stale.
      ::unlink((dir_ + "/" + IdName(id) + "." + sink_name + ".done").c_str());
      continue;
    }
    if (index < sinks_.size()) it->second.delivered[index] = true;
  }
  stats_.alerts = 0;
  stats_.bytes = 0;
  std::vector<uint64_t> complete;
  for (const auto& [id, entry] : entries_) {
    bool all = true;
    for (bool b : entry.delivered) all = all && b;
    if (all) {
      complete.push_back(id);
    } else {
      ++stats_.alerts;
      stats_.bytes += entry.bytes;
    }
  }
  for (uint64_t id : complete) {
    ++stats_.alerts;  // RemoveLocked subtracts
    stats_.bytes += entries_[id].bytes;
    RemoveLocked(id);
  }
  // A smaller bound than the one the spool was written under applies at once.
  uint64_t evicted = 0;
  while (!entries_.empty() && (stats_.alerts > max_alerts_ || stats_.bytes > max_bytes_)) {
    RemoveLocked(entries_.begin()->first);
    ++evicted;
  }
  if (evicted) {
    stats_.evicted += evicted;
    spdlog::error(
        "alert spool: {} undelivered alerts DROPPED at load to "
        "honour the spool bound "
        "({} alerts, {} bytes)",
        evicted, max_alerts_, max_bytes_);
  }
  pending_.assign(sinks_.size(), 0);
  for (const auto& [id, entry] : entries_) {
    for (size_t i = 0; i < sinks_.size(); ++i) pending_[i] += entry.delivered[i] ? 0 : 1;
  }
  SyncDir();
  if (!entries_.empty()) {
    spdlog::info("alert spool {}: {} undelivered alerts ({} bytes) to deliver first", dir_,
                 stats_.alerts, stats_.bytes);
  }
  return true;
}

void Spool::IndexFileLocked(uint64_t id, const std::vector<uint64_t>& record_bytes) {
  const auto n = static_cast<uint32_t>(record_bytes.size());
  files_[id] = File{n, n};
  for (uint32_t k = 0; k < n; ++k) {
    Entry entry;
    entry.bytes = record_bytes[k];
    entry.file = id;
    entry.index = k;
    entry.delivered.assign(sinks_.size(), false);
    entries_.emplace(id + k, std::move(entry));
  }
  last_id_ = std::max(last_id_, id + n - 1);
}

bool Spool::RecoverTempLocked(const std::string& name, uint64_t id) {
  const std::string path = dir_ + "/" + name;
  const std::string final_path = AlertPath(id);
  std::string bytes;
  std::vector<std::string> jsons;
  std::vector<uint64_t> record_bytes;
  size_t valid = common::ReadFile(path, bytes) ? DecodeValidPrefix(bytes, jsons, &record_bytes) : 0;
  // Its ids must still be free: a crash leaves a temp file only for ids no file took.
  bool free = !jsons.empty() && files_.count(id) == 0;
  for (uint64_t k = 0; free && k < jsons.size(); ++k) free = entries_.count(id + k) == 0;
  if (free) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && ::ftruncate(fd, static_cast<off_t>(valid)) == 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    ok = ok && ::rename(path.c_str(), final_path.c_str()) == 0;
    if (ok) {
      IndexFileLocked(id, record_bytes);
      stats_.recovered += jsons.size();
      if (valid < bytes.size()) ++stats_.temp_discarded;
      spdlog::warn(
          "alert spool: recovered {} alert(s) from {}, left by a crash before it was put in "
          "place{}; they will be delivered",
          jsons.size(), name,
          valid < bytes.size() ? " (a torn record of " + std::to_string(bytes.size() - valid) +
                                     " bytes after them was discarded)"
                               : std::string());
      return true;
    }
    ++stats_.write_errors;
  }
  ::unlink(path.c_str());
  ++stats_.temp_discarded;
  spdlog::error(
      "alert spool: removed {} ({} bytes), left by a crash before it was put in place: {}", name,
      bytes.size(),
      jsons.empty() ? "it holds no whole alert record (the alerts being written are lost)"
                    : "its alerts could not be put in place (lost)");
  return false;
}

void Spool::RemoveLocked(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  for (size_t i = 0; i < sinks_.size(); ++i) {
    if (!it->second.delivered[i] && i < pending_.size() && pending_[i] > 0) --pending_[i];
  }
  if (!it->second.memory_json) {
    // The file goes when its last alert does, and first: a crash afterwards leaves only stale
    // markers, which Open drops. Until then the markers stay, so that after a crash the alerts
    // of a file that are already delivered are not delivered again.
    auto file = files_.find(it->second.file);
    if (file != files_.end() && --file->second.live == 0) {
      if (::unlink(AlertPath(file->first).c_str()) != 0 && errno != ENOENT) {
        ++stats_.write_errors;
      }
      for (uint64_t k = 0; k < file->second.records; ++k) {
        for (size_t i = 0; i < sinks_.size(); ++i) {
          ::unlink(MarkerPath(file->first + k, i).c_str());
        }
      }
      if (cached_file_ == file->first) cached_.clear();
      files_.erase(file);
    }
  }
  --stats_.alerts;
  stats_.bytes -= it->second.bytes;
  entries_.erase(it);
}

uint64_t Spool::Append(std::string_view json, std::vector<uint64_t>* evicted) {
  return AppendBatch(std::span<const std::string_view>(&json, 1), evicted).front();
}

std::vector<uint64_t> Spool::AppendBatch(std::span<const std::string_view> jsons,
                                         std::vector<uint64_t>* evicted) {
  std::vector<uint64_t> ids(jsons.size(), 0);
  std::vector<std::string> records;
  records.reserve(jsons.size());
  for (std::string_view json : jsons) records.push_back(EncodeRecord(json));
  std::lock_guard lock(mu_);
  // Files of at most kMaxRecordsPerFile: one fsync of the file and one of the directory for
  // each, instead of for each alert; small enough that delivering them one by one (each read
  // back from its file) stays cheap.
  for (size_t first = 0; first < records.size(); first += kMaxRecordsPerFile) {
    const size_t count = std::min(kMaxRecordsPerFile, records.size() - first);
    AppendFileLocked(std::span<const std::string>(records).subspan(first, count),
                     std::span<const std::string_view>(jsons).subspan(first, count),
                     std::span<uint64_t>(ids).subspan(first, count), evicted);
  }
  return ids;
}

void Spool::AppendFileLocked(std::span<const std::string> records,
                             std::span<const std::string_view> jsons, std::span<uint64_t> ids,
                             std::vector<uint64_t>* evicted) {
  // Records too large for the bound are refused one by one; the others share a file.
  std::vector<size_t> kept;
  uint64_t bytes = 0;
  for (size_t k = 0; k < records.size(); ++k) {
    if (records[k].size() > max_bytes_) {
      ++stats_.write_errors;
      spdlog::error("alert spool: an alert of {} bytes exceeds spool_max_bytes; not spooled",
                    records[k].size());
      continue;
    }
    kept.push_back(k);
    bytes += records[k].size();
  }
  if (kept.empty()) return;
  // Make room for all of them (a batch larger than the bound keeps its newest alerts).
  uint64_t dropped = 0;
  while (!kept.empty() && (bytes > max_bytes_ || kept.size() > max_alerts_)) {
    bytes -= records[kept.front()].size();
    kept.erase(kept.begin());
    ++dropped;
  }
  while (!entries_.empty() &&
         (stats_.alerts + kept.size() > max_alerts_ || stats_.bytes + bytes > max_bytes_)) {
    uint64_t oldest = entries_.begin()->first;
    RemoveLocked(oldest);
    if (evicted) evicted->push_back(oldest);
    ++dropped;
  }
  if (dropped) {
    stats_.evicted += dropped;
    // Loud, but at most every 10 s while the overflow lasts, so the log cannot
    // flood.
    auto now_steady = std::chrono::steady_clock::now();
    if (last_evict_log_ == std::chrono::steady_clock::time_point() ||
        now_steady - last_evict_log_ >= std::chrono::seconds(10)) {
      last_evict_log_ = now_steady;
      spdlog::error(
          "alert spool FULL ({} alerts / {} bytes): DROPPED oldest undelivered "
          "alert(s), {} dropped so far",
          max_alerts_, max_bytes_, stats_.evicted);
    }
  }
  if (kept.empty()) return;
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  const uint64_t first_id = std::max<uint64_t>(static_cast<uint64_t>(now), last_id_ + 1);
  std::string final_path = AlertPath(first_id);
  std::string tmp_path = final_path + ".tmp";
  int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  int err = errno;
  if (ok) {
    for (size_t k : kept) ok = ok && common::WriteAll(fd, records[k]);
    ok = ok && ::fsync(fd) == 0;
    err = errno;
    ok = (::close(fd) == 0) && ok;
    if (ok && (::rename(tmp_path.c_str(), final_path.c_str()) != 0 || !SyncDir())) {
      ok = false;
      err = errno;
    }
    if (!ok) {
      ::unlink(tmp_path.c_str());
      ::unlink(final_path.c_str());
    }
  }
  if (!ok) {
    // The disk cannot take it (full, read-only, gone): keep the alerts in memory so they are
    // still delivered now; only a crash before delivery can lose them. Logged on the first
    // failure and then at most every 10 s with the running count, so a full disk cannot flood
    // the log.
    ++stats_.write_errors;
    stats_.memory_only += kept.size();
    stats_.append_failing = true;
    auto now_steady = std::chrono::steady_clock::now();
    if (last_write_error_log_ == std::chrono::steady_clock::time_point() ||
        now_steady - last_write_error_log_ >= std::chrono::seconds(10)) {
      last_write_error_log_ = now_steady;
      spdlog::error(
          "alert spool: cannot write {}: {}; alerts are kept in memory only until delivered "
          "({} spool write errors so far)",
          dir_, std::strerror(err), stats_.write_errors);
    }
  } else {
    stats_.append_failing = false;
    files_[first_id] = File{static_cast<uint32_t>(kept.size()), static_cast<uint32_t>(kept.size())};
  }
  for (uint32_t n = 0; n < kept.size(); ++n) {
    const size_t k = kept[n];
    const uint64_t id = first_id + n;
    Entry entry;
    entry.bytes = records[k].size();
    entry.file = first_id;
    entry.index = n;
    entry.delivered.assign(sinks_.size(), false);
    if (!ok) entry.memory_json = std::make_shared<const std::string>(jsons[k]);
    entries_.emplace(id, std::move(entry));
    ++stats_.alerts;
    stats_.bytes += records[k].size();
    ++stats_.appended;
    for (auto& p : pending_) ++p;
    ids[k] = id;
  }
  last_id_ = first_id + kept.size() - 1;
}

bool Spool::Sync() { return SyncDir(); }  // dir_ is constant: no lock held over the fsync

bool Spool::MarkDelivered(uint64_t id, size_t sink, bool sync) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || sink >= sinks_.size()) return false;
  if (it->second.delivered[sink]) return true;
  it->second.delivered[sink] = true;
  if (pending_[sink] > 0) --pending_[sink];
  bool all = true;
  for (bool b : it->second.delivered) all = all && b;
  // The last delivery of an alert whose file holds others too is marked as well: the file stays,
  // and after a restart the marker is what says this alert needs no delivery any more.
  auto file = files_.find(it->second.file);
  const bool file_stays = !it->second.memory_json && file != files_.end() && file->second.live > 1;
  if (all && !file_stays) {
    RemoveLocked(id);
    ++stats_.removed;
    if (sync) SyncDir();
    return true;
  }
  if (it->second.memory_json) return true;  // nothing on disk to mark
  int fd = ::open(MarkerPath(id, sink).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    // Delivery stays recorded in memory; after a restart this sink gets it
    // again.
    ++stats_.write_errors;
    return false;
  }
  ::close(fd);
  if (sync && !SyncDir()) {
    ++stats_.write_errors;
    return false;
  }
  if (all) {
    RemoveLocked(id);
    ++stats_.removed;
  }
  return true;
}

std::vector<uint64_t> Spool::Pending(size_t sink, uint64_t after, size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<uint64_t> out;
  for (auto it = entries_.upper_bound(after); it != entries_.end() && out.size() < limit; ++it) {
    if (sink < it->second.delivered.size() && !it->second.delivered[sink]) out.push_back(it->first);
  }
  return out;
}

uint64_t Spool::PendingCount(size_t sink) const {
  std::lock_guard lock(mu_);
  return sink < pending_.size() ? pending_[sink] : 0;
}

std::shared_ptr<const std::string> Spool::Read(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  if (it->second.memory_json) return it->second.memory_json;
  const uint64_t file = it->second.file;
  const uint32_t index = it->second.index;
  // Sinks deliver in id order, so the alerts of one file are read one after another: decode
  // the file once for all of them.
  if (cached_file_ != file || cached_.empty()) {
    cached_.clear();
    std::string path = AlertPath(file);
    std::string bytes;
    std::vector<std::string> jsons;
    if (!common::ReadFile(path, bytes)) return nullptr;  // removed meanwhile (delivered or evicted)
    if (!DecodeRecords(bytes, jsons)) {
      spdlog::warn("alert spool: removing damaged record {}", path);
      ++stats_.corrupt;
      // Every alert of the file is lost with it.
      for (auto e = entries_.lower_bound(file); e != entries_.end() && e->second.file == file;) {
        uint64_t gone = (e++)->first;
        RemoveLocked(gone);
      }
      return nullptr;
    }
    for (auto& j : jsons) cached_.push_back(std::make_shared<const std::string>(std::move(j)));
    cached_file_ = file;
  }
  return index < cached_.size() ? cached_[index] : nullptr;
}

bool Spool::Contains(uint64_t id) const {
  std::lock_guard lock(mu_);
  return entries_.count(id) > 0;
}

SpoolStats Spool::Stats() const {
  std::lock_guard lock(mu_);
  SpoolStats s = stats_;
  // Bounded by the spool's alert bound; read at scrapes and at the end of a run.
  for (const auto& [id, entry] : entries_) s.memory_only_held += entry.memory_json ? 1 : 0;
  return s;
}

}  // namespace bw::output::sinks
