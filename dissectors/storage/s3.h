#pragma once
// Amazon S3: the endpoint host forms (global, regional, legacy dash-region, dualstack, FIPS,
// website, access points, Object Lambda, Multi-Region Access Points, S3 Control, PrivateLink,
// China) and the REST operation a request names. Also used for S3-compatible stores, whose
// wire API is the same.

#include <string>
#include <string_view>

#include "dissectors/storage/request_view.h"

namespace bw::storage {

enum class S3EndpointKind : uint8_t {
  kApi,                     // REST API, virtual-hosted or path style
  kWebsite,                 // static website endpoint: GET/HEAD serve objects anonymously
  kAccessPoint,             // <name>-<account>.s3-accesspoint.<region>
  kObjectLambda,            // <name>-<account>.s3-object-lambda.<region>
  kMultiRegionAccessPoint,  // <alias>.accesspoint.s3-global
  kControl,                 // <account>.s3-control.<region>: account-level control plane
};

struct S3Host {
  S3EndpointKind kind = S3EndpointKind::kApi;
  std::string bucket;   // from the host (virtual-hosted, access point name); "" for path style
  std::string account;  // AWS account id when the host carries one (access points, control)
  std::string region;   // "" for the global endpoint
  bool dualstack = false;
  bool fips = false;
};

// `host` lower-case without port. False when it is not an S3 endpoint name.
bool ParseS3Host(std::string_view host, S3Host& out);

// "us-east-1", "us-gov-west-1", "cn-north-1", ...
bool IsAwsRegion(std::string_view label);

// The resource and operation of a request to an S3 (or S3-compatible) endpoint. With an empty
// host.bucket the request is path style: /<bucket>/<key>.
ResourceRef ResolveS3(const RequestView& req, const S3Host& host);
// The same into `out`, keeping its strings' capacity.
void ResolveS3(const RequestView& req, const S3Host& host, ResourceRef& out);

// Query keys that only the S3 API uses as subresources ("?acl", "?uploads", ...).
bool IsS3Subresource(std::string_view key);

}  // namespace bw::storage
