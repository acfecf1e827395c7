#include "sensor/config/ledger_config.h"

#include <gtest/gtest.h>

#include "sensor/config/yaml_reader.h"

namespace bw::config {
namespace {

std::string ReadError(const std::string& yaml) {
  LedgerConfig c;
  try {
    ReadLedgerConfig(YAML::Load(yaml), "ledger", c);
  } catch (const yaml::ConfigError& e) {
    return e.message;
  }
  return "";
}

TEST(LedgerConfig, DefaultsAreFinite) {
  LedgerConfig c;
  EXPECT_EQ(c.rotate_bytes, 1ull << 30);
  EXPECT_EQ(c.rotate_interval, 86400 * kNsPerSecond);
  EXPECT_EQ(c.compression, "gzip");
  EXPECT_TRUE(c.hash_chain);
}

TEST(LedgerConfig, ReadsAndDumpsEveryKey) {
  LedgerConfig c;
  ReadLedgerConfig(YAML::Load("rotate_bytes: 2097152\nrotate_seconds: 600\ncompression: none\n"
                              "hash_chain: false\n"),
                   "ledger", c);
  EXPECT_EQ(c.rotate_bytes, 2097152u);
  EXPECT_EQ(c.rotate_interval, 600 * kNsPerSecond);
  EXPECT_EQ(c.compression, "none");
  EXPECT_FALSE(c.hash_chain);
  YAML::Emitter e;
  e << YAML::BeginMap;
  DumpLedgerConfig(e, c);
  e << YAML::EndMap;
  LedgerConfig back;
  ReadLedgerConfig(YAML::Load(e.c_str()), "ledger", back);
  EXPECT_EQ(back.rotate_bytes, c.rotate_bytes);
  EXPECT_EQ(back.rotate_interval, c.rotate_interval);
  EXPECT_EQ(back.compression, c.compression);
  EXPECT_EQ(back.hash_chain, c.hash_chain);
}

TEST(LedgerConfig, RejectsBadValuesWithTheKeyPath) {
  EXPECT_EQ(ReadError("rotate_bytes: 0"),
            "ledger.rotate_bytes: must be between 1048576 and "
            "1099511627776, got 0");
  EXPECT_NE(ReadError("rotate_seconds: 10").find("ledger.rotate_seconds"), std::string::npos);
  EXPECT_NE(ReadError("compression: zstd").find("ledger.compression: expected one of"),
            std::string::npos);
  EXPECT_NE(ReadError("hash_chain: maybe").find("ledger.hash_chain"), std::string::npos);
  EXPECT_EQ(ReadError("rotate_byte: 5"), "ledger.rotate_byte: unknown key");
  EXPECT_EQ(ReadError("{}"), "");
}

}  // namespace
}  // namespace bw::config
