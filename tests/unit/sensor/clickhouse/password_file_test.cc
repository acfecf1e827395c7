#include "sensor/clickhouse/password_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "tests/unit/temp_dir.h"

namespace bw::clickhouse {
namespace {

class PasswordFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  std::string Write(const std::string& content) {
    std::string path = dir_.path() + "/password";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return path;
  }
  testing::TempDir dir_{"password-file"};
};

TEST_F(PasswordFileTest, FirstLineWithoutItsLineEnding) {
  for (const std::string content : {"s3cret", "s3cret\n", "s3cret\r\n", "s3cret\nsecond line\n"}) {
    std::string password, error;
    ASSERT_TRUE(ReadPasswordFile(Write(content), password, error)) << error;
    EXPECT_EQ(password, "s3cret") << content;
  }
}

TEST_F(PasswordFileTest, EmptyOrMissingFileIsAnError) {
  std::string password = "untouched", error;
  EXPECT_FALSE(ReadPasswordFile(Write(""), password, error));
  EXPECT_NE(error.find("cannot read the password from"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(ReadPasswordFile(dir_.path() + "/absent", password, error));
  EXPECT_NE(error.find(dir_.path() + "/absent"), std::string::npos) << error;
}

TEST_F(PasswordFileTest, CommandsTakeTheFileElseTheEnvironment) {
  ::setenv("BUCKETWATCH_CLICKHOUSE_PASSWORD", "from-env", 1);
  std::string password, error;
  ASSERT_TRUE(CommandPassword(Write("from-file\n"), password, error)) << error;
  EXPECT_EQ(password, "from-file");
  ASSERT_TRUE(CommandPassword("", password, error));
  EXPECT_EQ(password, "from-env");
  ::unsetenv("BUCKETWATCH_CLICKHOUSE_PASSWORD");
  ASSERT_TRUE(CommandPassword("", password, error));
  EXPECT_EQ(password, "");
  EXPECT_FALSE(CommandPassword(dir_.path() + "/absent", password, error));
  EXPECT_EQ(error.rfind("--password-file: ", 0), 0u) << error;
  // The error names the file, never a password.
  EXPECT_EQ(error.find("from-"), std::string::npos) << error;
}

}  // namespace
}  // namespace bw::clickhouse
