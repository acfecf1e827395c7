#include "sensor/detect/lru_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bw::detect {
namespace {

struct Value {
  int v = 0;
  size_t charged = 0;
};

template <typename Map>
std::vector<int> Order(Map& m) {
  std::vector<int> out;
  m.ForEach([&](Value& v) { out.push_back(v.v); });
  return out;
}

TEST(LruMap, FindTouchesAndInsertEvictsTheLeastRecentlyUsed) {
  LruMap<Value> m;
  uint64_t evicted = 0;
  m.Insert("a", Value{1}, 3, evicted);
  m.Insert("b", Value{2}, 3, evicted);
  m.Insert("c", Value{3}, 3, evicted);
  ASSERT_NE(m.Find("a"), nullptr);  // a is now the most recent
  EXPECT_EQ(Order(m), (std::vector<int>{2, 3, 1}));
  m.Insert("d", Value{4}, 3, evicted);
  EXPECT_EQ(evicted, 1u);
  EXPECT_EQ(m.Find("b"), nullptr);
  EXPECT_EQ(Order(m), (std::vector<int>{3, 1, 4}));
  EXPECT_EQ(m.size(), 3u);
}

TEST(LruMap, CapOfZeroStillHoldsTheNewEntry) {
  LruMap<Value> m;
  uint64_t evicted = 0;
  m.Insert("a", Value{1}, 0, evicted);
  m.Insert("b", Value{2}, 0, evicted);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(evicted, 1u);
}

TEST(LruMap, EveryLeavingValueReachesTheHook) {
  LruMap<Value> m;
  std::vector<int> left;
  m.OnErase([&](Value& v) { left.push_back(v.v); });
  uint64_t evicted = 0;
  for (int i = 1; i <= 6; ++i) m.Insert("k" + std::to_string(i), Value{i}, 10, evicted);
  m.Erase("k3");                                          // erase
  EXPECT_TRUE(m.EvictFront());                            // eviction
  m.ExpireFront([](const Value& v) { return v.v < 5; });  // expiry stops at the first live one
  m.EraseIf([](const Value& v) { return v.v == 6; });
  m.Shrink(0, evicted);
  EXPECT_EQ(left, (std::vector<int>{3, 1, 2, 4, 6, 5}));
  EXPECT_EQ(evicted, 1u);
  EXPECT_EQ(m.size(), 0u);
  EXPECT_FALSE(m.EvictFront());
  m.Erase("absent");  // no-op
}

TEST(LruMap, BytesFollowEntriesKeysAndRecharges) {
  LruMap<Value> m;
  uint64_t evicted = 0;
  EXPECT_EQ(m.bytes(), 0u);
  Value& a = m.Insert("short", Value{1}, 10, evicted);
  EXPECT_EQ(m.bytes(), LruMap<Value>::kEntryBytes);  // key fits the string's inline buffer
  m.Recharge(a, 100);
  EXPECT_EQ(m.bytes(), LruMap<Value>::kEntryBytes + 100);
  m.Recharge(a, 40);
  EXPECT_EQ(m.bytes(), LruMap<Value>::kEntryBytes + 40);
  std::string long_key(100, 'k');
  m.Insert(long_key, Value{2}, 10, evicted);
  EXPECT_EQ(m.bytes(), 2 * LruMap<Value>::kEntryBytes + 40 + HeapBytes(long_key));
  m.Erase("short");
  EXPECT_EQ(m.bytes(), LruMap<Value>::kEntryBytes + HeapBytes(long_key));
  m.Erase(long_key);
  EXPECT_EQ(m.bytes(), 0u);
}

// Every key in one hash bucket: entries are told apart by their whole text, never merged.
struct OneBucket {
  using is_transparent = void;
  size_t operator()(std::string_view) const { return 0; }
  size_t operator()(const PieceKey&) const { return 0; }
};

TEST(LruMap, KeysOfEqualHashStayApart) {
  LruMap<Value, OneBucket> m;
  uint64_t evicted = 0;
  m.Insert(PieceKey{"10.0.0.1", "/", "a"}.Text(), Value{1}, 10, evicted);
  m.Insert("10.0.0.1/b", Value{2}, 10, evicted);
  m.Insert("10.0.0.2/a", Value{3}, 10, evicted);
  EXPECT_EQ(m.size(), 3u);
  ASSERT_NE(m.Find(PieceKey{"10.0.0.1/", "b"}), nullptr);
  EXPECT_EQ(m.Find(PieceKey{"10.0.0.1/", "b"})->v, 2);
  EXPECT_EQ(m.Find(PieceKey{"10.0.0.2", "/", "a"})->v, 3);
  EXPECT_EQ(m.Find(std::string_view("10.0.0.1/a"))->v, 1);
  EXPECT_EQ(m.Find(PieceKey{"10.0.0.1/", "c"}), nullptr);
  EXPECT_EQ(Order(m), (std::vector<int>{2, 3, 1}));  // finds by pieces touch as finds by text
  m.Erase(PieceKey{"10.0.0.2/", "a"});
  EXPECT_EQ(Order(m), (std::vector<int>{2, 1}));
}

TEST(LruMap, LookupsByPiecesAndByTextAreOne) {
  LruMap<Value> m;
  uint64_t evicted = 0;
  std::string key("\x04\x0a\x00\x00\x01", 5);
  m.Insert(key, Value{1}, 10, evicted);
  PieceKey pieces;
  pieces.AddByte(4).Add(std::string_view("\x0a\x00", 2)).AddByte(0).AddByte(1);
  ASSERT_NE(m.Find(pieces), nullptr);
  EXPECT_EQ(m.Find(pieces)->v, 1);
  EXPECT_EQ(m.bytes(), LruMap<Value>::kEntryBytes);
}

}  // namespace
}  // namespace bw::detect
