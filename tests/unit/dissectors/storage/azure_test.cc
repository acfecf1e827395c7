#include "dissectors/storage/azure.h"

#include <gtest/gtest.h>

#include <vector>

namespace bw::storage {
namespace {

TEST(ParseAzureHost, AccountEndpoints) {
  struct Case {
    std::string host;
    std::string account;
    AzureService service;
  };
  const Case cases[] = {
      {"myaccount.blob.core.windows.net", "myaccount", AzureService::kBlob},
      {"myaccount-secondary.blob.core.windows.net", "myaccount", AzureService::kBlob},
      {"myaccount.dfs.core.windows.net", "myaccount", AzureService::kDfs},
      {"myaccount.blob.core.chinacloudapi.cn", "myaccount", AzureService::kBlob},
      {"myaccount.blob.core.usgovcloudapi.net", "myaccount", AzureService::kBlob},
      {"myaccount.privatelink.blob.core.windows.net", "myaccount", AzureService::kBlob},
      {"myaccount.z13.web.core.windows.net", "myaccount", AzureService::kWeb},
      {"myaccount.z22.blob.storage.azure.net", "myaccount", AzureService::kBlob},
  };
  for (const Case& c : cases) {
    AzureHost h;
    ASSERT_TRUE(ParseAzureHost(c.host, h)) << c.host;
    EXPECT_EQ(h.account, c.account) << c.host;
    EXPECT_EQ(h.service, c.service) << c.host;
  }
  for (const char* host : {"myaccount.queue.core.windows.net", "blob.core.windows.net",
                           "login.windows.net", "a.b.c.blob.core.windows.net",
                           "myaccount.file.core.windows.net", "myvault.vault.azure.net"}) {
    AzureHost h;
    EXPECT_FALSE(ParseAzureHost(host, h)) << host;
  }
}

TEST(LooksLikeAzureAccountHost, AzureStackNames) {
  AzureHost h;
  EXPECT_TRUE(LooksLikeAzureAccountHost("acct.blob.local.azurestack.external", h));
  EXPECT_EQ(h.account, "acct");
  EXPECT_FALSE(LooksLikeAzureAccountHost("127.0.0.1", h));
  EXPECT_FALSE(LooksLikeAzureAccountHost("blob.example.com", h));
}

struct OpCase {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string account;
  std::string container;
  std::string blob;
  std::string operation;
  OperationKind kind;
};

ResourceRef Resolve(const OpCase& c, const AzureHost& host) {
  RequestTarget t = SplitRequestTarget(c.target);
  QueryParams q(t.query);
  http::HeaderList headers;
  for (const auto& [n, v] : c.headers) headers.Add(n, v);
  return ResolveAzure(RequestView{c.method, t.path, q, headers}, host);
}

void Check(const OpCase& c, const AzureHost& host) {
  ResourceRef r = Resolve(c, host);
  EXPECT_EQ(r.account, c.account) << c.method << " " << c.target;
  EXPECT_EQ(r.bucket, c.container) << c.method << " " << c.target;
  EXPECT_EQ(r.key, c.blob) << c.method << " " << c.target;
  EXPECT_EQ(OperationName(r.operation), c.operation) << c.method << " " << c.target;
  EXPECT_EQ(r.kind, c.kind) << c.method << " " << c.target;
}

TEST(ResolveAzure, BlobOperations) {
  using K = OperationKind;
  const OpCase cases[] = {
      {"GET", "/?comp=list", {}, "acct", "", "", "ListContainers", K::kListBuckets},
      {"GET",
       "/?restype=service&comp=properties",
       {},
       "acct",
       "",
       "",
       "GetBlobServiceProperties",
       K::kConfig},
      {"PUT",
       "/?restype=service&comp=properties",
       {},
       "acct",
       "",
       "",
       "SetBlobServiceProperties",
       K::kConfig},
      {"GET",
       "/?restype=account&comp=properties",
       {},
       "acct",
       "",
       "",
       "GetAccountInformation",
       K::kHead},
      {"GET",
       "/?comp=blobs&where=%22tag%22%3D%27v%27",
       {},
       "acct",
       "",
       "",
       "FindBlobsByTags",
       K::kList},
      {"GET",
       "/docs?restype=container&comp=list&prefix=2024/&include=metadata",
       {},
       "acct",
       "docs",
       "",
       "ListBlobs",
       K::kList},
      {"GET",
       "/docs?restype=container",
       {},
       "acct",
       "docs",
       "",
       "GetContainerProperties",
       K::kHead},
      {"HEAD",
       "/docs?restype=container",
       {},
       "acct",
       "docs",
       "",
       "GetContainerProperties",
       K::kHead},
      {"GET",
       "/docs?restype=container&comp=acl",
       {},
       "acct",
       "docs",
       "",
       "GetContainerACL",
       K::kConfig},
      {"PUT",
       "/docs?restype=container&comp=acl",
       {},
       "acct",
       "docs",
       "",
       "SetContainerACL",
       K::kConfig},
      {"GET",
       "/docs?restype=container&comp=metadata",
       {},
       "acct",
       "docs",
       "",
       "GetContainerMetadata",
       K::kHead},
      {"PUT", "/docs?restype=container", {}, "acct", "docs", "", "CreateContainer", K::kWrite},
      {"DELETE", "/docs?restype=container", {}, "acct", "docs", "", "DeleteContainer", K::kDelete},
      {"GET",
       "/docs/reports/q1%20final.pdf",
       {},
       "acct",
       "docs",
       "reports/q1 final.pdf",
       "GetBlob",
       K::kRead},
      {"HEAD", "/docs/a.txt", {}, "acct", "docs", "a.txt", "GetBlobProperties", K::kHead},
      {"GET",
       "/docs/a.txt?comp=metadata",
       {},
       "acct",
       "docs",
       "a.txt",
       "GetBlobMetadata",
       K::kHead},
      {"GET", "/docs/a.txt?comp=tags", {}, "acct", "docs", "a.txt", "GetBlobTags", K::kHead},
      {"GET", "/docs/a.txt?comp=blocklist", {}, "acct", "docs", "a.txt", "GetBlockList", K::kHead},
      {"PUT",
       "/docs/a.txt",
       {{"x-ms-blob-type", "BlockBlob"}},
       "acct",
       "docs",
       "a.txt",
       "PutBlob",
       K::kWrite},
      {"PUT",
       "/docs/a.txt",
       {{"x-ms-copy-source", "https://x/y"}},
       "acct",
       "docs",
       "a.txt",
       "CopyBlob",
       K::kWrite},
      {"PUT",
       "/docs/a.txt?comp=block&blockid=AAAA",
       {},
       "acct",
       "docs",
       "a.txt",
       "PutBlock",
       K::kWrite},
      {"PUT", "/docs/a.txt?comp=blocklist", {}, "acct", "docs", "a.txt", "PutBlockList", K::kWrite},
      {"PUT",
       "/docs/a.txt?comp=metadata",
       {},
       "acct",
       "docs",
       "a.txt",
       "SetBlobMetadata",
       K::kConfig},
      {"PUT", "/docs/a.txt?comp=tier", {}, "acct", "docs", "a.txt", "SetBlobTier", K::kConfig},
      {"DELETE", "/docs/a.txt", {}, "acct", "docs", "a.txt", "DeleteBlob", K::kDelete},
      // A single segment without restype names a blob in the root container.
      {"GET", "/robots.txt", {}, "acct", "$root", "robots.txt", "GetBlob", K::kRead},
  };
  AzureHost host;
  host.account = "acct";
  for (const OpCase& c : cases) Check(c, host);
}

TEST(ResolveAzure, AzuritePathStyle) {
  using K = OperationKind;
  const OpCase cases[] = {
      {"GET",
       "/devstoreaccount1?comp=list",
       {},
       "devstoreaccount1",
       "",
       "",
       "ListContainers",
       K::kListBuckets},
      {"GET",
       "/devstoreaccount1/?comp=list",
       {},
       "devstoreaccount1",
       "",
       "",
       "ListContainers",
       K::kListBuckets},
      {"GET",
       "/devstoreaccount1/backups?restype=container&comp=list",
       {},
       "devstoreaccount1",
       "backups",
       "",
       "ListBlobs",
       K::kList},
      {"GET",
       "/devstoreaccount1/backups/db/2024-01-01.bak",
       {},
       "devstoreaccount1",
       "backups",
       "db/2024-01-01.bak",
       "GetBlob",
       K::kRead},
      {"HEAD",
       "/devstoreaccount1/backups/x",
       {},
       "devstoreaccount1",
       "backups",
       "x",
       "GetBlobProperties",
       K::kHead},
  };
  AzureHost path_style;
  for (const OpCase& c : cases) Check(c, path_style);
}

TEST(ResolveAzure, DataLakeGen2) {
  using K = OperationKind;
  const OpCase cases[] = {
      {"GET", "/?resource=account", {}, "acct", "", "", "ListFilesystems", K::kListBuckets},
      {"GET",
       "/lake?resource=filesystem&recursive=true",
       {},
       "acct",
       "lake",
       "",
       "ListPaths",
       K::kList},
      {"HEAD",
       "/lake?resource=filesystem",
       {},
       "acct",
       "lake",
       "",
       "GetFilesystemProperties",
       K::kHead},
      {"PUT", "/lake?resource=filesystem", {}, "acct", "lake", "", "CreateFilesystem", K::kWrite},
      {"DELETE",
       "/lake?resource=filesystem",
       {},
       "acct",
       "lake",
       "",
       "DeleteFilesystem",
       K::kDelete},
      {"GET", "/lake/raw/events.json", {}, "acct", "lake", "raw/events.json", "ReadPath", K::kRead},
      {"HEAD",
       "/lake/raw/events.json?action=getAccessControl",
       {},
       "acct",
       "lake",
       "raw/events.json",
       "GetPathProperties",
       K::kHead},
      {"PUT",
       "/lake/raw/new.json?resource=file",
       {},
       "acct",
       "lake",
       "raw/new.json",
       "CreatePath",
       K::kWrite},
      {"PATCH",
       "/lake/raw/new.json?action=append&position=0",
       {},
       "acct",
       "lake",
       "raw/new.json",
       "UpdatePath",
       K::kWrite},
      {"PATCH",
       "/lake/raw/new.json?action=setAccessControl",
       {},
       "acct",
       "lake",
       "raw/new.json",
       "UpdatePath",
       K::kConfig},
      {"DELETE",
       "/lake/raw/new.json",
       {},
       "acct",
       "lake",
       "raw/new.json",
       "DeletePath",
       K::kDelete},
  };
  AzureHost host;
  host.account = "acct";
  host.service = AzureService::kDfs;
  for (const OpCase& c : cases) Check(c, host);
}

TEST(ResolveAzure, StaticWebsite) {
  AzureHost host;
  host.account = "acct";
  host.service = AzureService::kWeb;
  Check({"GET", "/index.html", {}, "acct", "$web", "index.html", "GetBlob", OperationKind::kRead},
        host);
}

TEST(HasAzureQueryFingerprint, Shapes) {
  EXPECT_TRUE(HasAzureQueryFingerprint(QueryParams("restype=container&comp=list")));
  EXPECT_TRUE(HasAzureQueryFingerprint(QueryParams("comp=list")));
  EXPECT_TRUE(HasAzureQueryFingerprint(QueryParams("sv=2022-11-02&sig=x")));
  EXPECT_FALSE(HasAzureQueryFingerprint(QueryParams("list-type=2")));
  EXPECT_FALSE(HasAzureQueryFingerprint(QueryParams("comp=block")));
}

}  // namespace
}  // namespace bw::storage
