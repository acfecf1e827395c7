#include "dissectors/storage/gcs.h"

#include "dissectors/storage/bucket_key.h"
#include "dissectors/storage/text.h"

namespace bw::storage {
namespace {

using K = OperationKind;
using Op = Operation;

// Access control sub-collections: acl (bucket or object) and defaultObjectAcl, each with the
// same six methods.
struct AclOps {
  Op list, get, insert, update, patch, del;
};
constexpr AclOps kObjectAcl = {
    Op::kGcsObjectAccessControlsList,   Op::kGcsObjectAccessControlsGet,
    Op::kGcsObjectAccessControlsInsert, Op::kGcsObjectAccessControlsUpdate,
    Op::kGcsObjectAccessControlsPatch,  Op::kGcsObjectAccessControlsDelete};
constexpr AclOps kBucketAcl = {
    Op::kGcsBucketAccessControlsList,   Op::kGcsBucketAccessControlsGet,
    Op::kGcsBucketAccessControlsInsert, Op::kGcsBucketAccessControlsUpdate,
    Op::kGcsBucketAccessControlsPatch,  Op::kGcsBucketAccessControlsDelete};
constexpr AclOps kDefaultObjectAcl = {
    Op::kGcsDefaultObjectAccessControlsList,   Op::kGcsDefaultObjectAccessControlsGet,
    Op::kGcsDefaultObjectAccessControlsInsert, Op::kGcsDefaultObjectAccessControlsUpdate,
    Op::kGcsDefaultObjectAccessControlsPatch,  Op::kGcsDefaultObjectAccessControlsDelete};

void ResolveAcl(std::string_view method, const AclOps& ops, bool has_entity, ResourceRef& r) {
  if (method == "GET") return SetOp(r, has_entity ? ops.get : ops.list);
  if (method == "POST") return SetOp(r, ops.insert);
  if (method == "PUT") return SetOp(r, ops.update);
  if (method == "PATCH") return SetOp(r, ops.patch);
  if (method == "DELETE") return SetOp(r, ops.del);
  SetOp(r, Op::kUnknown);
}

// Segments after /b/<bucket>/o/: "<object>", "<object>/acl[/<entity>]", "<object>/compose",
// "<src>/copyTo/b/<bucket>/o/<dst>", "<src>/rewriteTo/...".
void ResolveJsonObject(const RequestView& req, std::string_view rest, bool download,
                       ResourceRef& r) {
  std::string_view m = req.method;
  PathHead obj = SplitPathHead(rest);
  PercentDecodeTo(obj.first, false, r.key);
  if (obj.has_rest) {
    PathHead sub = SplitPathHead(obj.rest);
    if (sub.first == "acl") return ResolveAcl(m, kObjectAcl, !sub.rest.empty(), r);
    if (sub.first == "compose") return SetOp(r, Op::kGcsObjectsCompose);
    if (sub.first == "copyTo") return SetOp(r, Op::kGcsObjectsCopy);
    if (sub.first == "rewriteTo") return SetOp(r, Op::kGcsObjectsRewrite);
    if (sub.first == "restore") return SetOp(r, Op::kGcsObjectsRestore);
    // An unescaped '/' inside the object name: keep the whole remainder as the name.
    PercentDecodeTo(rest, false, r.key);
  }
  if (m == "GET") {
    bool media = download || req.query.Value("alt") == "media";
    return media ? SetOp(r, Op::kGcsObjectsGet) : SetOp(r, Op::kGcsObjectsGet, K::kHead);
  }
  if (m == "PATCH") return SetOp(r, Op::kGcsObjectsPatch);
  if (m == "PUT") return SetOp(r, Op::kGcsObjectsUpdate);
  if (m == "DELETE") return SetOp(r, Op::kGcsObjectsDelete);
  SetOp(r, Op::kUnknown);
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
    return SetOp(r, Op::kGcsBatch);
  }
  // path: /storage/v1/<collection>/...
  path.remove_prefix(std::string_view("/storage/v1").size());
  PathHead coll = SplitPathHead(path);
  std::string_view m = req.method;
  if (coll.first == "projects") {
    PathHead project = SplitPathHead(coll.rest);
    PathHead what = SplitPathHead(project.rest);
    if (what.first == "serviceAccount") return SetOp(r, Op::kGcsProjectsServiceAccountGet);
    if (what.first == "hmacKeys") {
      return SetOp(r, m == "GET" ? Op::kGcsProjectsHmacKeysList : Op::kGcsProjectsHmacKeysCreate);
    }
    return SetOp(r, Op::kUnknown);
  }
  if (coll.first != "b") return SetOp(r, Op::kUnknown);
  if (!coll.has_rest || coll.rest.empty()) {
    if (m == "GET") return SetOp(r, Op::kGcsBucketsList);
    if (m == "POST") return SetOp(r, Op::kGcsBucketsInsert);
    return SetOp(r, Op::kUnknown);
  }
  PathHead bucket = SplitPathHead(coll.rest);
  PercentDecodeTo(bucket.first, false, r.bucket);
  PathHead sub = SplitPathHead(bucket.rest);
  if (!bucket.has_rest || sub.first.empty()) {
    if (m == "GET") return SetOp(r, Op::kGcsBucketsGet);
    if (m == "PATCH") return SetOp(r, Op::kGcsBucketsPatch);
    if (m == "PUT") return SetOp(r, Op::kGcsBucketsUpdate);
    if (m == "DELETE") return SetOp(r, Op::kGcsBucketsDelete);
    return SetOp(r, Op::kUnknown);
  }
  if (sub.first == "o") {
    if (upload) {
      r.key.assign(req.query.Value("name"));
      return SetOp(r, Op::kGcsObjectsInsert);
    }
    if (!sub.has_rest || sub.rest.empty()) {
      if (m == "GET") return SetOp(r, Op::kGcsObjectsList);
      if (m == "POST") return SetOp(r, Op::kGcsObjectsInsert);
      return SetOp(r, Op::kUnknown);
    }
    if (sub.rest == "watch") return SetOp(r, Op::kGcsObjectsWatchAll);
    return ResolveJsonObject(req, sub.rest, download, r);
  }
  if (sub.first == "iam") {
    if (sub.rest == "testPermissions") return SetOp(r, Op::kGcsBucketsTestIamPermissions);
    return SetOp(r, m == "PUT" ? Op::kGcsBucketsSetIamPolicy : Op::kGcsBucketsGetIamPolicy);
  }
  if (sub.first == "acl") return ResolveAcl(m, kBucketAcl, !sub.rest.empty(), r);
  if (sub.first == "defaultObjectAcl") {
    return ResolveAcl(m, kDefaultObjectAcl, !sub.rest.empty(), r);
  }
  if (sub.first == "notificationConfigs") {
    if (m == "GET") {
      return SetOp(r, sub.rest.empty() ? Op::kGcsNotificationsList : Op::kGcsNotificationsGet);
    }
    if (m == "POST") return SetOp(r, Op::kGcsNotificationsInsert);
    if (m == "DELETE") return SetOp(r, Op::kGcsNotificationsDelete);
  }
  if (sub.first == "lockRetentionPolicy") return SetOp(r, Op::kGcsBucketsLockRetentionPolicy);
  SetOp(r, Op::kUnknown);
}

// XML API: S3-like paths, operations given their JSON API names.
void ResolveXml(const RequestView& req, const GcsHost& host, ResourceRef& r) {
  SplitBucketKey(req.path, host.bucket, r.bucket, r.key);
  const QueryParams& q = req.query;
  std::string_view m = req.method;
  if (r.bucket.empty()) {
    return m == "GET" ? SetOp(r, Op::kGcsBucketsList) : SetOp(r, Op::kUnknown);
  }
  if (r.key.empty()) {
    if (q.Has("acl")) {
      return m == "PUT" ? SetOp(r, Op::kGcsBucketAccessControlsUpdate)
                        : SetOp(r, Op::kGcsBucketAccessControlsList);
    }
    if (q.Has("uploads") && m == "GET") return SetOp(r, Op::kGcsMultipartUploadsList);
    for (std::string_view sub :
         {"cors", "lifecycle", "logging", "storageClass", "versioning", "website", "billing",
          "encryptionConfig", "location", "retentionPolicy", "tagging"}) {
      if (q.Has(sub)) {
        return m == "GET" ? SetOp(r, Op::kGcsBucketsGet, K::kConfig)
                          : SetOp(r, Op::kGcsBucketsPatch);
      }
    }
    if (m == "GET") return SetOp(r, Op::kGcsObjectsList);
    if (m == "HEAD") return SetOp(r, Op::kGcsBucketsGet);
    if (m == "PUT") return SetOp(r, Op::kGcsBucketsInsert);
    if (m == "DELETE") return SetOp(r, Op::kGcsBucketsDelete);
    if (m == "POST") return SetOp(r, Op::kGcsObjectsInsert);  // HTML form upload
    return SetOp(r, Op::kUnknown);
  }
  if (q.Has("acl")) {
    return m == "PUT" ? SetOp(r, Op::kGcsObjectAccessControlsUpdate)
                      : SetOp(r, Op::kGcsObjectAccessControlsList);
  }
  if (m == "GET") {
    if (q.Has("uploadId")) return SetOp(r, Op::kGcsMultipartUploadsListParts);
    return SetOp(r, Op::kGcsObjectsGet);
  }
  if (m == "HEAD") return SetOp(r, Op::kGcsObjectsGet, K::kHead);
  if (m == "PUT") {
    if (q.Has("uploadId") && q.Has("partNumber")) {
      return SetOp(r, Op::kGcsMultipartUploadsUploadPart);
    }
    if (HasHeaderValue(req.headers, "x-goog-copy-source")) return SetOp(r, Op::kGcsObjectsCopy);
    return SetOp(r, Op::kGcsObjectsInsert);
  }
  if (m == "POST") {
    if (q.Has("uploads")) return SetOp(r, Op::kGcsMultipartUploadsCreate);
    if (q.Has("uploadId")) return SetOp(r, Op::kGcsMultipartUploadsComplete);
    return SetOp(r, Op::kGcsObjectsInsert);  // resumable upload session start
  }
  if (m == "DELETE") {
    if (q.Has("uploadId")) return SetOp(r, Op::kGcsMultipartUploadsAbort);
    return SetOp(r, Op::kGcsObjectsDelete);
  }
  SetOp(r, Op::kUnknown);
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
      out.bucket.assign(host.substr(0, host.size() - suffix.size()));
      return true;
    }
  }
  // Regional endpoints: storage.<region>.rep.googleapis.com
  if (host.starts_with("storage.") && host.ends_with(".rep.googleapis.com")) return true;
  return false;
}

ResourceRef ResolveGcs(const RequestView& req, const GcsHost& host) {
  ResourceRef r;
  ResolveGcs(req, host, r);
  return r;
}

void ResolveGcs(const RequestView& req, const GcsHost& host, ResourceRef& r) {
  Reset(r);
  if (IsGcsJsonApiPath(req.path)) {
    ResolveJson(req, r);
  } else {
    ResolveXml(req, host, r);
  }
}

}  // namespace bw::storage
