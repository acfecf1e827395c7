#include "sensor/state/learned_state.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
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
  detect::ReadWindowRecord r;
  EXPECT_TRUE(decode::IpAddress::Parse("2001:db8::9", r.facts.client));
  r.facts.provider = storage::Provider::kAzureBlob;
  r.facts.account = "acct";
  r.facts.bucket = std::string("c\0\xff", 3);
  r.facts.first_seen = 1700000000000000001;
  r.facts.last_seen = 1700000000500000000;
  r.facts.server_ip = "10.0.5.20";
  r.facts.server_port = 10000;
  r.facts.user_agent = "evil\n\"agent\xc3";
  r.facts.server_name = "acct.blob.core.windows.net";
  r.facts.community_id = "1:abc=";
  r.facts.auth_classes = 5;
  r.facts.encrypted = true;
  r.facts.counts.requests = 9;
  r.facts.counts.objects = 8;
  r.facts.counts.bytes = 7;
  r.facts.counts.message_bytes = 6;
  r.facts.counts.tls_wire_bytes = 5;
  r.facts.counts.pages = 4;
  r.facts.counts.listed_keys = 3;
  r.facts.counts.denied = 2;
  r.facts.counts.not_found = 1;
  r.facts.operations = {{"GetBlob", 8}, {"ListBlobs", 1}};
  r.facts.read_samples = {"a/\xff", "b"};
  r.facts.listed_samples = {"c"};
  r.distinct = {1, 18446744073709551615ull};
  r.distinct_overflow = 11;
  r.slots = {{-10, 1, 2}, {1700000000400000000, 3, 4}};
  s.windows.reads.push_back(r);
  detect::ProbeWindowRecord p;
  EXPECT_TRUE(decode::IpAddress::Parse("10.0.0.9", p.facts.client));
  p.facts.counts.requests = 2;
  p.facts.counts.not_found = 2;
  p.names = {{"s3://guess-1", 1700000000000000000, false},
             {"s3://\x01", 1700000000000000002, true}};
  s.windows.probes.push_back(p);
  s.exposures.started = 1700000000000000005;
  s.exposures.buckets = {
      {storage::Provider::kS3, "", "public-data", 1700000000000000005, 1700000000900000000},
      {storage::Provider::kAzureBlob, "acct", std::string("c\0\xff", 3), 1700000001000000000,
       1700000002000000000}};
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
  ASSERT_EQ(out.state.windows.reads.size(), 1u);
  const detect::ReadWindowRecord& r = out.state.windows.reads[0];
  const detect::ReadWindowRecord& w = in.windows.reads[0];
  EXPECT_EQ(r.facts.client, w.facts.client);
  EXPECT_EQ(r.facts.provider, w.facts.provider);
  EXPECT_EQ(r.facts.account, w.facts.account);
  EXPECT_EQ(r.facts.bucket, w.facts.bucket);
  EXPECT_EQ(r.facts.endpoint, w.facts.endpoint);
  EXPECT_EQ(r.facts.first_seen, w.facts.first_seen);
  EXPECT_EQ(r.facts.last_seen, w.facts.last_seen);
  EXPECT_EQ(r.facts.server_ip, w.facts.server_ip);
  EXPECT_EQ(r.facts.server_port, w.facts.server_port);
  EXPECT_EQ(r.facts.user_agent, w.facts.user_agent);
  EXPECT_EQ(r.facts.server_name, w.facts.server_name);
  EXPECT_EQ(r.facts.community_id, w.facts.community_id);
  EXPECT_EQ(r.facts.auth_classes, w.facts.auth_classes);
  EXPECT_EQ(r.facts.encrypted, w.facts.encrypted);
  EXPECT_EQ(r.facts.counts.requests, 9u);
  EXPECT_EQ(r.facts.counts.objects, 8u);
  EXPECT_EQ(r.facts.counts.bytes, 7u);
  EXPECT_EQ(r.facts.counts.message_bytes, 6u);
  EXPECT_EQ(r.facts.counts.tls_wire_bytes, 5u);
  EXPECT_EQ(r.facts.counts.pages, 4u);
  EXPECT_EQ(r.facts.counts.listed_keys, 3u);
  EXPECT_EQ(r.facts.counts.denied, 2u);
  EXPECT_EQ(r.facts.counts.not_found, 1u);
  EXPECT_EQ(r.facts.operations, w.facts.operations);
  EXPECT_EQ(r.facts.read_samples, w.facts.read_samples);
  EXPECT_EQ(r.facts.listed_samples, w.facts.listed_samples);
  EXPECT_EQ(r.distinct, w.distinct);
  EXPECT_EQ(r.distinct_overflow, 11u);
  ASSERT_EQ(r.slots.size(), 2u);
  EXPECT_EQ(r.slots[0].start, -10);
  EXPECT_EQ(r.slots[1].count, 3u);
  EXPECT_EQ(r.slots[1].bytes, 4u);
  ASSERT_EQ(out.state.windows.probes.size(), 1u);
  const detect::ProbeWindowRecord& p = out.state.windows.probes[0];
  EXPECT_EQ(p.facts.client, in.windows.probes[0].facts.client);
  EXPECT_EQ(p.facts.counts.not_found, 2u);
  ASSERT_EQ(p.names.size(), 2u);
  EXPECT_EQ(p.names[1].name, "s3://\x01");
  EXPECT_EQ(p.names[1].last, 1700000000000000002);
  EXPECT_TRUE(p.names[1].resolved);
  EXPECT_EQ(out.state.exposures.started, 1700000000000000005);
  ASSERT_EQ(out.state.exposures.buckets.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const detect::ExposureRecord& got = out.state.exposures.buckets[i];
    const detect::ExposureRecord& want = in.exposures.buckets[i];
    EXPECT_EQ(got.provider, want.provider);
    EXPECT_EQ(got.account, want.account);
    EXPECT_EQ(got.bucket, want.bucket);
    EXPECT_EQ(got.first_seen, want.first_seen);
    EXPECT_EQ(got.last_seen, want.last_seen);
  }
}

TEST(LearnedState, AFileWithoutWindowsStillLoads) {
  auto r = Parse(R"({"format":"bucketwatch-state","version":1,"known_servers":[],"dedup":[]})");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.state.windows.reads.empty());
  EXPECT_TRUE(r.state.windows.probes.empty());
  EXPECT_TRUE(r.state.exposures.buckets.empty());
  EXPECT_EQ(r.state.exposures.started, 0);
}

TEST(LearnedState, SkipsBadExposuresOneByOne) {
  auto doc = nlohmann::json::parse(Serialise(Sample(), 1));
  auto good = doc["exposures"]["buckets"][0];
  auto broken = [](nlohmann::json j, const char* field, nlohmann::json value) {
    j[field] = std::move(value);
    return j;
  };
  nlohmann::json no_last = good;
  no_last.erase("last_seen_ns");
  doc["exposures"]["buckets"] = {good,
                                 broken(good, "provider", "ftp"),
                                 broken(good, "bucket_hex", "zz"),
                                 broken(good, "bucket_hex", ""),  // and no account: no bucket
                                 broken(good, "first_seen_ns", "x"),
                                 no_last,
                                 "junk"};
  auto r = Parse(doc.dump());
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.state.exposures.buckets.size(), 1u);
  EXPECT_EQ(r.state.exposures.buckets[0].bucket, "public-data");
  EXPECT_EQ(r.skipped, 6u);
}

TEST(LearnedState, SkipsBadWindowsOneByOne) {
  std::string good = Serialise(Sample(), 1);
  auto doc = nlohmann::json::parse(good);
  auto read = doc["windows"]["reads"][0];
  auto probe = doc["windows"]["probes"][0];
  auto broken = [](nlohmann::json j, const char* field, nlohmann::json value) {
    j[field] = std::move(value);
    return j;
  };
  doc["windows"]["reads"] = {read,
                             broken(read, "slots", nlohmann::json::array()),
                             broken(read, "slots", std::vector<std::vector<int>>(61, {1, 1, 1})),
                             broken(read, "bucket_hex", "zz"),
                             broken(read, "client", "not-an-ip"),
                             broken(read, "operations", std::vector<std::vector<int>>{{1, 2}}),
                             broken(read, "distinct", {-1}),
                             broken(read, "auth_classes", 256),
                             "junk"};
  doc["windows"]["probes"] = {probe, broken(probe, "names", nlohmann::json::array()),
                              broken(probe, "names", {{"", 1, true}}), 7};
  auto r = Parse(doc.dump());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.state.windows.reads.size(), 1u);
  EXPECT_EQ(r.state.windows.probes.size(), 1u);
  EXPECT_EQ(r.skipped, 8u + 3u);
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
