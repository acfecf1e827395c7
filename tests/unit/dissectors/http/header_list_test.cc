#include "dissectors/http/header_list.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "dissectors/http/http_transaction.h"

namespace bw::http {
namespace {

std::string Dump(const HeaderList& l) {
  std::string out;
  for (Header h : l) out.append(h.name).append("=").append(h.value).append("|");
  return out;
}

TEST(HeaderList, KeepsFieldsInOrderAndFindsTheFirstIgnoringCase) {
  HeaderList l;
  l.Add("Host", "a.example");
  l.Add("X-Multi", "one");
  l.Add("x-multi", "two");
  l.Add("Empty", "");
  EXPECT_EQ(l.size(), 4u);
  EXPECT_EQ(Dump(l), "Host=a.example|X-Multi=one|x-multi=two|Empty=|");
  EXPECT_EQ(l.Find("HOST"), "a.example");
  EXPECT_EQ(l.Find("x-MULTI"), "one");
  ASSERT_TRUE(l.Find("empty").has_value());
  EXPECT_EQ(*l.Find("empty"), "");
  EXPECT_FALSE(l.Find("Hos").has_value());
  EXPECT_FALSE(l.Find("Hostname").has_value());
  EXPECT_EQ(l[2].name, "x-multi");
}

TEST(HeaderList, ContinuationJoinsTheLastValueWithOneSpace) {
  HeaderList l;
  l.AppendToLast("ignored");  // no field yet
  EXPECT_TRUE(l.empty());
  l.Add("A", "1");
  l.Add("B", "");
  l.AppendToLast("first");  // an empty value takes no separator
  l.AppendToLast("second");
  EXPECT_EQ(Dump(l), "A=1|B=first second|");
  l.Add("C", "3");
  EXPECT_EQ(Dump(l), "A=1|B=first second|C=3|");
}

TEST(HeaderList, CopiesAreIndependent) {
  HeaderList a{{"Host", "a.example"}, {"User-Agent", "curl/8"}};
  HeaderList b = a;
  a.Clear();
  a.Add("Other", "value that overwrites the buffer a used");
  EXPECT_EQ(Dump(b), "Host=a.example|User-Agent=curl/8|");
  HeaderList c = std::move(b);
  EXPECT_EQ(c.Find("user-agent"), "curl/8");
}

// The point of the list: a message after the first reuses the buffers, and a huge head does not
// pin its memory on an idle connection.
TEST(HeaderList, ClearKeepsSmallBuffersAndReleasesLargeOnes) {
  HeaderList l;
  EXPECT_EQ(l.heap_bytes(), 0u);
  for (int i = 0; i < 10; ++i) l.Add("X-Field", std::string(20, 'v'));
  const size_t grown = l.heap_bytes();
  EXPECT_GT(grown, 0u);
  l.Clear();
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.heap_bytes(), grown);
  for (int i = 0; i < 10; ++i) l.Add("X-Field", std::string(20, 'v'));
  EXPECT_EQ(l.heap_bytes(), grown);  // the same head again fits the kept buffers

  l.Add("X-Big", std::string(HeaderList::kRetainedTextBytes, 'b'));
  EXPECT_GT(l.heap_bytes(), HeaderList::kRetainedTextBytes);
  l.Clear();
  EXPECT_LT(l.heap_bytes(), grown);  // the text buffer went, the field table stayed

  for (size_t i = 0; i <= HeaderList::kRetainedFields; ++i) l.Add("F", "");
  EXPECT_GT(l.heap_bytes(), grown);
  l.Clear();
  EXPECT_LT(l.heap_bytes(), grown);  // and now the other way round
}

TEST(HttpTransaction, ResetEqualsAFreshTransaction) {
  HttpTransaction tx;
  tx.request.method = "GET";
  tx.request.target = "/bucket/key";
  tx.request.host = "s3.amazonaws.com";
  tx.request.version_major = 0;
  tx.request.version_minor = 9;
  tx.request.headers.Add("Host", "s3.amazonaws.com");
  tx.request.header_bytes = 1;
  tx.request.body_bytes = 2;
  tx.request.body_content_bytes = 3;
  tx.request.missing_bytes = true;
  tx.request.head_truncated = true;
  tx.request.first_ts = 4;
  tx.request.last_ts = 5;
  tx.has_response = true;
  tx.response.status = 404;
  tx.response.reason = "Not Found";
  tx.response.version_major = 2;
  tx.response.version_minor = 2;
  tx.response.headers.Add("Content-Length", "6");
  tx.response.header_bytes = 6;
  tx.response.body_bytes = 7;
  tx.response.body_content_bytes = 8;
  tx.response.missing_bytes = true;
  tx.response.head_truncated = true;
  tx.response.body_prefix = "<Error/>";
  tx.response.body_prefix_truncated = true;
  tx.response.first_ts = 9;
  tx.response.last_ts = 10;
  tx.interim_responses = 11;
  tx.end = TransactionEnd::kTruncated;

  tx.Reset();
  const HttpTransaction fresh;
  const HttpRequest& q = tx.request;
  EXPECT_EQ(q.method, fresh.request.method);
  EXPECT_EQ(q.target, fresh.request.target);
  EXPECT_EQ(q.host, fresh.request.host);
  EXPECT_EQ(q.version_major, fresh.request.version_major);
  EXPECT_EQ(q.version_minor, fresh.request.version_minor);
  EXPECT_TRUE(q.headers.empty());
  EXPECT_EQ(q.header_bytes, fresh.request.header_bytes);
  EXPECT_EQ(q.body_bytes, fresh.request.body_bytes);
  EXPECT_EQ(q.body_content_bytes, fresh.request.body_content_bytes);
  EXPECT_EQ(q.missing_bytes, fresh.request.missing_bytes);
  EXPECT_EQ(q.head_truncated, fresh.request.head_truncated);
  EXPECT_EQ(q.first_ts, fresh.request.first_ts);
  EXPECT_EQ(q.last_ts, fresh.request.last_ts);
  EXPECT_EQ(tx.has_response, fresh.has_response);
  const HttpResponse& r = tx.response;
  EXPECT_EQ(r.status, fresh.response.status);
  EXPECT_EQ(r.reason, fresh.response.reason);
  EXPECT_EQ(r.version_major, fresh.response.version_major);
  EXPECT_EQ(r.version_minor, fresh.response.version_minor);
  EXPECT_TRUE(r.headers.empty());
  EXPECT_EQ(r.header_bytes, fresh.response.header_bytes);
  EXPECT_EQ(r.body_bytes, fresh.response.body_bytes);
  EXPECT_EQ(r.body_content_bytes, fresh.response.body_content_bytes);
  EXPECT_EQ(r.missing_bytes, fresh.response.missing_bytes);
  EXPECT_EQ(r.head_truncated, fresh.response.head_truncated);
  EXPECT_EQ(r.body_prefix, fresh.response.body_prefix);
  EXPECT_EQ(r.body_prefix_truncated, fresh.response.body_prefix_truncated);
  EXPECT_EQ(r.first_ts, fresh.response.first_ts);
  EXPECT_EQ(r.last_ts, fresh.response.last_ts);
  EXPECT_EQ(tx.interim_responses, fresh.interim_responses);
  EXPECT_EQ(tx.end, fresh.end);
}

}  // namespace
}  // namespace bw::http
