#include "sensor/config/config_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sensor/config/config.h"
#include "tests/unit/temp_dir.h"

namespace bw::config {
namespace {

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }
  const bw::testing::TempDir tmp_{"config-file"};
  const std::string dir_ = tmp_.path();
};

TEST_F(ConfigFileTest, FifoWithoutWriterIsRefusedAtOnce) {
  std::string fifo = dir_ + "/bw.yaml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto start = std::chrono::steady_clock::now();
  auto r = LoadConfig(fifo, {});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, fifo + ": is a named pipe (FIFO), not a regular file");
}

TEST_F(ConfigFileTest, DevZeroIsRefusedWithoutReading) {
  auto r = LoadConfig("/dev/zero", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "/dev/zero: is a character device, not a regular file");
}

TEST_F(ConfigFileTest, DirectoryIsRefused) {
  auto r = LoadConfig(dir_, {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, dir_ + ": is a directory, not a config file");
}

TEST_F(ConfigFileTest, MissingAndUnreadableFilesSayWhy) {
  auto r = LoadConfig(dir_ + "/missing.yaml", {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, dir_ + "/missing.yaml: cannot open file: No such file or directory");
  if (::geteuid() != 0) {  // root reads a mode-000 file anyway
    std::string f = dir_ + "/secret.yaml";
    std::ofstream(f) << "workers: 2\n";
    ASSERT_EQ(::chmod(f.c_str(), 0), 0);
    r = LoadConfig(f, {});
    ASSERT_FALSE(r.ok);
    EXPECT_EQ(r.error, f + ": cannot open file: Permission denied");
  }
}

TEST_F(ConfigFileTest, OversizedFileIsRefusedBeforeItIsRead) {
  // A sparse 100 MB file: refused from its size, not after reading (and holding) it whole.
  std::string f = dir_ + "/big.yaml";
  int fd = ::open(f.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 100 << 20), 0);
  ::close(fd);
  auto r = LoadConfig(f, {});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, f + ": larger than 16 MiB (104857600 bytes)");
}

TEST_F(ConfigFileTest, ReadsAtMostTheLimitPlusOne) {
  std::string f = dir_ + "/bw.yaml";
  std::ofstream(f) << "workers: 2\n";  // 11 bytes
  std::string text, error;
  ASSERT_TRUE(ReadConfigFile(f, text, error, 11)) << error;
  EXPECT_EQ(text, "workers: 2\n");
  EXPECT_FALSE(ReadConfigFile(f, text, error, 10));
  EXPECT_EQ(error, f + ": larger than 10 bytes (11 bytes)");
}

}  // namespace
}  // namespace bw::config
