#include "dissectors/http/http_transaction.h"

#include "dissectors/common/ascii.h"

namespace bw::http {

const std::string* FindHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

namespace {
// libstdc++ keeps up to 15 characters inside the string object itself.
size_t StringHeap(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

size_t HeadersHeap(const std::vector<Header>& headers) {
  size_t n = headers.capacity() * sizeof(Header);
  for (const Header& h : headers) n += StringHeap(h.name) + StringHeap(h.value);
  return n;
}
}  // namespace

size_t HeapBytes(const HttpRequest& r) {
  return StringHeap(r.method) + StringHeap(r.target) + StringHeap(r.host) + HeadersHeap(r.headers);
}

size_t HeapBytes(const HttpResponse& r) {
  return StringHeap(r.reason) + HeadersHeap(r.headers) + StringHeap(r.body_prefix);
}

}  // namespace bw::http
