#include "dissectors/storage/url.h"

#include <gtest/gtest.h>

namespace bw::storage {
namespace {

TEST(PercentDecode, DecodesEscapesAndKeepsMalformedOnes) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");
  EXPECT_EQ(PercentDecode("%e2%82%ac", false), "\xe2\x82\xac");
  EXPECT_EQ(PercentDecode("", false), "");
}

TEST(SplitRequestTarget, OriginAndAbsoluteForms) {
  RequestTarget t = SplitRequestTarget("/bucket/key?list-type=2#frag");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/bucket/key");
  EXPECT_EQ(t.query, "list-type=2");

  t = SplitRequestTarget("http://s3.amazonaws.com/b/k?acl");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/b/k");
  EXPECT_EQ(t.query, "acl");

  t = SplitRequestTarget("HTTPS://host");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/");

  t = SplitRequestTarget("http://host?comp=list");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.path, "/");
  EXPECT_EQ(t.query, "comp=list");

  EXPECT_FALSE(SplitRequestTarget("host:443").ok);
  EXPECT_FALSE(SplitRequestTarget("*").ok);
  EXPECT_FALSE(SplitRequestTarget("").ok);
}

TEST(QueryParams, ParsesKeysValuesAndBareKeys) {
  QueryParams q("list-type=2&prefix=a%2Fb+c&acl&empty=&&x=1=2");
  ASSERT_EQ(q.all().size(), 5u);
  EXPECT_EQ(q.Value("list-type"), "2");
  EXPECT_EQ(q.Value("prefix"), "a/b c");
  ASSERT_NE(q.Find("acl"), nullptr);
  EXPECT_FALSE(q.Find("acl")->has_value);
  EXPECT_TRUE(q.Find("empty")->has_value);
  EXPECT_EQ(q.Value("x"), "1=2");
  EXPECT_EQ(q.Find("ACL"), nullptr);
  EXPECT_NE(q.FindIgnoreCase("ACL"), nullptr);
}

TEST(QueryParams, BoundedUnderHostileInput) {
  std::string query;
  for (int i = 0; i < 10000; ++i) query += "k" + std::to_string(i) + "=v&";
  QueryParams q(query);
  EXPECT_EQ(q.all().size(), QueryParams::kMaxParams);
  EXPECT_EQ(q.dropped(), 10000u - QueryParams::kMaxParams);
}

// One object parses query after query (the recogniser's scratch): nothing of an earlier query
// shows, and what a long one grew is not kept past the next.
TEST(QueryParams, ReparsingEqualsAFreshParseAndReleasesLongValues) {
  std::string hostile;
  for (int i = 0; i < 200; ++i)
    hostile += "k" + std::to_string(i) + "=" + std::string(40, 'v') + "&";
  const std::string long_value = "token=" + std::string(4 * QueryParams::kRetainedBytes, 't');
  QueryParams q;
  for (const std::string& query : {hostile, long_value, std::string("a=1&b"), std::string()}) {
    q.Parse(query);
    QueryParams fresh(query);
    ASSERT_EQ(q.all().size(), fresh.all().size()) << query.size();
    EXPECT_EQ(q.dropped(), fresh.dropped());
    for (size_t i = 0; i < fresh.all().size(); ++i) {
      EXPECT_EQ(q.all()[i].key, fresh.all()[i].key);
      EXPECT_EQ(q.all()[i].value, fresh.all()[i].value);
      EXPECT_EQ(q.all()[i].has_value, fresh.all()[i].has_value);
    }
  }
  EXPECT_EQ(q.Find("token"), nullptr);
  q.Parse(long_value);
  const size_t with_long = q.heap_bytes();
  q.Parse("a=1");
  EXPECT_LE(q.heap_bytes() + 3 * QueryParams::kRetainedBytes, with_long);
}

TEST(RedactQuery, ReplacesCredentialValuesKeepingKeys) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1%2Fs3"
       "%2Faws4_request&X-Amz-Signature=deadbeef&X-Amz-Security-Token=FwoGZXIvYXdzEJr",
       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1%2Fs3"
       "%2Faws4_request&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED"},
      {"sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=abc%2Bdef%3D",
       "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=REDACTED"},
      {"AWSAccessKeyId=AKIAOLD&Expires=1700000000&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
       "AWSAccessKeyId=AKIAOLD&Expires=1700000000&Signature=REDACTED"},
      {"GoogleAccessId=sa@p.iam.gserviceaccount.com&Expires=1&Signature=xyz",
       "GoogleAccessId=sa@p.iam.gserviceaccount.com&Expires=1&Signature=REDACTED"},
      {"X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=0a1b",
       "X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=REDACTED"},
      {"alt=media&access_token=ya29.secret&key=AIzaSyFAKE",
       "alt=media&access_token=REDACTED&key=REDACTED"},
      {"PASSWORD=hunter2&Token=t&client_secret=s&code=c&sessionToken=st&id_token=i&refresh_token=r",
       "PASSWORD=REDACTED&Token=REDACTED&client_secret=REDACTED&code=REDACTED&sessionToken=REDACTED"
       "&id_token=REDACTED&refresh_token=REDACTED"},
      // Encoded key names are recognised too.
      {"X%2DAmz%2DSignature=s3cr3t", "X%2DAmz%2DSignature=REDACTED"},
      // Pagination cursors are not credentials.
      {"list-type=2&continuation-token=1ueGcxLPRx1", "list-type=2&continuation-token=1ueGcxLPRx1"},
      {"pageToken=CgRhYmM%3D", "pageToken=CgRhYmM%3D"},
      {"acl", "acl"},
      {"", ""},
      {"&&sig=x&", "&&sig=REDACTED&"},
      // ';' separates parameters for some gateways (issue 18 item 9).
      {"X-Amz-Algorithm=AWS4-HMAC-SHA256;X-Amz-Signature=deadbeef;x-id=GetObject",
       "X-Amz-Algorithm=AWS4-HMAC-SHA256;X-Amz-Signature=REDACTED;x-id=GetObject"},
      // An encoded '=' is still the key's end to a gateway that decodes before splitting.
      {"X-Amz-Signature%3Ddeadbeef", "X-Amz-Signature%3DREDACTED"},
      {"a=1&X-Amz-Signature%3ddeadbeef&b=2", "a=1&X-Amz-Signature%3dREDACTED&b=2"},
      {"X-Amz-Signature%253Ddeadbeef", "X-Amz-Signature%253DREDACTED"},
      {"X%252DAmz%252DSignature%253Ddeadbeef", "X%252DAmz%252DSignature%253DREDACTED"},
      // A credential behind an encoded separator inside another value, and the redaction
      // running to the next raw separator so no part of a value cut at "%26" survives.
      {"prefix=photos%26sig%3Dabc&max-keys=1", "prefix=photos%26sig%3DREDACTED&max-keys=1"},
      {"token=abc%26def&x=1", "token=REDACTED&x=1"},
      {"prefix=a%3Bb;acl", "prefix=a%3Bb;acl"},
      // A reader that splits at '&' only sees a token's key before the '=' (the fuzzer's case).
      {"maxResults=2&pageToken$;j=SECRET&x=1", "maxResults=2&pageToken$;j=REDACTED&x=1"},
      // And one that splits at ';' too sees the signature after it: both are redacted.
      {"a=1&X-Amz-Credential=AKIA/x;X-Amz-Signature=ab",
       "a=1&X-Amz-Credential=AKIA/x;X-Amz-Signature=REDACTED"},
      // Not separators: a lone '%', a short or non-hex escape, an encoded other character.
      {"prefix=100%&sig", "prefix=100%&sig"},
      {"prefix=%3&list-type=2", "prefix=%3&list-type=2"},
      {"prefix=%2Fa%2F", "prefix=%2Fa%2F"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RedactQuery(c.in), c.out) << c.in;
  }
}

TEST(RedactQuery, NoSecretSurvives) {
  const std::string secrets[] = {"SECRETSIG1", "SECRETTOKEN2", "SECRETPASS3", "SECRETSAS4"};
  std::string q =
      "X-Amz-Signature=SECRETSIG1&x-amz-security-token=SECRETTOKEN2&passwd=SECRETPASS3"
      "&sig=SECRETSAS4&prefix=photos";
  std::string out = RedactQuery(q);
  for (const std::string& s : secrets) EXPECT_EQ(out.find(s), std::string::npos) << s;
  EXPECT_NE(out.find("prefix=photos"), std::string::npos);
}

TEST(RedactQuery, NoSecretSurvivesAnySeparatorForm) {
  const std::string secret = "S3CR3TSIGNATURE";
  const std::string forms[] = {
      "X-Amz-Signature=",     "X-Amz-Signature%3D",     "X-Amz-Signature%3d",
      "X-Amz-Signature%253D", "X-Amz-Signature%25253D", "X%2DAmz%2DSignature%3D",
      "x-amz-signature =",
  };
  const std::string before[] = {"", "a=1&", "a=1;", "prefix=x%26", "prefix=x%3B", "prefix=x%2526"};
  for (const std::string& b : before) {
    for (const std::string& f : forms) {
      const std::string q = b + f + secret + "&c=3";
      const std::string out = RedactQuery(q);
      EXPECT_EQ(out.find(secret), std::string::npos) << q << " -> " << out;
      EXPECT_NE(out.find("c=3"), std::string::npos) << q;
    }
  }
}

TEST(IsCredentialParam, CaseInsensitive) {
  EXPECT_TRUE(IsCredentialParam("x-amz-signature"));
  EXPECT_TRUE(IsCredentialParam("SIG"));
  EXPECT_TRUE(IsCredentialParam("X-Goog-Signature"));
  EXPECT_FALSE(IsCredentialParam("sv"));
  EXPECT_FALSE(IsCredentialParam("X-Amz-Credential"));
  EXPECT_FALSE(IsCredentialParam("prefix"));
}

}  // namespace
}  // namespace bw::storage
