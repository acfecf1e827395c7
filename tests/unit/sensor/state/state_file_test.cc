#include "sensor/state/state_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/temp_dir.h"

namespace bw::state {
namespace {

namespace fs = std::filesystem;

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }

  static std::string Document(size_t servers) {
    LearnedState s;
    for (size_t i = 0; i < servers; ++i) {
      app::KnownServerEntry e;
      decode::IpAddress::Parse("10.0.0." + std::to_string(i % 250 + 1), e.ip);
      e.port = static_cast<uint16_t>(9000 + i);
      e.last_seen = static_cast<TimestampNs>(i);
      s.known_servers.push_back(e);
    }
    return Serialise(s, 1);
  }
  void WriteRaw(const std::string& text) {
    std::ofstream(dir_ + "/state.json", std::ios::binary) << text;
  }

  const bw::testing::TempDir tmp_{"state-test"};
  const std::string root_ = tmp_.path();
  const std::string dir_ = root_ + "/state";
};

TEST_F(StateFileTest, CreatesPrivateDirectoryAndRoundTrips) {
  StateFile f(dir_, 1 << 20);
  std::string error;
  ASSERT_TRUE(f.Prepare(error)) << error;
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ParseResult r;
  std::string message;
  EXPECT_EQ(f.Load(r, message), StateFile::LoadStatus::kNone);
  ASSERT_TRUE(f.Save(Document(3), error)) << error;
  ASSERT_EQ(::stat(f.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(f.path() + ".tmp"));
  ASSERT_EQ(f.Load(r, message), StateFile::LoadStatus::kLoaded) << message;
  EXPECT_EQ(r.state.known_servers.size(), 3u);
  // A second save replaces the first whole.
  ASSERT_TRUE(f.Save(Document(5), error)) << error;
  ASSERT_EQ(f.Load(r, message), StateFile::LoadStatus::kLoaded);
  EXPECT_EQ(r.state.known_servers.size(), 5u);
}

TEST_F(StateFileTest, CorruptFileIsMovedAsideWithTheReason) {
  StateFile f(dir_, 1 << 20);
  std::string error;
  ASSERT_TRUE(f.Prepare(error));
  WriteRaw("{\"format\":\"bucketwatch-state\",\"version\":1,\"known_serv");
  ParseResult r;
  std::string message;
  ASSERT_EQ(f.Load(r, message), StateFile::LoadStatus::kRejected);
  EXPECT_NE(message.find("not a JSON object"), std::string::npos) << message;
  EXPECT_NE(message.find("state.json.rejected"), std::string::npos) << message;
  EXPECT_TRUE(fs::exists(dir_ + "/state.json.rejected"));
  EXPECT_EQ(f.Load(r, message), StateFile::LoadStatus::kNone);
}

TEST_F(StateFileTest, ReadIsBoundedAndSpecialFilesRefused) {
  StateFile f(dir_, 4096);
  std::string error;
  ASSERT_TRUE(f.Prepare(error));
  WriteRaw(Document(200));  // well past 4 KiB
  ParseResult r;
  std::string message;
  ASSERT_EQ(f.Load(r, message), StateFile::LoadStatus::kRejected);
  EXPECT_NE(message.find("larger than state.max_bytes"), std::string::npos) << message;
  // A FIFO in the file's place: refused at once, not waited on.
  ASSERT_EQ(::mkfifo((dir_ + "/state.json").c_str(), 0600), 0);
  ASSERT_EQ(f.Load(r, message), StateFile::LoadStatus::kRejected);
  EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
  // A state over the bound is not saved, and the old file stays.
  EXPECT_FALSE(f.Save(Document(200), error));
  EXPECT_NE(error.find("exceeds state.max_bytes"), std::string::npos) << error;
}

TEST_F(StateFileTest, PrepareRefusesAFileWhereTheDirectoryShouldBe) {
  std::ofstream(dir_) << "x";
  StateFile f(dir_, 4096);
  std::string error;
  EXPECT_FALSE(f.Prepare(error));
  EXPECT_NE(error.find("not a directory"), std::string::npos) << error;
}

}  // namespace
}  // namespace bw::state
