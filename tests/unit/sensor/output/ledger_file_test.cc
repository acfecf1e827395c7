#include "sensor/output/ledger_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace bw::output {
namespace {

namespace fs = std::filesystem;

class LedgerFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bw-ledger-file-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "ledger.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  LedgerFileOptions Options() {
    LedgerFileOptions o;
    o.rotate_bytes = 1 << 20;
    o.rotate_interval = 3600 * kNsPerSecond;
    o.compress = false;
    o.hash_chain = true;
    o.clock = [this] { return now_; };
    return o;
  }

  // All lines of a plain or gzip file.
  static std::vector<std::string> ReadLines(const std::string& path) {
    std::vector<std::string> lines;
    gzFile gz = gzopen(path.c_str(), "rb");
    if (!gz) return lines;
    std::string cur;
    char buf[4096];
    int n;
    while ((n = gzread(gz, buf, sizeof(buf))) > 0) {
      for (int i = 0; i < n; ++i) {
        if (buf[i] == '\n') {
          lines.push_back(cur);
          cur.clear();
        } else {
          cur.push_back(buf[i]);
        }
      }
    }
    gzclose(gz);
    if (!cur.empty()) lines.push_back(cur);
    return lines;
  }

  // Rotated files oldest first, then the active file.
  std::vector<std::string> Files() {
    std::vector<std::pair<RotatedName, std::string>> rotated;
    for (const auto& e : fs::directory_iterator(dir_)) {
      auto r = ParseRotatedName(e.path().string());
      if (r) rotated.emplace_back(*r, e.path().string());
    }
    std::sort(rotated.begin(), rotated.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first.stamp, a.first.seq) < std::tie(b.first.stamp, b.first.seq);
    });
    std::vector<std::string> out;
    for (auto& r : rotated) out.push_back(r.second);
    if (fs::exists(path_)) out.push_back(path_);
    return out;
  }

  // Checks the chain over every line of every file; returns the number of
  // lines.
  size_t CheckChain(const std::vector<std::string>& files) {
    std::string prev(kChainGenesis);
    size_t n = 0;
    for (const auto& f : files) {
      for (const auto& line : ReadLines(f)) {
        auto carried = ChainFieldOf(line);
        EXPECT_TRUE(carried.has_value()) << f << ": " << line;
        if (!carried) return n;
        EXPECT_EQ(*carried, prev) << f << " line " << n;
        prev = Sha256Hex(line);
        ++n;
      }
    }
    return n;
  }

  static std::string Line(int i) {
    return "{\"@timestamp\":\"t\",\"n\":" + std::to_string(i) + ",\"pad\":\"" +
           std::string(40, 'x') + "\"}";
  }

  fs::path dir_;
  std::string path_;
  TimestampNs now_ = 1'763'900'000 * kNsPerSecond;
};

TEST(LedgerChain, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(LedgerChain, FieldIsAppendedLastAndFoundBySuffix) {
  std::string prev = Sha256Hex("x");
  std::string line = AppendChainField("{\"a\":1}", prev);
  EXPECT_EQ(line, "{\"a\":1,\"log\":{\"prev_sha256\":\"" + prev + "\"}}");
  ASSERT_TRUE(ChainFieldOf(line));
  EXPECT_EQ(*ChainFieldOf(line), prev);
  std::string empty = AppendChainField("{}", kChainGenesis);
  EXPECT_EQ(empty, "{\"log\":{\"prev_sha256\":\"" + std::string(kChainGenesis) + "\"}}");
  EXPECT_TRUE(ChainFieldOf(empty));
  EXPECT_FALSE(ChainFieldOf("{\"a\":1}"));
  // Upper-case or short hex is not a chain value.
  std::string upper = "{\"a\":1,\"log\":{\"prev_sha256\":\"" + std::string(64, 'A') + "\"}}";
  EXPECT_FALSE(ChainFieldOf(upper));
}

TEST(LedgerChain, ParsesRotatedNames) {
  auto r = ParseRotatedName("/var/log/ledger.jsonl.20261123T101500Z.2.gz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->base, "/var/log/ledger.jsonl");
  EXPECT_EQ(r->stamp, "20261123T101500Z");
  EXPECT_EQ(r->seq, 2u);
  EXPECT_TRUE(r->gzip);
  r = ParseRotatedName("ledger.jsonl.20261123T101500Z");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->base, "ledger.jsonl");
  EXPECT_EQ(r->seq, 0u);
  EXPECT_FALSE(r->gzip);
  EXPECT_FALSE(ParseRotatedName("ledger.jsonl"));
  EXPECT_FALSE(ParseRotatedName("ledger.jsonl.gz"));
  EXPECT_FALSE(ParseRotatedName("ledger.jsonl.2026112XT101500Z"));
  EXPECT_FALSE(ParseRotatedName(".20261123T101500Z"));
}

TEST_F(LedgerFileTest, WritesWholeChainedLinesWithMode0640) {
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  for (int i = 0; i < 10; ++i) f.Write(Line(i));
  f.Close();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(f.lines_written(), 10u);
  EXPECT_EQ(f.write_errors(), 0u);
  auto lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[0].rfind(Line(0).substr(0, Line(0).size() - 1), 0), 0u);
  EXPECT_EQ(*ChainFieldOf(lines[0]), kChainGenesis);
  EXPECT_EQ(CheckChain({path_}), 10u);
}

TEST_F(LedgerFileTest, WithoutChainLinesAreUnchanged) {
  auto o = Options();
  o.hash_chain = false;
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, o, error)) << error;
  f.Write(Line(1));
  f.Close();
  EXPECT_EQ(ReadLines(path_), std::vector<std::string>{Line(1)});
}

TEST_F(LedgerFileTest, RotatesBySizeAndChainsAcrossFiles) {
  auto o = Options();
  o.rotate_bytes = 1000;  // about 6 lines per file
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, o, error)) << error;
  for (int i = 0; i < 40; ++i) f.Write(Line(i));
  f.Close();
  auto files = Files();
  EXPECT_GE(files.size(), 6u);
  EXPECT_EQ(f.rotations(), files.size() - 1);
  for (const auto& file : files) EXPECT_LE(fs::file_size(file), 1000u) << file;
  EXPECT_EQ(CheckChain(files), 40u);
  // Same-second rotations get sequence numbers and keep their order.
  EXPECT_TRUE(ParseRotatedName(files[1])->seq > 0);
}

// SIGHUP (issue 17 item 3): new rotation settings and compression apply to the open file.
TEST_F(LedgerFileTest, RotationSettingsChangeWhileOpen) {
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;  // 1 MiB, uncompressed
  for (int i = 0; i < 10; ++i) f.Write(Line(i));
  EXPECT_EQ(f.rotations(), 0u);
  f.SetRotation(1000, 3600 * kNsPerSecond, /*compress=*/true);
  for (int i = 10; i < 30; ++i) f.Write(Line(i));
  f.Close();  // waits for the compressor started by SetRotation
  auto files = Files();
  ASSERT_GE(files.size(), 3u);
  EXPECT_EQ(f.rotations(), files.size() - 1);
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    EXPECT_TRUE(ParseRotatedName(files[i])->gzip) << files[i];
  }
  EXPECT_EQ(f.files_compressed(), files.size() - 1);
  EXPECT_EQ(CheckChain(files), 30u);
}

TEST_F(LedgerFileTest, RotatesByAge) {
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  f.Write(Line(0));
  now_ += 3599 * kNsPerSecond;
  f.Write(Line(1));
  EXPECT_EQ(f.rotations(), 0u);
  now_ += 1 * kNsPerSecond;
  f.Write(Line(2));
  EXPECT_EQ(f.rotations(), 1u);
  f.Close();
  auto files = Files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(ReadLines(files[0]).size(), 2u);
  EXPECT_EQ(ReadLines(files[1]).size(), 1u);
  EXPECT_NE(files[0].find(".20251123T"), std::string::npos) << files[0];
  EXPECT_EQ(CheckChain(files), 3u);
}

TEST_F(LedgerFileTest, CompressesRotatedFiles) {
  auto o = Options();
  o.rotate_bytes = 1000;
  o.compress = true;
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, o, error)) << error;
  for (int i = 0; i < 20; ++i) f.Write(Line(i));
  f.Close();  // waits for the compressor
  auto files = Files();
  ASSERT_GE(files.size(), 3u);
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    EXPECT_TRUE(ParseRotatedName(files[i])->gzip) << files[i];
    struct stat st {};
    ASSERT_EQ(::stat(files[i].c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
  }
  EXPECT_EQ(f.files_compressed(), files.size() - 1);
  EXPECT_EQ(f.compress_errors(), 0u);
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos);
  }
  EXPECT_EQ(CheckChain(files), 20u);
}

TEST_F(LedgerFileTest, ResumesChainAfterRestart) {
  std::string error;
  {
    LedgerFile f;
    ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
    f.Write(Line(0));
    f.Write(Line(1));
  }
  {
    LedgerFile f;
    ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
    f.Write(Line(2));
  }
  EXPECT_EQ(CheckChain({path_}), 3u);
}

TEST_F(LedgerFileTest, ResumesFromNewestRotatedFileWhenActiveIsEmpty) {
  auto o = Options();
  o.rotate_bytes = 1000;
  o.compress = true;
  std::string error;
  {
    LedgerFile f;
    ASSERT_TRUE(f.Open(path_, o, error)) << error;
    for (int i = 0; i < 7; ++i) f.Write(Line(i));  // rotates once: active holds the rest
  }
  // Rotate the tail away by hand, as an operator's logrotate would not: force
  // an empty active.
  auto files = Files();
  ASSERT_EQ(files.size(), 2u);
  std::string moved = path_ + ".29991231T235959Z";
  fs::rename(path_, moved);
  {
    LedgerFile f;
    ASSERT_TRUE(f.Open(path_, o, error)) << error;
    f.Write(Line(100));
  }
  files = Files();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_TRUE(ParseRotatedName(files[1])->gzip) << "left-over rotated file is compressed";
  EXPECT_EQ(CheckChain(files), 8u);
}

TEST_F(LedgerFileTest, TornLastLineIsMovedAsideAndTheChainContinuesFromTheLastWholeLine) {
  std::string whole;
  {
    LedgerFile f;
    std::string error;
    ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
    f.Write(Line(0));
    f.Close();
    whole = ReadLines(path_).at(0);
    std::ofstream out(path_, std::ios::app);
    out << "{\"torn\":";  // a crash mid-line
  }
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  f.Write(Line(1));
  f.Close();
  auto lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], whole);
  EXPECT_EQ(*ChainFieldOf(lines[1]), Sha256Hex(whole));
  // The fragment is kept byte for byte next to the ledger, and is not a rotated ledger.
  std::vector<std::string> aside;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(path_).parent_path())) {
    if (e.path().string().rfind(path_ + ".torn-", 0) == 0) aside.push_back(e.path().string());
  }
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_FALSE(ParseRotatedName(aside[0]).has_value());
  EXPECT_EQ(ReadLines(aside[0]), std::vector<std::string>{"{\"torn\":"});
}

TEST_F(LedgerFileTest, TornOnlyLineLeavesAnEmptyLedgerStartingAtGenesis) {
  {
    std::ofstream out(path_);
    out << "{\"torn\":";
  }
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  f.Write(Line(1));
  f.Close();
  auto lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(*ChainFieldOf(lines[0]), kChainGenesis);
}

TEST_F(LedgerFileTest, ConcurrentWritersKeepLinesWholeAndChained) {
  auto o = Options();
  o.rotate_bytes = 20000;
  o.compress = true;
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, o, error)) << error;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&f, t] {
      for (int i = 0; i < 500; ++i) f.Write(Line(t * 1000 + i));
    });
  }
  for (auto& t : threads) t.join();
  f.Close();
  EXPECT_EQ(f.lines_written(), 2000u);
  auto files = Files();
  EXPECT_GT(files.size(), 2u);
  EXPECT_EQ(CheckChain(files), 2000u);
}

TEST_F(LedgerFileTest, GzipFileRoundTrips) {
  std::string plain = (dir_ / "x.jsonl").string();
  {
    std::ofstream out(plain);
    for (int i = 0; i < 1000; ++i) out << Line(i) << "\n";
  }
  std::string error;
  ASSERT_TRUE(GzipFile(plain, error)) << error;
  EXPECT_FALSE(fs::exists(plain));
  auto lines = ReadLines(plain + ".gz");
  ASSERT_EQ(lines.size(), 1000u);
  EXPECT_EQ(lines[999], Line(999));
  EXPECT_FALSE(GzipFile((dir_ / "missing").string(), error));
  EXPECT_NE(error.find("missing"), std::string::npos);
}

TEST_F(LedgerFileTest, OpenFailsWithMessage) {
  LedgerFile f;
  std::string error;
  EXPECT_FALSE(f.Open((dir_ / "no" / "such" / "dir" / "l.jsonl").string(), Options(), error));
  EXPECT_NE(error.find("cannot open"), std::string::npos);
  EXPECT_FALSE(f.is_open());
  f.Write("{}");  // no crash when closed
  EXPECT_EQ(f.lines_written(), 0u);
}

// Issue 18 item 5: lines written after an `rm` went to the deleted file, unlogged and counted.
TEST_F(LedgerFileTest, DeletedLedgerIsReopenedAndItsUncheckedLinesMoveToTheNewFile) {
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  for (int i = 0; i < 5; ++i) f.Write(Line(i));
  f.CheckPath();  // seen in place with 5 lines
  const std::string last_checked = ReadLines(path_).back();
  for (int i = 5; i < 8; ++i) f.Write(Line(i));
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  for (int i = 8; i < 10; ++i) f.Write(Line(i));  // into the deleted file
  EXPECT_FALSE(fs::exists(path_));
  ::testing::internal::CaptureStderr();
  f.CheckPath();
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("was deleted while open"), std::string::npos) << log;
  EXPECT_NE(log.find("the 5 lines written since"), std::string::npos) << log;
  ASSERT_TRUE(fs::exists(path_));
  EXPECT_EQ(fs::status(path_).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  ::testing::internal::CaptureStderr();
  f.CheckPath();  // logged once: the new file is in place
  f.Write(Line(10));
  f.Close();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  auto lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 6u);  // lines 5..10
  EXPECT_NE(lines[0].find("\"n\":5,"), std::string::npos) << lines[0];
  EXPECT_NE(lines[5].find("\"n\":10,"), std::string::npos) << lines[5];
  // Chained as after a rotation: the first line to the last line before it.
  EXPECT_EQ(*ChainFieldOf(lines[0]), Sha256Hex(last_checked));
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(*ChainFieldOf(lines[i]), Sha256Hex(lines[i - 1])) << i;
  }
  EXPECT_EQ(f.reopens(), 1u);
  EXPECT_EQ(f.lines_written(), 11u);
  EXPECT_EQ(f.lines_lost(), 0u);
  EXPECT_EQ(f.write_errors(), 0u);
  EXPECT_EQ(f.rotations(), 0u);
}

TEST_F(LedgerFileTest, CloseMovesTheLinesOfALedgerDeletedSinceTheLastCheck) {
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  f.Write(Line(0));
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  f.Write(Line(1));
  ::testing::internal::CaptureStderr();
  f.Close();
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("was deleted while open"),
            std::string::npos);
  EXPECT_EQ(CheckChain({path_}), 2u);
  EXPECT_EQ(f.reopens(), 1u);
  EXPECT_EQ(f.lines_lost(), 0u);
}

TEST_F(LedgerFileTest, LedgerRenamedAwayKeepsItsLinesAndANewFileContinuesTheChain) {
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  for (int i = 0; i < 3; ++i) f.Write(Line(i));
  const std::string moved = (dir_ / "ledger.jsonl.1").string();
  ASSERT_EQ(::rename(path_.c_str(), moved.c_str()), 0);
  f.Write(Line(3));  // still the open file: now named ledger.jsonl.1
  ::testing::internal::CaptureStderr();
  f.CheckPath();  // as on SIGHUP after logrotate's rename
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("was renamed or replaced while open"), std::string::npos) << log;
  ASSERT_TRUE(fs::exists(path_));
  EXPECT_EQ(fs::file_size(path_), 0u);  // created at once, before the next line
  f.Write(Line(4));
  f.Close();
  EXPECT_EQ(ReadLines(moved).size(), 4u);
  EXPECT_EQ(CheckChain({moved, path_}), 5u);
  EXPECT_EQ(f.reopens(), 1u);
  EXPECT_EQ(f.lines_lost(), 0u);
}

TEST_F(LedgerFileTest, ReplacedLedgerIsFollowedToTheFileNowAtThePath) {
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  f.Write(Line(0));
  f.CheckPath();
  const std::string other = (dir_ / "other").string();
  { std::ofstream(other) << "{\"placed\":1}\n"; }
  ASSERT_EQ(::rename(other.c_str(), path_.c_str()), 0);  // ours is deleted by the replace
  ::testing::internal::CaptureStderr();
  f.CheckPath();
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("was deleted while open"),
            std::string::npos);
  f.Write(Line(1));
  f.Close();
  auto lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "{\"placed\":1}");
  EXPECT_NE(lines[1].find("\"n\":1,"), std::string::npos);
  EXPECT_EQ(f.reopens(), 1u);
}

TEST_F(LedgerFileTest, LedgerDeletedWithItsDirectoryCountsLostLinesUntilItCanReopen) {
  const fs::path sub = dir_ / "sub";
  fs::create_directories(sub);
  const std::string path = (sub / "ledger.jsonl").string();
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path, Options(), error)) << error;
  f.Write(Line(0));
  f.CheckPath();
  f.Write(Line(1));  // unchecked: lost with the directory
  fs::remove_all(sub);
  ::testing::internal::CaptureStderr();
  f.CheckPath();
  f.Write(Line(2));
  f.Write(Line(3));
  f.CheckPath();  // still no directory: nothing more logged
  std::string log = ::testing::internal::GetCapturedStderr();
  const size_t first = log.find("cannot be opened again");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("cannot be opened again", first + 1), std::string::npos) << log;
  EXPECT_EQ(f.lines_lost(), 3u);
  fs::create_directories(sub);
  ::testing::internal::CaptureStderr();
  f.CheckPath();
  log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("open again; 3 lines lost"), std::string::npos) << log;
  f.Write(Line(4));
  f.Close();
  auto lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"n\":4,"), std::string::npos);
  EXPECT_EQ(f.lines_written(), 3u);
  EXPECT_EQ(f.lines_lost(), 3u);
}

TEST_F(LedgerFileTest, RotationDoesNotRenameAFileThatReplacedTheLedger) {
  auto o = Options();
  o.rotate_bytes = 2 * (Line(0).size() + 100);  // two chained lines, not three
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, o, error)) << error;
  f.Write(Line(0));
  f.Write(Line(1));
  const std::string moved = (dir_ / "moved.jsonl").string();
  ASSERT_EQ(::rename(path_.c_str(), moved.c_str()), 0);
  const std::string theirs = std::string(20, 'x');
  { std::ofstream(path_) << theirs << "\n"; }  // someone else's file
  ::testing::internal::CaptureStderr();
  f.Write(Line(2));  // due to rotate the file it had open
  f.Close();
  ::testing::internal::GetCapturedStderr();
  // Before rotating it looked: the path holds another file, which it follows instead of
  // renaming it as its own.
  EXPECT_EQ(f.reopens(), 1u);
  EXPECT_EQ(f.rotations(), 0u);
  EXPECT_EQ(ReadLines(moved).size(), 2u);
  auto lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], theirs);
  EXPECT_NE(lines[1].find("\"n\":2,"), std::string::npos);
  EXPECT_EQ(f.lines_lost(), 0u);
}

// Issue 21: lines gather in a batch and reach the file in one write; they count as written
// once they are there.
TEST_F(LedgerFileTest, LinesAreBatchedAndCountWhenTheyReachTheFile) {
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  for (int i = 0; i < 3; ++i) f.Write(Line(i));
  EXPECT_EQ(fs::file_size(path_), 0u);
  EXPECT_EQ(f.lines_written(), 0u);
  f.Flush();
  EXPECT_EQ(ReadLines(path_).size(), 3u);
  EXPECT_EQ(f.lines_written(), 3u);
  // A batch reaching kLedgerBatchBytes goes out by itself.
  const std::string big = "{\"pad\":\"" + std::string(1000, 'y') + "\"}";
  size_t n = 0;
  while (f.lines_written() == 3u && n < 1000) {
    f.Write(big);
    ++n;
  }
  // Each line carries the chain field (replacing its closing brace) and a newline.
  const size_t per = big.size() - 1 + kChainFieldPrefix.size() + 64 + kChainFieldSuffix.size() + 1;
  EXPECT_EQ(n, (kLedgerBatchBytes + per - 1) / per);
  EXPECT_EQ(f.lines_written(), 3u + n);
  f.Close();
  EXPECT_EQ(CheckChain({path_}), 3u + n);
  EXPECT_EQ(f.lines_lost(), 0u);
}

// A batch that does not fit (a file size limit here, a full disk in production) goes in line
// by line while lines fit; the rest is counted lost and the chain continues from the last line
// in the file, so the ledger still verifies.
TEST_F(LedgerFileTest, ABatchThatDoesNotFitGoesInLineByLineAndTheChainHolds) {
  LedgerFile f;
  std::string error;
  ASSERT_TRUE(f.Open(path_, Options(), error)) << error;
  f.Write(Line(0));
  f.Flush();
  const uint64_t one = fs::file_size(path_);  // every Line(i) below 10 has this size
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
  struct rlimit small = old;
  small.rlim_cur = one * 3 + one / 2;  // room for two and a half more lines
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  ::testing::internal::CaptureStderr();
  for (int i = 1; i < 9; ++i) f.Write(Line(i));
  f.Flush();
  std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(log.find("File too large"), std::string::npos) << log;
  EXPECT_EQ(ReadLines(path_).size(), 3u);  // lines 0, 1 and 2
  EXPECT_EQ(fs::file_size(path_), 3 * one);
  EXPECT_EQ(f.lines_written(), 3u);
  EXPECT_EQ(f.lines_lost(), 6u);
  EXPECT_EQ(f.write_errors(), 6u);
  f.Write(Line(9));  // room again: chains to line 2, the last one in the file
  f.Close();
  auto lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[3].find("\"n\":9,"), std::string::npos) << lines[3];
  EXPECT_EQ(CheckChain({path_}), 4u);
}

TEST(LedgerFileFault, FullDeviceCountsEveryLineAndLogsOnce) {
  // /dev/full fails every write with ENOSPC.
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  LedgerFile f;
  std::string error;
  LedgerFileOptions o;
  o.compress = false;
  ASSERT_TRUE(f.Open("/dev/full", o, error)) << error;
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 50; ++i) f.Write("{\"n\":1}");
  f.Flush();
  std::string log = ::testing::internal::GetCapturedStderr();
  f.Close();
  EXPECT_EQ(f.lines_written(), 0u);
  EXPECT_EQ(f.write_errors(), 50u);
  EXPECT_EQ(f.lines_lost(), 50u);
  EXPECT_EQ(f.reopens(), 0u);  // a device is never moved or deleted
  size_t first = log.find("No space left on device");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("No space left on device", first + 1), std::string::npos) << log;
}

}  // namespace
}  // namespace bw::output
