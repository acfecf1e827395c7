#include "sensor/config/metrics_config.h"

#include <gtest/gtest.h>

#include "sensor/config/yaml_reader.h"

namespace bw::config {
namespace {

std::string ReadError(const std::string& text) {
  MetricsConfig c;
  try {
    ReadMetricsConfig(YAML::Load(text), "metrics", c);
  } catch (const yaml::ConfigError& e) {
    return e.message;
  }
  return "";
}

TEST(MetricsConfig, DefaultsAreLoopbackAndFinite) {
  MetricsConfig c;
  EXPECT_EQ(c.listen, "127.0.0.1:9580");
  EXPECT_EQ(c.stall_seconds, 30u);
  EXPECT_EQ(c.request_timeout_seconds, 10u);
  ReadMetricsConfig(YAML::Load("{}"), "metrics", c);  // absent keys keep their defaults
  EXPECT_EQ(c.listen, "127.0.0.1:9580");
}

TEST(MetricsConfig, ReadsEveryKey) {
  MetricsConfig c;
  ReadMetricsConfig(
      YAML::Load("listen: '[::1]:9100'\nstall_seconds: 5\nrequest_timeout_seconds: 2\n"), "metrics",
      c);
  EXPECT_EQ(c.listen, "[::1]:9100");
  EXPECT_EQ(c.stall_seconds, 5u);
  EXPECT_EQ(c.request_timeout_seconds, 2u);
  ReadMetricsConfig(YAML::Load("listen: ''\n"), "metrics", c);
  EXPECT_EQ(c.listen, "");  // disabled
}

TEST(MetricsConfig, RejectsBadValuesWithTheKeyPath) {
  EXPECT_EQ(ReadError("listen: 9580\n"),
            "metrics.listen: expected HOST:PORT or [IPv6]:PORT, got '9580'");
  EXPECT_EQ(ReadError("listen: ':9580'\n").rfind("metrics.listen: missing host", 0), 0u);
  EXPECT_EQ(ReadError("listen: '127.0.0.1:70000'\n").rfind("metrics.listen: bad port", 0), 0u);
  EXPECT_EQ(ReadError("listen: '::1:80'\n").rfind("metrics.listen:", 0), 0u);
  EXPECT_EQ(ReadError("stall_seconds: 0\n"),
            "metrics.stall_seconds: must be between 1 and 86400, got 0");
  EXPECT_EQ(ReadError("request_timeout_seconds: x\n").rfind("metrics.request_timeout_seconds:", 0),
            0u);
  EXPECT_EQ(ReadError("lisen: '127.0.0.1:1'\n"), "metrics.lisen: unknown key");
}

TEST(MetricsConfig, DumpReadsBack) {
  MetricsConfig c;
  c.listen = "0.0.0.0:9999";
  c.stall_seconds = 12;
  YAML::Emitter out;
  out << YAML::BeginMap;
  DumpMetricsConfig(out, c);
  out << YAML::EndMap;
  MetricsConfig back;
  ReadMetricsConfig(YAML::Load(out.c_str()), "metrics", back);
  EXPECT_EQ(back.listen, c.listen);
  EXPECT_EQ(back.stall_seconds, 12u);
  EXPECT_EQ(back.request_timeout_seconds, c.request_timeout_seconds);
}

}  // namespace
}  // namespace bw::config
