#include "dissectors/storage/s3.h"

#include <array>
#include <vector>

#include "dissectors/storage/bucket_key.h"
#include "dissectors/storage/text.h"

namespace bw::storage {
namespace {

using Op = Operation;

constexpr size_t kMaxLabels = 64;

struct Labels {
  std::array<std::string_view, kMaxLabels> items{};
  int count = 0;
  bool overflow = false;
};

Labels SplitLabels(std::string_view s) {
  Labels out;
  size_t pos = 0;
  while (true) {
    size_t dot = s.find('.', pos);
    std::string_view label = s.substr(pos, dot == std::string_view::npos ? s.npos : dot - pos);
    if (out.count == static_cast<int>(kMaxLabels)) {
      out.overflow = true;
      return out;
    }
    out.items[out.count++] = label;
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return out;
}

void JoinLabelsTo(const Labels& l, int begin, int end, std::string& out) {
  out.clear();
  for (int i = begin; i < end; ++i) {
    if (i > begin) out.push_back('.');
    out.append(l.items[i]);
  }
}

// "<name>-<12-digit account>" of access point and Object Lambda hosts.
void SplitAccessPointLabel(std::string_view label, S3Host& out) {
  size_t dash = label.rfind('-');
  if (dash != std::string_view::npos && label.size() - dash - 1 == 12) {
    bool digits = true;
    for (char c : label.substr(dash + 1)) digits = digits && IsAsciiDigit(c);
    if (digits && dash > 0) {
      out.bucket.assign(label.substr(0, dash));
      out.account.assign(label.substr(dash + 1));
      return;
    }
  }
  out.bucket.assign(label);
}

bool ParsePrivateLink(const Labels& l, S3Host& out) {
  // [bucket.|accesspoint.|control.]vpce-<id>.s3.<region>.vpce
  int i = l.count - 1;
  if (i < 3 || l.items[i] != "vpce") return false;
  if (!IsAwsRegion(l.items[i - 1]) || l.items[i - 2] != "s3") return false;
  if (!l.items[i - 3].starts_with("vpce-")) return false;
  out.region.assign(l.items[i - 1]);
  int j = i - 4;
  if (j < 0) return true;
  if (l.items[j] == "bucket") {
    JoinLabelsTo(l, 0, j, out.bucket);
  } else if (l.items[j] == "accesspoint") {
    out.kind = S3EndpointKind::kAccessPoint;
  } else if (l.items[j] == "control") {
    out.kind = S3EndpointKind::kControl;
  } else {
    return false;
  }
  return true;
}

struct Subresource {
  std::string_view key;
  Op get;  // kUnknown when the method has no operation for it
  Op put;
  Op del;
  Op list;  // GET without an "id": the List variant (analytics, metrics, ...)
};

// Bucket subresources, most specific first, with the S3 API reference operation of each method.
constexpr std::array<Subresource, 26> kBucketSubresources = {{
    {"versions", Op::kListObjectVersions, Op::kUnknown, Op::kUnknown, Op::kUnknown},
    {"uploads", Op::kListMultipartUploads, Op::kUnknown, Op::kUnknown, Op::kUnknown},
    {"acl", Op::kGetBucketAcl, Op::kPutBucketAcl, Op::kUnknown, Op::kUnknown},
    {"policyStatus", Op::kGetBucketPolicyStatus, Op::kUnknown, Op::kUnknown, Op::kUnknown},
    {"policy", Op::kGetBucketPolicy, Op::kPutBucketPolicy, Op::kDeleteBucketPolicy, Op::kUnknown},
    {"location", Op::kGetBucketLocation, Op::kUnknown, Op::kUnknown, Op::kUnknown},
    {"website", Op::kGetBucketWebsite, Op::kPutBucketWebsite, Op::kDeleteBucketWebsite,
     Op::kUnknown},
    {"cors", Op::kGetBucketCors, Op::kPutBucketCors, Op::kDeleteBucketCors, Op::kUnknown},
    {"lifecycle", Op::kGetBucketLifecycleConfiguration, Op::kPutBucketLifecycleConfiguration,
     Op::kDeleteBucketLifecycle, Op::kUnknown},
    {"tagging", Op::kGetBucketTagging, Op::kPutBucketTagging, Op::kDeleteBucketTagging,
     Op::kUnknown},
    {"versioning", Op::kGetBucketVersioning, Op::kPutBucketVersioning, Op::kUnknown, Op::kUnknown},
    {"encryption", Op::kGetBucketEncryption, Op::kPutBucketEncryption, Op::kDeleteBucketEncryption,
     Op::kUnknown},
    {"logging", Op::kGetBucketLogging, Op::kPutBucketLogging, Op::kUnknown, Op::kUnknown},
    {"notification", Op::kGetBucketNotificationConfiguration,
     Op::kPutBucketNotificationConfiguration, Op::kUnknown, Op::kUnknown},
    {"replication", Op::kGetBucketReplication, Op::kPutBucketReplication,
     Op::kDeleteBucketReplication, Op::kUnknown},
    {"requestPayment", Op::kGetBucketRequestPayment, Op::kPutBucketRequestPayment, Op::kUnknown,
     Op::kUnknown},
    {"accelerate", Op::kGetBucketAccelerateConfiguration, Op::kPutBucketAccelerateConfiguration,
     Op::kUnknown, Op::kUnknown},
    {"ownershipControls", Op::kGetBucketOwnershipControls, Op::kPutBucketOwnershipControls,
     Op::kDeleteBucketOwnershipControls, Op::kUnknown},
    {"publicAccessBlock", Op::kGetPublicAccessBlock, Op::kPutPublicAccessBlock,
     Op::kDeletePublicAccessBlock, Op::kUnknown},
    {"object-lock", Op::kGetObjectLockConfiguration, Op::kPutObjectLockConfiguration, Op::kUnknown,
     Op::kUnknown},
    {"analytics", Op::kGetBucketAnalyticsConfiguration, Op::kPutBucketAnalyticsConfiguration,
     Op::kDeleteBucketAnalyticsConfiguration, Op::kListBucketAnalyticsConfigurations},
    {"metrics", Op::kGetBucketMetricsConfiguration, Op::kPutBucketMetricsConfiguration,
     Op::kDeleteBucketMetricsConfiguration, Op::kListBucketMetricsConfigurations},
    {"inventory", Op::kGetBucketInventoryConfiguration, Op::kPutBucketInventoryConfiguration,
     Op::kDeleteBucketInventoryConfiguration, Op::kListBucketInventoryConfigurations},
    {"intelligent-tiering", Op::kGetBucketIntelligentTieringConfiguration,
     Op::kPutBucketIntelligentTieringConfiguration,
     Op::kDeleteBucketIntelligentTieringConfiguration,
     Op::kListBucketIntelligentTieringConfigurations},
    {"metadataTable", Op::kGetBucketMetadataTableConfiguration, Op::kUnknown, Op::kUnknown,
     Op::kUnknown},
    {"session", Op::kCreateSession, Op::kUnknown, Op::kUnknown, Op::kUnknown},
}};

constexpr std::array<std::string_view, 12> kObjectOnlySubresources = {
    "uploadId", "partNumber", "retention", "legal-hold", "attributes",   "torrent",
    "restore",  "select",     "delete",    "list-type",  "renameObject", "x-id"};

void ResolveService(const RequestView& req, ResourceRef& r) {
  if (req.method == "GET") {
    bool directory = req.query.Value("x-id") == "ListDirectoryBuckets";
    SetOp(r, directory ? Op::kListDirectoryBuckets : Op::kListBuckets);
  } else {
    SetOp(r, Op::kUnknown);
  }
}

void ResolveBucket(const RequestView& req, ResourceRef& r) {
  const QueryParams& q = req.query;
  std::string_view m = req.method;
  if (m == "GET" && q.Value("list-type") == "2") return SetOp(r, Op::kListObjectsV2);
  if (m == "POST" && q.Has("delete")) return SetOp(r, Op::kDeleteObjects);
  for (const Subresource& s : kBucketSubresources) {
    if (!q.Has(s.key)) continue;
    if (m == "GET") {
      if (s.list != Op::kUnknown && !q.Has("id")) return SetOp(r, s.list);
      if (s.get != Op::kUnknown) return SetOp(r, s.get);
    } else if (m == "PUT" && s.put != Op::kUnknown) {
      return SetOp(r, s.put);
    } else if (m == "DELETE" && s.del != Op::kUnknown) {
      return SetOp(r, s.del);
    }
  }
  if (m == "GET") return SetOp(r, Op::kListObjects);
  if (m == "HEAD") return SetOp(r, Op::kHeadBucket);
  if (m == "PUT") return SetOp(r, Op::kCreateBucket);
  if (m == "DELETE") return SetOp(r, Op::kDeleteBucket);
  // A browser-based upload (HTML form POST) names the key in the form body.
  if (m == "POST") return SetOp(r, Op::kPostObject);
  SetOp(r, Op::kUnknown);
}

void ResolveObject(const RequestView& req, ResourceRef& r) {
  const QueryParams& q = req.query;
  std::string_view m = req.method;
  bool copy = HasHeaderValue(req.headers, "x-amz-copy-source");
  if (m == "GET") {
    if (q.Has("uploadId")) return SetOp(r, Op::kListParts);
    if (q.Has("acl")) return SetOp(r, Op::kGetObjectAcl);
    if (q.Has("tagging")) return SetOp(r, Op::kGetObjectTagging);
    if (q.Has("retention")) return SetOp(r, Op::kGetObjectRetention);
    if (q.Has("legal-hold")) return SetOp(r, Op::kGetObjectLegalHold);
    if (q.Has("attributes")) return SetOp(r, Op::kGetObjectAttributes);
    if (q.Has("torrent")) return SetOp(r, Op::kGetObjectTorrent);
    return SetOp(r, Op::kGetObject);
  }
  if (m == "HEAD") return SetOp(r, Op::kHeadObject);
  if (m == "PUT") {
    if (q.Has("partNumber") && q.Has("uploadId")) {
      return SetOp(r, copy ? Op::kUploadPartCopy : Op::kUploadPart);
    }
    if (q.Has("acl")) return SetOp(r, Op::kPutObjectAcl);
    if (q.Has("tagging")) return SetOp(r, Op::kPutObjectTagging);
    if (q.Has("retention")) return SetOp(r, Op::kPutObjectRetention);
    if (q.Has("legal-hold")) return SetOp(r, Op::kPutObjectLegalHold);
    if (q.Has("renameObject")) return SetOp(r, Op::kRenameObject);
    return SetOp(r, copy ? Op::kCopyObject : Op::kPutObject);
  }
  if (m == "POST") {
    if (q.Has("uploads")) return SetOp(r, Op::kCreateMultipartUpload);
    if (q.Has("uploadId")) return SetOp(r, Op::kCompleteMultipartUpload);
    if (q.Has("restore")) return SetOp(r, Op::kRestoreObject);
    if (q.Has("select")) return SetOp(r, Op::kSelectObjectContent);
    return SetOp(r, Op::kPostObject);
  }
  if (m == "DELETE") {
    if (q.Has("uploadId")) return SetOp(r, Op::kAbortMultipartUpload);
    if (q.Has("tagging")) return SetOp(r, Op::kDeleteObjectTagging);
    return SetOp(r, Op::kDeleteObject);
  }
  SetOp(r, Op::kUnknown);
}

// S3 Control API: /v20180820/<resource>..., addressed to <account>.s3-control.<region>.
void ResolveControl(const RequestView& req, ResourceRef& r) {
  PathHead version = SplitPathHead(req.path);
  PathHead resource = SplitPathHead(version.rest);
  std::string_view m = req.method;
  std::string_view res = resource.first;
  if (res == "accesspoint") {
    if (!resource.has_rest || resource.rest.empty()) {
      return SetOp(r, m == "GET" ? Op::kListAccessPoints : Op::kUnknown);
    }
    PathHead name = SplitPathHead(resource.rest);
    PercentDecodeTo(name.first, false, r.bucket);
    if (m == "GET") {
      return SetOp(r, name.rest == "policy" ? Op::kGetAccessPointPolicy : Op::kGetAccessPoint);
    }
    if (m == "PUT") {
      return SetOp(r, name.rest == "policy" ? Op::kPutAccessPointPolicy : Op::kCreateAccessPoint);
    }
    if (m == "DELETE") return SetOp(r, Op::kDeleteAccessPoint);
  } else if (res == "configuration" && resource.rest == "publicAccessBlock") {
    if (m == "GET") return SetOp(r, Op::kGetPublicAccessBlock);
    if (m == "PUT") return SetOp(r, Op::kPutPublicAccessBlock);
    if (m == "DELETE") return SetOp(r, Op::kDeletePublicAccessBlock);
  } else if (res == "jobs") {
    return SetOp(r, m == "GET" ? Op::kListJobs : Op::kCreateJob);
  } else if (res == "bucket" && m == "GET" && !resource.has_rest) {
    return SetOp(r, Op::kListRegionalBuckets);
  }
  SetOp(r, Op::kUnknown);
}

}  // namespace

bool IsAwsRegion(std::string_view label) {
  // <2 letters>(-<letters>)+-<digits>
  size_t first = label.find('-');
  size_t last = label.rfind('-');
  if (first != 2 || last == first || last + 1 >= label.size()) return false;
  for (size_t i = 0; i < label.size(); ++i) {
    char c = label[i];
    if (i > last) {
      if (!IsAsciiDigit(c)) return false;
    } else if (c == '-') {
      if (i + 1 < label.size() && label[i + 1] == '-') return false;
    } else if (c < 'a' || c > 'z') {
      return false;
    }
  }
  return true;
}

bool ParseS3Host(std::string_view host, S3Host& out) {
  out = S3Host{};
  std::string_view rest;
  if (host.ends_with(".amazonaws.com")) {
    rest = host.substr(0, host.size() - std::string_view(".amazonaws.com").size());
  } else if (host.ends_with(".amazonaws.com.cn")) {
    rest = host.substr(0, host.size() - std::string_view(".amazonaws.com.cn").size());
  } else {
    return false;
  }
  if (rest.empty()) return false;
  Labels l = SplitLabels(rest);
  if (l.overflow) return false;
  if (ParsePrivateLink(l, out)) return true;
  out = S3Host{};

  int i = l.count - 1;
  if (IsAwsRegion(l.items[i])) {
    out.region.assign(l.items[i]);
    --i;
  }
  if (i >= 0 && l.items[i] == "dualstack") {
    out.dualstack = true;
    --i;
  }
  if (i < 0) return false;
  std::string_view svc = l.items[i];
  bool dotted_region = !out.region.empty();
  if (svc == "s3") {
    out.kind = S3EndpointKind::kApi;
  } else if (svc == "s3-fips") {
    out.fips = true;
  } else if (svc == "s3-external-1") {
    out.region = "us-east-1";
  } else if (svc == "s3-website") {
    if (!dotted_region) return false;
    out.kind = S3EndpointKind::kWebsite;
  } else if (svc.starts_with("s3-website-") && IsAwsRegion(svc.substr(11)) && !dotted_region) {
    out.kind = S3EndpointKind::kWebsite;
    out.region.assign(svc.substr(11));
  } else if (svc == "s3-accesspoint" || svc == "s3-accesspoint-fips") {
    out.kind = S3EndpointKind::kAccessPoint;
    out.fips = svc.ends_with("-fips");
  } else if (svc == "s3-object-lambda" || svc == "s3-object-lambda-fips") {
    out.kind = S3EndpointKind::kObjectLambda;
    out.fips = svc.ends_with("-fips");
  } else if (svc == "s3-control" || svc == "s3-control-fips") {
    out.kind = S3EndpointKind::kControl;
    out.fips = svc.ends_with("-fips");
  } else if (svc == "s3-global") {
    if (i < 1 || l.items[i - 1] != "accesspoint") return false;
    out.kind = S3EndpointKind::kMultiRegionAccessPoint;
    JoinLabelsTo(l, 0, i - 1, out.bucket);
    return !out.bucket.empty();
  } else if (svc.starts_with("s3express-")) {
    out.kind = S3EndpointKind::kApi;  // S3 Express One Zone directory buckets
  } else if (svc.starts_with("s3-") && IsAwsRegion(svc.substr(3)) && !dotted_region) {
    out.region.assign(svc.substr(3));  // legacy s3-<region>
  } else if (svc.starts_with("s3-fips-") && IsAwsRegion(svc.substr(8)) && !dotted_region) {
    out.fips = true;
    out.region.assign(svc.substr(8));
  } else {
    return false;
  }
  switch (out.kind) {
    case S3EndpointKind::kApi:
    case S3EndpointKind::kWebsite:
      JoinLabelsTo(l, 0, i, out.bucket);
      break;
    case S3EndpointKind::kAccessPoint:
    case S3EndpointKind::kObjectLambda:
      if (i == 1) {
        SplitAccessPointLabel(l.items[0], out);
      } else {
        JoinLabelsTo(l, 0, i, out.bucket);
      }
      break;
    case S3EndpointKind::kControl:
      JoinLabelsTo(l, 0, i, out.account);
      break;
    case S3EndpointKind::kMultiRegionAccessPoint:
      break;
  }
  return true;
}

bool IsS3Subresource(std::string_view key) {
  for (const Subresource& s : kBucketSubresources) {
    if (s.key == key) return true;
  }
  for (std::string_view k : kObjectOnlySubresources) {
    if (k == key) return true;
  }
  return false;
}

ResourceRef ResolveS3(const RequestView& req, const S3Host& host) {
  ResourceRef r;
  ResolveS3(req, host, r);
  return r;
}

void ResolveS3(const RequestView& req, const S3Host& host, ResourceRef& r) {
  Reset(r);
  r.account.assign(host.account);
  if (host.kind == S3EndpointKind::kControl) {
    ResolveControl(req, r);
    return;
  }
  SplitBucketKey(req.path, host.bucket, r.bucket, r.key);

  if (host.kind == S3EndpointKind::kWebsite) {
    // Website endpoints serve objects (and index/error documents) to anyone; only GET and
    // HEAD exist there.
    if (req.method == "GET") {
      SetOp(r, Op::kGetObject);
    } else if (req.method == "HEAD") {
      SetOp(r, Op::kHeadObject);
    } else {
      SetOp(r, Op::kUnknown);
    }
    return;
  }
  if (r.bucket.empty()) {
    ResolveService(req, r);
  } else if (r.key.empty()) {
    ResolveBucket(req, r);
  } else {
    ResolveObject(req, r);
  }
  return;
}

}  // namespace bw::storage
