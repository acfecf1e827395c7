#include "sensor/detect/bounded_text.h"

#include <gtest/gtest.h>

#include <string>

namespace bw::detect {
namespace {

TEST(BoundedText, Utf8PrefixNeverSplitsACharacter) {
  EXPECT_EQ(Utf8Prefix("abc", 5), "abc");
  EXPECT_EQ(Utf8Prefix("abc", 2), "ab");
  std::string s = "a\xc3\xa9z";  // a, e-acute (2 bytes), z
  EXPECT_EQ(Utf8Prefix(s, 2), "a");
  EXPECT_EQ(Utf8Prefix(s, 3), "a\xc3\xa9");
  EXPECT_EQ(Utf8Prefix("\xe2\x82\xac", 2), "");  // a 3-byte euro sign does not fit
}

TEST(BoundedText, NamesWithinProviderLimitsAreKept) {
  std::string name(kMaxNameBytes, 'b');
  EXPECT_EQ(BoundedName(name), name);
}

TEST(BoundedText, LongNamesKeepAPrefixAndAHashAndStayDistinct) {
  std::string a(kMaxNameBytes + 1, 'b');
  std::string b = a;
  b.back() = 'c';
  std::string ba = BoundedName(a);
  std::string bb = BoundedName(b);
  EXPECT_EQ(ba.size(), kLongNamePrefixBytes + 4 + 16);
  EXPECT_EQ(ba.substr(0, kLongNamePrefixBytes), a.substr(0, kLongNamePrefixBytes));
  EXPECT_EQ(ba.substr(kLongNamePrefixBytes, 4), "...#");
  EXPECT_NE(ba, bb);
  EXPECT_EQ(BoundedName(a), ba);  // stable
  BoundedNameBuffer scratch;
  EXPECT_EQ(BoundedName(a, scratch), ba);  // the view is the same text
  std::string c(kMaxNameBytes + 500, 'x');
  EXPECT_EQ(BoundedName(c, scratch), BoundedName(c));
  EXPECT_EQ(BoundedName("bucket", scratch), "bucket");
}

TEST(BoundedText, AssignAsNewLeavesTheCapacityAFreshStringWouldHave) {
  std::string long_a(40, 'a'), long_b(30, 'b');
  std::string out;
  AssignAsNew(out, long_a);
  EXPECT_EQ(out, long_a);
  EXPECT_EQ(out.capacity(), 40u);
  const char* buffer = out.data();
  AssignAsNew(out, std::string(40, 'c'));  // same length: the buffer is reused
  EXPECT_EQ(out, std::string(40, 'c'));
  EXPECT_EQ(out.data(), buffer);
  AssignAsNew(out, long_b);  // shorter but long: a fresh string of exactly its length
  EXPECT_EQ(out, long_b);
  EXPECT_EQ(out.capacity(), 30u);
  AssignAsNew(out, "short");  // a short string is copied into the buffer held, as a move does
  EXPECT_EQ(out, "short");
  EXPECT_EQ(out.capacity(), 30u);
}

TEST(BoundedText, BoundedCutsAtACharacterBoundary) {
  std::string ua = std::string(kMaxUserAgentBytes - 1, 'u') + "\xc3\xa9";
  EXPECT_EQ(Bounded(ua, kMaxUserAgentBytes), std::string(kMaxUserAgentBytes - 1, 'u'));
  EXPECT_EQ(Bounded("short", kMaxUserAgentBytes), "short");
}

}  // namespace
}  // namespace bw::detect
