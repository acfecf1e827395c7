#include "dissectors/storage/auth.h"

#include <gtest/gtest.h>

namespace bw::storage {
namespace {

struct HeaderCase {
  std::string authorization;
  AuthClass cls;
  AuthScheme scheme;
  std::string key_id;
};

TEST(ClassifyCredential, AuthorizationHeaders) {
  const HeaderCase cases[] = {
      {"AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", AuthClass::kSigned,
       AuthScheme::kSigV2, "AKIAIOSFODNN7EXAMPLE"},
      {"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
       "SignedHeaders=host;range;x-amz-date, "
       "Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
       AuthClass::kSigned, AuthScheme::kSigV4, "AKIAIOSFODNN7EXAMPLE"},
      {"aws4-hmac-sha256 Credential=ASIAEXAMPLE/20240101/eu-west-1/s3/aws4_request,"
       "SignedHeaders=host,Signature=00",
       AuthClass::kSigned, AuthScheme::kSigV4, "ASIAEXAMPLE"},
      {"AWS4-ECDSA-P256-SHA256 Credential=AKIAV4A/20240101/s3/aws4_request, SignedHeaders=host;"
       "x-amz-region-set, Signature=3045022100",
       AuthClass::kSigned, AuthScheme::kSigV4a, "AKIAV4A"},
      {"SharedKey myaccount:ctzMq410TV3wS7upTBcunJTDLEJwMAZuFPfr0mrrA08=", AuthClass::kSigned,
       AuthScheme::kSharedKey, "myaccount"},
      {"SharedKeyLite myaccount:ctzMq410TV3wS7upTBcunJTDLEJwMAZuFPfr0mrrA08=", AuthClass::kSigned,
       AuthScheme::kSharedKeyLite, "myaccount"},
      {"GOOG4-HMAC-SHA256 Credential=GOOGTS7C7FUP3AIRVJTE2BCD/20240101/us/storage/goog4_request, "
       "SignedHeaders=host;x-goog-date, Signature=5a1f",
       AuthClass::kSigned, AuthScheme::kGoog4, "GOOGTS7C7FUP3AIRVJTE2BCD"},
      {"GOOG1 GOOGTS7C7FUP3AIRVJTE2BCD:bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ",
       AuthClass::kSigned, AuthScheme::kOther, "GOOGTS7C7FUP3AIRVJTE2BCD"},
      {"Bearer ya29.a0AfH6SMBx", AuthClass::kBearer, AuthScheme::kBearer, ""},
      {"bearer eyJ0eXAiOiJKV1Qi", AuthClass::kBearer, AuthScheme::kBearer, ""},
      {"Basic bWluaW86bWluaW8xMjM=", AuthClass::kUnknown, AuthScheme::kOther, ""},
      {"Negotiate abc", AuthClass::kUnknown, AuthScheme::kOther, ""},
      // A credential without a usable id still classifies; the garbage is not recorded.
      {"AWS4-HMAC-SHA256 Credential=AK+IA/2013", AuthClass::kSigned, AuthScheme::kSigV4, ""},
      {"AWS nocolon", AuthClass::kSigned, AuthScheme::kSigV2, ""},
  };
  QueryParams none("");
  for (const HeaderCase& c : cases) {
    Credential cred = ClassifyCredential(c.authorization, none);
    EXPECT_EQ(cred.auth_class, c.cls) << c.authorization;
    EXPECT_EQ(cred.scheme, c.scheme) << c.authorization;
    EXPECT_EQ(cred.access_key_id, c.key_id) << c.authorization;
  }
}

TEST(ClassifyCredential, SigV4ScopeIsParsed) {
  std::string h =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, "
      "SignedHeaders=host, Signature=5d67";
  Credential c = ClassifyCredential(h, QueryParams(""));
  EXPECT_EQ(c.scope_region, "us-east-1");
  EXPECT_EQ(c.scope_service, "sts");
  std::string v4a = "AWS4-ECDSA-P256-SHA256 Credential=AKID/20150830/s3/aws4_request, Signature=1";
  c = ClassifyCredential(v4a, QueryParams(""));
  EXPECT_EQ(c.scope_region, "");
  EXPECT_EQ(c.scope_service, "s3");
}

struct QueryCase {
  std::string query;
  AuthClass cls;
  AuthScheme scheme;
  std::string key_id;
};

TEST(ClassifyCredential, PresignedQueries) {
  const QueryCase cases[] = {
      {"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
       "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
       "X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957",
       AuthClass::kPresigned, AuthScheme::kSigV4, "AKIAIOSFODNN7EXAMPLE"},
      {"X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKIAV4A%2F20240101%2Fs3%2F"
       "aws4_request&X-Amz-Region-Set=*&X-Amz-Signature=3045",
       AuthClass::kPresigned, AuthScheme::kSigV4a, "AKIAV4A"},
      {"AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1141889120&Signature=vjbyPxybdZaNmGa%2ByT272"
       "YEAiv4%3D",
       AuthClass::kPresigned, AuthScheme::kSigV2, "AKIAIOSFODNN7EXAMPLE"},
      {"sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2030-01-01T00:00:00Z&st=2024-01-01T00:00"
       ":00Z&spr=https&sig=lRw%2BmtBDF5vQ%3D",
       AuthClass::kPresigned, AuthScheme::kSas, ""},
      {"sp=r&st=2024-01-01&se=2024-01-02&skoid=5f1d7c5e-2b0e-4f67-9a7b-0e6d8f9e0a11&sktid=72f9&"
       "skt=2024-01-01&ske=2024-01-02&sks=b&skv=2022-11-02&sv=2022-11-02&sr=b&sig=abc",
       AuthClass::kPresigned, AuthScheme::kSas, "5f1d7c5e-2b0e-4f67-9a7b-0e6d8f9e0a11"},
      {"X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40proj.iam.gserviceaccount.com%2F"
       "20240101%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20240101T000000Z&X-Goog-Expires=900&"
       "X-Goog-SignedHeaders=host&X-Goog-Signature=7a1b",
       AuthClass::kPresigned, AuthScheme::kGoog4, "sa@proj.iam.gserviceaccount.com"},
      {"GoogleAccessId=sa@proj.iam.gserviceaccount.com&Expires=1700000000&Signature=abc%3D",
       AuthClass::kPresigned, AuthScheme::kOther, "sa@proj.iam.gserviceaccount.com"},
      {"alt=media&access_token=ya29.x", AuthClass::kBearer, AuthScheme::kBearer, ""},
      {"list-type=2&prefix=a", AuthClass::kAnonymous, AuthScheme::kNone, ""},
      {"", AuthClass::kAnonymous, AuthScheme::kNone, ""},
      // Parameter names are case-sensitive as the providers define them.
      {"x-amz-signature=abc", AuthClass::kAnonymous, AuthScheme::kNone, ""},
      {"Signature=abc", AuthClass::kUnknown, AuthScheme::kOther, ""},
  };
  for (const QueryCase& c : cases) {
    Credential cred = ClassifyCredential(std::nullopt, QueryParams(c.query));
    EXPECT_EQ(cred.auth_class, c.cls) << c.query;
    EXPECT_EQ(cred.scheme, c.scheme) << c.query;
    EXPECT_EQ(cred.access_key_id, c.key_id) << c.query;
  }
}

TEST(ClassifyCredential, HeaderWinsOverQueryAndBlankHeaderIsAbsent) {
  std::string h = "Bearer tok";
  Credential c = ClassifyCredential(h, QueryParams("sv=1&sig=2"));
  EXPECT_EQ(c.auth_class, AuthClass::kBearer);
  std::string blank = "   ";
  c = ClassifyCredential(blank, QueryParams("sv=1&sig=2"));
  EXPECT_EQ(c.scheme, AuthScheme::kSas);
}

TEST(SanitiseAccessKeyId, RejectsSecretsAndOverlongValues) {
  EXPECT_EQ(SanitiseAccessKeyId("AKIAIOSFODNN7EXAMPLE"), "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(SanitiseAccessKeyId("frJIUN8DYpKDtOLCwo//yllqDzg="), "");
  EXPECT_EQ(SanitiseAccessKeyId(std::string(200, 'A')), "");
  EXPECT_EQ(SanitiseAccessKeyId(""), "");
}

}  // namespace
}  // namespace bw::storage
