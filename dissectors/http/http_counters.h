#pragma once
// Counters of the HTTP/1.x dissector for one worker. Written by that worker only (relaxed
// load+store, no read-modify-write), read by the metrics and summary threads. Every anomaly the
// parser notices has a stable name in one table: the names become the bounded `reason` label in
// Prometheus and lines in the run summary.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "dissectors/common/counter.h"

namespace bw::http {

#define BW_HTTP_ERRORS(X)                                                                        \
  X(kLineTooLong, "line_too_long")                  /* start/header/chunk line over its limit */ \
  X(kTooManyHeaders, "too_many_headers")            /* per message, headers past max_headers */  \
  X(kHeaderBlockTooLarge, "header_block_too_large") /* per message, head over the limit */       \
  X(kBadStartLine, "bad_start_line")                /* not a request/status line */              \
  X(kBadHeader, "bad_header")                       /* line skipped: no colon, bad name, CTL */  \
  X(kObsFold, "obs_fold")                           /* continuation line joined to its header */ \
  X(kRepeatedHost, "repeated_host")                 /* more than one Host: the first wins */     \
  X(kHostMismatch, "host_mismatch")                 /* absolute target names another host */     \
  X(kBareLf, "bare_lf")                             /* per message: line ended by a bare LF */   \
  X(kBadChunkSize, "bad_chunk_size")                /* chunk-size invalid or past 64 bits */     \
  X(kBadChunkTerminator, "bad_chunk_terminator")    /* no line end after chunk data */           \
  X(kBadContentLength, "bad_content_length")        /* not a decimal number */                   \
  X(kConflictingContentLength, "conflicting_content_length") /* differing values */              \
  X(kTeAndCl, "te_and_cl")                         /* both present: Transfer-Encoding wins */    \
  X(kBadTransferEncoding, "bad_transfer_encoding") /* request TE not ending in chunked */        \
  X(kPendingOverflow, "pending_overflow")          /* oldest pending request flushed */          \
  X(kUnmatchedResponse, "unmatched_response")      /* response without a request: discarded */   \
  X(kAmbiguousResync, "ambiguous_resync")          /* pipelined, cannot tell whose: discarded */ \
  X(kTruncatedAtEnd, "truncated_at_end")           /* a message was cut by the end of stream */  \
  X(kDataAfterClose, "data_after_close")           /* per conversation, after close: ignored */  \
  X(kHttp09, "http09_request")                     /* GET without a version: HTTP/0.9 */         \
  X(kHttp09Method, "http09_method") /* no version, not GET of a path: refused (400), recorded */ \
  X(kNoTarget, "no_target")         /* a known method alone: refused (400), recorded */          \
  X(kDataAfterHttp09, "data_after_http09") /* bytes after an HTTP/0.9 head: ignored */           \
  X(kHttp09Headers, "http09_headers")      /* header lines after an HTTP/0.9 line */             \
  X(kSpaceInTarget, "space_in_target")     /* SP in the target, version last (nginx) */          \
  X(kOddVersion, "odd_version")            /* "HTTP/1.01", "HTTP/2.0": not 1.0 or 1.1 */         \
  X(kDuplicateContentLength, "duplicate_content_length") /* equal values: taken as one */        \
  X(kSocksPrelude, "socks_prelude")            /* SOCKS handshake skipped: HTTP/TLS follows */   \
  X(kSocksRefused, "socks_refused")            /* the proxy refused: nothing to parse */         \
  X(kSocksBadHandshake, "socks_bad_handshake") /* garbled, unfollowed or cut by a gap */

enum class HttpError : uint8_t {
#define BW_HTTP_ERROR_ENUM(id, name) id,
  BW_HTTP_ERRORS(BW_HTTP_ERROR_ENUM)
#undef BW_HTTP_ERROR_ENUM
      kCount
};

constexpr size_t kHttpErrorCount = static_cast<size_t>(HttpError::kCount);

constexpr std::string_view HttpErrorName(HttpError e) {
  constexpr std::array<std::string_view, kHttpErrorCount> kNames = {
#define BW_HTTP_ERROR_NAME(id, name) name,
      BW_HTTP_ERRORS(BW_HTTP_ERROR_NAME)
#undef BW_HTTP_ERROR_NAME
  };
  auto i = static_cast<size_t>(e);
  return i < kNames.size() ? kNames[i] : "unknown";
}

struct HttpCounters {
  using Counter = std::atomic<uint64_t>;

  Counter requests{0};                   // request heads parsed (start line accepted)
  Counter responses{0};                  // final (non-1xx) response heads parsed
  Counter interim_1xx{0};                // 1xx interim responses (101 is final: it ends HTTP)
  Counter transactions{0};               // transactions handed to HttpHandler::OnTransaction
  Counter no_response{0};                // ... of which ended without any response
  Counter truncated{0};                  // ... of which ended with the response body cut
  Counter pipelined_max_depth{0};        // most requests awaiting a response at once (a maximum)
  Counter gaps{0};                       // gap events received
  Counter resyncs{0};                    // start lines found again after losing sync
  Counter lost_requests{0};              // responses whose request a gap or resync swallowed
  Counter body_bytes_skipped_in_gap{0};  // gap bytes that fell inside a body of known length
  Counter tunnels{0};                    // CONNECT 2xx or 101 Switching Protocols: dissection stops
  Counter gave_up{0};                    // conversations that turned out not to be HTTP
  std::array<Counter, kHttpErrorCount> errors{};

  static void Add(Counter& c, uint64_t n = 1) { Bump(c, n); }
  static void Max(Counter& c, uint64_t v) {
    if (v > c.load(std::memory_order_relaxed)) c.store(v, std::memory_order_relaxed);
  }
  void Count(HttpError e) { Add(errors[static_cast<size_t>(e)]); }
  uint64_t Get(HttpError e) const {
    return errors[static_cast<size_t>(e)].load(std::memory_order_relaxed);
  }
};

}  // namespace bw::http
