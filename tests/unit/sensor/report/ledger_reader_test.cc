#include "sensor/report/ledger_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace bw::report {
namespace {

namespace fs = std::filesystem;

class LedgerReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bw-reader-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Plain(const std::string& name, const std::string& content) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string Gzip(const std::string& name, const std::string& content) {
    std::string p = (dir_ / name).string();
    gzFile gz = gzopen(p.c_str(), "wb");
    gzwrite(gz, content.data(), static_cast<unsigned>(content.size()));
    gzclose(gz);
    return p;
  }
  static std::vector<std::string> All(const std::string& path, uint64_t* oversized = nullptr,
                                      std::string* read_error = nullptr) {
    LedgerReader r;
    std::string error;
    EXPECT_TRUE(r.Open(path, error)) << error;
    std::vector<std::string> out;
    std::string_view line;
    while (r.Next(line)) out.emplace_back(line);
    if (oversized) *oversized = r.oversized_lines();
    if (read_error) *read_error = r.error();
    if (r.error().empty()) {
      EXPECT_DOUBLE_EQ(r.Fraction(), 1.0);
    }
    return out;
  }

  fs::path dir_;
};

TEST_F(LedgerReaderTest, PlainAndGzipReadTheSame) {
  std::string content;
  std::vector<std::string> expected;
  // Lines that straddle the 1 MiB read chunk at many offsets.
  for (int i = 0; i < 3000; ++i) {
    expected.push_back("{\"n\":" + std::to_string(i) + ",\"p\":\"" + std::string(i % 997, 'x') +
                       "\"}");
    content += expected.back() + "\n";
  }
  EXPECT_EQ(All(Plain("a.jsonl", content)), expected);
  EXPECT_EQ(All(Gzip("a.jsonl.gz", content)), expected);
}

TEST_F(LedgerReaderTest, HandlesCrlfBlankAndUnterminatedLines) {
  EXPECT_EQ(All(Plain("b", "a\r\n\nb\nc")), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(All(Plain("empty", "")), std::vector<std::string>{});
}

TEST_F(LedgerReaderTest, SkipsAndCountsOversizedLines) {
  std::string huge(kMaxLineBytes + 10, 'y');
  uint64_t oversized = 0;
  EXPECT_EQ(All(Plain("c", "a\n" + huge + "\nb\n" + huge), &oversized),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(oversized, 2u);
  EXPECT_EQ(All(Gzip("c.gz", huge + "\nz\n"), &oversized), (std::vector<std::string>{"z"}));
  EXPECT_EQ(oversized, 1u);
}

TEST_F(LedgerReaderTest, TruncatedGzipIsAReadError) {
  std::string content;
  for (int i = 0; i < 20000; ++i) content += "{\"line\":" + std::to_string(i * 7919) + "}\n";
  std::string p = Gzip("t.gz", content);
  fs::resize_file(p, fs::file_size(p) / 2);
  std::string error;
  All(p, nullptr, &error);
  EXPECT_NE(error.find("t.gz"), std::string::npos);
}

TEST_F(LedgerReaderTest, OpenFailsForMissingFilesAndDirectories) {
  LedgerReader r;
  std::string error;
  EXPECT_FALSE(r.Open((dir_ / "missing").string(), error));
  EXPECT_NE(error.find("missing"), std::string::npos);
  EXPECT_FALSE(r.Open(dir_.string(), error));
}

TEST(OrderLedgerPaths, RotatedFilesByTimeThenTheActiveFile) {
  std::vector<std::string> in = {"l.jsonl", "l.jsonl.20261123T101500Z.gz", "other.jsonl",
                                 "l.jsonl.20261123T101500Z.1.gz", "l.jsonl.20261122T000000Z"};
  EXPECT_EQ(OrderLedgerPaths(in),
            (std::vector<std::string>{"l.jsonl.20261122T000000Z", "l.jsonl.20261123T101500Z.gz",
                                      "l.jsonl.20261123T101500Z.1.gz", "l.jsonl", "other.jsonl"}));
}

}  // namespace
}  // namespace bw::report
