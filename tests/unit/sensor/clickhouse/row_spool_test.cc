// The ledger sink's disk queue (row_spool.h): whole batches or none after a crash, damage found
// and removed, the byte bound kept, batches read oldest first and one INSERT clause at a time,
// and a queue an older sensor left (version 1, JSONEachRow) still read.
#include "sensor/clickhouse/row_spool.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.h"

namespace bw::clickhouse {
namespace {

namespace fs = std::filesystem;

const std::string kTsv = "(a,b) FORMAT TabSeparated";

class RowSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(root_.path().empty()); }
  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  void Write(const std::string& name, const std::string& data) const {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << data;
  }
  const bw::testing::TempDir root_{"row-spool"};
  const std::string dir_ = root_.path() + "/queue";
};

TEST_F(RowSpoolTest, EncodedBatchDecodesAndDamageIsFound) {
  const std::string file = RowSpool::Encode(kTsv, "1\t2\n3\t4\n", 2);
  std::string_view clause, rows;
  uint64_t count = 0;
  ASSERT_TRUE(RowSpool::Decode(file, clause, rows, count));
  EXPECT_EQ(clause, kTsv);
  EXPECT_EQ(rows, "1\t2\n3\t4\n");
  EXPECT_EQ(count, 2u);
  for (size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] ^= 0x01;
    EXPECT_FALSE(RowSpool::Decode(bad, clause, rows, count)) << "byte " << i << " flipped";
  }
  for (size_t n = 0; n < file.size(); ++n) {
    EXPECT_FALSE(RowSpool::Decode(std::string_view(file).substr(0, n), clause, rows, count))
        << "cut at " << n;
  }
}

// A queue written before rows were TabSeparated: its batches go out as JSONEachRow.
TEST_F(RowSpoolTest, VersionOneFilesAreJsonEachRow) {
  const std::string rows = "{\"a\":1}\n";
  const auto crc =
      static_cast<unsigned>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(rows.data()),
                                  static_cast<uInt>(rows.size())));
  char header[64];
  std::snprintf(header, sizeof header, "BWROWS1 1 %zu %08x\n", rows.size(), crc);
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  Write("0000000000000007.rows", header + rows);
  RowSpool spool(dir_, 1 << 20);
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  EXPECT_EQ(spool.Stats().rows, 1u);
  ASSERT_EQ(spool.Append(kTsv, "1\t2\n", 1), RowSpool::AppendResult::kOk);
  std::vector<uint64_t> ids;
  std::string clause, body;
  EXPECT_EQ(spool.ReadOldest(100, 1 << 20, ids, clause, body), 1u);
  EXPECT_EQ(ids, std::vector<uint64_t>{7});
  EXPECT_EQ(clause, "FORMAT JSONEachRow");
  EXPECT_EQ(body, rows);
  spool.Remove(ids);
  body.clear();
  EXPECT_EQ(spool.ReadOldest(100, 1 << 20, ids, clause, body), 1u);
  EXPECT_EQ(ids, std::vector<uint64_t>{8}) << "new ids continue after the old queue's";
  EXPECT_EQ(clause, kTsv);
}

TEST_F(RowSpoolTest, OldestFirstWithinBoundsAndOneClausePerRead) {
  RowSpool spool(dir_, 1 << 20);
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(spool.Append(kTsv, "1\n2\n", 2), RowSpool::AppendResult::kOk);
  ASSERT_EQ(spool.Append(kTsv, "3\n", 1), RowSpool::AppendResult::kOk);
  ASSERT_EQ(spool.Append(kTsv, "4\n5\n", 2), RowSpool::AppendResult::kOk);
  ASSERT_EQ(spool.Append("(c) FORMAT TabSeparated", "6\n", 1), RowSpool::AppendResult::kOk);
  ASSERT_EQ(spool.Append(kTsv, "7\n", 1), RowSpool::AppendResult::kOk);
  for (const std::string& f : Files()) {
    ASSERT_EQ(::stat((dir_ + "/" + f).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  EXPECT_EQ(spool.Stats().rows, 7u);
  EXPECT_EQ(spool.Stats().batches, 5u);

  std::vector<uint64_t> ids;
  std::string clause, rows;
  EXPECT_EQ(spool.ReadOldest(3, 1 << 20, ids, clause, rows), 3u) << "2 + 1 rows fit, 2 more do not";
  EXPECT_EQ(rows, "1\n2\n3\n");
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2}));
  spool.Remove(ids);
  rows.clear();
  EXPECT_EQ(spool.ReadOldest(1, 1 << 20, ids, clause, rows), 2u) << "at least one batch";
  spool.Remove(ids);
  rows.clear();
  EXPECT_EQ(spool.ReadOldest(100, 1 << 20, ids, clause, rows), 1u) << "stops at a new clause";
  EXPECT_EQ(clause, "(c) FORMAT TabSeparated");
  EXPECT_EQ(rows, "6\n");
  spool.Remove(ids);
  rows.clear();
  EXPECT_EQ(spool.ReadOldest(100, 1 << 20, ids, clause, rows), 1u);
  EXPECT_EQ(clause, kTsv);
  spool.Remove(ids);
  EXPECT_EQ(spool.Stats().rows, 0u);
  EXPECT_EQ(spool.Stats().bytes, 0u);
  EXPECT_TRUE(Files().empty());
}

TEST_F(RowSpoolTest, RefusesAnAppendPastTheBound) {
  const uint64_t one = RowSpool::Encode(kTsv, "12345\n", 1).size();
  RowSpool spool(dir_, 2 * one);
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  EXPECT_EQ(spool.Append(kTsv, "12345\n", 1), RowSpool::AppendResult::kOk);
  EXPECT_EQ(spool.Append(kTsv, "12345\n", 1), RowSpool::AppendResult::kOk);
  EXPECT_EQ(spool.Append(kTsv, "12345\n", 1), RowSpool::AppendResult::kFull);
  EXPECT_EQ(spool.Stats().bytes, 2 * one);
  EXPECT_EQ(Files().size(), 2u);
}

// What a crash leaves: a temp file cut short, a file torn or damaged. All removed and counted
// at the next start; whole batches kept.
TEST_F(RowSpoolTest, OpenRemovesWhatACrashLeft) {
  {
    RowSpool spool(dir_, 1 << 20);
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    ASSERT_EQ(spool.Append(kTsv, "1\n", 1), RowSpool::AppendResult::kOk);
    ASSERT_EQ(spool.Append(kTsv, "2\n", 1), RowSpool::AppendResult::kOk);
  }
  const std::string whole = RowSpool::Encode(kTsv, "3\n4\n", 2);
  Write("0000000000000003.rows.tmp", whole.substr(0, 10));
  Write("0000000000000004.rows", whole.substr(0, whole.size() - 1));
  fs::resize_file(dir_ + "/0000000000000002.rows", 5);
  Write("notes.txt", "not ours");
  RowSpool spool(dir_, 1 << 20);
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  EXPECT_EQ(spool.Stats().corrupt, 3u);
  EXPECT_EQ(spool.Stats().rows, 1u);
  EXPECT_EQ(Files(), (std::vector<std::string>{"0000000000000001.rows", "notes.txt"}));
}

}  // namespace
}  // namespace bw::clickhouse
