#pragma once
// Where storage lives when its name does not say so: endpoints configured by the operator
// (MinIO, Ceph RGW, Azurite, fake-gcs-server, ...), the built-in names of well-known
// S3-compatible services, and the wire fingerprints that reveal S3, Azure Blob and GCS on any
// host and port.

#include <string>
#include <string_view>
#include <vector>

#include "dissectors/http/http_transaction.h"
#include "dissectors/storage/auth.h"
#include "dissectors/storage/listing_scanner.h"
#include "dissectors/storage/s3.h"
#include "dissectors/storage/storage_event.h"
#include "dissectors/storage/url.h"

namespace bw::storage {

struct EndpointRule {
  std::string host_pattern;  // exact host, or "*.suffix" glob; IP literals allowed
  int port = 0;              // 0 = any
  Provider provider = Provider::kS3Compatible;
  bool virtual_hosted = false;  // bucket is the first label left of the suffix
};

// The authority of a request, normalised: lower case, IPv6 brackets and port removed.
struct HostPort {
  std::string host;
  int port = 0;  // 0 when the authority names none (the scheme's default port)
  bool is_ip = false;
};
HostPort ParseHostPort(std::string_view authority);
// The same into `out`, keeping its string's capacity.
void ParseHostPort(std::string_view authority, HostPort& out);

// A host that is a developer or on-premises endpoint: an IP literal, localhost.
bool IsLocalOrIpHost(const HostPort& hp);

// The first rule matching host and port, or nullptr. A rule's port matches an authority without
// a port only when it is 80 or 443 (the defaults such an authority implies). For a
// virtual-hosted rule, *vhost_prefix receives the labels left of the rule's suffix ("" when the
// host is the suffix itself), which name the bucket (or Azure account).
const EndpointRule* MatchEndpoint(const std::vector<EndpointRule>& rules, const HostPort& hp,
                                  std::string* vhost_prefix);

// Well-known S3-compatible services by name (Wasabi, Cloudflare R2, DigitalOcean Spaces,
// Backblaze B2, Linode, Scaleway, IBM COS, Yandex, Oracle, Hetzner). Fills bucket for
// virtual-hosted names and account where the name carries one (R2 account id, Oracle namespace).
bool ParseKnownS3CompatibleHost(std::string_view host, S3Host& out);

// Hosts under a cloud provider's own domains that are not storage endpoints (sts.amazonaws.com,
// pubsub.googleapis.com, x.vault.azure.net ...): they carry x-amz-/x-goog-/x-ms- headers for
// other APIs and must not be fingerprinted as storage.
bool IsOtherCloudApiHost(std::string_view host);

// Wire fingerprints. `doc` (may be null) is the scanned response body.
bool HasS3Fingerprint(const http::HttpTransaction& tx, const QueryParams& q, const Credential& cred,
                      const ListingSummary* doc);
bool HasAzureFingerprint(const http::HttpTransaction& tx, const QueryParams& q,
                         const Credential& cred, const ListingSummary* doc, bool local_host);
bool HasGcsFingerprint(const http::HttpTransaction& tx, std::string_view path, const QueryParams& q,
                       const Credential& cred);

}  // namespace bw::storage
