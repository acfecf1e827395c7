#include "dissectors/storage/recogniser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/dissectors/storage/tx_builder.h"

namespace bw::storage {
namespace {

using testing::TxBuilder;

struct AddressCase {
  std::string method;
  std::string host;
  std::string target;
  Provider provider;
  std::string account;
  std::string bucket;
  std::string key;
  std::string operation;
  OperationKind kind;
};

void CheckAddress(const AddressCase& c, const RecogniserConfig& cfg) {
  TxBuilder b(c.method, c.host, c.target);
  b.Status(200);
  std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value()) << c.host << c.target;
  EXPECT_EQ(ev->provider, c.provider) << c.host << c.target;
  EXPECT_EQ(ev->account, c.account) << c.host << c.target;
  EXPECT_EQ(ev->bucket, c.bucket) << c.host << c.target;
  EXPECT_EQ(ev->key, c.key) << c.host << c.target;
  EXPECT_EQ(OperationName(ev->operation), c.operation) << c.host << c.target;
  EXPECT_EQ(ev->kind, c.kind) << c.host << c.target;
}

TEST(Recognise, ProviderNamesAndHostForms) {
  using P = Provider;
  using K = OperationKind;
  const AddressCase cases[] = {
      {"GET", "s3.amazonaws.com", "/", P::kS3, "", "", "", "ListBuckets", K::kListBuckets},
      {"GET", "s3.amazonaws.com:443", "/media/a.png", P::kS3, "", "media", "a.png", "GetObject",
       K::kRead},
      {"GET", "S3.US-WEST-2.AMAZONAWS.COM", "/logs?list-type=2", P::kS3, "", "logs", "",
       "ListObjectsV2", K::kList},
      {"GET", "s3-eu-west-1.amazonaws.com", "/old/x", P::kS3, "", "old", "x", "GetObject",
       K::kRead},
      {"GET", "data.lake.s3.dualstack.us-east-1.amazonaws.com", "/?versions", P::kS3, "",
       "data.lake", "", "ListObjectVersions", K::kList},
      {"HEAD", "backup.s3.amazonaws.com", "/db%2Fdump.sql", P::kS3, "", "backup", "db/dump.sql",
       "HeadObject", K::kHead},
      {"GET", "www.example.com.s3-website-us-east-1.amazonaws.com", "/index.html", P::kS3, "",
       "www.example.com", "index.html", "GetObject", K::kRead},
      {"GET", "reports-111122223333.s3-accesspoint.eu-west-1.amazonaws.com", "/q1.csv", P::kS3,
       "111122223333", "reports", "q1.csv", "GetObject", K::kRead},
      {"GET", "b.s3.cn-north-1.amazonaws.com.cn", "/?acl", P::kS3, "", "b", "", "GetBucketAcl",
       K::kConfig},
      {"GET", "s3.amazonaws.com", "http://s3.amazonaws.com/abs/form.txt", P::kS3, "", "abs",
       "form.txt", "GetObject", K::kRead},
      {"GET", "myaccount.blob.core.windows.net", "/?comp=list", P::kAzureBlob, "myaccount", "", "",
       "ListContainers", K::kListBuckets},
      {"GET", "myaccount.blob.core.windows.net",
       "/public?restype=container&comp=list&maxresults=5000", P::kAzureBlob, "myaccount", "public",
       "", "ListBlobs", K::kList},
      {"GET", "myaccount.blob.core.windows.net", "/public/hr/salaries%202024.xlsx", P::kAzureBlob,
       "myaccount", "public", "hr/salaries 2024.xlsx", "GetBlob", K::kRead},
      {"GET", "lake.dfs.core.windows.net", "/fs?resource=filesystem&recursive=true", P::kAzureBlob,
       "lake", "fs", "", "ListPaths", K::kList},
      {"GET", "gov.blob.core.usgovcloudapi.net", "/c/b", P::kAzureBlob, "gov", "c", "b", "GetBlob",
       K::kRead},
      {"GET", "storage.googleapis.com", "/my-bucket", P::kGcs, "", "my-bucket", "", "objects.list",
       K::kList},
      {"GET", "storage.googleapis.com", "/my-bucket/dir/obj.bin", P::kGcs, "", "my-bucket",
       "dir/obj.bin", "objects.get", K::kRead},
      {"GET", "my-bucket.storage.googleapis.com", "/?prefix=a", P::kGcs, "", "my-bucket", "",
       "objects.list", K::kList},
      {"GET", "storage.googleapis.com", "/storage/v1/b/my-bucket/o?maxResults=10", P::kGcs, "",
       "my-bucket", "", "objects.list", K::kList},
      {"GET", "storage.googleapis.com", "/storage/v1/b/my-bucket/o/a%2Fb.txt?alt=media", P::kGcs,
       "", "my-bucket", "a/b.txt", "objects.get", K::kRead},
      {"GET", "storage.googleapis.com", "/download/storage/v1/b/my-bucket/o/a%2Fb.txt", P::kGcs, "",
       "my-bucket", "a/b.txt", "objects.get", K::kRead},
      {"GET", "www.googleapis.com", "/storage/v1/b/my-bucket/iam", P::kGcs, "", "my-bucket", "",
       "buckets.getIamPolicy", K::kConfig},
      {"GET", "storage.cloud.google.com", "/my-bucket/report.pdf", P::kGcs, "", "my-bucket",
       "report.pdf", "objects.get", K::kRead},
      {"GET", "s3.wasabisys.com", "/wb/file", P::kS3Compatible, "", "wb", "file", "GetObject",
       K::kRead},
      {"GET", "wb.s3.eu-central-1.wasabisys.com", "/file", P::kS3Compatible, "", "wb", "file",
       "GetObject", K::kRead},
      {"GET", "0123abcd.r2.cloudflarestorage.com", "/rb?list-type=2", P::kS3Compatible, "0123abcd",
       "rb", "", "ListObjectsV2", K::kList},
      {"GET", "rb.0123abcd.r2.cloudflarestorage.com", "/k", P::kS3Compatible, "0123abcd", "rb", "k",
       "GetObject", K::kRead},
      {"GET", "space.nyc3.digitaloceanspaces.com", "/", P::kS3Compatible, "", "space", "",
       "ListObjects", K::kList},
      {"GET", "s3.us-west-004.backblazeb2.com", "/b2b/k", P::kS3Compatible, "", "b2b", "k",
       "GetObject", K::kRead},
  };
  RecogniserConfig cfg;
  for (const AddressCase& c : cases) CheckAddress(c, cfg);
}

TEST(Recognise, ConfiguredEndpoints) {
  RecogniserConfig cfg;
  cfg.endpoints.push_back({"minio.internal.example.com", 9000, Provider::kS3Compatible, false});
  cfg.endpoints.push_back({"*.objects.example.net", 0, Provider::kS3Compatible, true});
  cfg.endpoints.push_back({"10.1.2.3", 10000, Provider::kAzureBlob, false});
  cfg.endpoints.push_back({"*.gcs.local", 0, Provider::kGcs, true});
  cfg.endpoints.push_back({"ceph.example.org", 443, Provider::kS3, false});
  cfg.fingerprint = false;  // names alone must carry these
  using P = Provider;
  using K = OperationKind;
  const AddressCase cases[] = {
      {"GET", "minio.internal.example.com:9000", "/bkt/k%3F.txt", P::kS3Compatible, "", "bkt",
       "k?.txt", "GetObject", K::kRead},
      {"GET", "my.bucket.objects.example.net", "/k", P::kS3Compatible, "", "my.bucket", "k",
       "GetObject", K::kRead},
      {"GET", "objects.example.net", "/b/k", P::kS3Compatible, "", "b", "k", "GetObject", K::kRead},
      {"GET", "10.1.2.3:10000", "/devstoreaccount1/c?restype=container&comp=list", P::kAzureBlob,
       "devstoreaccount1", "c", "", "ListBlobs", K::kList},
      {"GET", "photos.gcs.local", "/a.jpg", P::kGcs, "", "photos", "a.jpg", "objects.get",
       K::kRead},
      {"GET", "ceph.example.org", "/b", P::kS3, "", "b", "", "ListObjects", K::kList},
  };
  for (const AddressCase& c : cases) CheckAddress(c, cfg);

  // Wrong port: the rule does not apply, and with fingerprinting off nothing else does.
  TxBuilder b("GET", "minio.internal.example.com:9001", "/bkt/k");
  b.Status(200);
  EXPECT_FALSE(Recognise(b.tx(), nullptr, cfg).has_value());
  TxBuilder other("GET", "www.example.com", "/index.html");
  other.Status(200);
  EXPECT_FALSE(Recognise(other.tx(), nullptr, cfg).has_value());
}

TEST(Recognise, PlainWebTrafficIsNotStorage) {
  RecogniserConfig cfg;
  const std::vector<TxBuilder> txs = {
      TxBuilder("GET", "www.example.com", "/index.html"),
      TxBuilder("GET", "10.0.0.5:8080", "/api/v1/users?page=2"),
      TxBuilder("POST", "api.example.com", "/login?redirect=/home"),
      // Other AWS/Google/Azure APIs carry their own x-amz-/x-goog-/x-ms- headers.
      TxBuilder("POST", "sts.amazonaws.com", "/").Header("X-Amz-Date", "20240101T000000Z"),
      TxBuilder("GET", "pubsub.googleapis.com", "/v1/projects/p/topics")
          .Header("x-goog-api-client", "gl-python/3.11"),
      TxBuilder("GET", "myvault.vault.azure.net", "/secrets/s?api-version=7.4")
          .Header("x-ms-client-request-id", "1"),
      TxBuilder("CONNECT", "s3.amazonaws.com:443", "s3.amazonaws.com:443"),
      TxBuilder("GET", "www.googleapis.com", "/drive/v3/files"),
  };
  for (const TxBuilder& t : txs) {
    TxBuilder b = t;
    b.Status(200).RespHeader("Content-Type", "text/html");
    EXPECT_FALSE(Recognise(b.tx(), nullptr, cfg).has_value()) << b.tx().request.host;
    EXPECT_FALSE(WantsBodyScan(b.tx(), cfg)) << b.tx().request.host;
  }
}

// ---- fingerprints ---------------------------------------------------------------------------

TEST(Recognise, MinioOnAnIpAddressByRequestHeaders) {
  RecogniserConfig cfg;
  TxBuilder b("GET", "10.0.0.5:9000", "/backups/?list-type=2&prefix=&delimiter=%2F");
  b.Header("Authorization",
           "AWS4-HMAC-SHA256 Credential=minioadmin/20240101/us-east-1/s3/aws4_request, "
           "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0f0e")
      .Header("X-Amz-Date", "20240101T000000Z")
      .Header("X-Amz-Content-Sha256",
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
      .Status(200)
      .RespHeader("X-Amz-Request-Id", "17A6E0D4C1B2")
      .RespHeader("Server", "MinIO");
  std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->provider, Provider::kS3Compatible);
  EXPECT_EQ(ev->bucket, "backups");
  EXPECT_EQ(OperationName(ev->operation), "ListObjectsV2");
  EXPECT_EQ(ev->auth_class, AuthClass::kSigned);
  EXPECT_EQ(ev->auth_scheme, AuthScheme::kSigV4);
  EXPECT_EQ(ev->access_key_id, "minioadmin");
  EXPECT_EQ(ev->url_domain, "10.0.0.5");
  EXPECT_TRUE(WantsBodyScan(b.tx(), cfg));
}

TEST(Recognise, AnonymousS3CompatibleByResponseHeadersOnly) {
  // Ceph RGW answering an anonymous curl: only the response says S3.
  RecogniserConfig cfg;
  TxBuilder b("GET", "rgw.storage.lan:7480", "/public/report.pdf");
  b.Header("User-Agent", "curl/8.4.0")
      .Status(200)
      .RespHeader("x-amz-request-id", "tx00000a1b2c3d4e5f-0065a1b2c3-1234-default")
      .RespHeader("Content-Type", "application/pdf");
  std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->provider, Provider::kS3Compatible);
  EXPECT_EQ(ev->bucket, "public");
  EXPECT_EQ(ev->key, "report.pdf");
  EXPECT_EQ(OperationName(ev->operation), "GetObject");
  EXPECT_EQ(ev->auth_class, AuthClass::kAnonymous);
  EXPECT_EQ(ev->outcome, Outcome::kSuccess);
  EXPECT_EQ(ev->sample_keys, (std::vector<std::string>{"report.pdf"}));
  EXPECT_FALSE(WantsBodyScan(b.tx(), cfg));  // object data is not scanned
}

TEST(Recognise, S3rverByListingBodyOnly) {
  // s3rver on localhost, no S3 headers either way: the listing document gives it away.
  RecogniserConfig cfg;
  TxBuilder b("GET", "127.0.0.1:4568", "/dev-bucket");
  b.Status(200).RespHeader("Content-Type", "application/xml");
  EXPECT_FALSE(Recognise(b.tx(), nullptr, cfg).has_value());
  ASSERT_TRUE(WantsBodyScan(b.tx(), cfg));

  ListingScanner scanner(cfg.sample_keys);
  scanner.Feed(
      AsBytes("<?xml version=\"1.0\"?><ListBucketResult><Name>dev-bucket</Name>"
              "<IsTruncated>false</IsTruncated><Contents><Key>seed.json</Key></Contents>"
              "</ListBucketResult>"));
  std::optional<StorageEvent> ev = Recognise(b.tx(), &scanner.summary(), cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->provider, Provider::kS3Compatible);
  EXPECT_EQ(ev->bucket, "dev-bucket");
  EXPECT_EQ(OperationName(ev->operation), "ListObjects");
  EXPECT_EQ(ev->list_keys, 1);
  EXPECT_FALSE(ev->list_truncated);
  EXPECT_EQ(ev->sample_keys, (std::vector<std::string>{"seed.json"}));

  // JSON from an unnamed host is not worth scanning.
  TxBuilder json("GET", "127.0.0.1:4568", "/api/items");
  json.Status(200).RespHeader("Content-Type", "application/json");
  EXPECT_FALSE(WantsBodyScan(json.tx(), cfg));

  cfg.fingerprint = false;
  EXPECT_FALSE(Recognise(b.tx(), &scanner.summary(), cfg).has_value());
  EXPECT_FALSE(WantsBodyScan(b.tx(), cfg));
}

TEST(Recognise, S3FingerprintBySubresourceQueryAndErrorDocument) {
  RecogniserConfig cfg;
  TxBuilder probe("GET", "192.168.1.20:9000", "/secret-bucket?acl");
  probe.Status(403);
  std::optional<StorageEvent> ev = Recognise(probe.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(OperationName(ev->operation), "GetBucketAcl");
  EXPECT_EQ(ev->outcome, Outcome::kDenied);

  TxBuilder err("GET", "192.168.1.20:9000", "/nope/x");
  err.Status(404)
      .RespHeader("Content-Type", "application/xml")
      .Body(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
          "<Message>The specified bucket does not "
          "exist</Message><BucketName>nope</BucketName></Error>");
  ev = Recognise(err.tx(), nullptr, cfg);  // body_prefix is scanned
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->provider, Provider::kS3Compatible);
  EXPECT_EQ(ev->error_code, "NoSuchBucket");
  EXPECT_EQ(ev->outcome, Outcome::kNotFound);

  // A generic XML error from some other service is not S3.
  TxBuilder other("GET", "192.168.1.20:8080", "/x");
  other.Status(500).Body("<Error><Code>InternalError</Code></Error>");
  EXPECT_FALSE(Recognise(other.tx(), nullptr, cfg).has_value());
}

TEST(Recognise, SigV4ForAnotherServiceIsNotS3) {
  RecogniserConfig cfg;
  TxBuilder b("POST", "10.0.0.9:4566", "/");
  b.Header("Authorization",
           "AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/sqs/aws4_request, "
           "SignedHeaders=host, Signature=00")
      .Header("X-Amz-Date", "20240101T000000Z")
      .Status(200);
  EXPECT_FALSE(Recognise(b.tx(), nullptr, cfg).has_value());
}

TEST(Recognise, JsonRpcAwsProtocolsAreNotS3) {
  RecogniserConfig cfg;
  TxBuilder b("POST", "localhost:8000", "/");
  b.Header("X-Amz-Target", "DynamoDB_20120810.ListTables")
      .Header("X-Amz-Date", "20240101T000000Z")
      .Status(200)
      .RespHeader("x-amzn-RequestId", "1");
  EXPECT_FALSE(Recognise(b.tx(), nullptr, cfg).has_value());
}

TEST(Recognise, AzuriteByAnyXmsHeaderOnALocalHost) {
  RecogniserConfig cfg;
  TxBuilder b("HEAD", "127.0.0.1:10000", "/devstoreaccount1/c/b.bin");
  b.Header("x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT").Status(404);
  std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->provider, Provider::kAzureBlob);
  EXPECT_EQ(OperationName(ev->operation), "GetBlobProperties");
  EXPECT_EQ(ev->outcome, Outcome::kNotFound);
  // The same header towards a public host name is not enough (Azure SDKs talk to many APIs).
  TxBuilder remote("HEAD", "files.example.com", "/devstoreaccount1/c/b.bin");
  remote.Header("x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT").Status(404);
  EXPECT_FALSE(Recognise(remote.tx(), nullptr, cfg).has_value());
}

TEST(Recognise, AzuriteOnLocalhost) {
  RecogniserConfig cfg;
  TxBuilder b("GET", "127.0.0.1:10000", "/devstoreaccount1/uploads/cv%20final.pdf");
  b.Header("x-ms-version", "2023-11-03")
      .Header("x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT")
      .Header("Authorization",
              "SharedKey "
              "devstoreaccount1:Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
              "K1SZFPTOtr/KBHBeksoGMGw==")
      .Status(200)
      .RespHeader("x-ms-request-id", "7b1e2c3d-0000")
      .RespHeader("x-ms-version", "2023-11-03")
      .RespHeader("x-ms-blob-type", "BlockBlob");
  std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->provider, Provider::kAzureBlob);
  EXPECT_EQ(ev->account, "devstoreaccount1");
  EXPECT_EQ(ev->bucket, "uploads");
  EXPECT_EQ(ev->key, "cv final.pdf");
  EXPECT_EQ(OperationName(ev->operation), "GetBlob");
  EXPECT_EQ(ev->auth_scheme, AuthScheme::kSharedKey);
  EXPECT_EQ(ev->access_key_id, "devstoreaccount1");

  // Anonymous listing: the query alone says Azure.
  TxBuilder list("GET", "localhost:10000", "/devstoreaccount1/public?restype=container&comp=list");
  list.Status(200);
  ev = Recognise(list.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->provider, Provider::kAzureBlob);
  EXPECT_EQ(OperationName(ev->operation), "ListBlobs");
  EXPECT_EQ(ev->auth_class, AuthClass::kAnonymous);
  EXPECT_TRUE(WantsBodyScan(list.tx(), cfg));
}

TEST(Recognise, FakeGcsServerByJsonApiPath) {
  RecogniserConfig cfg;
  TxBuilder b("GET", "172.17.0.2:4443", "/storage/v1/b/test/o?prefix=a");
  b.Status(200);
  std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->provider, Provider::kGcs);
  EXPECT_EQ(ev->bucket, "test");
  EXPECT_EQ(OperationName(ev->operation), "objects.list");
}

// ---- auth -----------------------------------------------------------------------------------

TEST(Recognise, AuthClassesEndToEnd) {
  RecogniserConfig cfg;
  struct Case {
    std::string host;
    std::string target;
    std::string authorization;
    AuthClass cls;
    AuthScheme scheme;
    std::string key_id;
  };
  const Case cases[] = {
      {"b.s3.amazonaws.com", "/k", "", AuthClass::kAnonymous, AuthScheme::kNone, ""},
      {"b.s3.amazonaws.com", "/k", "AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
       AuthClass::kSigned, AuthScheme::kSigV2, "AKIAIOSFODNN7EXAMPLE"},
      {"b.s3.amazonaws.com",
       "/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20240101%2Fus-east-1"
       "%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-Security-Token"
       "=IQoJb3JpZ2luX2VjEXAMPLE&X-Amz-SignedHeaders=host&X-Amz-Signature=abcdef0123",
       "", AuthClass::kPresigned, AuthScheme::kSigV4, "ASIAEXAMPLE"},
      {"acct.blob.core.windows.net",
       "/c/b?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&spr=https&sig=AbC%2B%3D", "",
       AuthClass::kPresigned, AuthScheme::kSas, ""},
      {"acct.blob.core.windows.net", "/c/b", "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi",
       AuthClass::kBearer, AuthScheme::kBearer, ""},
      {"storage.googleapis.com",
       "/b/o?X-Goog-Algorithm=GOOG4-HMAC-SHA256&X-Goog-Credential=GOOG1EXAMPLE%2F20240101%2Fauto"
       "%2Fstorage%2Fgoog4_request&X-Goog-Date=20240101T000000Z&X-Goog-Expires=900&"
       "X-Goog-SignedHeaders=host&X-Goog-Signature=1234",
       "", AuthClass::kPresigned, AuthScheme::kGoog4, "GOOG1EXAMPLE"},
      {"storage.googleapis.com", "/b/o", "Bearer ya29.c.b0AXv0zTOR", AuthClass::kBearer,
       AuthScheme::kBearer, ""},
  };
  for (const Case& c : cases) {
    TxBuilder b("GET", c.host, c.target);
    if (!c.authorization.empty()) b.Header("Authorization", c.authorization);
    b.Status(200);
    std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
    ASSERT_TRUE(ev.has_value()) << c.target;
    EXPECT_EQ(ev->auth_class, c.cls) << c.target;
    EXPECT_EQ(ev->auth_scheme, c.scheme) << c.target;
    EXPECT_EQ(ev->access_key_id, c.key_id) << c.target;
  }
}

TEST(Recognise, NoSecretReachesTheEvent) {
  RecogniserConfig cfg;
  const std::string secrets[] = {"SIGSECRET111", "TOKENSECRET222", "SASSECRET333", "AUTHSECRET444",
                                 "PASSSECRET555"};
  TxBuilder b("GET", "b.s3.amazonaws.com",
              "/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDX%2F20240101%2Fus-east-1"
              "%2Fs3%2Faws4_request&X-Amz-Signature=SIGSECRET111&X-Amz-Security-Token="
              "TOKENSECRET222&sig=SASSECRET333&password=PASSSECRET555");
  b.Header("x-amz-security-token", "TOKENSECRET222").Status(200);
  TxBuilder h("GET", "b.s3.amazonaws.com", "/k");
  h.Header("Authorization", "AWS AKIDX:AUTHSECRET444").Status(200);
  for (const TxBuilder* t : {&b, &h}) {
    std::optional<StorageEvent> ev = Recognise(t->tx(), nullptr, cfg);
    ASSERT_TRUE(ev.has_value());
    std::string all = ev->account + ev->bucket + ev->key + ev->access_key_id + ev->error_code +
                      ev->url_domain + ev->url_path + ev->url_query;
    for (const std::string& k : ev->sample_keys) all += k;
    for (const std::string& s : secrets) EXPECT_EQ(all.find(s), std::string::npos) << s;
    EXPECT_EQ(ev->access_key_id, "AKIDX");
  }
  std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
  EXPECT_NE(ev->url_query.find("X-Amz-Signature=REDACTED"), std::string::npos);
  EXPECT_NE(ev->url_query.find("X-Amz-Credential=AKIDX"), std::string::npos);
}

// ---- outcomes -------------------------------------------------------------------------------

TEST(Recognise, Outcomes) {
  RecogniserConfig cfg;
  struct Case {
    uint16_t status;
    std::string header_code;  // x-ms-error-code
    std::string body;
    Outcome outcome;
    std::string code;
  };
  const Case cases[] = {
      {200, "", "", Outcome::kSuccess, ""},
      {206, "", "", Outcome::kSuccess, ""},
      {304, "", "", Outcome::kSuccess, ""},
      {204, "", "", Outcome::kSuccess, ""},
      {403, "", "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
       Outcome::kDenied, "AccessDenied"},
      {401, "", "", Outcome::kDenied, ""},
      {404, "", "<Error><Code>NoSuchKey</Code></Error>", Outcome::kNotFound, "NoSuchKey"},
      {404, "", "", Outcome::kNotFound, ""},
      {409, "PublicAccessNotPermitted", "", Outcome::kDenied, "PublicAccessNotPermitted"},
      {404, "ResourceNotFound", "", Outcome::kNotFound, "ResourceNotFound"},
      {403, "AuthorizationFailure", "", Outcome::kDenied, "AuthorizationFailure"},
      {400, "", "<Error><Code>InvalidArgument</Code></Error>", Outcome::kError, "InvalidArgument"},
      {503, "", "<Error><Code>SlowDown</Code></Error>", Outcome::kError, "SlowDown"},
      {500, "", "", Outcome::kError, ""},
      {301, "", "<Error><Code>PermanentRedirect</Code></Error>", Outcome::kError,
       "PermanentRedirect"},
      {403, "", R"({"error":{"code":403,"errors":[{"reason":"forbidden"}]}})", Outcome::kDenied,
       "forbidden"},
  };
  for (const Case& c : cases) {
    TxBuilder b("GET", "acct.blob.core.windows.net", "/c/b");
    b.Status(c.status);
    if (!c.header_code.empty()) b.RespHeader("x-ms-error-code", c.header_code);
    if (!c.body.empty()) b.Body(c.body);
    std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->outcome, c.outcome) << c.status << " " << c.body;
    EXPECT_EQ(ev->error_code, c.code) << c.status << " " << c.body;
  }

  // An answer to HTTP/0.9 has no status line: with bytes it is the object served; without any
  // it tells nothing, and stays an error as status 0 does.
  TxBuilder raw("GET", "b.s3.amazonaws.com", "/k");
  raw.Status(0).Body("object bytes");
  http::HttpTransaction headless = raw.tx();
  headless.response.version_major = 0;
  headless.response.version_minor = 9;
  headless.response.header_bytes = 0;
  std::optional<StorageEvent> served = Recognise(headless, nullptr, cfg);
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->outcome, Outcome::kSuccess);
  headless.response.body_bytes = 0;
  headless.response.body_prefix.clear();
  EXPECT_EQ(Recognise(headless, nullptr, cfg)->outcome, Outcome::kError);
  http::HttpTransaction status0 = raw.tx();  // status 0 with a version: not headless
  EXPECT_EQ(Recognise(status0, nullptr, cfg)->outcome, Outcome::kError);

  TxBuilder none("GET", "b.s3.amazonaws.com", "/k");
  none.NoResponse();
  std::optional<StorageEvent> ev = Recognise(none.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->outcome, Outcome::kNoResponse);
  EXPECT_EQ(ev->response_bytes, 0u);
  EXPECT_TRUE(ev->sample_keys.empty());
  EXPECT_FALSE(WantsBodyScan(none.tx(), cfg));

  // A truncated response keeps its status's outcome.
  TxBuilder cut("GET", "b.s3.amazonaws.com", "/k");
  cut.Status(200);
  http::HttpTransaction tx = cut.tx();
  tx.end = http::TransactionEnd::kTruncated;
  ev = Recognise(tx, nullptr, cfg);
  EXPECT_EQ(ev->outcome, Outcome::kSuccess);

  // An object read whose data happens to look like an S3 error stays a success.
  TxBuilder data("GET", "b.s3.amazonaws.com", "/saved-error.xml");
  data.Status(200).Body("<Error><Code>AccessDenied</Code></Error>");
  ev = Recognise(data.tx(), nullptr, cfg);
  EXPECT_EQ(ev->outcome, Outcome::kSuccess);
  EXPECT_EQ(ev->error_code, "");

  // CopyObject may fail after a 200 head.
  TxBuilder copy("PUT", "b.s3.amazonaws.com", "/dst");
  copy.Header("x-amz-copy-source", "/src/k")
      .Status(200)
      .Body("<Error><Code>InternalError</Code></Error>");
  EXPECT_TRUE(WantsBodyScan(copy.tx(), cfg));
  ev = Recognise(copy.tx(), nullptr, cfg);
  EXPECT_EQ(OperationName(ev->operation), "CopyObject");
  EXPECT_EQ(ev->outcome, Outcome::kError);
  EXPECT_EQ(ev->error_code, "InternalError");
}

// ---- listings, bytes, range, redaction fields -------------------------------------------------

TEST(Recognise, ListingSummaryFlowsIntoTheEvent) {
  RecogniserConfig cfg;
  cfg.sample_keys = 2;
  TxBuilder b("GET", "open-data.s3.us-east-1.amazonaws.com", "/?list-type=2&max-keys=3");
  b.Header("User-Agent", "aws-cli/2.15").RequestBody(0).Status(200);
  ASSERT_TRUE(WantsBodyScan(b.tx(), cfg));
  ListingScanner scanner(cfg.sample_keys);
  std::string body =
      "<ListBucketResult><Name>open-data</Name><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents>"
      "<Contents><Key>c</Key></Contents></ListBucketResult>";
  scanner.Feed(AsBytes(body));
  http::HttpTransaction tx = b.tx();
  tx.response.body_bytes = body.size() + 32;  // chunk framing on the wire
  tx.response.body_content_bytes = body.size();
  std::optional<StorageEvent> ev = Recognise(tx, &scanner.summary(), cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(OperationName(ev->operation), "ListObjectsV2");
  EXPECT_EQ(ev->auth_class, AuthClass::kAnonymous);
  EXPECT_EQ(ev->outcome, Outcome::kSuccess);
  EXPECT_EQ(ev->list_keys, 3);
  EXPECT_TRUE(ev->list_truncated);
  EXPECT_EQ(ev->sample_keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ev->request_bytes, 100u);
  EXPECT_EQ(ev->response_bytes, 200u + body.size() + 32);  // the message on the wire
  EXPECT_EQ(ev->response_body_bytes, body.size());         // the content it carried
  EXPECT_EQ(ev->url_domain, "open-data.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(ev->url_path, "/");
  EXPECT_EQ(ev->url_query, "list-type=2&max-keys=3");

  // A denied listing reports no keys.
  TxBuilder denied("GET", "open-data.s3.us-east-1.amazonaws.com", "/?list-type=2");
  denied.Status(403).Body("<Error><Code>AccessDenied</Code></Error>");
  ev = Recognise(denied.tx(), nullptr, cfg);
  EXPECT_EQ(ev->list_keys, -1);
  EXPECT_EQ(ev->outcome, Outcome::kDenied);

  // ADLS pages by header.
  TxBuilder adls("GET", "lake.dfs.core.windows.net", "/fs?resource=filesystem&recursive=true");
  adls.Status(200).RespHeader("x-ms-continuation", "VBb4pJ7d").Body(R"({"paths":[{"name":"a"}]})");
  ev = Recognise(adls.tx(), nullptr, cfg);
  EXPECT_EQ(ev->list_keys, 1);
  EXPECT_TRUE(ev->list_truncated);
}

TEST(Recognise, RangeRequests) {
  RecogniserConfig cfg;
  TxBuilder s3("GET", "b.s3.amazonaws.com", "/big.iso");
  s3.Header("Range", "bytes=0-1048575").Status(206);
  EXPECT_TRUE(Recognise(s3.tx(), nullptr, cfg)->range_request);
  TxBuilder az("GET", "a.blob.core.windows.net", "/c/big.iso");
  az.Header("x-ms-range", "bytes=0-511").Status(206);
  EXPECT_TRUE(Recognise(az.tx(), nullptr, cfg)->range_request);
  TxBuilder plain("GET", "b.s3.amazonaws.com", "/big.iso");
  plain.Status(200);
  EXPECT_FALSE(Recognise(plain.tx(), nullptr, cfg)->range_request);
}

TEST(Recognise, HostileRequestsAreHandled) {
  RecogniserConfig cfg;
  std::string long_key(100000, 'k');
  TxBuilder b("GET", "b.s3.amazonaws.com", "/" + long_key);
  b.Status(200);
  std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  ASSERT_EQ(ev->sample_keys.size(), 1u);
  EXPECT_EQ(ev->sample_keys[0].size(), kMaxSampleKeyBytes);

  for (std::string host :
       {std::string(""), std::string(":"), std::string("[::1"), std::string("[::1]:99999"),
        std::string(5000, '.'), std::string("a..b.s3.amazonaws.com"),
        std::string(".s3.amazonaws.com")}) {
    TxBuilder t("GET", host, "/x?%%%&=&==");
    t.Status(200);
    (void)Recognise(t.tx(), nullptr, cfg);  // must not crash
    (void)WantsBodyScan(t.tx(), cfg);
  }
  TxBuilder ipv6("GET", "[fd00::5]:9000", "/b/k");
  ipv6.Header("x-amz-date", "20240101T000000Z").Status(200);
  ev = Recognise(ipv6.tx(), nullptr, cfg);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->url_domain, "fd00::5");
  EXPECT_EQ(ev->bucket, "b");
}

TEST(Recognise, KnownServerHintCoversReadsWithoutFingerprint) {
  // s3rver answers an anonymous object read with plain HTTP headers: nothing on the wire says
  // storage. The sensor remembers that this server answered a listing; with that hint the
  // read is GetObject, without it the transaction is not storage.
  RecogniserConfig cfg;
  TxBuilder b("GET", "127.0.0.1:4568", "/dev-bucket/export/customers.csv");
  b.Status(200).RespHeader("Content-Type", "application/octet-stream");
  EXPECT_FALSE(Recognise(b.tx(), nullptr, cfg).has_value());

  ServerHint hint;
  hint.known_provider = Provider::kS3Compatible;
  std::optional<StorageEvent> ev = Recognise(b.tx(), nullptr, cfg, hint);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->recognised_by, RecognisedBy::kKnownServer);
  EXPECT_EQ(ev->provider, Provider::kS3Compatible);
  EXPECT_EQ(ev->bucket, "dev-bucket");
  EXPECT_EQ(ev->key, "export/customers.csv");
  EXPECT_EQ(OperationName(ev->operation), "GetObject");
  EXPECT_EQ(ev->auth_class, AuthClass::kAnonymous);
  EXPECT_EQ(ev->outcome, Outcome::kSuccess);

  // The transaction's own fingerprint still wins and is reported as such.
  TxBuilder listed("GET", "127.0.0.1:4568", "/dev-bucket?list-type=2");
  listed.Status(200).RespHeader("x-amz-request-id", "abc");
  ev = Recognise(listed.tx(), nullptr, cfg, hint);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->recognised_by, RecognisedBy::kFingerprint);

  // A hint never turns a disabled fingerprint mode back on.
  cfg.fingerprint = false;
  EXPECT_FALSE(Recognise(b.tx(), nullptr, cfg, hint).has_value());
}

TEST(Recognise, OverlongHostPortIsIgnoredNotOverflowed) {
  // Found by fuzz_storage_recogniser (tests/fuzz/regressions/storage_recogniser/
  // host_port_overflow): a ten-digit port used to overflow int while being parsed.
  HostPort hp = ParseHostPort("1:5321952595");
  EXPECT_EQ(hp.host, "1");
  EXPECT_EQ(hp.port, 0);
  hp = ParseHostPort("127.0.0.1:99999");
  EXPECT_EQ(hp.port, 0);
  hp = ParseHostPort("127.0.0.1:10000");
  EXPECT_EQ(hp.port, 10000);
  EXPECT_TRUE(hp.is_ip);
}

// Every field, for comparing a reused event with a fresh one.
std::string Fields(const StorageEvent& e) {
  std::string out = std::to_string(static_cast<int>(e.provider)) + "|" +
                    std::to_string(static_cast<int>(e.recognised_by)) + "|" + e.account + "|" +
                    e.bucket + "|" + e.key + "|" + std::string(OperationName(e.operation)) + "|" +
                    std::to_string(static_cast<int>(e.kind)) + "|" +
                    std::to_string(static_cast<int>(e.auth_class)) + "|" +
                    std::to_string(static_cast<int>(e.auth_scheme)) + "|" + e.access_key_id + "|" +
                    std::to_string(static_cast<int>(e.outcome)) + "|" + e.error_code + "|" +
                    e.url_domain + "|" + e.url_path + "|" + e.url_query + "|" +
                    std::to_string(e.range_request) + "|" + std::to_string(e.list_keys) + "|" +
                    std::to_string(e.list_truncated) + "|" + std::to_string(e.request_bytes) + "|" +
                    std::to_string(e.response_bytes) + "|" + std::to_string(e.response_body_bytes);
  for (const std::string& k : e.sample_keys) out += "|sample=" + k;
  return out;
}

// The glue recognises into one event over and over: nothing of an earlier request may survive
// into a later one, whatever the order.
TEST(RecogniseInto, AReusedEventEqualsAFreshOne) {
  RecogniserConfig cfg;
  std::vector<http::HttpTransaction> txs;
  txs.push_back(TxBuilder("GET", "acct.blob.core.windows.net", "/c/blob-name?sv=1&sig=secret")
                    .Header("Range", "bytes=0-1")
                    .Status(200)
                    .tx());
  txs.push_back(TxBuilder("GET", "bucket.s3.amazonaws.com", "/?list-type=2")
                    .Header("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015/r/s3/x")
                    .Status(200)
                    .Body("<ListBucketResult><Name>bucket</Name><KeyCount>2</KeyCount>"
                          "<IsTruncated>true</IsTruncated><Contents><Key>a</Key></Contents>"
                          "<Contents><Key>b</Key></Contents></ListBucketResult>")
                    .tx());
  txs.push_back(TxBuilder("GET", "s3.amazonaws.com", "/other/k")
                    .Status(403)
                    .RespHeader("Content-Type", "application/xml")
                    .Body("<Error><Code>AccessDenied</Code></Error>")
                    .tx());
  txs.push_back(TxBuilder("GET", "example.com", "/index.html").Status(200).tx());
  txs.push_back(TxBuilder("HEAD", "storage.googleapis.com", "/b/o").NoResponse().tx());
  // Names longer than a string's inline buffer, escapes, and each host form: what one request
  // leaves in the scratch must not show in the next.
  txs.push_back(TxBuilder("GET", "127.0.0.1:10000",
                          "/devstoreaccount1/a-container-name/dir%2Fa-blob-with-a-long-name")
                    .Header("x-ms-version", "2021-08-06")
                    .Status(200)
                    .RespHeader("x-ms-request-id", "r")
                    .tx());
  txs.push_back(TxBuilder("GET", "acct.blob.core.windows.net", "/rootblob").Status(200).tx());
  txs.push_back(TxBuilder("GET", "s3.us-west-2.amazonaws.com",
                          "/a-long-bucket-name-here/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&"
                          "Signature=c2ln&Expires=1")
                    .Status(200)
                    .tx());
  txs.push_back(TxBuilder("GET", "storage.googleapis.com",
                          "/storage/v1/b/gcs-bucket-with-long-name/o/obj%20name?alt=media")
                    .Status(200)
                    .tx());
  txs.push_back(TxBuilder("GET", "a-very-long-virtual-host-bucket.s3.eu-central-1.amazonaws.com",
                          "/photos/2026/x.jpg?versionId=v1")
                    .Status(200)
                    .tx());

  StorageEvent reused;
  RecogniserScratch scratch;
  reused.account = reused.bucket = reused.key = reused.access_key_id = "stale";
  reused.error_code = reused.url_domain = reused.url_path = reused.url_query = "stale";
  reused.sample_keys = {"s1", "s2", "s3", "s4"};
  reused.list_keys = 99;
  reused.list_truncated = reused.range_request = true;
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < txs.size(); ++i) {
      SCOPED_TRACE(i);
      std::optional<StorageEvent> fresh = Recognise(txs[i], nullptr, cfg);
      EXPECT_EQ(DecideBodyUse(txs[i], cfg, {}, scratch), DecideBodyUse(txs[i], cfg, {}));
      const bool storage = RecogniseInto(txs[i], nullptr, cfg, {}, scratch, reused);
      ASSERT_EQ(storage, fresh.has_value());
      if (storage) {
        EXPECT_EQ(Fields(reused), Fields(*fresh));
      } else {
        EXPECT_TRUE(reused.sample_keys.empty());
      }
    }
  }
  EXPECT_TRUE(Recognise(txs[1], nullptr, cfg)->list_truncated);  // the cases mean something
  EXPECT_EQ(Recognise(txs[1], nullptr, cfg)->sample_keys.size(), 2u);
  EXPECT_FALSE(Recognise(txs[3], nullptr, cfg).has_value());
  EXPECT_EQ(Recognise(txs[5], nullptr, cfg)->key, "dir/a-blob-with-a-long-name");
  EXPECT_EQ(Recognise(txs[6], nullptr, cfg)->bucket, "$root");
  EXPECT_EQ(Recognise(txs[7], nullptr, cfg)->access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(Recognise(txs[8], nullptr, cfg)->key, "obj name");
}

}  // namespace
}  // namespace bw::storage
