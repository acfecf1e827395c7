#pragma once
// The per-object table of anonymous reads, in bounded memory. At most
// `max_in_memory` objects are aggregated in RAM; when the map is full it is
// sorted and spilled as a run to an anonymous temporary file (created and
// unlinked at once, so nothing is left behind), and the runs are merged at the
// end, at most kMaxFanIn at a time. Rows come out ordered by (bucket id, key)
// with every read of one object merged into one row.
//
// Memory bound: max_in_memory objects (each its key, its bucket id and up to
// kMaxReaders reader addresses) plus one row per run during the merge. Disk:
// about 100 bytes + key size per object per run.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dissectors/common/timestamp.h"

namespace bw::report {

inline constexpr size_t kMaxReaders = 16;  // reader addresses listed per object
inline constexpr size_t kMaxFanIn = 64;    // runs merged at once

struct ObjectRow {
  std::string bucket_id;  // BucketKey(): provider, account and bucket
  std::string key;
  TimestampNs first_read = 0;
  TimestampNs last_read = 0;
  uint64_t reads = 0;
  uint64_t full_reads = 0;
  uint64_t range_reads = 0;
  uint64_t bytes = 0;                // response bytes on the wire (headers included)
  std::vector<std::string> readers;  // distinct client addresses, sorted, at most kMaxReaders
  bool readers_truncated = false;    // more distinct readers than listed

  void Merge(const ObjectRow& other);
};

class ObjectStore {
 public:
  ObjectStore(size_t max_in_memory, std::string temp_dir);
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // Records one anonymous read. False (with error()) when a spill cannot be
  // written.
  [[nodiscard]] bool Add(const std::string& bucket_id, const std::string& key, TimestampNs ts,
                         const std::string& reader, uint64_t bytes, bool partial);

  // Ends input; rows are then read in order with Next().
  [[nodiscard]] bool Finish();
  bool Next(ObjectRow& row);

  const std::string& error() const { return error_; }
  uint64_t spills() const { return spills_; }
  uint64_t objects_in_memory_peak() const { return peak_; }

 private:
  struct Run;
  bool Spill();
  std::FILE* TempFile();
  bool MergeRuns(std::vector<std::unique_ptr<Run>> inputs, std::FILE* out);
  bool NextMerged(ObjectRow& row);

  size_t max_in_memory_;
  std::string temp_dir_;
  std::string error_;
  std::unordered_map<std::string, ObjectRow> map_;  // "<bucket id>\0<key>"
  std::vector<std::unique_ptr<Run>> runs_;
  std::vector<ObjectRow> sorted_;  // when nothing was spilled
  size_t sorted_pos_ = 0;
  bool finished_ = false;
  uint64_t spills_ = 0;
  uint64_t peak_ = 0;
  // Merge state: one pending row per run, a heap of run indexes.
  std::vector<ObjectRow> heads_;
  std::vector<size_t> heap_;
};

}  // namespace bw::report
