#include "dissectors/http/http_transaction.h"

namespace bw::http {
namespace {

// libstdc++ keeps up to 15 characters inside the string object itself.
size_t StringHeap(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

// Buffers kept by Reset. A start line is usually well under this; the rare long one (a target of
// kilobytes, a listing's error document in body_prefix) gives its buffer back.
constexpr size_t kRetainedStringBytes = 2048;

void Empty(std::string& s) {
  if (s.capacity() > kRetainedStringBytes) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

}  // namespace

size_t HeapBytes(const HttpRequest& r) {
  return StringHeap(r.method) + StringHeap(r.target) + StringHeap(r.host) + r.headers.heap_bytes();
}

size_t HeapBytes(const HttpResponse& r) {
  return StringHeap(r.reason) + r.headers.heap_bytes() + StringHeap(r.body_prefix);
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
