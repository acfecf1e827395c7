#include "dissectors/storage/bucket_key.h"

#include "dissectors/storage/request_view.h"
#include "dissectors/storage/url.h"

namespace bw::storage {

BucketKey SplitBucketKey(std::string_view path, std::string_view host_bucket) {
  BucketKey out;
  if (!host_bucket.empty()) {
    out.bucket = std::string(host_bucket);
    out.key = PercentDecode(path.empty() ? path : path.substr(1), false);
    return out;
  }
  PathHead h = SplitPathHead(path);
  out.bucket = PercentDecode(h.first, false);
  out.key = PercentDecode(h.rest, false);
  return out;
}

}  // namespace bw::storage
