#include "dissectors/storage/object_digest.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace bw::storage {
namespace {

// s3rver's answer to an anonymous GET of a path-style object: no x-amz-* header at all.
http::HttpTransaction ObjectRead(const std::string& target = "/public-data/export/orders.csv") {
  http::HttpTransaction tx;
  tx.request.method = "GET";
  tx.request.target = target;
  tx.request.host = "127.0.0.1:4568";
  tx.has_response = true;
  tx.response.status = 200;
  tx.response.headers = {{"Accept-Ranges", "bytes"},
                         {"Content-Type", "application/octet-stream"},
                         {"Last-Modified", "Mon, 23 Nov 2026 10:46:21 GMT"},
                         {"ETag", "\"21bd052a042212a78fdbe8f6c6178fdb\""},
                         {"Content-Length", "268"}};
  return tx;
}

// The response's headers with `name` dropped, then added with `value` when there is one.
void Rewrite(http::HttpTransaction& tx, const std::string& name, std::optional<std::string> value) {
  http::HeaderList headers;
  for (http::Header h : tx.response.headers) {
    if (h.name != name) headers.Add(h.name, h.value);
  }
  if (value) headers.Add(name, *value);
  tx.response.headers = headers;
}

void Set(http::HttpTransaction& tx, const std::string& name, const std::string& value) {
  Rewrite(tx, name, value);
}

void Drop(http::HttpTransaction& tx, const std::string& name) { Rewrite(tx, name, std::nullopt); }

TEST(ClaimedObjectMd5, ReadsTheEtagOfAnObjectShapedAnswer) {
  auto md5 = ClaimedObjectMd5(ObjectRead());
  ASSERT_TRUE(md5.has_value());
  EXPECT_EQ((*md5)[0], 0x21);
  EXPECT_EQ((*md5)[15], 0xdb);
  // Upper-case hex and a bucket with dots and dashes are S3's too.
  auto tx = ObjectRead("/logs.example-2026/a%20b/c.txt?versionId=3");
  Set(tx, "ETag", "\"21BD052A042212A78FDBE8F6C6178FDB\"");
  EXPECT_TRUE(ClaimedObjectMd5(tx).has_value());
}

TEST(ClaimedObjectMd5, AnyMissingPartOfTheShapeRefuses) {
  struct Case {
    const char* why;
    void (*change)(http::HttpTransaction&);
  };
  const Case cases[] = {
      {"weak ETag (Rails)",
       [](auto& t) { Set(t, "ETag", "W/\"21bd052a042212a78fdbe8f6c6178fdb\""); }},
      {"multipart ETag", [](auto& t) { Set(t, "ETag", "\"21bd052a042212a78fdbe8f6c6178fdb-2\""); }},
      {"nginx ETag", [](auto& t) { Set(t, "ETag", "\"6568b3e5-10c\""); }},
      {"unquoted", [](auto& t) { Set(t, "ETag", "21bd052a042212a78fdbe8f6c6178fdb"); }},
      {"not hex", [](auto& t) { Set(t, "ETag", "\"21bd052a042212a78fdbe8f6c6178fdg\""); }},
      {"no ETag", [](auto& t) { Drop(t, "ETag"); }},
      {"no Last-Modified (Django)", [](auto& t) { Drop(t, "Last-Modified"); }},
      {"no Accept-Ranges", [](auto& t) { Drop(t, "Accept-Ranges"); }},
      {"Accept-Ranges none", [](auto& t) { Set(t, "Accept-Ranges", "none"); }},
      {"compressed", [](auto& t) { Set(t, "Content-Encoding", "gzip"); }},
      {"206", [](auto& t) { t.response.status = 206; }},
      {"HEAD", [](auto& t) { t.request.method = "HEAD"; }},
      {"no response", [](auto& t) { t.has_response = false; }},
      {"no key", [](auto& t) { t.request.target = "/public-data/"; }},
      {"bucket too short", [](auto& t) { t.request.target = "/js/app.js"; }},
      {"bucket upper case", [](auto& t) { t.request.target = "/Static/app.js"; }},
      {"bucket underscore", [](auto& t) { t.request.target = "/static_files/app.js"; }},
      {"absolute form", [](auto& t) { t.request.target = "http://h/public-data/k"; }},
  };
  for (const Case& c : cases) {
    auto tx = ObjectRead();
    c.change(tx);
    EXPECT_FALSE(ClaimedObjectMd5(tx).has_value()) << c.why;
  }
}

}  // namespace
}  // namespace bw::storage
