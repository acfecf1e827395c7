#include "dissectors/storage/gcs.h"

#include <gtest/gtest.h>

#include <vector>

namespace bw::storage {
namespace {

TEST(ParseGcsHost, Names) {
  GcsHost h;
  EXPECT_TRUE(ParseGcsHost("storage.googleapis.com", "/b/o", h));
  EXPECT_EQ(h.bucket, "");
  EXPECT_TRUE(ParseGcsHost("storage.cloud.google.com", "/b/o", h));
  EXPECT_TRUE(ParseGcsHost("my.bucket.storage.googleapis.com", "/o", h));
  EXPECT_EQ(h.bucket, "my.bucket");
  EXPECT_TRUE(ParseGcsHost("b.commondatastorage.googleapis.com", "/o", h));
  EXPECT_EQ(h.bucket, "b");
  EXPECT_TRUE(ParseGcsHost("storage.me-central2.rep.googleapis.com", "/b", h));
  EXPECT_TRUE(ParseGcsHost("www.googleapis.com", "/storage/v1/b/x/o", h));
  EXPECT_FALSE(ParseGcsHost("www.googleapis.com", "/drive/v3/files", h));
  EXPECT_FALSE(ParseGcsHost("pubsub.googleapis.com", "/v1/projects", h));
  EXPECT_FALSE(ParseGcsHost("storage.example.com", "/", h));
}

struct OpCase {
  std::string method;
  std::string target;
  std::string bucket;
  std::string key;
  std::string operation;
  OperationKind kind;
};

void Check(const OpCase& c, const GcsHost& host) {
  RequestTarget t = SplitRequestTarget(c.target);
  QueryParams q(t.query);
  http::HeaderList headers;
  ResourceRef r = ResolveGcs(RequestView{c.method, t.path, q, headers}, host);
  EXPECT_EQ(r.bucket, c.bucket) << c.method << " " << c.target;
  EXPECT_EQ(r.key, c.key) << c.method << " " << c.target;
  EXPECT_EQ(OperationName(r.operation), c.operation) << c.method << " " << c.target;
  EXPECT_EQ(r.kind, c.kind) << c.method << " " << c.target;
}

TEST(ResolveGcs, JsonApi) {
  using K = OperationKind;
  const OpCase cases[] = {
      {"GET", "/storage/v1/b?project=my-proj", "", "", "buckets.list", K::kListBuckets},
      {"POST", "/storage/v1/b?project=my-proj", "", "", "buckets.insert", K::kWrite},
      {"GET", "/storage/v1/b/data", "data", "", "buckets.get", K::kHead},
      {"DELETE", "/storage/v1/b/data", "data", "", "buckets.delete", K::kDelete},
      {"GET", "/storage/v1/b/data/iam", "data", "", "buckets.getIamPolicy", K::kConfig},
      {"PUT", "/storage/v1/b/data/iam", "data", "", "buckets.setIamPolicy", K::kConfig},
      {"GET", "/storage/v1/b/data/iam/testPermissions?permissions=storage.buckets.get", "data", "",
       "buckets.testIamPermissions", K::kConfig},
      {"GET", "/storage/v1/b/data/acl", "data", "", "bucketAccessControls.list", K::kConfig},
      {"GET", "/storage/v1/b/data/defaultObjectAcl/allUsers", "data", "",
       "defaultObjectAccessControls.get", K::kConfig},
      {"GET", "/storage/v1/b/data/o?prefix=logs%2F&maxResults=1000", "data", "", "objects.list",
       K::kList},
      {"GET", "/storage/v1/b/data/o/logs%2F2024%2Fapp.log", "data", "logs/2024/app.log",
       "objects.get", K::kHead},
      {"GET", "/storage/v1/b/data/o/logs%2F2024%2Fapp.log?alt=media", "data", "logs/2024/app.log",
       "objects.get", K::kRead},
      {"GET", "/download/storage/v1/b/data/o/a%20b.csv?alt=media", "data", "a b.csv", "objects.get",
       K::kRead},
      {"POST", "/upload/storage/v1/b/data/o?uploadType=media&name=up%2Fnew.bin", "data",
       "up/new.bin", "objects.insert", K::kWrite},
      {"PATCH", "/storage/v1/b/data/o/x", "data", "x", "objects.patch", K::kConfig},
      {"DELETE", "/storage/v1/b/data/o/x", "data", "x", "objects.delete", K::kDelete},
      {"GET", "/storage/v1/b/data/o/x/acl", "data", "x", "objectAccessControls.list", K::kConfig},
      {"POST", "/storage/v1/b/data/o/x/compose", "data", "x", "objects.compose", K::kWrite},
      {"POST", "/storage/v1/b/data/o/src/copyTo/b/other/o/dst", "data", "src", "objects.copy",
       K::kWrite},
      {"POST", "/storage/v1/b/data/o/src/rewriteTo/b/other/o/dst", "data", "src", "objects.rewrite",
       K::kWrite},
      {"GET", "/storage/v1/projects/p/serviceAccount", "", "", "projects.serviceAccount.get",
       K::kOther},
  };
  for (const OpCase& c : cases) Check(c, GcsHost{});
}

TEST(ResolveGcs, XmlApiPathStyle) {
  using K = OperationKind;
  const OpCase cases[] = {
      {"GET", "/", "", "", "buckets.list", K::kListBuckets},
      {"GET", "/data", "data", "", "objects.list", K::kList},
      {"GET", "/data?prefix=a&delimiter=/", "data", "", "objects.list", K::kList},
      {"GET", "/data?list-type=2", "data", "", "objects.list", K::kList},
      {"HEAD", "/data", "data", "", "buckets.get", K::kHead},
      {"GET", "/data?acl", "data", "", "bucketAccessControls.list", K::kConfig},
      {"GET", "/data?cors", "data", "", "buckets.get", K::kConfig},
      {"GET", "/data?uploads", "data", "", "multipartUploads.list", K::kList},
      {"PUT", "/data", "data", "", "buckets.insert", K::kWrite},
      {"DELETE", "/data", "data", "", "buckets.delete", K::kDelete},
      {"GET", "/data/dir/file.txt", "data", "dir/file.txt", "objects.get", K::kRead},
      {"HEAD", "/data/dir/file.txt", "data", "dir/file.txt", "objects.get", K::kHead},
      {"GET", "/data/f?acl", "data", "f", "objectAccessControls.list", K::kConfig},
      {"PUT", "/data/f", "data", "f", "objects.insert", K::kWrite},
      {"POST", "/data/f?uploads", "data", "f", "multipartUploads.create", K::kWrite},
      {"DELETE", "/data/f", "data", "f", "objects.delete", K::kDelete},
  };
  for (const OpCase& c : cases) Check(c, GcsHost{});
}

TEST(ResolveGcs, XmlApiVirtualHosted) {
  GcsHost host;
  host.bucket = "assets.example.com";
  Check({"GET", "/", "assets.example.com", "", "objects.list", OperationKind::kList}, host);
  Check({"GET", "/img/logo.png", "assets.example.com", "img/logo.png", "objects.get",
         OperationKind::kRead},
        host);
}

}  // namespace
}  // namespace bw::storage
