// correlate's ledger cursor in the state document (learned_state.h): written only when given,
// read back exactly, optional on read, and a malformed one refuses the whole document.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sensor/state/learned_state.h"

namespace bw::state {
namespace {

TEST(LedgerCursorTest, RoundTripAndOnlyWhenGiven) {
  LearnedState s;
  s.dedup.push_back({"bucket_enumeration/x", 5, 3600, 1});
  EXPECT_EQ(Serialise(s, 7).find("ledger_cursor"), std::string::npos);
  ParseResult r = Parse(Serialise(s, 7));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.ledger_cursor.set);

  LedgerCursor c{true, 1700000000123456789, std::string(64, 'f')};
  r = Parse(Serialise(s, 7, &c));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.ledger_cursor.set);
  EXPECT_EQ(r.ledger_cursor.ts_ns, c.ts_ns);
  EXPECT_EQ(r.ledger_cursor.line_sha256, c.line_sha256);
  ASSERT_EQ(r.state.dedup.size(), 1u);

  c.line_sha256.clear();  // "every row before ts_ns"
  r = Parse(Serialise(s, 7, &c));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.ledger_cursor.line_sha256.empty());
}

TEST(LedgerCursorTest, MalformedCursorRefusesTheDocument) {
  LearnedState s;
  LedgerCursor c{true, 1, std::string(64, 'a')};
  const auto good = nlohmann::json::parse(Serialise(s, 7, &c));
  for (const nlohmann::json& bad :
       {nlohmann::json{{"ts_ns", -1}, {"line_sha256", ""}},
        nlohmann::json{{"ts_ns", 1}, {"line_sha256", "abc"}},
        nlohmann::json{{"ts_ns", 1}, {"line_sha256", std::string(64, 'G')}},
        nlohmann::json{{"line_sha256", ""}}, nlohmann::json("x")}) {
    auto doc = good;
    doc["ledger_cursor"] = bad;
    ParseResult r = Parse(doc.dump());
    EXPECT_FALSE(r.ok) << bad.dump();
    EXPECT_FALSE(r.ledger_cursor.set) << bad.dump();
  }
}

}  // namespace
}  // namespace bw::state
