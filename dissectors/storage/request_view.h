#pragma once
// The inputs and outputs shared by the provider resolvers (s3, azure, gcs): a read-only view of
// one request, and the storage resource and operation it names.

#include <string>
#include <string_view>
#include <vector>

#include "dissectors/http/http_transaction.h"
#include "dissectors/storage/storage_event.h"
#include "dissectors/storage/url.h"

namespace bw::storage {

struct RequestView {
  std::string_view method;  // as sent; compared case-sensitively like HTTP does
  std::string_view path;    // starts with '/', percent-encoded
  const QueryParams& query;
  const http::HeaderList& headers;
};

struct ResourceRef {
  std::string account;
  std::string bucket;
  std::string key;  // decoded
  Operation operation = Operation::kUnknown;
  OperationKind kind = OperationKind::kOther;
};

// Back to a fresh ResourceRef's values, keeping the strings' capacity.
inline void Reset(ResourceRef& r) {
  r.account.clear();
  r.bucket.clear();
  r.key.clear();
  r.operation = Operation::kUnknown;
  r.kind = OperationKind::kOther;
}

// Names the operation with its usual kind; the overload is for the few requests whose effect
// differs from the kind the table gives their name (see operation.h).
inline void SetOp(ResourceRef& r, Operation op) {
  r.operation = op;
  r.kind = OperationKindOf(op);
}
inline void SetOp(ResourceRef& r, Operation op, OperationKind kind) {
  r.operation = op;
  r.kind = kind;
}

// Splits "/a/b/c" into the first segment ("a") and the remainder ("b/c", still encoded).
// A missing remainder and an empty one ("/a/") both give "".
struct PathHead {
  std::string_view first;
  std::string_view rest;
  bool has_rest = false;  // a '/' followed the first segment
};
inline PathHead SplitPathHead(std::string_view path) {
  PathHead h;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) {
    h.first = path;
  } else {
    h.first = path.substr(0, slash);
    h.rest = path.substr(slash + 1);
    h.has_rest = true;
  }
  return h;
}

}  // namespace bw::storage
