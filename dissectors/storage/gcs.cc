#include "dissectors/storage/gcs.h"

#include "dissectors/storage/text.h"

namespace bw::storage {
namespace {

using K = OperationKind;

void SetOp(ResourceRef& r, std::string_view op, K kind) {
  r.operation = std::string(op);
  r.kind = kind;
}

// Access control sub-collections: acl (bucket or object) and defaultObjectAcl.
void ResolveAcl(std::string_view method, std::string_view collection, bool has_entity,
                ResourceRef& r) {
  std::string op(collection);
  if (method == "GET") {
    op += has_entity ? ".get" : ".list";
  } else if (method == "POST") {
    op += ".insert";
  } else if (method == "PUT") {
    op += ".update";
  } else if (method == "PATCH") {
    op += ".patch";
  } else if (method == "DELETE") {
    op += ".delete";
  } else {
    return SetOp(r, "Unknown", K::kOther);
  }
  SetOp(r, op, K::kConfig);
}

// Segments after /b/<bucket>/o/: "<object>", "<object>/acl[/<entity>]", "<object>/compose",
// "<src>/copyTo/b/<bucket>/o/<dst>", "<src>/rewriteTo/...".
void ResolveJsonObject(const RequestView& req, std::string_view rest, bool download,
                       ResourceRef& r) {
  std::string_view m = req.method;
  PathHead obj = SplitPathHead(rest);
  r.key = PercentDecode(obj.first, false);
  if (obj.has_rest) {
    PathHead sub = SplitPathHead(obj.rest);
    if (sub.first == "acl") return ResolveAcl(m, "objectAccessControls", !sub.rest.empty(), r);
    if (sub.first == "compose") return SetOp(r, "objects.compose", K::kWrite);
    if (sub.first == "copyTo") return SetOp(r, "objects.copy", K::kWrite);
    if (sub.first == "rewriteTo") return SetOp(r, "objects.rewrite", K::kWrite);
    if (sub.first == "restore") return SetOp(r, "objects.restore", K::kWrite);
    // An unescaped '/' inside the object name: keep the whole remainder as the name.
    r.key = PercentDecode(rest, false);
  }
  if (m == "GET") {
    bool media = download || req.query.Value("alt") == "media";
    return media ? SetOp(r, "objects.get", K::kRead) : SetOp(r, "objects.get", K::kHead);
  }
  if (m == "PATCH") return SetOp(r, "objects.patch", K::kConfig);
  if (m == "PUT") return SetOp(r, "objects.update", K::kConfig);
  if (m == "DELETE") return SetOp(r, "objects.delete", K::kDelete);
  SetOp(r, "Unknown", K::kOther);
}

void ResolveJson(const RequestView& req, ResourceRef& r) {
  std::string_view path = req.path;
  bool download = false;
  bool upload = false;
  if (path.starts_with("/download/")) {
    download = true;
    path.remove_prefix(std::string_view("/download").size());
  } else if (path.starts_with("/upload/")) {
    upload = true;
    path.remove_prefix(std::string_view("/upload").size());
  } else if (path.starts_with("/batch/")) {
    return SetOp(r, "batch", K::kOther);
  }
  // path: /storage/v1/<collection>/...
  path.remove_prefix(std::string_view("/storage/v1").size());
  PathHead coll = SplitPathHead(path);
  std::string_view m = req.method;
  if (coll.first == "projects") {
    PathHead project = SplitPathHead(coll.rest);
    PathHead what = SplitPathHead(project.rest);
    if (what.first == "serviceAccount") return SetOp(r, "projects.serviceAccount.get", K::kOther);
    if (what.first == "hmacKeys") {
      return SetOp(r, m == "GET" ? "projects.hmacKeys.list" : "projects.hmacKeys.create",
                   K::kConfig);
    }
    return SetOp(r, "Unknown", K::kOther);
  }
  if (coll.first != "b") return SetOp(r, "Unknown", K::kOther);
  if (!coll.has_rest || coll.rest.empty()) {
    if (m == "GET") return SetOp(r, "buckets.list", K::kListBuckets);
    if (m == "POST") return SetOp(r, "buckets.insert", K::kWrite);
    return SetOp(r, "Unknown", K::kOther);
  }
  PathHead bucket = SplitPathHead(coll.rest);
  r.bucket = PercentDecode(bucket.first, false);
  PathHead sub = SplitPathHead(bucket.rest);
  if (!bucket.has_rest || sub.first.empty()) {
    if (m == "GET") return SetOp(r, "buckets.get", K::kHead);
    if (m == "PATCH") return SetOp(r, "buckets.patch", K::kConfig);
    if (m == "PUT") return SetOp(r, "buckets.update", K::kConfig);
    if (m == "DELETE") return SetOp(r, "buckets.delete", K::kDelete);
    return SetOp(r, "Unknown", K::kOther);
  }
  if (sub.first == "o") {
    if (upload) {
      r.key = std::string(req.query.Value("name"));
      return SetOp(r, "objects.insert", K::kWrite);
    }
    if (!sub.has_rest || sub.rest.empty()) {
      if (m == "GET") return SetOp(r, "objects.list", K::kList);
      if (m == "POST") return SetOp(r, "objects.insert", K::kWrite);
      return SetOp(r, "Unknown", K::kOther);
    }
    if (sub.rest == "watch") return SetOp(r, "objects.watchAll", K::kOther);
    return ResolveJsonObject(req, sub.rest, download, r);
  }
  if (sub.first == "iam") {
    if (sub.rest == "testPermissions") return SetOp(r, "buckets.testIamPermissions", K::kConfig);
    return SetOp(r, m == "PUT" ? "buckets.setIamPolicy" : "buckets.getIamPolicy", K::kConfig);
  }
  if (sub.first == "acl") return ResolveAcl(m, "bucketAccessControls", !sub.rest.empty(), r);
  if (sub.first == "defaultObjectAcl") {
    return ResolveAcl(m, "defaultObjectAccessControls", !sub.rest.empty(), r);
  }
  if (sub.first == "notificationConfigs") {
    if (m == "GET") {
      return SetOp(r, sub.rest.empty() ? "notifications.list" : "notifications.get", K::kConfig);
    }
    if (m == "POST") return SetOp(r, "notifications.insert", K::kConfig);
    if (m == "DELETE") return SetOp(r, "notifications.delete", K::kConfig);
  }
  if (sub.first == "lockRetentionPolicy")
    return SetOp(r, "buckets.lockRetentionPolicy", K::kConfig);
  SetOp(r, "Unknown", K::kOther);
}

// XML API: S3-like paths, operations given their JSON API names.
void ResolveXml(const RequestView& req, const GcsHost& host, ResourceRef& r) {
  std::string_view key_raw;
  if (!host.bucket.empty()) {
    r.bucket = host.bucket;
    key_raw = req.path.empty() ? req.path : req.path.substr(1);
  } else {
    PathHead h = SplitPathHead(req.path);
    r.bucket = PercentDecode(h.first, false);
    key_raw = h.rest;
  }
  r.key = PercentDecode(key_raw, false);
  const QueryParams& q = req.query;
  std::string_view m = req.method;
  if (r.bucket.empty()) {
    return m == "GET" ? SetOp(r, "buckets.list", K::kListBuckets) : SetOp(r, "Unknown", K::kOther);
  }
  if (r.key.empty()) {
    if (q.Has("acl")) {
      return m == "PUT" ? SetOp(r, "bucketAccessControls.update", K::kConfig)
                        : SetOp(r, "bucketAccessControls.list", K::kConfig);
    }
    if (q.Has("uploads") && m == "GET") return SetOp(r, "multipartUploads.list", K::kList);
    for (std::string_view sub :
         {"cors", "lifecycle", "logging", "storageClass", "versioning", "website", "billing",
          "encryptionConfig", "location", "retentionPolicy", "tagging"}) {
      if (q.Has(sub)) {
        return m == "GET" ? SetOp(r, "buckets.get", K::kConfig)
                          : SetOp(r, "buckets.patch", K::kConfig);
      }
    }
    if (m == "GET") return SetOp(r, "objects.list", K::kList);
    if (m == "HEAD") return SetOp(r, "buckets.get", K::kHead);
    if (m == "PUT") return SetOp(r, "buckets.insert", K::kWrite);
    if (m == "DELETE") return SetOp(r, "buckets.delete", K::kDelete);
    if (m == "POST") return SetOp(r, "objects.insert", K::kWrite);  // HTML form upload
    return SetOp(r, "Unknown", K::kOther);
  }
  if (q.Has("acl")) {
    return m == "PUT" ? SetOp(r, "objectAccessControls.update", K::kConfig)
                      : SetOp(r, "objectAccessControls.list", K::kConfig);
  }
  if (m == "GET") {
    if (q.Has("uploadId")) return SetOp(r, "multipartUploads.listParts", K::kList);
    return SetOp(r, "objects.get", K::kRead);
  }
  if (m == "HEAD") return SetOp(r, "objects.get", K::kHead);
  if (m == "PUT") {
    if (q.Has("uploadId") && q.Has("partNumber")) {
      return SetOp(r, "multipartUploads.uploadPart", K::kWrite);
    }
    if (HasHeaderValue(req.headers, "x-goog-copy-source"))
      return SetOp(r, "objects.copy", K::kWrite);
    return SetOp(r, "objects.insert", K::kWrite);
  }
  if (m == "POST") {
    if (q.Has("uploads")) return SetOp(r, "multipartUploads.create", K::kWrite);
    if (q.Has("uploadId")) return SetOp(r, "multipartUploads.complete", K::kWrite);
    return SetOp(r, "objects.insert", K::kWrite);  // resumable upload session start
  }
  if (m == "DELETE") {
    if (q.Has("uploadId")) return SetOp(r, "multipartUploads.abort", K::kDelete);
    return SetOp(r, "objects.delete", K::kDelete);
  }
  SetOp(r, "Unknown", K::kOther);
}

}  // namespace

bool IsGcsJsonApiPath(std::string_view path) {
  return path.starts_with("/storage/v1/") || path == "/storage/v1" ||
         path.starts_with("/download/storage/v1/") || path.starts_with("/upload/storage/v1/") ||
         path.starts_with("/batch/storage/v1");
}

bool ParseGcsHost(std::string_view host, std::string_view path, GcsHost& out) {
  out = GcsHost{};
  if (host == "storage.googleapis.com" || host == "storage.cloud.google.com" ||
      host == "commondatastorage.googleapis.com" || host == "storage.mtls.googleapis.com") {
    return true;
  }
  if (host == "www.googleapis.com" || host == "content-storage.googleapis.com") {
    return IsGcsJsonApiPath(path);
  }
  for (std::string_view suffix : {".storage.googleapis.com", ".commondatastorage.googleapis.com"}) {
    if (host.ends_with(suffix) && host.size() > suffix.size()) {
      out.bucket = std::string(host.substr(0, host.size() - suffix.size()));
      return true;
    }
  }
  // Regional endpoints: storage.<region>.rep.googleapis.com
  if (host.starts_with("storage.") && host.ends_with(".rep.googleapis.com")) return true;
  return false;
}

ResourceRef ResolveGcs(const RequestView& req, const GcsHost& host) {
  ResourceRef r;
  if (IsGcsJsonApiPath(req.path)) {
    ResolveJson(req, r);
  } else {
    ResolveXml(req, host, r);
  }
  return r;
}

}  // namespace bw::storage
