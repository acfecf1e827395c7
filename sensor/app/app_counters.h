#pragma once
// Application-layer counters of one worker (written by that worker only; relaxed reads from the
// metrics and summary threads).

#include <atomic>
#include <cstdint>

#include "dissectors/common/counter.h"
#include "dissectors/http/http_counters.h"

namespace bw::app {

struct AppCounters {
  http::HttpCounters http;
  std::atomic<uint64_t> http_flows{0};
  std::atomic<uint64_t> tls_flows{0};
  std::atomic<uint64_t> other_flows{0};  // neither HTTP nor TLS: not dissected
  std::atomic<uint64_t> tls_client_hellos{0};
  std::atomic<uint64_t> tls_client_hello_invalid{0};
  std::atomic<uint64_t> tls_client_hello_too_large{0};
  std::atomic<uint64_t> storage_events{0};
  std::atomic<uint64_t> non_storage_http{0};  // HTTP transactions that were not storage requests
  // Of those, handed to the output stage in case their server is known there as storage.
  std::atomic<uint64_t> known_server_candidates{0};
  // Object reads from servers not known as storage whose body had the MD5 the ETag claims
  // (storage/object_digest.h), and of those checked, the ones that did not.
  std::atomic<uint64_t> object_digest_matches{0};
  std::atomic<uint64_t> object_digest_mismatches{0};

  static void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) { bw::Bump(c, n); }
};

}  // namespace bw::app
