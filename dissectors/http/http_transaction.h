#pragma once
// One HTTP/1.x request paired with its response (if any), as the storage layer consumes it.
// Strings are owned copies of bounded size: a transaction outlives the packets that carried it
// (pipelined requests wait for their responses). Header values are kept as sent; consumers that
// print anything must redact credentials themselves (Authorization is never logged). Reset()
// empties a message but keeps its buffers (within bounds), so that the conversation parses the
// next message into them without allocating.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dissectors/common/timestamp.h"
#include "dissectors/http/header_list.h"

namespace bw::http {

struct HttpRequest {
  std::string method;
  std::string target;  // request-target as sent: origin, absolute, authority or asterisk form
  std::string host;    // authority of an absolute-form target, else the (first) Host header
  uint8_t version_major = 1;
  uint8_t version_minor = 1;
  HeaderList headers;
  uint64_t header_bytes = 0;  // request line + headers + terminating CRLF
  // Body bytes on the wire (chunk framing and gap bytes included); for a request answered before
  // its body ended (an early 403 to an upload), the bytes seen by then.
  uint64_t body_bytes = 0;
  uint64_t body_content_bytes = 0;  // body bytes after de-chunking (see HttpResponse)
  bool missing_bytes = false;       // a gap (or the end of the stream) cut into this message
  bool head_truncated = false;      // a parser limit cut the request line or dropped headers
  TimestampNs first_ts = 0;
  TimestampNs last_ts = 0;

  std::optional<std::string_view> Find(std::string_view name) const { return headers.Find(name); }
  void Reset();
};

struct HttpResponse {
  uint16_t status = 0;
  std::string reason;
  uint8_t version_major = 1;
  uint8_t version_minor = 1;
  HeaderList headers;
  uint64_t header_bytes = 0;
  uint64_t body_bytes = 0;  // on the wire: chunk framing and gap bytes included
  // The content the body carried: de-chunked bytes, plus bytes a gap took from inside a body of
  // known length (sent, not seen). For a complete response this is its Content-Length (the
  // Content-Range span of a 206); 0 for HEAD, 1xx, 204 and 304.
  uint64_t body_content_bytes = 0;
  bool missing_bytes = false;
  bool head_truncated = false;  // a parser limit cut the status line or dropped headers
  // The first bytes of the decoded (de-chunked) body, bounded by the parser's limit; enough for
  // error documents. Listings are scanned in full through HttpHandler::OnResponseBody instead.
  std::string body_prefix;
  bool body_prefix_truncated = false;
  TimestampNs first_ts = 0;
  TimestampNs last_ts = 0;

  std::optional<std::string_view> Find(std::string_view name) const { return headers.Find(name); }
  void Reset();
};

// Heap bytes a message holds beyond its own object (strings, header vector), for memory
// accounting. O(headers).
size_t HeapBytes(const HttpRequest& r);
size_t HeapBytes(const HttpResponse& r);

enum class TransactionEnd : uint8_t {
  kComplete,    // response fully received
  kNoResponse,  // connection ended (or was evicted) before any response head
  kTruncated,   // response head seen, body cut by the end of the connection or a gap
};

struct HttpTransaction {
  HttpRequest request;
  bool has_response = false;
  HttpResponse response;           // meaningful when has_response
  uint16_t interim_responses = 0;  // 1xx seen before the final response
  TransactionEnd end = TransactionEnd::kComplete;

  void Reset();
};

size_t HeapBytes(const HttpTransaction& tx);

}  // namespace bw::http
