#include "sensor/detect/activity.h"

#include <algorithm>
#include <iterator>

#include "sensor/detect/bounded_text.h"
#include "sensor/detect/heap_estimate.h"

namespace bw::detect {

namespace {

size_t OperationsBytes(const OperationCounts& ops) {
  size_t n = BufferBytes(ops);
  for (const auto& op : ops) n += HeapBytes(op.first);
  return n;
}

size_t SamplesBytes(const std::vector<std::string>& samples) {
  size_t n = BufferBytes(samples);
  for (const auto& k : samples) n += HeapBytes(k);
  return n;
}

}  // namespace

size_t ClientProbes::NameBytes(const std::string& name) {
  return Chunk(2 * sizeof(void*) + sizeof(ProbedName)) + HeapBytes(name) +
         Chunk(sizeof(void*) + sizeof(std::string_view) + 2 * sizeof(void*)) + sizeof(void*);
}

void ClientProbes::Add(ProbedName name, uint64_t& used) {
  name_bytes += NameBytes(name.name);
  if (name.resolved) ++resolved_names;
  names.push_back(std::move(name));
  index.emplace(std::string_view(names.back().name), std::prev(names.end()));
  ++used;
}

void ClientProbes::EraseFront(uint64_t& used) {
  if (names.front().resolved) --resolved_names;
  name_bytes -= NameBytes(names.front().name);
  index.erase(std::string_view(names.front().name));
  names.pop_front();
  --used;
}

void ClientProbes::Expire(TimestampNs now, TimestampNs window, uint64_t& used) {
  while (!names.empty() && names.front().last <= now - window) EraseFront(used);
}

void CountOperation(OperationCounts& ops, std::string_view name, uint64_t n) {
  if (name.empty() || n == 0) return;
  for (auto& [op, count] : ops) {
    if (op == name) {
      count += n;
      return;
    }
  }
  if (ops.size() < kMaxOperations) ops.emplace_back(name, n);
}

void AddSample(std::vector<std::string>& samples, std::string_view key, size_t cap) {
  if (key.empty() || samples.size() >= cap) return;
  std::string_view cut = Utf8Prefix(key, kMaxSampleBytes);
  if (std::find(samples.begin(), samples.end(), cut) != samples.end()) return;
  samples.emplace_back(cut);
}

size_t OwnBytes(const Activity& a) {
  return HeapBytes(a.account) + HeapBytes(a.bucket) + HeapBytes(a.endpoint) +
         HeapBytes(a.server_ip) + HeapBytes(a.community_id) + HeapBytes(a.user_agent) +
         HeapBytes(a.server_name) + OperationsBytes(a.operations) + a.distinct.HeapBytes() +
         SamplesBytes(a.read_samples) + SamplesBytes(a.listed_samples) + a.reads.HeapBytes();
}

size_t OwnBytes(const ClientProbes& c) {
  return HeapBytes(c.server_ip) + HeapBytes(c.user_agent) + HeapBytes(c.server_name) +
         HeapBytes(c.community_id) + OperationsBytes(c.operations) + c.name_bytes +
         c.index.bucket_count() * sizeof(void*);
}

}  // namespace bw::detect
