// A central-ledger row read back into the request the sensor's detection saw
// (ledger_row_reader.h): rows written by the ledger sink's own formatter (ledger_row.h) give back
// every value detection reads; 64-bit columns as ClickHouse quotes them; malformed rows refused
// with the column named; GCS objects.get without alt=media is the metadata read it was.
#include "sensor/correlate/ledger_row_reader.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sensor/clickhouse/ledger_row.h"
#include "tests/unit/sensor/clickhouse/tsv_row.h"

namespace bw::correlate {
namespace {

using nlohmann::json;

const std::string kHash(64, 'b');

decode::IpAddress Ip(const std::string& text) {
  decode::IpAddress ip;
  EXPECT_TRUE(decode::IpAddress::Parse(text, ip)) << text;
  return ip;
}

event::StorageRequest Read() {
  event::StorageRequest r;
  event::RequestContext& ctx = r.ctx;
  ctx.start_ts = 1700000000123456789;
  ctx.end_ts = ctx.start_ts + 7000;
  ctx.client_ip = Ip("2001:db8::7");
  ctx.server_ip = Ip("52.216.0.1");
  ctx.client_port = 40000;
  ctx.server_port = 80;
  ctx.community_id = "1:abc=";
  ctx.method = "GET";
  ctx.status = 200;
  ctx.request_bytes = 120;
  ctx.response_bytes = 4096;
  ctx.response_body_bytes = 3800;
  ctx.user_agent = "curl/8.0";
  storage::StorageEvent& e = r.event;
  e.provider = storage::Provider::kS3;
  e.bucket = "leaky";
  e.key = "exports/a b.csv";
  e.operation = storage::Operation::kGetObject;
  e.kind = storage::OperationKind::kRead;
  e.auth_class = storage::AuthClass::kPresigned;
  e.auth_scheme = storage::AuthScheme::kSigV4;
  e.access_key_id = "AKIAEXAMPLE";
  e.outcome = storage::Outcome::kSuccess;
  e.url_domain = "s3.amazonaws.com";
  e.url_path = "/leaky/exports/a%20b.csv";
  e.url_query = "X-Amz-Signature=REDACTED";
  e.range_request = true;
  e.request_bytes = ctx.request_bytes;
  e.response_bytes = ctx.response_bytes;
  e.response_body_bytes = ctx.response_body_bytes;
  return r;
}

// The row the ledger sink sends for `r`, as a JSONEachRow query gives it back.
std::string RowOf(const event::StorageRequest& r, const event::Observer* o = nullptr,
                  bool body_bytes_absent = false) {
  std::string out;
  clickhouse::AppendLedgerRow(out, r.ctx, r.event, {o, kHash, body_bytes_absent});
  return clickhouse::testing::ParseRow(out).dump();
}

TEST(LedgerRowReaderTest, GivesBackWhatDetectionReads) {
  const event::StorageRequest in = Read();
  event::Observer o{"site-a", "host-a"};
  LedgerRow row;
  std::string error;
  ASSERT_TRUE(ReadLedgerRow(RowOf(in, &o), row, error)) << error;
  EXPECT_EQ(row.ts_ns, in.ctx.start_ts);
  EXPECT_EQ(row.line_sha256, kHash);
  EXPECT_EQ(row.observer_name, "site-a");
  const event::RequestContext& c = row.request.ctx;
  EXPECT_EQ(c.start_ts, in.ctx.start_ts);
  EXPECT_EQ(c.end_ts, in.ctx.end_ts);
  EXPECT_EQ(c.client_ip.ToString(), "2001:db8::7");
  EXPECT_EQ(c.server_ip.ToString(), "52.216.0.1");
  EXPECT_EQ(c.client_port, 40000);
  EXPECT_EQ(c.server_port, 80);
  EXPECT_EQ(c.community_id, in.ctx.community_id);
  EXPECT_EQ(c.method, "GET");
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.request_bytes, 120u);
  EXPECT_EQ(c.response_bytes, 4096u);
  EXPECT_EQ(c.response_body_bytes, 3800u);
  EXPECT_EQ(c.user_agent, "curl/8.0");
  const storage::StorageEvent& e = row.request.event;
  EXPECT_EQ(e.provider, storage::Provider::kS3);
  EXPECT_EQ(e.bucket, "leaky");
  EXPECT_EQ(e.key, "exports/a b.csv");
  EXPECT_EQ(e.operation, storage::Operation::kGetObject);
  EXPECT_EQ(e.kind, storage::OperationKind::kRead);
  EXPECT_EQ(e.auth_class, storage::AuthClass::kPresigned);
  EXPECT_EQ(e.auth_scheme, storage::AuthScheme::kSigV4);
  EXPECT_EQ(e.access_key_id, "AKIAEXAMPLE");
  EXPECT_EQ(e.outcome, storage::Outcome::kSuccess);
  EXPECT_EQ(e.url_path, in.event.url_path);
  EXPECT_EQ(e.url_query, in.event.url_query);
  EXPECT_TRUE(e.range_request);
  EXPECT_EQ(e.list_keys, -1);
  EXPECT_EQ(e.response_body_bytes, 3800u);
}

TEST(LedgerRowReaderTest, ListingNotFoundAndNoResponse) {
  event::StorageRequest in = Read();
  in.event.operation = storage::Operation::kListObjectsV2;
  in.event.key.clear();
  in.event.outcome = storage::Outcome::kNotFound;
  in.event.error_code = "NoSuchBucket";
  in.event.list_keys = 2;
  in.event.list_truncated = true;
  in.event.sample_keys = {"k1", "k2"};
  LedgerRow row;
  std::string error;
  ASSERT_TRUE(ReadLedgerRow(RowOf(in), row, error)) << error;
  EXPECT_EQ(row.request.event.kind, storage::OperationKind::kList);
  EXPECT_EQ(row.request.event.outcome, storage::Outcome::kNotFound);
  EXPECT_EQ(row.request.event.error_code, "NoSuchBucket");
  EXPECT_EQ(row.request.event.list_keys, 2);
  EXPECT_TRUE(row.request.event.list_truncated);
  EXPECT_EQ(row.request.event.sample_keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_TRUE(row.observer_name.empty());

  in.ctx.status = 0;
  in.event.outcome = storage::Outcome::kNoResponse;
  ASSERT_TRUE(ReadLedgerRow(RowOf(in), row, error)) << error;
  EXPECT_EQ(row.request.ctx.status, 0);
  EXPECT_EQ(row.request.ctx.response_body_bytes, 0u);
  EXPECT_EQ(row.request.event.outcome, storage::Outcome::kNoResponse);
}

TEST(LedgerRowReaderTest, SixtyFourBitColumnsQuotedAsClickHousePrintsThem) {
  json row = json::parse(RowOf(Read()));
  for (const char* c : {"ts_ns", "duration_ns", "http_request_bytes", "http_response_bytes",
                        "http_response_body_bytes", "list_keys"}) {
    row[c] = row[c].dump();
  }
  LedgerRow out;
  std::string error;
  ASSERT_TRUE(ReadLedgerRow(row.dump(), out, error)) << error;
  EXPECT_EQ(out.ts_ns, 1700000000123456789);
  EXPECT_EQ(out.request.ctx.end_ts, 1700000000123456789 + 7000);
  EXPECT_EQ(out.request.event.response_body_bytes, 3800u);
  EXPECT_EQ(out.request.event.list_keys, -1);
}

TEST(LedgerRowReaderTest, OldLedgerWithoutBodyBytesCountsTheMessage) {
  event::StorageRequest in = Read();
  LedgerRow out;
  std::string error;
  ASSERT_TRUE(ReadLedgerRow(RowOf(in, nullptr, true), out, error)) << error;
  EXPECT_EQ(out.request.event.response_body_bytes, 4096u);
}

TEST(LedgerRowReaderTest, GcsJsonApiObjectsGetIsMetadataUnlessMedia) {
  event::StorageRequest in = Read();
  in.event.provider = storage::Provider::kGcs;
  in.event.operation = storage::Operation::kGcsObjectsGet;
  in.event.url_path = "/storage/v1/b/bkt/o/obj";
  in.event.url_query = "";
  LedgerRow out;
  std::string error;
  ASSERT_TRUE(ReadLedgerRow(RowOf(in), out, error)) << error;
  EXPECT_EQ(out.request.event.kind, storage::OperationKind::kHead);
  in.event.url_query = "alt=media";
  ASSERT_TRUE(ReadLedgerRow(RowOf(in), out, error)) << error;
  EXPECT_EQ(out.request.event.kind, storage::OperationKind::kRead);
  in.event.url_path = "/bkt/obj";  // the XML API: data
  in.event.url_query = "";
  ASSERT_TRUE(ReadLedgerRow(RowOf(in), out, error)) << error;
  EXPECT_EQ(out.request.event.kind, storage::OperationKind::kRead);
}

TEST(LedgerRowReaderTest, MalformedRowsRefusedWithTheColumn) {
  const json good = json::parse(RowOf(Read()));
  struct Case {
    const char* column;
    json value;
  };
  for (const Case& c :
       {Case{"ts_ns", "x"}, Case{"ts_ns", -1}, Case{"source_ip", "not-an-ip"},
        Case{"provider", "dropbox"}, Case{"auth_class", "magic"}, Case{"outcome", "maybe"},
        Case{"source_port", 70000}, Case{"has_body_bytes", 2}, Case{"sample_keys", "k"},
        Case{"list_keys", -2}}) {
    json row = good;
    row[c.column] = c.value;
    LedgerRow out;
    std::string error;
    EXPECT_FALSE(ReadLedgerRow(row.dump(), out, error)) << c.column;
    EXPECT_NE(error.find(c.column), std::string::npos) << error;
    row = good;
    row.erase(c.column);
    EXPECT_FALSE(ReadLedgerRow(row.dump(), out, error)) << c.column;
  }
  LedgerRow out;
  std::string error;
  EXPECT_FALSE(ReadLedgerRow("[1,2]", out, error));
  EXPECT_FALSE(ReadLedgerRow("{\"ts_ns\":", out, error));
  // An operation this build does not know is an unnamed request, still a probe of its bucket.
  json row = good;
  row["operation"] = "FutureOperation";
  ASSERT_TRUE(ReadLedgerRow(row.dump(), out, error)) << error;
  EXPECT_EQ(out.request.event.operation, storage::Operation::kUnknown);
}

}  // namespace
}  // namespace bw::correlate
