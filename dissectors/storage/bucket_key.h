#pragma once
// The bucket and object key an S3-style path names (S3, S3-compatible stores, the GCS XML API).
// Guarantees: pure, both results URL-decoded ('+' stays '+', as S3 reads paths), never fails: a
// path that names no bucket or no key gives "" for it.

#include <string>
#include <string_view>

namespace bw::storage {

struct BucketKey {
  std::string bucket;
  std::string key;
};

// `path` as sent (starts with '/', still percent-encoded). With `host_bucket` (virtual-hosted
// style: the bucket came from the Host name) the whole path after the '/' is the key and
// `host_bucket` is the bucket as given; without it (path style) the first segment is the
// bucket and the rest, slashes kept, the key.
BucketKey SplitBucketKey(std::string_view path, std::string_view host_bucket);
// The same into `bucket` and `key`, keeping their capacity.
void SplitBucketKey(std::string_view path, std::string_view host_bucket, std::string& bucket,
                    std::string& key);

}  // namespace bw::storage
