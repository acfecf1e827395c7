#pragma once
// Bounds of the HTTP/1.x parser, all finite. Together they cap what one conversation can hold:
// one line buffer per direction of max(max_start_line, max_header_line) + 1 bytes, at most
// max_header_block bytes of stored head per message, at most max_pending_requests requests
// waiting for their responses, and body_prefix_bytes of decoded response body per transaction.
// What happens at each cap is fixed and counted (see http_counters.h).

#include <cstddef>

namespace bw::http {

struct HttpLimits {
  // Longer start lines are cut to this length and parsed leniently (the target is a prefix);
  // counted as line_too_long.
  size_t max_start_line = 8192;
  // Longer header (and chunk-size, trailer) lines are dropped; counted as line_too_long.
  size_t max_header_line = 8192;
  // Headers past this count are not stored (framing headers are still obeyed); too_many_headers.
  size_t max_headers = 100;
  // Once start line + headers exceed this, no further header is stored; header_block_too_large.
  size_t max_header_block = 64 * 1024;
  // Requests waiting for a response; at the cap the oldest is flushed as no_response.
  size_t max_pending_requests = 64;
  // Decoded response body bytes kept in HttpResponse::body_prefix.
  size_t body_prefix_bytes = 16 * 1024;
};

}  // namespace bw::http
