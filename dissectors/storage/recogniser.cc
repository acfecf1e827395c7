#include "dissectors/storage/recogniser.h"

#include <algorithm>
#include <array>
#include <utility>

#include "dissectors/storage/auth.h"
#include "dissectors/storage/azure.h"
#include "dissectors/storage/gcs.h"
#include "dissectors/storage/request_view.h"
#include "dissectors/storage/s3.h"
#include "dissectors/storage/text.h"

namespace bw::storage {
namespace {

constexpr size_t kMaxErrorCodeBytes = ListingScanner::kMaxErrorCodeBytes;

// Codes meaning "the credential (or its absence) was refused", whatever the HTTP status: Azure
// answers 409 PublicAccessNotPermitted to anonymous reads of a private account.
constexpr std::array<std::string_view, 17> kDeniedCodes = {
    "AccessDenied",
    "AuthenticationFailed",
    "AuthorizationFailure",
    "PublicAccessNotPermitted",
    "NoAuthenticationInformation",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AuthorizationPermissionMismatch",
    "InsufficientAccountPermissions",
    "AccountIsDisabled",
    "ExpiredToken",
    "InvalidToken",
    "AuthorizationSourceIPMismatch",
    "AuthorizationProtocolMismatch",
    "forbidden",
    "authError",
};

constexpr std::array<std::string_view, 12> kNotFoundCodes = {
    "NoSuchBucket",       "NoSuchKey",     "ContainerNotFound", "BlobNotFound",
    "ResourceNotFound",   "NoSuchVersion", "NoSuchUpload",      "PathNotFound",
    "FilesystemNotFound", "notFound",      "AccountNotFound",   "ShareNotFound",
};

// Operations that may answer 200 with an <Error> document (the error arrives after the head).
bool MayFailWith200(Operation op) {
  return op == Operation::kCopyObject || op == Operation::kUploadPartCopy ||
         op == Operation::kCompleteMultipartUpload;
}

// Classifies the transaction into s: the provider and how it was recognised, the resource, the
// credential, the addressed host, and views of the target's path and query. False when the
// transaction is not storage traffic.
bool Classify(const http::HttpTransaction& tx, const ListingSummary* doc,
              const RecogniserConfig& cfg, const ServerHint& hint, RecogniserScratch& c) {
  const http::HttpRequest& req = tx.request;
  // Tunnels and CORS preflights address no object and present no credential.
  if (req.method.empty() || req.method == "CONNECT" || req.method == "OPTIONS") return false;
  RequestTarget target = SplitRequestTarget(req.target);
  if (!target.ok) return false;

  c.provider = Provider::kS3;
  c.by = RecognisedBy::kName;
  c.path = target.path;
  c.query = target.query;
  ParseHostPort(req.host, c.hp);
  c.params.Parse(target.query);
  const QueryParams& q = c.params;
  ClassifyCredential(req.Find("Authorization"), q, c.cred);
  RequestView view{req.method, target.path, q, req.headers};
  const std::string& host = c.hp.host;

  c.vhost_prefix.clear();
  if (const EndpointRule* rule = MatchEndpoint(cfg.endpoints, c.hp, &c.vhost_prefix)) {
    c.provider = rule->provider;
    c.by = RecognisedBy::kEndpointRule;
    switch (rule->provider) {
      case Provider::kAzureBlob:
        c.azure = AzureHost{};
        c.azure.account.assign(c.vhost_prefix);
        ResolveAzure(view, c.azure, c.ref);
        break;
      case Provider::kGcs:
        c.gcs = GcsHost{};
        c.gcs.bucket.assign(c.vhost_prefix);
        ResolveGcs(view, c.gcs, c.ref);
        break;
      case Provider::kS3:
      case Provider::kS3Compatible:
        c.s3 = S3Host{};
        c.s3.bucket.assign(c.vhost_prefix);
        ResolveS3(view, c.s3, c.ref);
        break;
    }
    return true;
  }

  S3Host& s3 = c.s3;
  AzureHost& azure = c.azure;
  GcsHost& gcs = c.gcs;
  if (ParseS3Host(host, s3)) {
    c.provider = Provider::kS3;
    ResolveS3(view, s3, c.ref);
    return true;
  }
  if (ParseAzureHost(host, azure)) {
    c.provider = Provider::kAzureBlob;
    ResolveAzure(view, azure, c.ref);
    return true;
  }
  if (ParseGcsHost(host, target.path, gcs)) {
    c.provider = Provider::kGcs;
    ResolveGcs(view, gcs, c.ref);
    return true;
  }
  if (ParseKnownS3CompatibleHost(host, s3)) {
    c.provider = Provider::kS3Compatible;
    ResolveS3(view, s3, c.ref);
    return true;
  }
  if (!cfg.fingerprint || IsOtherCloudApiHost(host)) return false;

  bool local = IsLocalOrIpHost(c.hp) || c.hp.port == 10000;
  c.by = RecognisedBy::kFingerprint;
  if (HasAzureFingerprint(tx, q, c.cred, doc, local)) {
    c.provider = Provider::kAzureBlob;
    // "<account>.blob.<domain>" (Azure Stack, custom DNS) names the account; otherwise the
    // emulator's path style /<account>/<container>/<blob>.
    if (!LooksLikeAzureAccountHost(host, azure)) azure = AzureHost{};
    ResolveAzure(view, azure, c.ref);
    return true;
  }
  if (HasGcsFingerprint(tx, target.path, q, c.cred)) {
    c.provider = Provider::kGcs;
    ResolveGcs(view, GcsHost{}, c.ref);
    return true;
  }
  if (HasS3Fingerprint(tx, q, c.cred, doc)) {
    c.provider = Provider::kS3Compatible;
    ResolveS3(view, S3Host{}, c.ref);
    return true;
  }
  if (hint.known_provider) {
    // The server spoke storage before; this request is addressed path style like the others.
    c.by = RecognisedBy::kKnownServer;
    c.provider = *hint.known_provider;
    switch (c.provider) {
      case Provider::kAzureBlob:
        if (!LooksLikeAzureAccountHost(host, azure)) azure = AzureHost{};
        ResolveAzure(view, azure, c.ref);
        break;
      case Provider::kGcs:
        ResolveGcs(view, GcsHost{}, c.ref);
        break;
      case Provider::kS3:
      case Provider::kS3Compatible:
        ResolveS3(view, S3Host{}, c.ref);
        break;
    }
    return true;
  }
  return false;
}

bool InList(std::string_view code, const auto& list) {
  for (std::string_view c : list) {
    if (c == code) return true;
  }
  return false;
}

void AssignBounded(std::string& out, std::string_view s, size_t max) {
  out.assign(TrimAscii(s));
  TruncateUtf8(out, max);
}

// Every field back to its default; the strings keep their capacity for the next event.
void Empty(StorageEvent& ev) {
  ev.provider = Provider::kS3;
  ev.recognised_by = RecognisedBy::kName;
  ev.account.clear();
  ev.bucket.clear();
  ev.key.clear();
  ev.operation = Operation::kUnknown;
  ev.kind = OperationKind::kOther;
  ev.auth_class = AuthClass::kAnonymous;
  ev.auth_scheme = AuthScheme::kNone;
  ev.access_key_id.clear();
  ev.outcome = Outcome::kNoResponse;
  ev.error_code.clear();
  ev.url_domain.clear();
  ev.url_path.clear();
  ev.url_query.clear();
  ev.range_request = false;
  ev.list_keys = -1;
  ev.list_truncated = false;
  // sample_keys is cut to length once filled: its strings are reused too.
  ev.request_bytes = 0;
  ev.response_bytes = 0;
  ev.response_body_bytes = 0;
}

// Only XML bodies can fingerprint a store (S3 listings and errors, Azure EnumerationResults);
// JSON is everywhere and proves nothing on an unnamed host.
bool ContentTypeIsXml(const http::HttpResponse& resp) {
  std::optional<std::string_view> ct = resp.Find("Content-Type");
  return ct && ContainsIgnoreCase(*ct, "xml");
}

}  // namespace

Outcome ClassifyOutcome(const http::HttpTransaction& tx, std::string_view error_code) {
  if (!tx.has_response) return Outcome::kNoResponse;
  if (!error_code.empty()) {
    if (InList(error_code, kDeniedCodes)) return Outcome::kDenied;
    if (InList(error_code, kNotFoundCodes)) return Outcome::kNotFound;
  }
  uint16_t status = tx.response.status;
  // An answer to HTTP/0.9 (version 0) has no status line: a server refusing the request answers
  // with one (400), so bytes without one are the object itself, served.
  if (tx.response.version_major == 0 && tx.response.body_bytes > 0) return Outcome::kSuccess;
  if ((status >= 200 && status < 300) || status == 304) {
    return error_code.empty() ? Outcome::kSuccess : Outcome::kError;
  }
  if (status == 401 || status == 403) return Outcome::kDenied;
  if (status == 404) return Outcome::kNotFound;
  return Outcome::kError;
}

BodyUse DecideBodyUse(const http::HttpTransaction& tx, const RecogniserConfig& cfg,
                      const ServerHint& hint) {
  RecogniserScratch scratch;
  return DecideBodyUse(tx, cfg, hint, scratch);
}

BodyUse DecideBodyUse(const http::HttpTransaction& tx, const RecogniserConfig& cfg,
                      const ServerHint& hint, RecogniserScratch& scratch) {
  if (!tx.has_response) return BodyUse::kNone;
  const http::HttpResponse& resp = tx.response;
  if (tx.request.method == "HEAD" || resp.status == 204 || resp.status == 304) {
    return BodyUse::kNone;
  }
  if (!Classify(tx, nullptr, cfg, hint, scratch)) {
    // Only the body can tell: an S3 listing or error document from a store that sent no S3
    // header. Scanning is cheap and bounded, but only XML documents are worth it; the prefix of
    // anything else is kept as before.
    if (!cfg.fingerprint) return BodyUse::kPrefix;
    ParseHostPort(tx.request.host, scratch.hp);
    return !IsOtherCloudApiHost(scratch.hp.host) && ContentTypeIsXml(resp) ? BodyUse::kScan
                                                                           : BodyUse::kPrefix;
  }
  OperationKind k = scratch.ref.kind;
  if (k == OperationKind::kList || k == OperationKind::kListBuckets) return BodyUse::kScan;
  if (resp.status >= 300) return BodyUse::kScan;  // error document
  return MayFailWith200(scratch.ref.operation) ? BodyUse::kScan : BodyUse::kNone;
}

std::optional<StorageEvent> Recognise(const http::HttpTransaction& tx, const ListingSummary* body,
                                      const RecogniserConfig& cfg, const ServerHint& hint) {
  StorageEvent ev;
  if (!RecogniseInto(tx, body, cfg, hint, ev)) return std::nullopt;
  return ev;
}

bool RecogniseInto(const http::HttpTransaction& tx, const ListingSummary* body,
                   const RecogniserConfig& cfg, const ServerHint& hint, StorageEvent& ev) {
  RecogniserScratch scratch;
  return RecogniseInto(tx, body, cfg, hint, scratch, ev);
}

bool RecogniseInto(const http::HttpTransaction& tx, const ListingSummary* body,
                   const RecogniserConfig& cfg, const ServerHint& hint, RecogniserScratch& c,
                   StorageEvent& ev) {
  Empty(ev);
  // Without a full-body scan, the decoded body prefix still holds any error document.
  ListingSummary prefix_summary;
  const ListingSummary* doc = body;
  if (doc == nullptr && tx.has_response && !tx.response.body_prefix.empty()) {
    ListingScanner scanner(cfg.sample_keys);
    scanner.Feed(AsBytes(tx.response.body_prefix));
    prefix_summary = scanner.summary();
    if (tx.response.body_prefix_truncated) prefix_summary.incomplete = true;
    doc = &prefix_summary;
  }

  if (!Classify(tx, doc, cfg, hint, c)) {
    ev.sample_keys.clear();
    return false;
  }

  ev.provider = c.provider;
  ev.recognised_by = c.by;
  ev.account.assign(c.ref.account);
  ev.bucket.assign(c.ref.bucket);
  ev.key.assign(c.ref.key);
  ev.operation = c.ref.operation;
  ev.kind = c.ref.kind;
  ev.auth_class = c.cred.auth_class;
  ev.auth_scheme = c.cred.scheme;
  ev.access_key_id.assign(c.cred.access_key_id);

  const http::HttpRequest& req = tx.request;
  ev.url_domain.assign(c.hp.host);
  ev.url_path.assign(c.path);
  if (c.query.empty()) {
    ev.url_query.clear();  // the common case, without a copy
  } else {
    ev.url_query = RedactQuery(c.query);
  }
  ev.range_request =
      HasHeaderValue(req.headers, "Range") || HasHeaderValue(req.headers, "x-ms-range");
  ev.request_bytes = req.header_bytes + req.body_bytes;

  if (tx.has_response) {
    const http::HttpResponse& resp = tx.response;
    ev.response_bytes = resp.header_bytes + resp.body_bytes;
    ev.response_body_bytes = resp.body_content_bytes;
    if (std::optional<std::string_view> code = resp.Find("x-ms-error-code")) {
      AssignBounded(ev.error_code, *code, kMaxErrorCodeBytes);
    }
    bool error_status = resp.status >= 300;
    if (ev.error_code.empty() && doc != nullptr && !doc->error_code.empty() &&
        (error_status || MayFailWith200(ev.operation))) {
      AssignBounded(ev.error_code, doc->error_code, kMaxErrorCodeBytes);
    }
  }
  ev.outcome = ClassifyOutcome(tx, ev.error_code);

  bool listing_op = ev.kind == OperationKind::kList || ev.kind == OperationKind::kListBuckets;
  size_t max_samples = std::min(cfg.sample_keys, kMaxSampleKeys);
  size_t samples = 0;
  auto add_sample = [&](std::string_view k) {
    if (samples == ev.sample_keys.size()) ev.sample_keys.emplace_back();
    std::string& slot = ev.sample_keys[samples++];
    slot.assign(k);
    TruncateUtf8(slot, kMaxSampleKeyBytes);
  };
  if (listing_op && ev.outcome == Outcome::kSuccess && doc != nullptr && doc->is_listing) {
    ev.list_keys = doc->keys;
    ev.list_truncated = doc->truncated;
    for (size_t i = 0; i < doc->sample_keys.size() && i < max_samples; ++i) {
      add_sample(doc->sample_keys[i]);
    }
  }
  if (listing_op && ev.outcome == Outcome::kSuccess && tx.has_response &&
      HasHeaderValue(tx.response.headers, "x-ms-continuation")) {
    ev.list_truncated = true;  // ADLS Gen2 ListPaths pages by header
  }
  if (ev.kind == OperationKind::kRead && ev.outcome == Outcome::kSuccess && !ev.key.empty() &&
      max_samples > 0) {
    add_sample(ev.key);
  }
  ev.sample_keys.resize(samples);
  return true;
}

}  // namespace bw::storage
