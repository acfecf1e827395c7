#include "sensor/state/learned_state.h"

#include <gtest/gtest.h>

#include <string>

namespace bw::state {
namespace {

LearnedState Sample() {
  LearnedState s;
  app::KnownServerEntry v4;
  EXPECT_TRUE(decode::IpAddress::Parse("10.0.5.20", v4.ip));
  v4.port = 9000;
  v4.provider = storage::Provider::kS3Compatible;
  v4.last_seen = 1700000000123456789;
  app::KnownServerEntry v6;
  EXPECT_TRUE(decode::IpAddress::Parse("2001:db8::7", v6.ip));
  v6.port = 10000;
  v6.provider = storage::Provider::kAzureBlob;
  v6.last_seen = 1700000001000000000;
  s.known_servers = {v4, v6};
  // Any byte a bucket name carried, including NUL and invalid UTF-8.
  s.dedup = {
      {"anonymous_list/10.0.0.9/s3//contracts", 1700000000000000000, 3600000000000, 0},
      {std::string("anonymous_read/s3/\0\xff\xfe/x", 22), 1700000100000000000, 3600000000000, 7}};
  return s;
}

TEST(LearnedState, RoundTripKeepsEveryField) {
  LearnedState in = Sample();
  ParseResult out = Parse(Serialise(in, 42));
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_EQ(out.saved_at, 42);
  EXPECT_EQ(out.skipped, 0u);
  ASSERT_EQ(out.state.known_servers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(out.state.known_servers[i].ip, in.known_servers[i].ip);
    EXPECT_EQ(out.state.known_servers[i].port, in.known_servers[i].port);
    EXPECT_EQ(out.state.known_servers[i].provider, in.known_servers[i].provider);
    EXPECT_EQ(out.state.known_servers[i].last_seen, in.known_servers[i].last_seen);
  }
  ASSERT_EQ(out.state.dedup.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(out.state.dedup[i].key, in.dedup[i].key);
    EXPECT_EQ(out.state.dedup[i].fired, in.dedup[i].fired);
    EXPECT_EQ(out.state.dedup[i].window, in.dedup[i].window);
    EXPECT_EQ(out.state.dedup[i].suppressed, in.dedup[i].suppressed);
  }
}

TEST(LearnedState, RefusesOtherFormatsAndVersionsWhole) {
  EXPECT_EQ(Parse("").error, "not a JSON object");
  EXPECT_EQ(Parse("{trunc").error, "not a JSON object");
  EXPECT_EQ(Parse("[1,2]").error, "not a JSON object");
  EXPECT_EQ(Parse(R"({"format":"other","version":1})").error, "not a bucketwatch state file");
  auto v2 = Parse(R"({"format":"bucketwatch-state","version":2,"known_servers":[],"dedup":[]})");
  EXPECT_FALSE(v2.ok);
  EXPECT_EQ(v2.error, "state version 2, this sensor reads version 1");
  EXPECT_FALSE(Parse(R"({"format":"bucketwatch-state","version":1,"dedup":[]})").ok);
  EXPECT_FALSE(Parse(R"({"format":"bucketwatch-state","version":"1"})").ok);
}

TEST(LearnedState, SkipsBadEntriesOneByOne) {
  auto r = Parse(R"({"format":"bucketwatch-state","version":1,
    "known_servers":[
      {"ip":"10.0.0.1","port":9000,"provider":"s3_compatible","last_seen_ns":5},
      {"ip":"10.0.0.x","port":9000,"provider":"s3_compatible","last_seen_ns":5},
      {"ip":"10.0.0.2","port":70000,"provider":"s3_compatible","last_seen_ns":5},
      {"ip":"10.0.0.3","port":80,"provider":"ftp","last_seen_ns":5},
      {"ip":"10.0.0.4","port":80,"provider":"s3"},
      "junk", 7, null],
    "dedup":[
      {"key_hex":"6162","fired_ns":1,"window_ns":10,"suppressed":0},
      {"key_hex":"616","fired_ns":1,"window_ns":10,"suppressed":0},
      {"key_hex":"zz","fired_ns":1,"window_ns":10,"suppressed":0},
      {"key_hex":"6162","fired_ns":1,"window_ns":0,"suppressed":0},
      {"key_hex":"6162","fired_ns":1,"window_ns":10,"suppressed":-1},
      {"key_hex":"","fired_ns":1,"window_ns":10,"suppressed":0}]})");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.state.known_servers.size(), 1u);
  EXPECT_EQ(r.state.dedup.size(), 1u);
  EXPECT_EQ(r.state.dedup[0].key, "ab");
  EXPECT_EQ(r.skipped, 7u + 5u);
}

}  // namespace
}  // namespace bw::state
