#include "sensor/report/object_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <tuple>

namespace bw::report {

namespace {

void Escape(std::string& out, const std::string& s) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      out += n == 't' ? '\t' : n == 'n' ? '\n' : n;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool Less(const ObjectRow& a, const ObjectRow& b) {
  return std::tie(a.bucket_id, a.key) < std::tie(b.bucket_id, b.key);
}

void Serialize(const ObjectRow& r, std::string& out) {
  out.clear();
  Escape(out, r.bucket_id);
  out += '\t';
  Escape(out, r.key);
  char nums[200];
  std::snprintf(nums, sizeof(nums),
                "\t%" PRId64 "\t%" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
                "\t%d\t",
                r.first_read, r.last_read, r.reads, r.full_reads, r.range_reads, r.bytes,
                r.readers_truncated ? 1 : 0);
  out += nums;
  for (size_t i = 0; i < r.readers.size(); ++i) {
    if (i) out += ' ';
    out += r.readers[i];
  }
  out += '\n';
}

bool Deserialize(std::string_view line, ObjectRow& r) {
  std::vector<std::string_view> f;
  size_t pos = 0;
  while (f.size() < 10) {
    size_t tab = line.find('\t', pos);
    if (tab == std::string_view::npos) {
      f.push_back(line.substr(pos));
      break;
    }
    f.push_back(line.substr(pos, tab - pos));
    pos = tab + 1;
  }
  if (f.size() != 10) return false;
  r.bucket_id = Unescape(f[0]);
  r.key = Unescape(f[1]);
  auto num = [](std::string_view s) { return std::strtoull(std::string(s).c_str(), nullptr, 10); };
  r.first_read = std::strtoll(std::string(f[2]).c_str(), nullptr, 10);
  r.last_read = std::strtoll(std::string(f[3]).c_str(), nullptr, 10);
  r.reads = num(f[4]);
  r.full_reads = num(f[5]);
  r.range_reads = num(f[6]);
  r.bytes = num(f[7]);
  r.readers_truncated = f[8] == "1";
  r.readers.clear();
  std::string_view rs = f[9];
  while (!rs.empty()) {
    size_t sp = rs.find(' ');
    r.readers.emplace_back(rs.substr(0, sp));
    if (sp == std::string_view::npos) break;
    rs.remove_prefix(sp + 1);
  }
  return true;
}

}  // namespace

void ObjectRow::Merge(const ObjectRow& o) {
  if (reads == 0 || o.first_read < first_read) first_read = o.first_read;
  last_read = std::max(last_read, o.last_read);
  reads += o.reads;
  full_reads += o.full_reads;
  range_reads += o.range_reads;
  bytes += o.bytes;
  std::vector<std::string> merged;
  std::set_union(readers.begin(), readers.end(), o.readers.begin(), o.readers.end(),
                 std::back_inserter(merged));
  readers_truncated = readers_truncated || o.readers_truncated || merged.size() > kMaxReaders;
  if (merged.size() > kMaxReaders) merged.resize(kMaxReaders);
  readers = std::move(merged);
}

struct ObjectStore::Run {
  std::FILE* file = nullptr;
  char* buf = nullptr;
  size_t cap = 0;
  ~Run() {
    if (file) std::fclose(file);
    std::free(buf);
  }
  // Reads the next row; false at the end.
  bool Read(ObjectRow& row, bool& bad) {
    ssize_t n = ::getline(&buf, &cap, file);
    if (n <= 0) return false;
    std::string_view line(buf, static_cast<size_t>(n));
    if (line.back() == '\n') line.remove_suffix(1);
    if (!Deserialize(line, row)) {
      bad = true;
      return false;
    }
    return true;
  }
};

ObjectStore::ObjectStore(size_t max_in_memory, std::string temp_dir)
    : max_in_memory_(std::max<size_t>(1, max_in_memory)), temp_dir_(std::move(temp_dir)) {}

ObjectStore::~ObjectStore() = default;

std::FILE* ObjectStore::TempFile() {
  std::string pattern = temp_dir_ + "/bucketwatch-report-XXXXXX";
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    error_ = "cannot create a temporary file in " + temp_dir_ + ": " + std::strerror(errno);
    return nullptr;
  }
  ::unlink(pattern.c_str());  // gone when closed, even after a crash
  std::FILE* f = ::fdopen(fd, "w+");
  if (!f) {
    ::close(fd);
    error_ = "cannot open a temporary file: " + std::string(std::strerror(errno));
  }
  return f;
}

bool ObjectStore::Add(const std::string& bucket_id, const std::string& key, TimestampNs ts,
                      const std::string& reader, uint64_t bytes, bool partial) {
  std::string id;
  id.reserve(bucket_id.size() + key.size() + 1);
  id.append(bucket_id).push_back('\0');
  id.append(key);
  auto it = map_.find(id);
  if (it == map_.end()) {
    if (map_.size() >= max_in_memory_ && !Spill()) return false;
    ObjectRow row;
    row.bucket_id = bucket_id;
    row.key = key;
    row.first_read = ts;
    row.last_read = ts;
    it = map_.emplace(std::move(id), std::move(row)).first;
    peak_ = std::max<uint64_t>(peak_, map_.size());
  }
  ObjectRow& r = it->second;
  if (r.reads == 0 || ts < r.first_read) r.first_read = ts;
  r.last_read = std::max(r.last_read, ts);
  ++r.reads;
  ++(partial ? r.range_reads : r.full_reads);
  r.bytes += bytes;
  auto pos = std::lower_bound(r.readers.begin(), r.readers.end(), reader);
  if (pos == r.readers.end() || *pos != reader) {
    if (r.readers.size() < kMaxReaders) {
      r.readers.insert(pos, reader);
    } else {
      r.readers_truncated = true;
    }
  }
  return true;
}

bool ObjectStore::Spill() {
  std::vector<ObjectRow> rows;
  rows.reserve(map_.size());
  for (auto& [id, row] : map_) rows.push_back(std::move(row));
  map_.clear();
  std::sort(rows.begin(), rows.end(), Less);
  std::FILE* f = TempFile();
  if (!f) return false;
  auto run = std::make_unique<Run>();
  run->file = f;
  std::string line;
  for (const auto& r : rows) {
    Serialize(r, line);
    if (std::fwrite(line.data(), 1, line.size(), f) != line.size()) {
      error_ = "cannot write a temporary file: " + std::string(std::strerror(errno));
      return false;
    }
  }
  if (std::fflush(f) != 0 || std::fseek(f, 0, SEEK_SET) != 0) {
    error_ = "cannot write a temporary file: " + std::string(std::strerror(errno));
    return false;
  }
  runs_.push_back(std::move(run));
  ++spills_;
  return true;
}

bool ObjectStore::MergeRuns(std::vector<std::unique_ptr<Run>> inputs, std::FILE* out) {
  runs_ = std::move(inputs);
  heads_.assign(runs_.size(), ObjectRow{});
  heap_.clear();
  bool bad = false;
  for (size_t i = 0; i < runs_.size(); ++i) {
    if (runs_[i]->Read(heads_[i], bad)) heap_.push_back(i);
  }
  auto cmp = [this](size_t a, size_t b) { return Less(heads_[b], heads_[a]); };
  std::make_heap(heap_.begin(), heap_.end(), cmp);
  if (!out) return !bad;
  ObjectRow row;
  std::string line;
  while (NextMerged(row)) {
    Serialize(row, line);
    if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) {
      error_ = "cannot write a temporary file: " + std::string(std::strerror(errno));
      return false;
    }
  }
  if (!error_.empty()) return false;
  if (std::fflush(out) != 0 || std::fseek(out, 0, SEEK_SET) != 0) {
    error_ = "cannot write a temporary file: " + std::string(std::strerror(errno));
    return false;
  }
  return !bad;
}

bool ObjectStore::NextMerged(ObjectRow& row) {
  auto cmp = [this](size_t a, size_t b) { return Less(heads_[b], heads_[a]); };
  if (heap_.empty()) return false;
  bool have = false;
  while (!heap_.empty()) {
    size_t top = heap_.front();
    if (have && (heads_[top].bucket_id != row.bucket_id || heads_[top].key != row.key)) break;
    std::pop_heap(heap_.begin(), heap_.end(), cmp);
    heap_.pop_back();
    if (have) {
      row.Merge(heads_[top]);
    } else {
      row = std::move(heads_[top]);
      have = true;
    }
    bool bad = false;
    if (runs_[top]->Read(heads_[top], bad)) {
      heap_.push_back(top);
      std::push_heap(heap_.begin(), heap_.end(), cmp);
    } else if (bad) {
      error_ = "a temporary run file is corrupt";
    }
  }
  return have;
}

bool ObjectStore::Finish() {
  finished_ = true;
  if (runs_.empty()) {
    sorted_.reserve(map_.size());
    for (auto& [id, row] : map_) sorted_.push_back(std::move(row));
    map_.clear();
    std::sort(sorted_.begin(), sorted_.end(), Less);
    return true;
  }
  if (!map_.empty() && !Spill()) return false;
  // Merge in passes until one pass can take every run.
  while (runs_.size() > kMaxFanIn) {
    std::vector<std::unique_ptr<Run>> all = std::move(runs_);
    std::vector<std::unique_ptr<Run>> next;
    for (size_t i = 0; i < all.size(); i += kMaxFanIn) {
      std::vector<std::unique_ptr<Run>> group;
      for (size_t j = i; j < std::min(all.size(), i + kMaxFanIn); ++j) {
        group.push_back(std::move(all[j]));
      }
      std::FILE* f = TempFile();
      if (!f) return false;
      auto merged = std::make_unique<Run>();
      merged->file = f;
      if (!MergeRuns(std::move(group), f)) return false;
      next.push_back(std::move(merged));
    }
    runs_ = std::move(next);
  }
  return MergeRuns(std::move(runs_), nullptr);
}

bool ObjectStore::Next(ObjectRow& row) {
  if (!finished_) return false;
  if (!sorted_.empty() || runs_.empty()) {
    if (sorted_pos_ >= sorted_.size()) return false;
    row = std::move(sorted_[sorted_pos_++]);
    return true;
  }
  row = ObjectRow{};
  return NextMerged(row);
}

}  // namespace bw::report
