#include "sensor/detect/piece_key.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

namespace bw::detect {
namespace {

TEST(PieceKey, HashesAsItsTextHowEverItIsSplit) {
  PieceKey k{"anonymous_read", "/", "s3", "/", "", "/", "bucket"};
  EXPECT_EQ(k.Text(), "anonymous_read/s3//bucket");
  EXPECT_EQ(k.size(), k.Text().size());
  EXPECT_EQ(k.Hash(), KeyHash(k.Text()));
  EXPECT_EQ((PieceKey{"anonymous_read/s3//", "bucket"}.Hash()), k.Hash());
  EXPECT_NE((PieceKey{"anonymous_read/s3//", "bucker"}.Hash()), k.Hash());
  EXPECT_EQ(PieceKey{}.Hash(), KeyHash(""));
  EXPECT_EQ(KeyHash("a"), 0xaf63dc4c8601ec8cull);  // FNV-1a 64 reference value
}

TEST(PieceKey, MatchesComparesTheWholeText) {
  PieceKey k{"ab", "c"};
  EXPECT_TRUE(k.Matches("abc"));
  EXPECT_FALSE(k.Matches("abd"));
  EXPECT_FALSE(k.Matches("ab"));
  EXPECT_FALSE(k.Matches("abcd"));
  EXPECT_FALSE(k.Matches("xbc"));
  EXPECT_TRUE(PieceKey{}.Matches(""));
}

TEST(PieceKey, BytesNeedNoStorageOfTheCaller) {
  PieceKey k;
  for (unsigned b : {0u, 4u, 6u, 255u}) k.AddByte(static_cast<uint8_t>(b));
  EXPECT_EQ(k.Text(), std::string("\x00\x04\x06\xff", 4));
}

TEST(PieceKey, TextHasExactlyItsLengthAsCapacity) {
  std::string t = PieceKey{std::string(40, 'x'), "y"}.Text();
  EXPECT_EQ(t.capacity(), 41u);  // what a copied std::string holds: the heap estimate's basis
}

TEST(PieceKey, PiecesBeyondTheCapAreDropped) {
  PieceKey k;
  for (size_t i = 0; i < PieceKey::kMaxPieces + 2; ++i) k.Add("p");
  EXPECT_EQ(k.Text(), std::string(PieceKey::kMaxPieces, 'p'));
}

// Every key hashes alike: lookups must still tell keys apart by their text.
struct OneBucket {
  using is_transparent = void;
  size_t operator()(std::string_view) const { return 7; }
  size_t operator()(const PieceKey&) const { return 7; }
};

TEST(PieceKey, KeysOfEqualHashStayApartInAMap) {
  std::unordered_map<std::string_view, int, OneBucket, KeyTextEqual> m;
  std::string a = "client/s3/a", b = "client/s3/b";
  m.emplace(a, 1);
  m.emplace(b, 2);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.find(PieceKey{"client/s3/", "a"})->second, 1);
  EXPECT_EQ(m.find(PieceKey{"client/", "s3/b"})->second, 2);
  EXPECT_EQ(m.find(PieceKey{"client/s3/", "c"}), m.end());
}

TEST(PieceKey, TransparentMapsFindByPiecesWithTheRealHash) {
  std::unordered_map<std::string_view, int, KeyTextHash, KeyTextEqual> m;
  std::string key = "s3://bucket";
  m.emplace(key, 1);
  EXPECT_EQ(m.find(PieceKey{"s3://", "bucket"})->second, 1);
  EXPECT_EQ(m.find(PieceKey{"gs://", "bucket"}), m.end());
}

}  // namespace
}  // namespace bw::detect
