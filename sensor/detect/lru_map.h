#pragma once
// Least-recently-used map with string keys, for state that must stay under a cap whatever the
// traffic. Guarantees:
//  - Find (which touches), Insert, Erase and eviction from the LRU front are O(1).
//  - Insert never grows the map past the cap it is given: the LRU entries go first, counted.
//  - bytes() is the heap the map holds, estimated as glibc malloc spends it (heap_estimate.h):
//    per entry the list node, index node and bucket, the key's text, and the value's own
//    `charged` bytes, which the owner keeps current with Recharge. V needs a `size_t charged`.
//  - The hook given to OnErase sees every value leaving the map (eviction, expiry, erase), so
//    budgets shared across values are released.
//  - Find and Erase take the key as text or as a PieceKey (piece_key.h): a lookup builds no
//    string, and a hit is a full comparison of the key's text, never of its hash alone.
//  - Not thread-safe: one owner.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "sensor/detect/heap_estimate.h"
#include "sensor/detect/piece_key.h"

namespace bw::detect {

// Hash is KeyTextHash but in tests, which force collisions with it.
template <typename V, typename Hash = KeyTextHash>
class LruMap {
 public:
  using Entry = std::pair<std::string, V>;
  // List node, index node and index bucket of one entry; the key's heap bytes come on top.
  static constexpr size_t kEntryBytes =
      Chunk(2 * sizeof(void*) + sizeof(Entry)) +
      Chunk(sizeof(void*) + sizeof(std::string_view) + sizeof(void*) + sizeof(size_t)) +
      2 * sizeof(void*);

  void OnErase(std::function<void(V&)> hook) { on_erase_ = std::move(hook); }

  // `key` is a std::string_view or a PieceKey.
  template <typename Key>
  V* Find(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.end(), order_, it->second);
    return &it->second->second;
  }
  // Inserts a new key (the caller checked it is absent), evicting the LRU entries first so the
  // map holds at most `cap` (at least the new entry); evictions are added to `evicted`.
  V& Insert(std::string key, V value, size_t cap, uint64_t& evicted) {
    Shrink(cap > 0 ? cap - 1 : 0, evicted);
    order_.emplace_back(std::move(key), std::move(value));
    auto last = std::prev(order_.end());
    index_.emplace(std::string_view(last->first), last);
    bytes_ += Footprint(*last);
    return last->second;
  }
  // `v` (held by this map) now holds `bytes` of its own.
  void Recharge(V& v, size_t bytes) {
    bytes_ = bytes_ - v.charged + bytes;
    v.charged = bytes;
  }
  size_t bytes() const { return bytes_; }
  size_t size() const { return order_.size(); }

  // Evicts the least recently used entry; false when empty.
  bool EvictFront() {
    if (order_.empty()) return false;
    EraseFront();
    return true;
  }
  void Shrink(size_t cap, uint64_t& evicted) {
    while (order_.size() > cap) {
      EraseFront();
      ++evicted;
    }
  }
  // Pops from the LRU front while `expired` holds. Entries are touched in time order, so the
  // front is the oldest: expiry costs only what expires.
  template <typename F>
  void ExpireFront(F expired) {
    while (!order_.empty() && expired(order_.front().second)) EraseFront();
  }
  template <typename F>
  void EraseIf(F pred) {
    for (auto it = order_.begin(); it != order_.end();) {
      if (pred(it->second)) {
        if (on_erase_) on_erase_(it->second);
        bytes_ -= Footprint(*it);
        index_.erase(std::string_view(it->first));
        it = order_.erase(it);
      } else {
        ++it;
      }
    }
  }
  template <typename F>
  void ForEach(F f) {
    for (auto& e : order_) f(e.second);
  }
  // f(key, value) from the least to the most recently used entry.
  template <typename F>
  void ForEachKeyed(F f) const {
    for (const auto& e : order_) f(e.first, e.second);
  }
  template <typename Key>
  void Erase(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    auto node = it->second;
    if (on_erase_) on_erase_(node->second);
    bytes_ -= Footprint(*node);
    index_.erase(it);
    order_.erase(node);
  }

 private:
  static size_t Footprint(const Entry& e) {
    return kEntryBytes + HeapBytes(e.first) + e.second.charged;
  }
  void EraseFront() {
    if (on_erase_) on_erase_(order_.front().second);
    bytes_ -= Footprint(order_.front());
    index_.erase(std::string_view(order_.front().first));
    order_.pop_front();
  }

  std::function<void(V&)> on_erase_;
  size_t bytes_ = 0;
  std::list<Entry> order_;
  // Keys point into the list nodes' strings: one copy of each key.
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator, Hash, KeyTextEqual>
      index_;
};

}  // namespace bw::detect
