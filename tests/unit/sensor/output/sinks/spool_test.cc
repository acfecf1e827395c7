#include "sensor/output/sinks/spool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "tests/unit/temp_dir.h"

namespace bw::output::sinks {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }

  std::set<std::string> Files() const {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.insert(e.path().filename().string());
    return out;
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static void Write(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
  }

  const bw::testing::TempDir tmp_{"spool-test"};
  const std::string root_ = tmp_.path();
  const std::string dir_ = root_ + "/spool";
};

TEST(SpoolRecordTest, RoundTripAndRejectsEveryTruncation) {
  std::string json = R"({"rule":"anonymous_read","summary":"é"})";
  auto record = Spool::EncodeRecord(json);
  std::string out;
  ASSERT_TRUE(Spool::DecodeRecord(record, out));
  EXPECT_EQ(out, json);
  for (size_t len = 0; len < record.size(); ++len) {
    EXPECT_FALSE(Spool::DecodeRecord(record.substr(0, len), out)) << "length " << len;
  }
  for (size_t i = 0; i < record.size(); ++i) {
    auto damaged = record;
    damaged[i] ^= 0x20;
    EXPECT_FALSE(Spool::DecodeRecord(damaged, out)) << "byte " << i;
  }
  EXPECT_FALSE(Spool::DecodeRecord(record + "x", out));
}

TEST_F(SpoolTest, CreatesPrivateDirectoryAndFiles) {
  Spool spool(dir_, 100, 1 << 20, {"a"});
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  uint64_t id = spool.Append(R"({"n":1})");
  ASSERT_NE(id, 0u);
  ASSERT_EQ(::stat((dir_ + "/" + Spool::IdName(id) + ".alert").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SpoolTest, SurvivesReopenAndRemovesOnlyWhenEverySinkDelivered) {
  std::vector<uint64_t> ids;
  {
    Spool spool(dir_, 100, 1 << 20, {"hook", "am"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    for (int i = 0; i < 3; ++i) ids.push_back(spool.Append("{\"n\":" + std::to_string(i) + "}"));
    EXPECT_LT(ids[0], ids[1]);
    EXPECT_LT(ids[1], ids[2]);
    EXPECT_TRUE(spool.MarkDelivered(ids[0], 0));
    EXPECT_TRUE(spool.MarkDelivered(ids[1], 0));
    EXPECT_TRUE(spool.MarkDelivered(ids[1], 1));  // complete: removed
    EXPECT_FALSE(spool.Contains(ids[1]));
    EXPECT_EQ(spool.Stats().alerts, 2u);
    EXPECT_EQ(spool.Stats().removed, 1u);
  }
  // "Crash" and restart: the state comes back from the directory alone.
  Spool spool(dir_, 100, 1 << 20, {"hook", "am"});
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  EXPECT_EQ(spool.Stats().alerts, 2u);
  EXPECT_EQ(spool.Pending(0, 0, 10), std::vector<uint64_t>({ids[2]}));
  EXPECT_EQ(spool.Pending(1, 0, 10), std::vector<uint64_t>({ids[0], ids[2]}));
  EXPECT_EQ(spool.Pending(1, ids[0], 10), std::vector<uint64_t>({ids[2]}));
  EXPECT_EQ(spool.Pending(1, 0, 1), std::vector<uint64_t>({ids[0]}));
  EXPECT_EQ(spool.PendingCount(0), 1u);
  EXPECT_EQ(spool.PendingCount(1), 2u);
  ASSERT_NE(spool.Read(ids[2]), nullptr);
  EXPECT_EQ(*spool.Read(ids[2]), "{\"n\":2}");
  // New ids keep growing past what is on disk.
  EXPECT_GT(spool.Append("{}"), ids[2]);
}

// Deliveries recorded without an fsync each (a sink working through a backlog) are on disk at
// once all the same: a restart after a crash of the process sends none of them again.
TEST_F(SpoolTest, DeliveriesMarkedWithoutSyncSurviveARestart) {
  std::vector<uint64_t> ids;
  {
    Spool spool(dir_, 100, 1 << 20, {"hook"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    std::vector<std::string> jsons;
    for (int i = 0; i < 5; ++i) jsons.push_back("{\"n\":" + std::to_string(i) + "}");
    std::vector<std::string_view> views(jsons.begin(), jsons.end());
    ids = spool.AppendBatch(views);
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(spool.MarkDelivered(ids[static_cast<size_t>(i)], 0, false));
    EXPECT_EQ(spool.PendingCount(0), 2u);
  }
  Spool spool(dir_, 100, 1 << 20, {"hook"});
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  EXPECT_EQ(spool.Pending(0, 0, 10), std::vector<uint64_t>({ids[3], ids[4]}));
  EXPECT_TRUE(spool.MarkDelivered(ids[3], 0, false));
  EXPECT_TRUE(spool.MarkDelivered(ids[4], 0, false));
  EXPECT_TRUE(spool.Sync());
  EXPECT_TRUE(Files().empty());
}

TEST_F(SpoolTest, SinkRemovedFromConfigNoLongerHoldsAlerts) {
  uint64_t id;
  {
    Spool spool(dir_, 100, 1 << 20, {"hook", "old"});
    std::string error;
    ASSERT_TRUE(spool.Open(error));
    id = spool.Append("{}");
    ASSERT_TRUE(spool.MarkDelivered(id, 0));
  }
  Spool spool(dir_, 100, 1 << 20, {"hook"});
  std::string error;
  ASSERT_TRUE(spool.Open(error));
  EXPECT_FALSE(spool.Contains(id));
  EXPECT_TRUE(Files().empty());
}

TEST_F(SpoolTest, TruncatedAndTempFilesAreDroppedAtLoad) {
  uint64_t good, bad;
  std::string bad_record;
  {
    Spool spool(dir_, 100, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error));
    good = spool.Append(R"({"n":"good"})");
    bad = spool.Append(R"({"n":"bad"})");
    bad_record = Slurp(dir_ + "/" + Spool::IdName(bad) + ".alert");
  }
  // Every possible truncation of a record (a crash of a filesystem without
  // rename atomicity, or a disk error) is detected and removed; the intact
  // record is kept.
  for (size_t len = 0; len < bad_record.size(); ++len) {
    Write(dir_ + "/" + Spool::IdName(bad) + ".alert", bad_record.substr(0, len));
    Write(dir_ + "/" + Spool::IdName(bad + 1) + ".alert.tmp", "BWSPOOL1 99");
    Spool spool(dir_, 100, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error));
    EXPECT_TRUE(spool.Contains(good));
    EXPECT_FALSE(spool.Contains(bad)) << "length " << len;
    EXPECT_EQ(spool.Stats().corrupt, 1u);
    EXPECT_EQ(Files(), std::set<std::string>({Spool::IdName(good) + ".alert"}));
  }
}

TEST_F(SpoolTest, StaleMarkersOfRemovedAlertsAreCleaned) {
  Write(root_ + "/x", "");
  fs::create_directories(dir_);
  Write(dir_ + "/00000000000000aa.hook.done", "");
  Write(dir_ + "/unrelated.txt", "keep");
  Spool spool(dir_, 100, 1 << 20, {"hook"});
  std::string error;
  ASSERT_TRUE(spool.Open(error));
  EXPECT_EQ(Files(), std::set<std::string>({"unrelated.txt"}));
}

TEST_F(SpoolTest, BoundEvictsOldestAndCounts) {
  Spool spool(dir_, 3, 1 << 20, {"a"});
  std::string error;
  ASSERT_TRUE(spool.Open(error));
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    std::vector<uint64_t> evicted;
    ids.push_back(spool.Append("{\"n\":" + std::to_string(i) + "}", &evicted));
    if (i >= 3) {
      EXPECT_EQ(evicted, std::vector<uint64_t>({ids[static_cast<size_t>(i) - 3]}));
    }
  }
  EXPECT_EQ(spool.Stats().alerts, 3u);
  EXPECT_EQ(spool.Stats().evicted, 2u);
  EXPECT_EQ(spool.Pending(0, 0, 10), std::vector<uint64_t>({ids[2], ids[3], ids[4]}));
  EXPECT_EQ(spool.PendingCount(0), 3u);
  EXPECT_TRUE(spool.MarkDelivered(ids[3], 0));
  EXPECT_EQ(spool.PendingCount(0), 2u);
  EXPECT_EQ(Files().size(), 2u);

  // Byte bound: a record is ~30 bytes; 64 KiB holds about two thousand.
  Spool bytes(root_ + "/b", 1000000, 64 * 1024, {"a"});
  ASSERT_TRUE(bytes.Open(error));
  std::string big(20000, 'x');
  for (int i = 0; i < 10; ++i) bytes.Append("\"" + big + "\"");
  EXPECT_LE(bytes.Stats().bytes, 64u * 1024);
  EXPECT_EQ(bytes.Stats().alerts, 3u);
  EXPECT_EQ(bytes.Stats().evicted, 7u);
  // Larger than the whole bound: refused, counted.
  EXPECT_EQ(bytes.Append(std::string(70000, 'y')), 0u);
  EXPECT_EQ(bytes.Stats().write_errors, 1u);
}

TEST_F(SpoolTest, ShrunkBoundAppliesAtLoad) {
  {
    Spool spool(dir_, 10, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error));
    for (int i = 0; i < 6; ++i) spool.Append("{}");
  }
  Spool spool(dir_, 2, 1 << 20, {"a"});
  std::string error;
  ASSERT_TRUE(spool.Open(error));
  EXPECT_EQ(spool.Stats().alerts, 2u);
  EXPECT_EQ(spool.Stats().evicted, 4u);
}

TEST_F(SpoolTest, UnusableDirectoryIsAnError) {
  Write(root_ + "/file", "x");
  Spool spool(root_ + "/file", 10, 1 << 20, {"a"});
  std::string error;
  EXPECT_FALSE(spool.Open(error));
  EXPECT_NE(error.find("file"), std::string::npos);
}

// Issue 18 item 6: a temp file a crash left between its write and its rename was removed
// without a word, and the alerts in it, whole or not, were never delivered.
TEST_F(SpoolTest, LeftoverTempWithWholeRecordsIsRecoveredAndDelivered) {
  uint64_t held = 0;
  {
    Spool spool(dir_, 100, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    held = spool.Append(R"({"n":"held"})");
  }
  // A batch of two, written whole and fsync'd or not, killed before its rename.
  const uint64_t id = held + 10;
  const std::string records =
      Spool::EncodeRecord(R"({"n":"one"})") + Spool::EncodeRecord(R"({"n":"two"})");
  Write(dir_ + "/" + Spool::IdName(id) + ".alert.tmp", records);
  Spool spool(dir_, 100, 1 << 20, {"a"});
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  EXPECT_EQ(spool.Stats().recovered, 2u);
  EXPECT_EQ(spool.Stats().temp_discarded, 0u);
  EXPECT_EQ(spool.Stats().alerts, 3u);
  EXPECT_EQ(spool.Pending(0, 0, 10), (std::vector<uint64_t>{held, id, id + 1}));
  EXPECT_EQ(*spool.Read(id), R"({"n":"one"})");
  EXPECT_EQ(*spool.Read(id + 1), R"({"n":"two"})");
  EXPECT_EQ(Files(),
            std::set<std::string>({Spool::IdName(held) + ".alert", Spool::IdName(id) + ".alert"}));
  EXPECT_EQ(Slurp(dir_ + "/" + Spool::IdName(id) + ".alert"), records);
  EXPECT_GT(spool.Append(R"({"n":"next"})"), id + 1);  // ids go on after the recovered ones
  // Delivered, the recovered file goes like any other.
  EXPECT_TRUE(spool.MarkDelivered(id, 0));
  EXPECT_TRUE(spool.MarkDelivered(id + 1, 0));
  EXPECT_FALSE(Files().count(Spool::IdName(id) + ".alert"));
}

TEST_F(SpoolTest, LeftoverTempKeepsItsWholeRecordsAndDropsATornTail) {
  {
    Spool spool(dir_, 100, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
  }
  const uint64_t id = 0x1000;
  const std::string whole = Spool::EncodeRecord(R"({"n":"whole"})");
  const std::string torn = Spool::EncodeRecord(R"({"n":"torn"})");
  for (size_t cut = 0; cut < torn.size(); ++cut) {
    Write(dir_ + "/" + Spool::IdName(id) + ".alert.tmp", whole + torn.substr(0, cut));
    ::unlink((dir_ + "/" + Spool::IdName(id) + ".alert").c_str());
    Spool spool(dir_, 100, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    EXPECT_EQ(spool.Stats().recovered, 1u) << cut;
    EXPECT_EQ(spool.Stats().temp_discarded, cut > 0 ? 1u : 0u) << cut;
    EXPECT_EQ(*spool.Read(id), R"({"n":"whole"})");
    EXPECT_FALSE(spool.Contains(id + 1));
    EXPECT_EQ(Slurp(dir_ + "/" + Spool::IdName(id) + ".alert"), whole) << cut;
    EXPECT_EQ(Files(), std::set<std::string>({Spool::IdName(id) + ".alert"}));
  }
}

TEST_F(SpoolTest, LeftoverTempWithoutAWholeRecordIsRemovedAndCounted) {
  {
    Spool spool(dir_, 100, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
  }
  const std::string record = Spool::EncodeRecord(R"({"n":"cut"})");
  for (size_t cut = 0; cut < record.size(); ++cut) {
    Write(dir_ + "/" + Spool::IdName(0x2000) + ".alert.tmp", record.substr(0, cut));
    Spool spool(dir_, 100, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    EXPECT_EQ(spool.Stats().recovered, 0u);
    EXPECT_EQ(spool.Stats().temp_discarded, 1u) << cut;
    EXPECT_EQ(spool.Stats().alerts, 0u);
    EXPECT_TRUE(Files().empty()) << cut;
  }
}

TEST_F(SpoolTest, LeftoverTempWhoseIdsAreTakenIsRemoved) {
  uint64_t held = 0;
  {
    Spool spool(dir_, 100, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    held = spool.Append(R"({"n":"held"})");
  }
  Write(dir_ + "/" + Spool::IdName(held) + ".alert.tmp", Spool::EncodeRecord(R"({"n":"dup"})"));
  Spool spool(dir_, 100, 1 << 20, {"a"});
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  EXPECT_EQ(spool.Stats().recovered, 0u);
  EXPECT_EQ(spool.Stats().temp_discarded, 1u);
  EXPECT_EQ(*spool.Read(held), R"({"n":"held"})");
  EXPECT_EQ(Files(), std::set<std::string>({Spool::IdName(held) + ".alert"}));
}

}  // namespace
}  // namespace bw::output::sinks

namespace bw::output::sinks {
namespace {

// Group commit: a batch shares files of up to kMaxRecordsPerFile records, each id delivered and
// removed on its own; a file goes with its last alert, and markers stay until then so that a
// restart does not deliver its delivered alerts again.
TEST_F(SpoolTest, BatchSharesFilesAndOutlivesItsDeliveredAlerts) {
  std::vector<std::string> jsons;
  for (int i = 0; i < 70; ++i) jsons.push_back("{\"n\":" + std::to_string(i) + "}");
  std::vector<std::string_view> views(jsons.begin(), jsons.end());
  std::vector<uint64_t> ids;
  {
    Spool spool(dir_, 1000, 1 << 20, {"a", "b"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    ids = spool.AppendBatch(views);
    ASSERT_EQ(ids.size(), 70u);
    for (size_t k = 1; k < ids.size(); ++k) {
      // A file's records take the ids that follow its own.
      if (k != 64) {
        EXPECT_EQ(ids[k], ids[k - 1] + 1);
      }
    }
    auto files = Files();
    EXPECT_EQ(files.size(), 2u);  // 64 + 6 records
    EXPECT_TRUE(files.count(Spool::IdName(ids[0]) + ".alert"));
    EXPECT_TRUE(files.count(Spool::IdName(ids[64]) + ".alert"));
    for (size_t k = 0; k < ids.size(); ++k) {
      auto json = spool.Read(ids[k]);
      ASSERT_TRUE(json) << k;
      EXPECT_EQ(*json, jsons[k]);
    }
    // The first file's alerts all delivered to both sinks but one, which only sink a has.
    for (size_t k = 0; k < 64; ++k) {
      EXPECT_TRUE(spool.MarkDelivered(ids[k], 0));
      if (k != 7) {
        EXPECT_TRUE(spool.MarkDelivered(ids[k], 1));
      }
    }
    EXPECT_EQ(spool.Stats().alerts, 7u);
    EXPECT_TRUE(Files().count(Spool::IdName(ids[0]) + ".alert"));  // alert 7 still in it
  }
  {
    // After a restart only the undelivered are held, and sink a does not get alert 7 again.
    Spool spool(dir_, 1000, 1 << 20, {"a", "b"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    EXPECT_EQ(spool.Stats().alerts, 7u);
    EXPECT_EQ(spool.Pending(0, 0, 100).size(), 6u);
    EXPECT_EQ(spool.Pending(1, 0, 100).front(), ids[7]);
    EXPECT_EQ(*spool.Read(ids[7]), jsons[7]);
    EXPECT_TRUE(spool.MarkDelivered(ids[7], 1));
    EXPECT_FALSE(Files().count(Spool::IdName(ids[0]) + ".alert"));  // its last alert went
    for (const auto& f : Files()) EXPECT_EQ(f.find(Spool::IdName(ids[7])), std::string::npos) << f;
  }
}

TEST_F(SpoolTest, DamagedBatchFileLosesOnlyItsOwnAlerts) {
  std::vector<std::string> jsons = {"{\"a\":1}", "{\"a\":2}", "{\"a\":3}"};
  std::vector<std::string_view> views(jsons.begin(), jsons.end());
  uint64_t first = 0, later = 0;
  {
    Spool spool(dir_, 1000, 1 << 20, {"a"});
    std::string error;
    ASSERT_TRUE(spool.Open(error)) << error;
    first = spool.AppendBatch(views).front();
    later = spool.Append("{\"b\":1}");
  }
  const std::string path = dir_ + "/" + Spool::IdName(first) + ".alert";
  std::string bytes = Slurp(path);
  bytes[bytes.size() - 3] ^= 0x20;  // inside the last record's JSON: its CRC fails
  Write(path, bytes);
  Spool spool(dir_, 1000, 1 << 20, {"a"});
  std::string error;
  ASSERT_TRUE(spool.Open(error)) << error;
  EXPECT_EQ(spool.Stats().corrupt, 1u);
  EXPECT_EQ(spool.Stats().alerts, 1u);
  EXPECT_FALSE(spool.Contains(first));
  EXPECT_TRUE(spool.Contains(later));
}

}  // namespace
}  // namespace bw::output::sinks
