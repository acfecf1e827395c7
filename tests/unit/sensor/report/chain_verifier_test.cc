#include "sensor/report/chain_verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sensor/output/ledger_file.h"

namespace bw::report {
namespace {

// Lines exactly as LedgerFile chains them.
std::vector<std::string> Chained(int n, std::string prev = std::string(output::kChainGenesis)) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(output::AppendChainField("{\"n\":" + std::to_string(i) + "}", prev));
    prev = output::Sha256Hex(out.back());
  }
  return out;
}

ChainVerifier Verify(const std::vector<std::vector<std::string>>& files) {
  ChainVerifier v;
  for (size_t f = 0; f < files.size(); ++f) {
    v.BeginFile("f" + std::to_string(f));
    for (const auto& l : files[f]) v.Line(l);
  }
  return v;
}

TEST(ChainVerifier, IntactChainAcrossFiles) {
  auto lines = Chained(10);
  auto v = Verify({{lines.begin(), lines.begin() + 4}, {lines.begin() + 4, lines.end()}});
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.starts_at_genesis());
  EXPECT_EQ(v.lines(), 10u);
  EXPECT_EQ(v.files(), 2u);
  EXPECT_EQ(v.head(), output::Sha256Hex(lines.back()));
}

TEST(ChainVerifier, DetectsAnEditedLine) {
  auto lines = Chained(6);
  lines[2].replace(lines[2].find("2"), 1, "9");
  auto v = Verify({lines});
  EXPECT_FALSE(v.ok());
  ASSERT_EQ(v.findings_total(), 1u);
  EXPECT_EQ(v.findings()[0].line, 4u);  // the line after the edited one
  EXPECT_EQ(v.findings()[0].file, "f0");
}

TEST(ChainVerifier, DetectsADeletedLine) {
  auto lines = Chained(6);
  lines.erase(lines.begin() + 3);
  auto v = Verify({lines});
  ASSERT_EQ(v.findings_total(), 1u);
  EXPECT_EQ(v.findings()[0].line, 4u);
}

TEST(ChainVerifier, DetectsReorderedLines) {
  auto lines = Chained(6);
  std::swap(lines[1], lines[2]);
  auto v = Verify({lines});
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.findings()[0].line, 2u);
}

TEST(ChainVerifier, DetectsADeletedFirstLineAsAMidChainStart) {
  auto lines = Chained(3);
  lines.erase(lines.begin());
  auto v = Verify({lines});
  EXPECT_TRUE(v.ok());                  // consistent from here on ...
  EXPECT_FALSE(v.starts_at_genesis());  // ... but not from the start, which
                                        // verify reports
}

TEST(ChainVerifier, DetectsAMissingRotatedFile) {
  auto lines = Chained(9);
  auto v = Verify({{lines.begin(), lines.begin() + 3}, {lines.begin() + 6, lines.end()}});
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.findings()[0].file, "f1");
  EXPECT_EQ(v.findings()[0].line, 1u);
}

TEST(ChainVerifier, UnchainedLinesFail) {
  auto v = Verify({{"{\"n\":1}", "{\"n\":2}"}});
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.findings_total(), 2u);
  EXPECT_FALSE(Verify({}).ok());  // nothing verified is not "intact"
}

// A line re-serialised by another JSON writer (jq -S, json.dumps) still carries the field: the
// finding says its bytes changed, at that line only, not that the field is missing.
TEST(ChainVerifier, ReserialisedLineIsReportedAsSuch) {
  auto lines = Chained(5);
  const std::string& field = lines[2].substr(lines[2].find(",\"log\""));
  const std::string hex = field.substr(field.find(":\"") + 2, 64);
  for (const std::string& changed : {"{\"log\":{\"prev_sha256\":\"" + hex + "\"},\"n\":2}",
                                     "{\"n\": 2, \"log\": {\"prev_sha256\": \"" + hex + "\"}}"}) {
    SCOPED_TRACE(changed);
    auto copy = lines;
    copy[2] = changed;
    auto v = Verify({copy});
    ASSERT_EQ(v.findings_total(), 1u);
    EXPECT_EQ(v.findings()[0].line, 3u);
    EXPECT_NE(v.findings()[0].message.find("re-serialised"), std::string::npos);
    EXPECT_EQ(v.findings()[0].message.find("no log.prev_sha256"), std::string::npos);
  }
  auto copy = lines;
  copy[2] = "{\"n\":2,\"log\":{\"prev_sha256\":\"xyz\"}}";
  auto v = Verify({copy});
  ASSERT_EQ(v.findings_total(), 1u);
  EXPECT_NE(v.findings()[0].message.find("not a lower-case hex"), std::string::npos);
  copy[2] = "not json";
  v = Verify({copy});
  ASSERT_EQ(v.findings_total(), 1u);
  EXPECT_NE(v.findings()[0].message.find("not a JSON object"), std::string::npos);
}

TEST(ChainVerifier, RestartedChainIsReported) {
  auto a = Chained(3);
  auto b = Chained(2);
  auto v = Verify({a, b});
  ASSERT_EQ(v.findings_total(), 1u);
  EXPECT_NE(v.findings()[0].message.find("restarts"), std::string::npos);
}

}  // namespace
}  // namespace bw::report
