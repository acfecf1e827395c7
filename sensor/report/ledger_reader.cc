#include "sensor/report/ledger_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <tuple>

#include "sensor/output/ledger_file.h"

namespace bw::report {

namespace {
constexpr size_t kReadChunk = 1 << 20;
}

LedgerReader::~LedgerReader() { Close(); }

void LedgerReader::Close() {
  if (gz_) gzclose(gz_);
  gz_ = nullptr;
}

bool LedgerReader::Open(const std::string& path, std::string& error) {
  Close();
  path_ = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "cannot read " + path + ": is a directory";
    return false;
  }
  file_size_ = static_cast<uint64_t>(st.st_size);
  gz_ = gzopen(path.c_str(), "rb");  // transparent for plain files
  if (!gz_) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  gzbuffer(gz_, 256 * 1024);
  buf_.assign(kReadChunk, '\0');
  begin_ = end_ = 0;
  eof_ = skipping_ = false;
  carry_.clear();
  error_.clear();
  return true;
}

bool LedgerReader::Fill() {
  if (eof_ || !gz_) return false;
  int n = gzread(gz_, buf_.data(), static_cast<unsigned>(buf_.size()));
  if (n < 0) {
    int code = 0;
    error_ = std::string("cannot read ") + path_ + ": " + gzerror(gz_, &code);
    eof_ = true;
    return false;
  }
  if (n == 0) {
    // A truncated gzip stream reads as a clean end; gzerror tells them apart.
    int code = 0;
    gzerror(gz_, &code);
    if (code != Z_OK && code != Z_BUF_ERROR) error_ = "cannot read " + path_ + ": corrupt";
    if (code == Z_BUF_ERROR) error_ = "cannot read " + path_ + ": truncated gzip stream";
    eof_ = true;
    return false;
  }
  begin_ = 0;
  end_ = static_cast<size_t>(n);
  return true;
}

bool LedgerReader::Next(std::string_view& line) {
  carry_.clear();
  for (;;) {
    if (begin_ == end_ && !Fill()) {
      if (!carry_.empty() && !skipping_) {
        line = carry_;  // a last line without newline
        return true;
      }
      return false;
    }
    const char* start = buf_.data() + begin_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    size_t len = nl ? static_cast<size_t>(nl - start) : end_ - begin_;
    if (skipping_) {
      begin_ += len + (nl ? 1 : 0);
      if (nl) skipping_ = false;
      continue;
    }
    if (carry_.size() + len > kMaxLineBytes) {
      ++oversized_;
      carry_.clear();
      begin_ += len + (nl ? 1 : 0);
      skipping_ = nl == nullptr;
      continue;
    }
    if (nl) {
      begin_ += len + 1;
      if (carry_.empty()) {
        line = std::string_view(start, len);
      } else {
        carry_.append(start, len);
        line = carry_;
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {
        carry_.clear();
        continue;
      }
      return true;
    }
    carry_.append(start, len);
    begin_ = end_;
  }
}

double LedgerReader::Fraction() const {
  if (!gz_ || file_size_ == 0) return 1.0;
  z_off_t off = gzoffset(gz_);
  if (off < 0) return 0.0;
  return std::min(1.0, static_cast<double>(off) / static_cast<double>(file_size_));
}

std::vector<std::string> OrderLedgerPaths(const std::vector<std::string>& paths) {
  // Group by active ledger path; a group sorts at the position of its first
  // member.
  std::map<std::string, size_t> group_pos;
  struct Item {
    size_t group;
    int active;  // 1 for the active file: after its rotated siblings
    std::string stamp;
    uint32_t seq;
    size_t index;
    std::string path;
  };
  std::vector<Item> items;
  for (size_t i = 0; i < paths.size(); ++i) {
    auto rotated = output::ParseRotatedName(paths[i]);
    std::string base = rotated ? rotated->base : paths[i];
    auto [it, inserted] = group_pos.emplace(base, group_pos.size());
    items.push_back({it->second, rotated ? 0 : 1, rotated ? rotated->stamp : "",
                     rotated ? rotated->seq : 0, i, paths[i]});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return std::tie(a.group, a.active, a.stamp, a.seq, a.index) <
           std::tie(b.group, b.active, b.stamp, b.seq, b.index);
  });
  std::vector<std::string> out;
  for (auto& item : items) out.push_back(std::move(item.path));
  return out;
}

}  // namespace bw::report
