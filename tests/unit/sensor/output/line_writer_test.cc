#include "sensor/output/line_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.h"

namespace bw::output {
namespace {

namespace fs = std::filesystem;

class LineWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }

  static std::vector<std::string> Lines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  const bw::testing::TempDir tmp_{"line-writer"};
  const std::string dir_ = tmp_.path();
  const std::string path_ = dir_ + "/flows.jsonl";
};

// Issue 18 item 5, for the flow log, HTTP log and alerts file: after an `rm` every line went to
// the deleted file.
TEST_F(LineWriterTest, DeletedFileIsReopenedWithTheLinesWrittenSinceTheLastCheck) {
  LineWriter w;
  std::string error;
  ASSERT_TRUE(w.Open(path_, error)) << error;
  w.Write("{\"n\":0}");
  w.CheckPath();
  w.Write("{\"n\":1}");
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  w.Write("{\"n\":2}");
  ::testing::internal::CaptureStderr();
  w.CheckPath();
  w.CheckPath();
  std::string log = ::testing::internal::GetCapturedStderr();
  const size_t at = log.find("was deleted while open");
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_EQ(log.find("was deleted while open", at + 1), std::string::npos) << log;
  w.Write("{\"n\":3}");
  w.Flush();
  EXPECT_EQ(Lines(path_), (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"}));
  EXPECT_EQ(w.reopens(), 1u);
  EXPECT_EQ(w.lines_lost(), 0u);
  EXPECT_EQ(w.lines_written(), 4u);
}

TEST_F(LineWriterTest, MovedFileKeepsItsLinesAndTheNextGoToTheNewFile) {
  LineWriter w;
  std::string error;
  ASSERT_TRUE(w.Open(path_, error)) << error;
  w.Write("{\"n\":0}");
  const std::string moved = path_ + ".1";
  ASSERT_EQ(::rename(path_.c_str(), moved.c_str()), 0);
  ::testing::internal::CaptureStderr();
  w.CheckPath();
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("was renamed or replaced"),
            std::string::npos);
  w.Write("{\"n\":1}");
  w.Flush();
  EXPECT_EQ(Lines(moved), std::vector<std::string>{"{\"n\":0}"});
  EXPECT_EQ(Lines(path_), std::vector<std::string>{"{\"n\":1}"});
  EXPECT_EQ(w.reopens(), 1u);
}

TEST_F(LineWriterTest, LinesWithNoFileToGoToAreCountedLost) {
  const std::string sub = dir_ + "/sub";
  fs::create_directories(sub);
  const std::string path = sub + "/alerts.jsonl";
  LineWriter w;
  std::string error;
  ASSERT_TRUE(w.Open(path, error)) << error;
  w.Write("{\"n\":0}");  // not yet seen in place: lost with the directory
  fs::remove_all(sub);
  ::testing::internal::CaptureStderr();
  w.CheckPath();
  w.Write("{\"n\":1}");
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("cannot be opened again"),
            std::string::npos);
  EXPECT_EQ(w.lines_lost(), 2u);
  EXPECT_TRUE(w.is_open());
  fs::create_directories(sub);
  ::testing::internal::CaptureStderr();
  w.CheckPath();
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("open again; 2 lines lost"),
            std::string::npos);
  w.Write("{\"n\":2}");
  w.Flush();
  EXPECT_EQ(Lines(path), std::vector<std::string>{"{\"n\":2}"});
}

TEST(LineWriterFault, FullDeviceCountsEveryLineLost) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  LineWriter w;
  std::string error;
  ASSERT_TRUE(w.Open("/dev/full", error)) << error;
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 5; ++i) w.Write("{}");
  w.CheckPath();  // a device is never moved or deleted
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(w.lines_written(), 0u);
  EXPECT_EQ(w.lines_lost(), 5u);
  EXPECT_EQ(w.reopens(), 0u);
}

}  // namespace
}  // namespace bw::output
