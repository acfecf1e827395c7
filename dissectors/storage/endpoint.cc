#include "dissectors/storage/endpoint.h"

#include <array>

#include "dissectors/storage/azure.h"
#include "dissectors/storage/gcs.h"
#include "dissectors/storage/text.h"

namespace bw::storage {
namespace {

struct KnownService {
  std::string_view pattern;  // labels; "*" matches one label
  bool first_wild_is_account;
};

// Most specific first: the first match wins.
constexpr std::array<KnownService, 17> kKnownS3Compatible = {{
    {"s3.wasabisys.com", false},
    {"s3.*.wasabisys.com", false},
    {"*.eu.r2.cloudflarestorage.com", true},
    {"*.fedramp.r2.cloudflarestorage.com", true},
    {"*.r2.cloudflarestorage.com", true},
    {"*.cdn.digitaloceanspaces.com", false},
    {"*.digitaloceanspaces.com", false},
    {"s3.*.backblazeb2.com", false},
    {"*.linodeobjects.com", false},
    {"s3.*.scw.cloud", false},
    {"s3.private.*.cloud-object-storage.appdomain.cloud", false},
    {"s3.direct.*.cloud-object-storage.appdomain.cloud", false},
    {"s3.*.cloud-object-storage.appdomain.cloud", false},
    {"storage.yandexcloud.net", false},
    {"*.compat.objectstorage.*.oraclecloud.com", true},
    {"*.your-objectstorage.com", false},
    {"s3.*.idrivee2.com", false},
}};

// Domains of cloud APIs; a host under one that is not a storage name is some other service.
constexpr std::array<std::string_view, 9> kCloudApiDomains = {
    ".amazonaws.com",         ".amazonaws.com.cn",       ".googleapis.com", ".core.windows.net",
    ".core.chinacloudapi.cn", ".core.usgovcloudapi.net", ".azure.net",      ".azure.com",
    ".windows.net",
};

// Matches `host` against a label pattern from the right. On success *prefix_labels is the part
// of host left of the pattern ("" when none) and *account the label matched by a leading "*".
bool MatchLabels(std::string_view host, std::string_view pattern, bool first_wild_is_account,
                 std::string* prefix, std::string* account) {
  std::string_view h = host;
  std::string_view p = pattern;
  account->clear();
  while (!p.empty()) {
    size_t pdot = p.rfind('.');
    std::string_view plabel = pdot == std::string_view::npos ? p : p.substr(pdot + 1);
    p = pdot == std::string_view::npos ? std::string_view() : p.substr(0, pdot);
    if (h.empty()) return false;
    size_t hdot = h.rfind('.');
    std::string_view hlabel = hdot == std::string_view::npos ? h : h.substr(hdot + 1);
    h = hdot == std::string_view::npos ? std::string_view() : h.substr(0, hdot);
    if (hlabel.empty()) return false;
    if (plabel == "*") {
      if (p.empty() && first_wild_is_account) *account = std::string(hlabel);
    } else if (plabel != hlabel) {
      return false;
    }
  }
  *prefix = std::string(h);
  return true;
}

bool IsS3ServiceScope(std::string_view service) {
  return service == "s3" || service == "s3-object-lambda" || service == "s3express" ||
         service == "s3-outposts";
}

// XML roots that only S3 (and stores speaking its API) produce.
constexpr std::array<std::string_view, 11> kS3DocumentRoots = {
    "ListBucketResult",
    "ListAllMyBucketsResult",
    "ListVersionsResult",
    "ListMultipartUploadsResult",
    "ListPartsResult",
    "InitiateMultipartUploadResult",
    "CompleteMultipartUploadResult",
    "CopyObjectResult",
    "LocationConstraint",
    "VersioningConfiguration",
    "DeleteResult",
};

// Error codes of the S3 API that other XML services do not use.
constexpr std::array<std::string_view, 16> kS3ErrorCodes = {
    "NoSuchBucket",
    "NoSuchKey",
    "AccessDenied",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidBucketName",
    "NoSuchUpload",
    "BucketAlreadyExists",
    "NoSuchBucketPolicy",
    "NoSuchVersion",
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
    "XAmzContentSHA256Mismatch",
    "NoSuchLifecycleConfiguration",
    "BucketAlreadyOwnedByYou",
};

bool ResponseHas(const http::HttpTransaction& tx, std::string_view name) {
  return tx.has_response && tx.response.Find(name).has_value();
}

}  // namespace

HostPort ParseHostPort(std::string_view authority) {
  HostPort hp;
  ParseHostPort(authority, hp);
  return hp;
}

void ParseHostPort(std::string_view authority, HostPort& hp) {
  hp.port = 0;
  hp.is_ip = false;
  authority = TrimAscii(authority);
  // Userinfo never belongs in a Host, but an absolute-form authority may carry it.
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      host = authority.substr(1);
    } else {
      host = authority.substr(1, close - 1);
      std::string_view after = authority.substr(close + 1);
      if (!after.empty() && after.front() == ':') port = after.substr(1);
    }
    hp.is_ip = true;
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && authority.find(':') == colon) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    } else if (colon != std::string_view::npos) {
      hp.is_ip = true;  // bare IPv6 literal
    }
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // absolute DNS name
  ToLowerAsciiTo(host, hp.host);
  // At most five digits are read, so the value cannot overflow whatever the Host header says.
  int value = 0;
  bool digits = !port.empty() && port.size() <= 5;
  for (size_t i = 0; digits && i < port.size(); ++i) {
    if (!IsAsciiDigit(port[i])) {
      digits = false;
      break;
    }
    value = value * 10 + (port[i] - '0');
  }
  if (digits && value <= 65535) hp.port = value;
  if (!hp.is_ip) {
    int dots = 0;
    bool all = !hp.host.empty();
    for (char c : hp.host) {
      if (c == '.') {
        ++dots;
      } else if (!IsAsciiDigit(c)) {
        all = false;
      }
    }
    hp.is_ip = all && dots == 3;
  }
}

bool IsLocalOrIpHost(const HostPort& hp) {
  return hp.is_ip || hp.host == "localhost" || hp.host.ends_with(".localhost") ||
         hp.host == "host.docker.internal";
}

const EndpointRule* MatchEndpoint(const std::vector<EndpointRule>& rules, const HostPort& hp,
                                  std::string* vhost_prefix) {
  for (const EndpointRule& rule : rules) {
    if (rule.port != 0) {
      bool ok = hp.port == rule.port || (hp.port == 0 && (rule.port == 80 || rule.port == 443));
      if (!ok) continue;
    }
    std::string pattern = ToLowerAscii(TrimAscii(rule.host_pattern));
    if (pattern.size() >= 2 && pattern.front() == '[' && pattern.back() == ']') {
      pattern = pattern.substr(1, pattern.size() - 2);
    }
    std::string prefix;
    bool match = false;
    if (pattern.starts_with("*.")) {
      std::string_view suffix = std::string_view(pattern).substr(1);  // ".suffix"
      if (hp.host == suffix.substr(1)) {
        match = true;
      } else if (hp.host.size() > suffix.size() && hp.host.ends_with(suffix)) {
        match = true;
        prefix = hp.host.substr(0, hp.host.size() - suffix.size());
      }
    } else if (hp.host == pattern) {
      match = true;
    } else if (rule.virtual_hosted && hp.host.size() > pattern.size() + 1 &&
               hp.host.ends_with(pattern) && hp.host[hp.host.size() - pattern.size() - 1] == '.') {
      match = true;
      prefix = hp.host.substr(0, hp.host.size() - pattern.size() - 1);
    }
    if (!match) continue;
    if (vhost_prefix != nullptr) *vhost_prefix = rule.virtual_hosted ? prefix : std::string();
    return &rule;
  }
  return nullptr;
}

bool ParseKnownS3CompatibleHost(std::string_view host, S3Host& out) {
  out = S3Host{};
  for (const KnownService& s : kKnownS3Compatible) {
    std::string prefix;
    std::string account;
    if (MatchLabels(host, s.pattern, s.first_wild_is_account, &prefix, &account)) {
      out.bucket = prefix;
      out.account = account;
      return true;
    }
  }
  return false;
}

bool IsOtherCloudApiHost(std::string_view host) {
  for (std::string_view d : kCloudApiDomains) {
    if (host.ends_with(d)) return true;
  }
  return false;
}

bool HasS3Fingerprint(const http::HttpTransaction& tx, const QueryParams& q, const Credential& cred,
                      const ListingSummary* doc) {
  bool sigv4 = cred.scheme == AuthScheme::kSigV4 || cred.scheme == AuthScheme::kSigV4a;
  // A SigV4 credential scoped to another AWS service (sts, execute-api, ...) is not S3, whatever
  // x-amz- headers come with it.
  if (sigv4 && !cred.scope_service.empty() && !IsS3ServiceScope(cred.scope_service)) return false;
  // X-Amz-Target marks the JSON-RPC AWS protocols (DynamoDB, Kinesis, ...), never S3.
  if (tx.request.Find("x-amz-target")) return false;
  if (cred.scheme == AuthScheme::kSigV2) return true;
  if (sigv4 && IsS3ServiceScope(cred.scope_service)) return true;
  if (HasHeaderWithPrefix(tx.request.headers, "x-amz-")) return true;
  if (q.Value("list-type") == "2") return true;
  for (const QueryParam& p : q.all()) {
    if (!IsS3Subresource(p.key)) continue;
    // Subresources are sent bare ("?acl", "?uploads="); uploadId carries its id.
    if (p.value.empty() || p.key == "uploadId") return true;
  }
  if (ResponseHas(tx, "x-amz-request-id") || ResponseHas(tx, "x-amz-id-2") ||
      ResponseHas(tx, "x-amz-bucket-region")) {
    return true;
  }
  if (doc != nullptr && !doc->json) {
    for (std::string_view root : kS3DocumentRoots) {
      if (doc->root == root) return true;
    }
    if (doc->root == "Error") {
      for (std::string_view code : kS3ErrorCodes) {
        if (doc->error_code == code) return true;
      }
    }
  }
  return false;
}

bool HasAzureFingerprint(const http::HttpTransaction& tx, const QueryParams& q,
                         const Credential& cred, const ListingSummary* doc, bool local_host) {
  if (HasAzureQueryFingerprint(q)) return true;
  if (cred.scheme == AuthScheme::kSharedKey || cred.scheme == AuthScheme::kSharedKeyLite ||
      cred.scheme == AuthScheme::kSas) {
    return true;
  }
  const auto& rq = tx.request.headers;
  // x-ms-version alone is shared with Cosmos DB and other Azure APIs; blob-specific headers or a
  // local emulator (Azurite) make it storage.
  if (HasHeaderValue(rq, "x-ms-version") &&
      (HasHeaderWithPrefix(rq, "x-ms-blob-") || HasHeaderValue(rq, "x-ms-range") ||
       HasHeaderValue(rq, "x-ms-copy-source"))) {
    return true;
  }
  if (local_host && HasHeaderWithPrefix(rq, "x-ms-")) return true;
  if (tx.has_response) {
    const auto& rs = tx.response.headers;
    if (HasHeaderWithPrefix(rs, "x-ms-blob-")) return true;
    if (local_host &&
        (HasHeaderValue(rs, "x-ms-version") || HasHeaderValue(rs, "x-ms-request-id"))) {
      return true;
    }
  }
  return doc != nullptr && !doc->json && doc->root == "EnumerationResults";
}

bool HasGcsFingerprint(const http::HttpTransaction& tx, std::string_view path, const QueryParams& q,
                       const Credential& cred) {
  if (path.starts_with("/storage/v1/b") || path.starts_with("/download/storage/v1/b") ||
      path.starts_with("/upload/storage/v1/b")) {
    return true;
  }
  if (cred.scheme == AuthScheme::kGoog4 || cred.goog1) return true;
  if (cred.auth_class == AuthClass::kPresigned && q.Has("GoogleAccessId")) return true;
  for (http::Header h : tx.request.headers) {
    if (!StartsWithIgnoreCase(h.name, "x-goog-")) continue;
    // Sent by every Google client library, for every API.
    if (EqualsIgnoreCase(h.name, "x-goog-api-client") ||
        EqualsIgnoreCase(h.name, "x-goog-user-project") ||
        EqualsIgnoreCase(h.name, "x-goog-request-params")) {
      continue;
    }
    return true;
  }
  for (std::string_view name :
       {"x-guploader-uploadid", "x-goog-generation", "x-goog-metageneration",
        "x-goog-stored-content-length", "x-goog-hash", "x-goog-storage-class"}) {
    if (ResponseHas(tx, name)) return true;
  }
  return false;
}

}  // namespace bw::storage
