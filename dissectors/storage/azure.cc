#include "dissectors/storage/azure.h"

#include <array>

#include "dissectors/storage/text.h"

namespace bw::storage {
namespace {

using K = OperationKind;
using Op = Operation;

constexpr std::array<std::string_view, 5> kCloudSuffixes = {
    ".core.windows.net", ".core.chinacloudapi.cn", ".core.usgovcloudapi.net", ".core.cloudapi.de",
    ".storage.azure.net"};

// "z12": the DNS-zone label of newer endpoints and static websites.
bool IsZoneLabel(std::string_view l) {
  if (l.size() < 2 || l.size() > 3 || l[0] != 'z') return false;
  for (char c : l.substr(1)) {
    if (!IsAsciiDigit(c)) return false;
  }
  return true;
}

std::string_view AccountFromLabel(std::string_view label) {
  // Read-access geo-redundant secondary: "<account>-secondary".
  if (label.ends_with("-secondary")) label.remove_suffix(std::string_view("-secondary").size());
  return label;
}

bool QueryIs(const QueryParams& q, std::string_view key, std::string_view value) {
  const QueryParam* p = q.Find(key);
  return p != nullptr && EqualsIgnoreCase(p->value, value);
}

void ResolveBlobAccount(const RequestView& req, ResourceRef& r) {
  const QueryParams& q = req.query;
  std::string_view m = req.method;
  std::string_view comp = q.Value("comp");
  if (QueryIs(q, "restype", "service")) {
    if (EqualsIgnoreCase(comp, "properties")) {
      return m == "PUT" ? SetOp(r, Op::kSetBlobServiceProperties)
                        : SetOp(r, Op::kGetBlobServiceProperties);
    }
    if (EqualsIgnoreCase(comp, "stats")) return SetOp(r, Op::kGetBlobServiceStats);
    if (EqualsIgnoreCase(comp, "userdelegationkey")) {
      return SetOp(r, Op::kGetUserDelegationKey);
    }
    if (EqualsIgnoreCase(comp, "batch")) return SetOp(r, Op::kBlobBatch);
  }
  if (QueryIs(q, "restype", "account") && EqualsIgnoreCase(comp, "properties")) {
    return SetOp(r, Op::kGetAccountInformation);
  }
  if (m == "GET" && EqualsIgnoreCase(comp, "list")) return SetOp(r, Op::kListContainers);
  if (m == "GET" && EqualsIgnoreCase(comp, "blobs")) return SetOp(r, Op::kFindBlobsByTags);
  SetOp(r, Op::kUnknown);
}

void ResolveContainer(const RequestView& req, ResourceRef& r) {
  const QueryParams& q = req.query;
  std::string_view m = req.method;
  std::string_view comp = q.Value("comp");
  bool get = m == "GET" || m == "HEAD";
  if (EqualsIgnoreCase(comp, "list") && m == "GET") return SetOp(r, Op::kListBlobs);
  if (EqualsIgnoreCase(comp, "blobs") && m == "GET") return SetOp(r, Op::kFindBlobsByTags);
  if (EqualsIgnoreCase(comp, "acl")) {
    return get ? SetOp(r, Op::kGetContainerACL) : SetOp(r, Op::kSetContainerACL);
  }
  if (EqualsIgnoreCase(comp, "metadata")) {
    return get ? SetOp(r, Op::kGetContainerMetadata) : SetOp(r, Op::kSetContainerMetadata);
  }
  if (EqualsIgnoreCase(comp, "lease")) return SetOp(r, Op::kLeaseContainer);
  if (EqualsIgnoreCase(comp, "undelete")) return SetOp(r, Op::kRestoreContainer);
  if (EqualsIgnoreCase(comp, "rename")) return SetOp(r, Op::kRenameContainer);
  if (EqualsIgnoreCase(comp, "batch")) return SetOp(r, Op::kBlobBatch);
  if (comp.empty()) {
    if (get) return SetOp(r, Op::kGetContainerProperties);
    if (m == "PUT") return SetOp(r, Op::kCreateContainer);
    if (m == "DELETE") return SetOp(r, Op::kDeleteContainer);
  }
  SetOp(r, Op::kUnknown);
}

void ResolveBlob(const RequestView& req, ResourceRef& r) {
  const QueryParams& q = req.query;
  std::string_view m = req.method;
  std::string_view comp = q.Value("comp");
  bool copy = HasHeaderValue(req.headers, "x-ms-copy-source");
  auto is = [&](std::string_view c) { return EqualsIgnoreCase(comp, c); };
  if (m == "GET" || m == "HEAD") {
    if (is("metadata")) return SetOp(r, Op::kGetBlobMetadata);
    if (is("tags")) return SetOp(r, Op::kGetBlobTags);
    if (is("blocklist")) return SetOp(r, Op::kGetBlockList);
    if (is("pagelist")) return SetOp(r, Op::kGetPageRanges);
    if (is("acl")) return SetOp(r, Op::kGetBlobACL);
    if (comp.empty()) {
      return m == "GET" ? SetOp(r, Op::kGetBlob) : SetOp(r, Op::kGetBlobProperties);
    }
  } else if (m == "PUT") {
    if (comp.empty()) return SetOp(r, copy ? Op::kCopyBlob : Op::kPutBlob);
    if (is("block")) return SetOp(r, copy ? Op::kPutBlockFromURL : Op::kPutBlock);
    if (is("blocklist")) return SetOp(r, Op::kPutBlockList);
    if (is("page")) return SetOp(r, copy ? Op::kPutPageFromURL : Op::kPutPage);
    if (is("appendblock")) return SetOp(r, copy ? Op::kAppendBlockFromURL : Op::kAppendBlock);
    if (is("metadata")) return SetOp(r, Op::kSetBlobMetadata);
    if (is("properties")) return SetOp(r, Op::kSetBlobProperties);
    if (is("tags")) return SetOp(r, Op::kSetBlobTags);
    if (is("tier")) return SetOp(r, Op::kSetBlobTier);
    if (is("lease")) return SetOp(r, Op::kLeaseBlob);
    if (is("snapshot")) return SetOp(r, Op::kSnapshotBlob);
    if (is("copy")) return SetOp(r, Op::kAbortCopyBlob);
    if (is("undelete")) return SetOp(r, Op::kUndeleteBlob);
    if (is("expiry")) return SetOp(r, Op::kSetBlobExpiry);
    if (is("immutabilityPolicies")) return SetOp(r, Op::kSetBlobImmutabilityPolicy);
    if (is("legalhold")) return SetOp(r, Op::kSetBlobLegalHold);
  } else if (m == "DELETE") {
    if (is("immutabilityPolicies")) return SetOp(r, Op::kDeleteBlobImmutabilityPolicy);
    if (comp.empty()) return SetOp(r, Op::kDeleteBlob);
  } else if (m == "POST" && is("query")) {
    return SetOp(r, Op::kQueryBlobContents);
  }
  SetOp(r, Op::kUnknown);
}

// ADLS Gen2 (dfs endpoint): filesystems and paths.
void ResolveDfs(const RequestView& req, ResourceRef& r, bool has_fs, bool has_path) {
  const QueryParams& q = req.query;
  std::string_view m = req.method;
  std::string_view action = q.Value("action");
  if (!has_fs) {
    if (m == "GET" && QueryIs(q, "resource", "account")) {
      return SetOp(r, Op::kListFilesystems);
    }
    return SetOp(r, Op::kUnknown);
  }
  if (!has_path) {
    if (m == "GET" && (q.Has("recursive") || QueryIs(q, "resource", "filesystem"))) {
      return SetOp(r, Op::kListPaths);
    }
    if (m == "GET" && EqualsIgnoreCase(q.Value("comp"), "list")) {
      return SetOp(r, Op::kListBlobs);
    }
    if (m == "HEAD" || m == "GET") return SetOp(r, Op::kGetFilesystemProperties);
    if (m == "PUT") return SetOp(r, Op::kCreateFilesystem);
    if (m == "PATCH") return SetOp(r, Op::kSetFilesystemProperties);
    if (m == "DELETE") return SetOp(r, Op::kDeleteFilesystem);
    return SetOp(r, Op::kUnknown);
  }
  if (m == "GET") {
    if (q.Has("recursive") || QueryIs(q, "resource", "filesystem")) {
      return SetOp(r, Op::kListPaths);
    }
    return SetOp(r, Op::kReadPath);
  }
  if (m == "HEAD") return SetOp(r, Op::kGetPathProperties);
  if (m == "PUT") return SetOp(r, Op::kCreatePath);
  if (m == "PATCH") {
    if (EqualsIgnoreCase(action, "setAccessControl") ||
        EqualsIgnoreCase(action, "setAccessControlRecursive") ||
        EqualsIgnoreCase(action, "setProperties")) {
      return SetOp(r, Op::kUpdatePath, K::kConfig);
    }
    return SetOp(r, Op::kUpdatePath);
  }
  if (m == "POST" && EqualsIgnoreCase(action, "lease")) return SetOp(r, Op::kLeasePath);
  if (m == "DELETE") return SetOp(r, Op::kDeletePath);
  SetOp(r, Op::kUnknown);
}

}  // namespace

bool ParseAzureHost(std::string_view host, AzureHost& out) {
  out = AzureHost{};
  for (std::string_view suffix : kCloudSuffixes) {
    if (!host.ends_with(suffix) || host.size() == suffix.size()) continue;
    std::string_view rest = host.substr(0, host.size() - suffix.size());
    // rest: <account>[.privatelink|.zNN].(blob|dfs|web)  or  <account>.zNN.web
    size_t last_dot = rest.rfind('.');
    if (last_dot == std::string_view::npos) return false;
    std::string_view service = rest.substr(last_dot + 1);
    std::string_view left = rest.substr(0, last_dot);
    if (service == "blob") {
      out.service = AzureService::kBlob;
    } else if (service == "dfs") {
      out.service = AzureService::kDfs;
    } else if (service == "web") {
      out.service = AzureService::kWeb;
    } else {
      return false;
    }
    size_t dot = left.find('.');
    if (dot != std::string_view::npos) {
      std::string_view middle = left.substr(dot + 1);
      if (middle != "privatelink" && !IsZoneLabel(middle)) return false;
      left = left.substr(0, dot);
    }
    if (left.empty()) return false;
    out.account.assign(AccountFromLabel(left));
    return true;
  }
  return false;
}

bool LooksLikeAzureAccountHost(std::string_view host, AzureHost& out) {
  out = AzureHost{};
  size_t dot = host.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view second = host.substr(dot + 1);
  if (second.starts_with("blob.")) {
    out.service = AzureService::kBlob;
  } else if (second.starts_with("dfs.")) {
    out.service = AzureService::kDfs;
  } else {
    return false;
  }
  out.account.assign(AccountFromLabel(host.substr(0, dot)));
  return true;
}

bool HasAzureQueryFingerprint(const QueryParams& q) {
  if (QueryIs(q, "restype", "container") || QueryIs(q, "restype", "service") ||
      QueryIs(q, "restype", "account")) {
    return true;
  }
  if (QueryIs(q, "comp", "list")) return true;
  return q.Has("sig") && q.Has("sv");
}

ResourceRef ResolveAzure(const RequestView& req, const AzureHost& host) {
  ResourceRef r;
  ResolveAzure(req, host, r);
  return r;
}

void ResolveAzure(const RequestView& req, const AzureHost& host, ResourceRef& r) {
  Reset(r);
  std::string_view path = req.path;
  if (host.account.empty()) {
    // Azurite and other path-style endpoints: /<account>/<container>/<blob>.
    PathHead a = SplitPathHead(path);
    PercentDecodeTo(a.first, false, r.account);
    path = a.has_rest ? req.path.substr(a.first.size() + 1) : std::string_view("/");
  } else {
    r.account.assign(host.account);
  }
  if (host.service == AzureService::kWeb) {
    // Static website: the $web container served anonymously, path = blob name.
    r.bucket = "$web";
    PercentDecodeTo(path.empty() ? path : path.substr(1), false, r.key);
    if (req.method == "GET") {
      SetOp(r, Op::kGetBlob);
    } else if (req.method == "HEAD") {
      SetOp(r, Op::kGetBlobProperties);
    } else {
      SetOp(r, Op::kUnknown);
    }
    return;
  }
  // The container and blob names, decoded where they will usually stay.
  PathHead c = SplitPathHead(path);
  PercentDecodeTo(c.first, false, r.bucket);
  PercentDecodeTo(c.rest, false, r.key);
  const bool container = !r.bucket.empty();
  const bool blob = !r.key.empty();
  if (host.service == AzureService::kDfs) {
    ResolveDfs(req, r, container, blob);
    return;
  }
  if (!container) {
    r.key.clear();
    ResolveBlobAccount(req, r);
    return;
  }
  bool container_op = QueryIs(req.query, "restype", "container") ||
                      EqualsIgnoreCase(req.query.Value("comp"), "list");
  if (!blob && !container_op && !c.has_rest) {
    // "/<name>" without restype=container addresses a blob in the root container.
    r.key.swap(r.bucket);
    r.bucket = "$root";
    ResolveBlob(req, r);
    return;
  }
  if (!blob) {
    ResolveContainer(req, r);
  } else {
    ResolveBlob(req, r);
  }
}

}  // namespace bw::storage
