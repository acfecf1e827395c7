#include "dissectors/http/http_transaction.h"

#include "dissectors/common/buffer_capacity.h"

namespace bw::http {
namespace {

// Buffers kept by Reset. A start line is usually well under this; the rare long one (a target of
// kilobytes, a listing's error document in body_prefix) gives its buffer back.
constexpr size_t kRetainedStringBytes = 2048;

void Empty(std::string& s) { ClearKeepingUpTo(s, kRetainedStringBytes); }

}  // namespace

size_t HeapBytes(const HttpRequest& r) {
  return StringHeapBytes(r.method) + StringHeapBytes(r.target) + StringHeapBytes(r.host) +
         r.headers.heap_bytes();
}

size_t HeapBytes(const HttpResponse& r) {
  return StringHeapBytes(r.reason) + r.headers.heap_bytes() + StringHeapBytes(r.body_prefix);
}

size_t HeapBytes(const HttpTransaction& tx) {
  return HeapBytes(tx.request) + HeapBytes(tx.response);
}

void HttpRequest::Reset() {
  Empty(method);
  Empty(target);
  Empty(host);
  headers.Clear();
  version_major = 1;
  version_minor = 1;
  header_bytes = 0;
  body_bytes = 0;
  body_content_bytes = 0;
  missing_bytes = false;
  head_truncated = false;
  first_ts = 0;
  last_ts = 0;
}

void HttpResponse::Reset() {
  status = 0;
  Empty(reason);
  version_major = 1;
  version_minor = 1;
  headers.Clear();
  header_bytes = 0;
  body_bytes = 0;
  body_content_bytes = 0;
  missing_bytes = false;
  head_truncated = false;
  Empty(body_prefix);
  body_prefix_truncated = false;
  first_ts = 0;
  last_ts = 0;
}

void HttpTransaction::Reset() {
  request.Reset();
  has_response = false;
  response.Reset();
  interim_responses = 0;
  end = TransactionEnd::kComplete;
}

}  // namespace bw::http
