#include "sensor/output/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "sensor/output/ledger_record.h"

namespace bw::output {
namespace {

std::string Reference(const std::string& s) {
  std::string dumped =
      nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return dumped.substr(1, dumped.size() - 2);
}

std::string Ours(const std::string& s) {
  std::string out;
  JsonWriter::AppendEscaped(out, s);
  return out;
}

TEST(JsonWriterTest, EscapesLikeNlohmannOnEdgeCases) {
  const std::string cases[] = {"",
                               "plain",
                               "q\"uote\\back",
                               std::string("\0\x01\x1f\x7f", 4),
                               "\b\f\n\r\t",
                               "caf\xC3\xA9",
                               "\xE2\x82\xAC",
                               "\xF0\x9F\x98\x80",  // valid 2, 3, 4 byte
                               "\x80",
                               "\xC0\xAF",
                               "\xC1\xBF",
                               "\xE0\x80\xAF",  // lone continuation, overlong
                               "\xED\xA0\x80",
                               "\xF4\x90\x80\x80",
                               "\xF5\x80",  // surrogate, > U+10FFFF
                               "\xE2\x82",
                               "ab\xF0\x9F\x98",
                               "\xC3(",
                               "\xE2(\xA1",
                               "\xF0\x28\x8C\xBC",
                               "\xC3\xA9\xC3",
                               "\xFF\xFE",
                               "x\xE0\xA0\x80y\xEF\xBF\xBF"};
  for (const std::string& s : cases) EXPECT_EQ(Ours(s), Reference(s)) << "input size " << s.size();
}

// Random byte strings biased towards UTF-8 lead and continuation bytes.
TEST(JsonWriterTest, EscapesLikeNlohmannOnRandomBytes) {
  std::mt19937 rng(7);
  const uint8_t interesting[] = {0x00, 0x1f, '"',  '\\', 'a',  0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
                                 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
  for (int n = 0; n < 20000; ++n) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) {
      c = static_cast<char>(rng() % 2 ? interesting[rng() % sizeof(interesting)] : rng() % 256);
    }
    ASSERT_EQ(Ours(s), Reference(s)) << "case " << n;
  }
}

TEST(JsonWriterTest, NestingAndSeparators) {
  std::string out;
  JsonWriter j(out);
  j.BeginObject().Field("a", uint64_t{1}).Key("b").BeginArray().String("x").Bool(false);
  j.BeginObject().EndObject().EndArray().Field("c", int64_t{-5}).FieldIfNotEmpty("d", "");
  j.Key("e").BeginObject().Field("f", true).EndObject().EndObject();
  EXPECT_EQ(out, R"({"a":1,"b":["x",false,{}],"c":-5,"e":{"f":true}})");
}

// The ledger line is canonical JSON: parsing and dumping it again gives the same bytes, also
// when wire strings carry invalid UTF-8 and control characters.
TEST(JsonWriterTest, LedgerLineRoundTrips) {
  event::RequestContext ctx;
  ctx.start_ts = 1700000000123456789;
  ctx.end_ts = ctx.start_ts + 5000;
  ctx.client_ip = decode::IpAddress::V4(reinterpret_cast<const uint8_t*>("\x0a\x00\x00\x01"));
  ctx.server_ip = decode::IpAddress::V4(reinterpret_cast<const uint8_t*>("\x34\xd8\x00\x01"));
  ctx.client_port = 40000;
  ctx.server_port = 80;
  ctx.community_id = "1:abc=";
  ctx.method = "GET";
  ctx.status = 200;
  ctx.request_bytes = 120;
  ctx.response_bytes = 4096;
  ctx.response_body_bytes = 3800;
  ctx.user_agent = "curl/7.88\x01\xff";
  storage::StorageEvent e;
  e.provider = storage::Provider::kS3;
  e.bucket = "bucket";
  e.key = "dir/\xC3\xA9t\xE9.txt";
  e.operation = storage::Operation::kListObjectsV2;
  e.url_domain = "bucket.s3.amazonaws.com";
  e.url_path = "/";
  e.url_query = "list-type=2";
  e.list_keys = 3;
  e.list_truncated = true;
  e.sample_keys = {"a", "b\"c", "\x80"};
  std::string line = FormatLedgerLine(ctx, e);
  nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(line);
  EXPECT_EQ(parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), line);
  EXPECT_EQ(parsed["storage"]["list"]["sample_keys"][1], "b\"c");
  EXPECT_EQ(parsed["http"]["response"]["status_code"], 200);
  EXPECT_EQ(parsed["http"]["response"]["bytes"], 4096);
  EXPECT_EQ(parsed["http"]["response"]["body"]["bytes"], 3800);
  EXPECT_EQ(parsed["event"]["duration"], 5000);
  EXPECT_FALSE(parsed["storage"].contains("account"));
}

}  // namespace
}  // namespace bw::output
