#include "dissectors/storage/bucket_key.h"

#include "dissectors/storage/request_view.h"
#include "dissectors/storage/url.h"

namespace bw::storage {

BucketKey SplitBucketKey(std::string_view path, std::string_view host_bucket) {
  BucketKey out;
  SplitBucketKey(path, host_bucket, out.bucket, out.key);
  return out;
}

void SplitBucketKey(std::string_view path, std::string_view host_bucket, std::string& bucket,
                    std::string& key) {
  if (!host_bucket.empty()) {
    bucket.assign(host_bucket);
    PercentDecodeTo(path.empty() ? path : path.substr(1), false, key);
    return;
  }
  PathHead h = SplitPathHead(path);
  PercentDecodeTo(h.first, false, bucket);
  PercentDecodeTo(h.rest, false, key);
}

}  // namespace bw::storage
