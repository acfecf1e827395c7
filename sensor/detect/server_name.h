#pragma once
// Storage addressing recovered from a TLS server name alone, for encrypted flows: the bucket of
// an S3 or GCS virtual-hosted name, the account of an Azure Blob (or Data Lake) endpoint, or,
// for a provider's service name (path-style requests: the bucket is in the encrypted path),
// only the endpoint. Pure function of the name; never fails on garbage, it just answers "not
// storage".

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dissectors/storage/endpoint.h"
#include "dissectors/storage/storage_event.h"

namespace bw::detect {

struct ServerNameTarget {
  storage::Provider provider = storage::Provider::kS3;
  std::string account;  // Azure storage account; empty otherwise
  std::string bucket;   // S3/GCS bucket; empty for Azure (the container is in the path)
  // A service name without a bucket (s3.amazonaws.com, s3.<region>.amazonaws.com,
  // storage.googleapis.com): the lower-cased name, and the bucket is not visible.
  std::string endpoint;
  bool bucket_visible() const { return endpoint.empty(); }
};

// Recognises (case-insensitively, a trailing dot ignored):
//   <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, <bucket>.s3-<region>...,
//   <bucket>.s3.dualstack.<region>.amazonaws.com, <bucket>.s3-website[.-]<region>... (also
//   amazonaws.com.cn);  <account>.blob.core.windows.net, <account>.dfs.core.windows.net;
//   <bucket>.storage.googleapis.com.
// Bucket names may contain dots: the provider suffix is matched from the right. Service names
// without a bucket answer true with `endpoint` set: s3.amazonaws.com, s3.<region>...,
// s3-<region>..., s3.dualstack.<region>..., s3-external-1..., s3-fips... (and .amazonaws.com.cn),
// and storage.googleapis.com.
bool TargetFromServerName(std::string_view server_name, ServerNameTarget& out);

// The same, then the stores the operator named (storage.endpoints: a self-hosted MinIO or Ceph
// behind TLS is where the sensor matters most) for the server's port, then the well-known
// S3-compatible services (Wasabi, R2, Spaces, ...). A virtual-hosted match names the bucket (the
// account, for Azure); any other names only the endpoint, the bucket being in the encrypted path.
bool TargetFromServerName(std::string_view server_name, uint16_t server_port,
                          const std::vector<storage::EndpointRule>& endpoints,
                          ServerNameTarget& out);

}  // namespace bw::detect
