#include "sensor/report/ledger_entry.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "report_test_util.h"

namespace bw::report {
namespace {

TEST(ParseTime, AcceptsRfc3339DatesAndEpochSeconds) {
  EXPECT_EQ(ParseTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTime("2026-11-23T10:16:15.123456789Z"),
            1'795'428'975 * kNsPerSecond + 123'456'789);
  EXPECT_EQ(ParseTime("2026-11-23T11:16:15.5+01:00"), 1'795'428'975 * kNsPerSecond + 500'000'000);
  EXPECT_EQ(ParseTime("2026-11-23"), 1'795'392'000 * kNsPerSecond);
  EXPECT_EQ(ParseTime("1795428975"), 1'795'428'975 * kNsPerSecond);
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-11-23T10:16:15", "2026-11-23T10:16Z",
                          "2026-11-23T10:16:15.Z", "12x", "-5", "2026-11-23T10:16:15Zjunk",
                          "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z", "99999999999"}) {
    EXPECT_FALSE(ParseTime(bad)) << bad;
  }
}

// Issue 16: objects are counted by the bytes they carried, not by their messages; ledgers
// written before http.response.body.bytes existed fall back to the message.
TEST(ParseLedgerEntry, ObjectBytesFromTheBodyWhenTheLedgerHasThem) {
  testing::Line l;
  std::string with = l.Json();
  LedgerEntry old;
  ASSERT_TRUE(ParseLedgerEntry(with, old));
  EXPECT_FALSE(old.has_body_bytes);
  EXPECT_EQ(old.ObjectBytes(), 100u);
  size_t at = with.find("\"bytes\":100");
  ASSERT_NE(at, std::string::npos);
  with.insert(at + 11, ",\"body\":{\"bytes\":14}");
  LedgerEntry e;
  ASSERT_TRUE(ParseLedgerEntry(with, e)) << with;
  EXPECT_TRUE(e.has_body_bytes);
  EXPECT_EQ(e.response_bytes, 100u);
  EXPECT_EQ(e.ObjectBytes(), 14u);
}

TEST(ParseLedgerEntry, ReadsTheFieldsTheReportUses) {
  testing::Line l;
  l.key = "a/b.csv";
  l.status = 206;
  l.range = true;
  l.access_key = "AKIAEXAMPLE";
  l.auth = "signed";
  l.error_code = "X";
  LedgerEntry e;
  ASSERT_TRUE(ParseLedgerEntry(l.Json(), e));
  EXPECT_EQ(e.ts, l.ts);
  EXPECT_EQ(e.client_ip, "192.0.2.10");
  EXPECT_EQ(e.user_agent, "curl/8.0");
  EXPECT_EQ(e.status, 206);
  EXPECT_EQ(e.response_bytes, 100u);
  EXPECT_EQ(e.provider, "s3");
  EXPECT_EQ(e.bucket, "public-data");
  EXPECT_EQ(e.key, "a/b.csv");
  EXPECT_EQ(e.auth_class, "signed");
  EXPECT_EQ(e.access_key_id, "AKIAEXAMPLE");
  EXPECT_EQ(e.error_code, "X");
  EXPECT_TRUE(e.range);
  EXPECT_TRUE(e.PartialRead());
  EXPECT_FALSE(e.listing());
  EXPECT_FALSE(e.anonymous());

  // Fields of the previous line do not leak into the next.
  testing::Line list;
  list.operation = "ListObjectsV2";
  list.list_keys = 3;
  list.truncated = true;
  ASSERT_TRUE(ParseLedgerEntry(list.Json(), e));
  EXPECT_EQ(e.key, "");
  EXPECT_EQ(e.access_key_id, "");
  EXPECT_FALSE(e.range);
  EXPECT_TRUE(e.listing());
  EXPECT_EQ(e.list_keys, 3);
  EXPECT_TRUE(e.list_truncated);
  EXPECT_TRUE(e.anonymous());
}

TEST(ParseLedgerEntry, ReadsTheObserverNameWhenPresent) {
  testing::Line l;
  LedgerEntry e;
  ASSERT_TRUE(ParseLedgerEntry(l.Json(), e));
  EXPECT_EQ(e.observer, "");  // a ledger written before observer.name
  l.observer = "tap-fra-3";
  ASSERT_TRUE(ParseLedgerEntry(l.Json(), e));
  EXPECT_EQ(e.observer, "tap-fra-3");
  // observer.hostname is not the name; a name that is not a string is not taken.
  ASSERT_TRUE(ParseLedgerEntry(
      R"({"@timestamp":"2026-11-23T10:00:00Z","observer":{"hostname":"h","name":7},)"
      R"("storage":{"provider":"s3"}})",
      e));
  EXPECT_EQ(e.observer, "");
}

TEST(ParseLedgerEntry, ReadsSampleKeysWhenPresent) {
  LedgerEntry e;
  ASSERT_TRUE(ParseLedgerEntry(
      R"({"@timestamp":"2026-01-01T00:00:00Z","storage":{"provider":"gcs","bucket":"b",)"
      R"("operation":"objects.list","auth":{"class":"anonymous"},"outcome":"success",)"
      R"("list":{"keys":2,"truncated":false,"sample_keys":["x","y"]}}})",
      e));
  EXPECT_EQ(e.sample_keys, (std::vector<std::string>{"x", "y"}));
}

TEST(ParseLedgerEntry, RejectsWhatIsNotALedgerRecord) {
  LedgerEntry e;
  for (const char* bad : {"", "not json", "[]", "{}", R"({"storage":{"provider":"s3"}})",
                          R"({"@timestamp":"bad","storage":{"provider":"s3"}})",
                          R"({"@timestamp":"2026-01-01T00:00:00Z","storage":"s3"})",
                          R"({"@timestamp":"2026-01-01T00:00:00Z","storage":{}})",
                          R"({"@timestamp":"2026-01-01T00:00:00Z","storage":{"provider":"s3")"}) {
    EXPECT_FALSE(ParseLedgerEntry(bad, e)) << bad;
  }
}

TEST(LedgerEntry, ObjectReadIsDataNotMetadata) {
  LedgerEntry e;
  e.method = "GET";
  e.key = "k";
  e.operation = "GetObject";
  EXPECT_TRUE(e.ObjectRead());
  e.operation = "GetBlob";
  EXPECT_TRUE(e.ObjectRead());
  e.operation = "HeadObject";
  EXPECT_FALSE(e.ObjectRead());
  e.operation = "objects.get";
  e.url_path = "/storage/v1/b/bucket/o/k";
  EXPECT_FALSE(e.ObjectRead());  // JSON API metadata
  e.url_query = "alt=media";
  EXPECT_TRUE(e.ObjectRead());
  e.url_query.clear();
  e.url_path = "/bucket/k";  // XML API
  EXPECT_TRUE(e.ObjectRead());
  e.method = "HEAD";
  EXPECT_FALSE(e.ObjectRead());
  e.method = "GET";
  e.key.clear();
  EXPECT_FALSE(e.ObjectRead());
}

}  // namespace
}  // namespace bw::report

// The scanner against nlohmann::json as an oracle: same accept/reject and same
// fields, for the real ledger shape and thousands of single-byte mutations of
// it.
namespace bw::report {
namespace {

std::optional<LedgerEntry> Oracle(std::string_view line) {
  using Json = nlohmann::json;
  Json j = Json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto at = [&](std::initializer_list<const char*> path) -> const Json* {
    const Json* cur = &j;
    for (const char* k : path) {
      if (!cur->is_object()) return nullptr;
      auto it = cur->find(k);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    }
    return cur;
  };
  auto str = [&](std::initializer_list<const char*> path) {
    const Json* v = at(path);
    return v && v->is_string() ? v->get<std::string>() : std::string();
  };
  LedgerEntry e;
  const Json* ts = at({"@timestamp"});
  const Json* storage = at({"storage"});
  if (!ts || !ts->is_string() || !storage || !storage->is_object()) return std::nullopt;
  auto parsed = ParseTime(ts->get<std::string>());
  if (!parsed) return std::nullopt;
  e.ts = *parsed;
  e.client_ip = str({"source", "ip"});
  e.user_agent = str({"user_agent", "original"});
  e.method = str({"http", "request", "method"});
  if (const Json* v = at({"http", "response", "status_code"}); v && v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<uint64_t>() <= 65535) e.status = v->get<uint16_t>();
  }
  if (const Json* v = at({"http", "response", "bytes"}); v && v->is_number_unsigned()) {
    e.response_bytes = v->get<uint64_t>();
  }
  if (const Json* v = at({"http", "response", "body", "bytes"}); v && v->is_number_unsigned()) {
    e.body_bytes = v->get<uint64_t>();
    e.has_body_bytes = true;
  }
  e.url_path = str({"url", "path"});
  e.url_query = str({"url", "query"});
  e.provider = str({"storage", "provider"});
  e.account = str({"storage", "account"});
  e.bucket = str({"storage", "bucket"});
  e.key = str({"storage", "key"});
  e.operation = str({"storage", "operation"});
  e.outcome = str({"storage", "outcome"});
  e.error_code = str({"storage", "error_code"});
  e.auth_class = str({"storage", "auth", "class"});
  e.access_key_id = str({"storage", "auth", "access_key_id"});
  const Json* range = at({"storage", "range"});
  e.range = range && range->is_boolean() && range->get<bool>();
  if (const Json* k = at({"storage", "list", "keys"})) {
    e.list_keys = k->is_number_unsigned() ? k->get<int64_t>() : 0;
  }
  const Json* t = at({"storage", "list", "truncated"});
  e.list_truncated = t && t->is_boolean() && t->get<bool>();
  if (e.provider.empty()) return std::nullopt;
  return e;
}

void ExpectSameAsOracle(const std::string& line) {
  LedgerEntry e;
  bool ok = ParseLedgerEntry(line, e);
  auto o = Oracle(line);
  ASSERT_EQ(ok, o.has_value()) << line;
  if (!ok) return;
  EXPECT_EQ(e.ts, o->ts) << line;
  EXPECT_EQ(e.client_ip, o->client_ip) << line;
  EXPECT_EQ(e.user_agent, o->user_agent) << line;
  EXPECT_EQ(e.method, o->method) << line;
  EXPECT_EQ(e.status, o->status) << line;
  EXPECT_EQ(e.response_bytes, o->response_bytes) << line;
  EXPECT_EQ(e.has_body_bytes, o->has_body_bytes) << line;
  EXPECT_EQ(e.body_bytes, o->body_bytes) << line;
  EXPECT_EQ(e.url_path, o->url_path) << line;
  EXPECT_EQ(e.url_query, o->url_query) << line;
  EXPECT_EQ(e.provider, o->provider) << line;
  EXPECT_EQ(e.account, o->account) << line;
  EXPECT_EQ(e.bucket, o->bucket) << line;
  EXPECT_EQ(e.key, o->key) << line;
  EXPECT_EQ(e.operation, o->operation) << line;
  EXPECT_EQ(e.outcome, o->outcome) << line;
  EXPECT_EQ(e.error_code, o->error_code) << line;
  EXPECT_EQ(e.auth_class, o->auth_class) << line;
  EXPECT_EQ(e.access_key_id, o->access_key_id) << line;
  EXPECT_EQ(e.range, o->range) << line;
  EXPECT_EQ(e.list_keys, o->list_keys) << line;
  EXPECT_EQ(e.list_truncated, o->list_truncated) << line;
}

TEST(ParseLedgerEntry, AgreesWithNlohmannOnMutatedLines) {
  const std::string base =
      R"({"@timestamp":"2026-11-23T10:46:22.034050000Z","event":{"kind":"event","duration":4},)"
      R"("source":{"ip":"127.0.0.1","port":45962},"http":{"request":{"method":"GET","bytes":79},)"
      R"("response":{"status_code":206,"bytes":473}},"url":{"path":"/b/k%20x","query":"a=1"},)"
      R"("user_agent":{"original":"curl/7.88.1 \"q\" \u00e9\ud83d\ude00"},"storage":{)"
      R"("provider":"s3","account":"acct","bucket":"b","key":"k x\n\\","operation":"GetObject",)"
      R"("auth":{"class":"signed","access_key_id":"AKIA"},"outcome":"success","range":true,)"
      R"("list":{"keys":12,"truncated":true,"sample_keys":["a","b"]},"x":[[1,{"y":null}],2.5e3]},)"
      R"("log":{"prev_sha256":"00"}})";
  ExpectSameAsOracle(base);
  const std::string alphabet = "{}[]:,\"\\ -0123456789.eEtfnu\t\nabz";
  uint32_t state = 12345;
  auto next = [&] {
    state = state * 1103515245u + 12345u;
    return state >> 8;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string line = base;
    int edits = 1 + static_cast<int>(next() % 3);
    for (int k = 0; k < edits; ++k) {
      size_t pos = next() % line.size();
      switch (next() % 3) {
        case 0:
          line[pos] = alphabet[next() % alphabet.size()];
          break;
        case 1:
          line.erase(pos, 1);
          break;
        default:
          line.insert(pos, 1, alphabet[next() % alphabet.size()]);
      }
    }
    ExpectSameAsOracle(line);
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace bw::report
