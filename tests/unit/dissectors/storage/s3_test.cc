#include "dissectors/storage/s3.h"

#include <gtest/gtest.h>

#include <vector>

namespace bw::storage {
namespace {

struct HostCase {
  std::string host;
  S3EndpointKind kind;
  std::string bucket;
  std::string account;
  std::string region;
  bool dualstack;
  bool fips;
};

TEST(ParseS3Host, EveryHostForm) {
  using E = S3EndpointKind;
  const HostCase cases[] = {
      {"s3.amazonaws.com", E::kApi, "", "", "", false, false},
      {"s3.us-west-2.amazonaws.com", E::kApi, "", "", "us-west-2", false, false},
      {"s3-us-west-2.amazonaws.com", E::kApi, "", "", "us-west-2", false, false},
      {"s3-external-1.amazonaws.com", E::kApi, "", "", "us-east-1", false, false},
      {"s3.dualstack.eu-central-1.amazonaws.com", E::kApi, "", "", "eu-central-1", true, false},
      {"s3-fips.us-gov-west-1.amazonaws.com", E::kApi, "", "", "us-gov-west-1", false, true},
      {"s3-fips.dualstack.us-east-2.amazonaws.com", E::kApi, "", "", "us-east-2", true, true},
      {"s3.cn-north-1.amazonaws.com.cn", E::kApi, "", "", "cn-north-1", false, false},
      {"examplebucket.s3.amazonaws.com", E::kApi, "examplebucket", "", "", false, false},
      {"my.dotted.bucket.s3.eu-west-1.amazonaws.com", E::kApi, "my.dotted.bucket", "", "eu-west-1",
       false, false},
      {"logs.s3-ap-southeast-2.amazonaws.com", E::kApi, "logs", "", "ap-southeast-2", false, false},
      {"b1.s3.dualstack.us-east-1.amazonaws.com", E::kApi, "b1", "", "us-east-1", true, false},
      {"media.s3.cn-northwest-1.amazonaws.com.cn", E::kApi, "media", "", "cn-northwest-1", false,
       false},
      {"site.example.com.s3-website-us-east-1.amazonaws.com", E::kWebsite, "site.example.com", "",
       "us-east-1", false, false},
      {"www.s3-website.eu-west-3.amazonaws.com", E::kWebsite, "www", "", "eu-west-3", false, false},
      {"finance-docs-123456789012.s3-accesspoint.us-west-2.amazonaws.com", E::kAccessPoint,
       "finance-docs", "123456789012", "us-west-2", false, false},
      {"ap-123456789012.s3-accesspoint.dualstack.us-west-2.amazonaws.com", E::kAccessPoint, "ap",
       "123456789012", "us-west-2", true, false},
      {"olap-123456789012.s3-object-lambda.us-east-1.amazonaws.com", E::kObjectLambda, "olap",
       "123456789012", "us-east-1", false, false},
      {"mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com", E::kMultiRegionAccessPoint,
       "mfzwi23gnjvgw.mrap", "", "", false, false},
      {"123456789012.s3-control.us-east-1.amazonaws.com", E::kControl, "", "123456789012",
       "us-east-1", false, false},
      {"123456789012.s3-control-fips.us-east-1.amazonaws.com", E::kControl, "", "123456789012",
       "us-east-1", false, true},
      // PrivateLink: "bucket." is a literal prefix (path style follows); SDKs put the bucket
      // left of it for virtual-hosted requests.
      {"bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com", E::kApi, "", "", "us-east-1",
       false, false},
      {"my.bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com", E::kApi, "my.bucket",
       "", "us-east-1", false, false},
      {"vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com", E::kApi, "", "", "us-east-1", false,
       false},
      {"bucket--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com", E::kApi,
       "bucket--use1-az4--x-s3", "", "us-east-1", false, false},
      // A bucket whose name looks like a service label is still the bucket.
      {"my.s3.bucket.s3.amazonaws.com", E::kApi, "my.s3.bucket", "", "", false, false},
  };
  for (const HostCase& c : cases) {
    S3Host h;
    ASSERT_TRUE(ParseS3Host(c.host, h)) << c.host;
    EXPECT_EQ(h.kind, c.kind) << c.host;
    EXPECT_EQ(h.bucket, c.bucket) << c.host;
    EXPECT_EQ(h.account, c.account) << c.host;
    EXPECT_EQ(h.region, c.region) << c.host;
    EXPECT_EQ(h.dualstack, c.dualstack) << c.host;
    EXPECT_EQ(h.fips, c.fips) << c.host;
  }
}

TEST(ParseS3Host, RejectsOtherHosts) {
  for (const char* host :
       {"sts.amazonaws.com", "ec2.us-east-1.amazonaws.com", "amazonaws.com", ".amazonaws.com",
        "s3.example.com", "s3-website.amazonaws.com", "dynamodb.us-east-1.amazonaws.com",
        "notamazonaws.com", "foo.s3-bogus.amazonaws.com", "storage.googleapis.com"}) {
    S3Host h;
    EXPECT_FALSE(ParseS3Host(host, h)) << host;
  }
}

TEST(IsAwsRegion, Shapes) {
  for (const char* r :
       {"us-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-4", "eu-isoe-west-1"}) {
    EXPECT_TRUE(IsAwsRegion(r)) << r;
  }
  for (const char* r :
       {"s3", "dualstack", "us-east", "useast-1", "us--east-1", "US-EAST-1", "us-east-1a", ""}) {
    EXPECT_FALSE(IsAwsRegion(r)) << r;
  }
}

struct OpCase {
  std::string method;
  std::string target;  // path?query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string bucket;
  std::string key;
  std::string operation;
  OperationKind kind;
};

ResourceRef Resolve(const OpCase& c, const S3Host& host) {
  RequestTarget t = SplitRequestTarget(c.target);
  QueryParams q(t.query);
  http::HeaderList headers;
  for (const auto& [n, v] : c.headers) headers.Add(n, v);
  return ResolveS3(RequestView{c.method, t.path, q, headers}, host);
}

TEST(ResolveS3, PathStyleOperations) {
  using K = OperationKind;
  const OpCase cases[] = {
      {"GET", "/", {}, "", "", "ListBuckets", K::kListBuckets},
      {"GET", "/?x-id=ListDirectoryBuckets", {}, "", "", "ListDirectoryBuckets", K::kListBuckets},
      {"GET", "/photos", {}, "photos", "", "ListObjects", K::kList},
      {"GET", "/photos/", {}, "photos", "", "ListObjects", K::kList},
      {"GET",
       "/photos?list-type=2&prefix=2024%2F&delimiter=%2F",
       {},
       "photos",
       "",
       "ListObjectsV2",
       K::kList},
      {"GET", "/photos?versions", {}, "photos", "", "ListObjectVersions", K::kList},
      {"GET", "/photos?uploads", {}, "photos", "", "ListMultipartUploads", K::kList},
      {"GET", "/photos?acl", {}, "photos", "", "GetBucketAcl", K::kConfig},
      {"GET", "/photos?policy", {}, "photos", "", "GetBucketPolicy", K::kConfig},
      {"GET", "/photos?policyStatus", {}, "photos", "", "GetBucketPolicyStatus", K::kConfig},
      {"GET", "/photos?location", {}, "photos", "", "GetBucketLocation", K::kConfig},
      {"GET", "/photos?website", {}, "photos", "", "GetBucketWebsite", K::kConfig},
      {"GET", "/photos?cors", {}, "photos", "", "GetBucketCors", K::kConfig},
      {"GET", "/photos?lifecycle", {}, "photos", "", "GetBucketLifecycleConfiguration", K::kConfig},
      {"GET", "/photos?tagging", {}, "photos", "", "GetBucketTagging", K::kConfig},
      {"GET", "/photos?versioning", {}, "photos", "", "GetBucketVersioning", K::kConfig},
      {"GET", "/photos?encryption", {}, "photos", "", "GetBucketEncryption", K::kConfig},
      {"GET", "/photos?logging", {}, "photos", "", "GetBucketLogging", K::kConfig},
      {"GET", "/photos?publicAccessBlock", {}, "photos", "", "GetPublicAccessBlock", K::kConfig},
      {"GET",
       "/photos?ownershipControls",
       {},
       "photos",
       "",
       "GetBucketOwnershipControls",
       K::kConfig},
      {"GET", "/photos?object-lock", {}, "photos", "", "GetObjectLockConfiguration", K::kConfig},
      {"GET",
       "/photos?analytics",
       {},
       "photos",
       "",
       "ListBucketAnalyticsConfigurations",
       K::kConfig},
      {"GET",
       "/photos?analytics&id=a1",
       {},
       "photos",
       "",
       "GetBucketAnalyticsConfiguration",
       K::kConfig},
      {"HEAD", "/photos", {}, "photos", "", "HeadBucket", K::kHead},
      {"PUT", "/photos", {}, "photos", "", "CreateBucket", K::kWrite},
      {"PUT", "/photos?acl", {}, "photos", "", "PutBucketAcl", K::kConfig},
      {"PUT", "/photos?policy", {}, "photos", "", "PutBucketPolicy", K::kConfig},
      {"PUT", "/photos?publicAccessBlock", {}, "photos", "", "PutPublicAccessBlock", K::kConfig},
      {"DELETE", "/photos", {}, "photos", "", "DeleteBucket", K::kDelete},
      {"DELETE", "/photos?policy", {}, "photos", "", "DeleteBucketPolicy", K::kConfig},
      {"DELETE", "/photos?cors", {}, "photos", "", "DeleteBucketCors", K::kConfig},
      {"POST", "/photos?delete", {}, "photos", "", "DeleteObjects", K::kDelete},
      {"POST", "/photos", {}, "photos", "", "PostObject", K::kWrite},
      {"GET",
       "/photos/2024/cat%20pic.jpg",
       {},
       "photos",
       "2024/cat pic.jpg",
       "GetObject",
       K::kRead},
      {"GET", "/photos/a+b.txt", {}, "photos", "a+b.txt", "GetObject", K::kRead},
      {"GET", "/photos/k?versionId=3", {}, "photos", "k", "GetObject", K::kRead},
      {"GET", "/photos/k?acl", {}, "photos", "k", "GetObjectAcl", K::kConfig},
      {"GET", "/photos/k?tagging", {}, "photos", "k", "GetObjectTagging", K::kConfig},
      {"GET", "/photos/k?uploadId=abc", {}, "photos", "k", "ListParts", K::kList},
      {"GET", "/photos/k?attributes", {}, "photos", "k", "GetObjectAttributes", K::kHead},
      {"HEAD", "/photos/k", {}, "photos", "k", "HeadObject", K::kHead},
      {"PUT", "/photos/k", {}, "photos", "k", "PutObject", K::kWrite},
      {"PUT",
       "/photos/k",
       {{"x-amz-copy-source", "/src/obj"}},
       "photos",
       "k",
       "CopyObject",
       K::kWrite},
      {"PUT", "/photos/k?partNumber=1&uploadId=u", {}, "photos", "k", "UploadPart", K::kWrite},
      {"PUT",
       "/photos/k?partNumber=1&uploadId=u",
       {{"X-Amz-Copy-Source", "/s/o"}},
       "photos",
       "k",
       "UploadPartCopy",
       K::kWrite},
      {"PUT", "/photos/k?acl", {}, "photos", "k", "PutObjectAcl", K::kConfig},
      {"PUT", "/photos/k?tagging", {}, "photos", "k", "PutObjectTagging", K::kConfig},
      {"POST", "/photos/k?uploads", {}, "photos", "k", "CreateMultipartUpload", K::kWrite},
      {"POST", "/photos/k?uploadId=u", {}, "photos", "k", "CompleteMultipartUpload", K::kWrite},
      {"POST", "/photos/k?restore", {}, "photos", "k", "RestoreObject", K::kOther},
      {"POST",
       "/photos/k?select&select-type=2",
       {},
       "photos",
       "k",
       "SelectObjectContent",
       K::kRead},
      {"DELETE", "/photos/k", {}, "photos", "k", "DeleteObject", K::kDelete},
      {"DELETE", "/photos/k?uploadId=u", {}, "photos", "k", "AbortMultipartUpload", K::kDelete},
      {"DELETE", "/photos/k?tagging", {}, "photos", "k", "DeleteObjectTagging", K::kConfig},
      {"PATCH", "/photos/k", {}, "photos", "k", "Unknown", K::kOther},
  };
  S3Host path_style;
  for (const OpCase& c : cases) {
    ResourceRef r = Resolve(c, path_style);
    EXPECT_EQ(r.bucket, c.bucket) << c.method << " " << c.target;
    EXPECT_EQ(r.key, c.key) << c.method << " " << c.target;
    EXPECT_EQ(OperationName(r.operation), c.operation) << c.method << " " << c.target;
    EXPECT_EQ(r.kind, c.kind) << c.method << " " << c.target;
  }
}

TEST(ResolveS3, VirtualHostedUsesHostBucketAndWholePathAsKey) {
  S3Host host;
  host.bucket = "my.bucket";
  ResourceRef r = Resolve({"GET", "/dir/file%2Bx.txt", {}, "", "", "", {}}, host);
  EXPECT_EQ(r.bucket, "my.bucket");
  EXPECT_EQ(r.key, "dir/file+x.txt");
  EXPECT_EQ(OperationName(r.operation), "GetObject");
  r = Resolve({"GET", "/?list-type=2", {}, "", "", "", {}}, host);
  EXPECT_EQ(r.key, "");
  EXPECT_EQ(OperationName(r.operation), "ListObjectsV2");
  r = Resolve({"GET", "//leading-slash", {}, "", "", "", {}}, host);
  EXPECT_EQ(r.key, "/leading-slash");
}

TEST(ResolveS3, WebsiteEndpointServesObjects) {
  S3Host host;
  host.kind = S3EndpointKind::kWebsite;
  host.bucket = "site";
  ResourceRef r = Resolve({"GET", "/", {}, "", "", "", {}}, host);
  EXPECT_EQ(OperationName(r.operation), "GetObject");
  EXPECT_EQ(r.kind, OperationKind::kRead);
  EXPECT_EQ(r.bucket, "site");
  r = Resolve({"GET", "/index.html?acl", {}, "", "", "", {}}, host);
  EXPECT_EQ(OperationName(r.operation), "GetObject");
  EXPECT_EQ(r.key, "index.html");
  r = Resolve({"HEAD", "/a", {}, "", "", "", {}}, host);
  EXPECT_EQ(OperationName(r.operation), "HeadObject");
}

TEST(ResolveS3, ControlPlane) {
  S3Host host;
  host.kind = S3EndpointKind::kControl;
  host.account = "123456789012";
  ResourceRef r = Resolve({"GET", "/v20180820/accesspoint", {}, "", "", "", {}}, host);
  EXPECT_EQ(OperationName(r.operation), "ListAccessPoints");
  EXPECT_EQ(r.account, "123456789012");
  r = Resolve({"GET", "/v20180820/accesspoint/finance/policy", {}, "", "", "", {}}, host);
  EXPECT_EQ(OperationName(r.operation), "GetAccessPointPolicy");
  EXPECT_EQ(r.bucket, "finance");
  r = Resolve({"PUT", "/v20180820/configuration/publicAccessBlock", {}, "", "", "", {}}, host);
  EXPECT_EQ(OperationName(r.operation), "PutPublicAccessBlock");
}

}  // namespace
}  // namespace bw::storage
