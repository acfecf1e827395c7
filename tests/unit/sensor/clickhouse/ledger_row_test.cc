// The central ledger's row formatter (ledger_row.h) and its inverse for ledger-import
// (ledger_line_parse.h): every column present, values as the ledger line has them, hostile
// strings escaped, and a ledger line parsed back giving the row the sensor sent.
#include "sensor/clickhouse/ledger_row.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sensor/clickhouse/ledger_line_parse.h"
#include "sensor/output/ledger_file.h"
#include "sensor/output/ledger_record.h"
#include "tests/unit/sensor/clickhouse/tsv_row.h"

namespace bw::clickhouse {
namespace {

using nlohmann::json;

const char* const kColumns[] = {"date",
                                "time",
                                "ts_ns",
                                "duration_ns",
                                "observer_name",
                                "observer_hostname",
                                "source_ip",
                                "source_port",
                                "destination_ip",
                                "destination_port",
                                "community_id",
                                "http_method",
                                "http_request_bytes",
                                "http_status",
                                "http_response_bytes",
                                "http_response_body_bytes",
                                "has_body_bytes",
                                "url_domain",
                                "url_path",
                                "url_query",
                                "user_agent",
                                "tls_decrypted",
                                "tls_version",
                                "tls_cipher",
                                "tls_server_name",
                                "provider",
                                "account",
                                "bucket",
                                "object_key",
                                "operation",
                                "auth_class",
                                "auth_scheme",
                                "access_key_id",
                                "outcome",
                                "error_code",
                                "range_request",
                                "list_keys",
                                "list_truncated",
                                "sample_keys",
                                "missing_bytes",
                                "line_sha256"};
const std::string kHash(64, 'a');

decode::IpAddress Ip(const std::string& text) {
  decode::IpAddress ip;
  EXPECT_TRUE(decode::IpAddress::Parse(text, ip)) << text;
  return ip;
}

event::RequestContext Listing(storage::StorageEvent& e) {
  event::RequestContext ctx;
  ctx.start_ts = 1700000000123456789;  // 2023-11-14T22:13:20.123456789Z
  ctx.end_ts = ctx.start_ts + 5000;
  ctx.client_ip = Ip("10.0.0.1");
  ctx.server_ip = Ip("52.216.0.1");
  ctx.client_port = 40000;
  ctx.server_port = 443;
  ctx.community_id = "1:abc=";
  ctx.method = "GET";
  ctx.status = 200;
  ctx.request_bytes = 120;
  ctx.response_bytes = 4096;
  ctx.response_body_bytes = 3800;
  ctx.user_agent = "curl/7.88";
  e.provider = storage::Provider::kS3;
  e.bucket = "bucket";
  e.operation = storage::Operation::kListObjectsV2;
  e.outcome = storage::Outcome::kSuccess;
  e.url_domain = "bucket.s3.amazonaws.com";
  e.url_path = "/";
  e.url_query = "list-type=2";
  e.list_keys = 3;
  e.list_truncated = true;
  e.sample_keys = {"a", "b"};
  return ctx;
}

json Row(const event::RequestContext& ctx, const storage::StorageEvent& e,
         const RowSource& source = {nullptr, kHash, false}) {
  std::string out;
  AppendLedgerRow(out, ctx, e, source);
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one row, one line";
  json row = testing::ParseRow(out);
  EXPECT_EQ(row.size(), std::size(kColumns));
  for (const char* c : kColumns) EXPECT_TRUE(row.contains(c)) << c;
  return row;
}

TEST(LedgerRowTest, EveryColumnInSchemaOrder) {
  storage::StorageEvent e;
  event::RequestContext ctx = Listing(e);
  std::string out;
  AppendLedgerRow(out, ctx, e, {nullptr, kHash, false});
  ASSERT_EQ(std::size(kLedgerColumns), std::size(kColumns));
  std::string names;
  for (size_t i = 0; i < std::size(kColumns); ++i) {
    EXPECT_EQ(kLedgerColumns[i], kColumns[i]);
    names += (i ? "," : "") + std::string(kColumns[i]);
  }
  EXPECT_EQ(LedgerInsertClause(), "(" + names + ") FORMAT TabSeparated");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\t'), std::size(kColumns) - 1);
}

TEST(LedgerRowTest, ValuesOfAListing) {
  storage::StorageEvent e;
  event::RequestContext ctx = Listing(e);
  event::Observer o{"tap-1", "host-a"};
  json r = Row(ctx, e, {&o, kHash, false});
  EXPECT_EQ(r["date"], "2023-11-14");
  EXPECT_EQ(r["time"], 1700000000);
  EXPECT_EQ(r["ts_ns"], 1700000000123456789ull);
  EXPECT_EQ(r["duration_ns"], 5000);
  EXPECT_EQ(r["observer_name"], "tap-1");
  EXPECT_EQ(r["observer_hostname"], "host-a");
  EXPECT_EQ(r["source_ip"], "10.0.0.1");
  EXPECT_EQ(r["destination_port"], 443);
  EXPECT_EQ(r["http_status"], 200);
  EXPECT_EQ(r["http_response_body_bytes"], 3800);
  EXPECT_EQ(r["has_body_bytes"], 1);
  EXPECT_EQ(r["provider"], "s3");
  EXPECT_EQ(r["operation"], "ListObjectsV2");
  EXPECT_EQ(r["auth_class"], "anonymous");
  EXPECT_EQ(r["auth_scheme"], "");
  EXPECT_EQ(r["outcome"], "success");
  EXPECT_EQ(r["list_keys"], 3);
  EXPECT_EQ(r["list_truncated"], 1);
  EXPECT_EQ(r["sample_keys"], json::array({"a", "b"}));
  EXPECT_EQ(r["line_sha256"], kHash);
}

// What the ledger line leaves out is the column's zero value: no response, no listing (-1 and
// no sample keys even when an object read named its key), no TLS, no observer.
TEST(LedgerRowTest, MissingFieldsAreZeroValues) {
  event::RequestContext ctx;
  ctx.start_ts = 86400 * kNsPerSecond;
  ctx.end_ts = ctx.start_ts - 1;  // never negative
  ctx.response_bytes = 99;        // without a status the line has no response
  ctx.response_body_bytes = 77;
  ctx.tls_cipher = "TLS_AES_128_GCM_SHA256";  // not decrypted: not in the line
  storage::StorageEvent e;
  e.operation = storage::Operation::kGetObject;
  e.list_keys = -1;
  e.list_truncated = true;
  e.sample_keys = {"the/object"};
  json r = Row(ctx, e);
  EXPECT_EQ(r["date"], "1970-01-02");
  EXPECT_EQ(r["duration_ns"], 0);
  EXPECT_EQ(r["observer_name"], "");
  EXPECT_EQ(r["source_ip"], "");
  EXPECT_EQ(r["http_status"], 0);
  EXPECT_EQ(r["http_response_bytes"], 0);
  EXPECT_EQ(r["http_response_body_bytes"], 0);
  EXPECT_EQ(r["has_body_bytes"], 0);
  EXPECT_EQ(r["tls_decrypted"], 0);
  EXPECT_EQ(r["tls_version"], "");
  EXPECT_EQ(r["tls_cipher"], "");
  EXPECT_EQ(r["list_keys"], -1);
  EXPECT_EQ(r["list_truncated"], 0);
  EXPECT_EQ(r["sample_keys"], json::array());
  EXPECT_EQ(r["bucket"], "");
}

TEST(LedgerRowTest, DecryptedTlsAndIpv6) {
  storage::StorageEvent e;
  event::RequestContext ctx = Listing(e);
  ctx.client_ip = Ip("2001:db8::1");
  ctx.server_ip = Ip("::ffff:192.0.2.7");
  ctx.tls_decrypted = true;
  ctx.tls_version = 0x0304;
  ctx.tls_cipher = "TLS_AES_128_GCM_SHA256";
  ctx.sni = "bucket.s3.amazonaws.com";
  json r = Row(ctx, e);
  std::string line = output::FormatLedgerLine(ctx, e);
  json l = json::parse(line);
  EXPECT_EQ(r["source_ip"], l["source"]["ip"]);
  EXPECT_EQ(r["source_ip"], "2001:db8::1");
  EXPECT_EQ(r["destination_ip"], l["destination"]["ip"]);
  EXPECT_EQ(r["tls_decrypted"], 1);
  EXPECT_EQ(r["tls_version"], "1.3");
  EXPECT_EQ(r["tls_cipher"], "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(r["tls_server_name"], "bucket.s3.amazonaws.com");
}

// Keys and user agents come from the wire: quotes, backslashes, control characters, newlines
// and invalid UTF-8 stay inside their field, and read back as the ledger line's strings decode.
TEST(LedgerRowTest, HostileStringsAreEscaped) {
  storage::StorageEvent e;
  event::RequestContext ctx = Listing(e);
  ctx.user_agent = "x\",\"bucket\":\"evil\n\r\t\\\x01\xff";
  e.key = "a\"}\n{\"line_sha256\":\"0";
  e.sample_keys = {"\x80\x81", "new\nline", std::string("nul\0x", 5), "it's \\ a\ttab'],['"};
  e.error_code = "\xe2\x82";  // truncated UTF-8
  json r = Row(ctx, e);
  json l = json::parse(output::FormatLedgerLine(ctx, e));
  EXPECT_EQ(r["user_agent"], l["user_agent"]["original"]);
  EXPECT_EQ(r["object_key"], "a\"}\n{\"line_sha256\":\"0");
  EXPECT_EQ(r["bucket"], "bucket");
  EXPECT_EQ(r["line_sha256"], kHash);
  EXPECT_EQ(r["sample_keys"], l["storage"]["list"]["sample_keys"]);
  EXPECT_EQ(r["sample_keys"][2], std::string("nul\0x", 5));
  EXPECT_EQ(r["error_code"], l["storage"]["error_code"]);
}

TEST(LedgerRowTest, AppendsToTheBuffer) {
  storage::StorageEvent e;
  event::RequestContext ctx = Listing(e);
  std::string out;
  AppendLedgerRow(out, ctx, e, {nullptr, kHash, false});
  size_t one = out.size();
  AppendLedgerRow(out, ctx, e, {nullptr, kHash, false});
  EXPECT_EQ(out.size(), 2 * one);
  EXPECT_EQ(out.substr(0, one), out.substr(one));
}

TEST(LedgerRowTest, UtcDates) {
  char buf[11];
  auto date = [&](TimestampNs ts) { return std::string(buf, WriteUtcDate(buf, ts)); };
  EXPECT_EQ(date(0), "1970-01-01");
  EXPECT_EQ(date(-5), "1970-01-01");
  EXPECT_EQ(date(951782400 * kNsPerSecond), "2000-02-29");
  EXPECT_EQ(date(4107542399 * kNsPerSecond), "2100-02-28");
  EXPECT_EQ(date(1767225599 * kNsPerSecond + 999999999), "2025-12-31");
  EXPECT_EQ(date(1767225600 * kNsPerSecond), "2026-01-01");
}

// ledger-import: a ledger line parsed back gives the row the sensor formatted for the request,
// byte for byte, with the hash of the line without its chain field.
TEST(LedgerLineParseTest, RoundTripGivesTheSameRow) {
  storage::StorageEvent e;
  event::RequestContext base = Listing(e);
  event::Observer o{"tap-1", "host-a"};
  std::vector<std::pair<event::RequestContext, storage::StorageEvent>> cases;
  cases.emplace_back(base, e);
  {
    auto c = base;
    auto ev = e;
    c.client_ip = Ip("2001:db8::1");
    c.tls_decrypted = true;
    c.tls_version = 0x0303;
    c.tls_cipher = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    c.sni = "s.example";
    c.user_agent = std::string("ua\"\\\n\x01\xff", 7);
    c.missing_bytes = true;
    ev.key = "k\xc3\xa9y\x80";
    ev.auth_class = storage::AuthClass::kSigned;
    ev.auth_scheme = storage::AuthScheme::kSigV4;
    ev.access_key_id = "AKIAEXAMPLE";
    ev.range_request = true;
    ev.error_code = "AccessDenied";
    ev.outcome = storage::Outcome::kDenied;
    cases.emplace_back(c, ev);
  }
  {
    auto c = base;
    auto ev = e;
    c.status = 0;
    ev.list_keys = -1;
    ev.url_domain.clear();
    ev.url_path.clear();
    ev.url_query.clear();
    ev.provider = storage::Provider::kAzureBlob;
    ev.account = "acct";
    ev.operation = storage::Operation::kUnknown;
    ev.outcome = storage::Outcome::kNoResponse;
    cases.emplace_back(c, ev);
  }
  for (const auto& [ctx, ev] : cases) {
    for (bool chained : {false, true}) {
      const event::Observer* observers[] = {nullptr, &o};
      for (const event::Observer* obs : observers) {
        std::string line = output::FormatLedgerLine(ctx, ev, obs);
        const std::string hash = output::Sha256Hex(line);
        std::string expected;
        AppendLedgerRow(expected, ctx, ev, {obs, hash, false});
        std::string text = chained ? output::AppendChainField(line, std::string(64, '7')) : line;
        ParsedLedgerLine p;
        std::string error;
        ASSERT_TRUE(ParseLedgerLine(text, p, error)) << error << "\n" << text;
        EXPECT_EQ(p.line_sha256, hash);
        std::string got;
        AppendLedgerRow(
            got, p.ctx, p.event,
            {p.has_observer ? &p.observer : nullptr, p.line_sha256, p.body_bytes_absent});
        EXPECT_EQ(got, expected) << text;
      }
    }
  }
}

TEST(LedgerLineParseTest, OldLedgerWithoutBodyBytes) {
  std::string line =
      R"({"@timestamp":"2024-05-01T00:00:01Z","http":{"request":{"method":"GET","bytes":1},)"
      R"("response":{"status_code":200,"bytes":50}},"storage":{"provider":"s3",)"
      R"("operation":"GetObject","auth":{"class":"anonymous"},"outcome":"success"}})";
  ParsedLedgerLine p;
  std::string error;
  ASSERT_TRUE(ParseLedgerLine(line, p, error)) << error;
  EXPECT_TRUE(p.body_bytes_absent);
  std::string row;
  AppendLedgerRow(row, p.ctx, p.event, {nullptr, p.line_sha256, p.body_bytes_absent});
  json r = testing::ParseRow(row);
  EXPECT_EQ(r["has_body_bytes"], 0);
  EXPECT_EQ(r["http_response_bytes"], 50);
  EXPECT_EQ(r["date"], "2024-05-01");
  EXPECT_EQ(r["line_sha256"], output::Sha256Hex(line));
}

TEST(LedgerLineParseTest, RefusesWhatIsNotALedgerRecord) {
  const char* bad[] = {
      "",
      "[]",
      "{",
      R"({"storage":{"provider":"s3"}})",  // no timestamp
      R"({"@timestamp":"yesterday","storage":{}})",
      R"({"@timestamp":"2024-05-01T00:00:01Z"})",  // no storage
      R"({"@timestamp":"2024-05-01T00:00:01Z","storage":{"provider":"ftp","operation":"GetObject","auth":{"class":"anonymous"},"outcome":"success"}})",
      R"({"@timestamp":"2024-05-01T00:00:01Z","storage":{"provider":"s3","operation":"Nope","auth":{"class":"anonymous"},"outcome":"success"}})",
      R"({"@timestamp":"2024-05-01T00:00:01Z","source":{"ip":"999.1.1.1"},"storage":{"provider":"s3","operation":"GetObject","auth":{"class":"anonymous"},"outcome":"success"}})",
      R"({"@timestamp":"2024-05-01T00:00:01Z","source":{"port":70000},"storage":{"provider":"s3","operation":"GetObject","auth":{"class":"anonymous"},"outcome":"success"}})",
      R"({"@timestamp":"2024-05-01T00:00:01Z","storage":{"provider":"s3","operation":"GetObject","auth":{"class":"anonymous"},"outcome":"success","list":{"keys":"3"}}})",
      R"({"@timestamp":"2024-05-01T00:00:01Z","storage":{"provider":"s3","operation":"GetObject","auth":{"class":"anonymous","scheme":""},"outcome":"success"}})",
  };
  for (const char* line : bad) {
    ParsedLedgerLine p;
    std::string error;
    EXPECT_FALSE(ParseLedgerLine(line, p, error)) << line;
    EXPECT_FALSE(error.empty()) << line;
  }
}

TEST(LedgerLineParseTest, ChainFieldIsLeftOutOfTheHash) {
  std::string out;
  LineWithoutChainField(R"({"a":1})", out);
  EXPECT_EQ(out, R"({"a":1})");
  LineWithoutChainField(output::AppendChainField(R"({"a":1})", std::string(64, 'f')), out);
  EXPECT_EQ(out, R"({"a":1})");
  LineWithoutChainField(output::AppendChainField("{}", std::string(64, 'f')), out);
  EXPECT_EQ(out, "{}");
}

}  // namespace
}  // namespace bw::clickhouse
