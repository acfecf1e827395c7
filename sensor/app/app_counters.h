#pragma once
// Application-layer counters of one worker (written by that worker only; relaxed reads from the
// metrics and summary threads).

#include <array>
#include <atomic>
#include <cstdint>

#include "dissectors/common/counter.h"
#include "dissectors/http/http_counters.h"
#include "dissectors/tls/connection_decryptor.h"

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
  // TLS decryption from key logs (tls/connection_decryptor.h): ClientHellos whose keys were
  // looked for, connections with a record read under logged keys, connections whose bytes had
  // to wait for keys, decrypted connections that speak HTTP/2 (not dissected), and why
  // decryption ended early.
  std::atomic<uint64_t> tls_decrypt_attempts{0};
  std::atomic<uint64_t> tls_decrypted{0};
  std::atomic<uint64_t> tls_waited_for_keys{0};
  std::atomic<uint64_t> tls_http2{0};
  // Sessions a worker kept after their connection ended, to wait for keys (worker.h).
  std::atomic<uint64_t> tls_parked{0};
  // 0-RTT, counted when the connection closes: plaintext delivered because the server accepted
  // it, plaintext dropped because it refused it (the client sends it again, and that is what the
  // ledger shows), and early records left undecrypted for want of CLIENT_EARLY_TRAFFIC_SECRET.
  std::atomic<uint64_t> tls_early_data_bytes{0};
  std::atomic<uint64_t> tls_early_data_rejected_bytes{0};
  std::atomic<uint64_t> tls_early_records_skipped{0};
  std::array<std::atomic<uint64_t>, tls::kSessionFailureCount> tls_decrypt_failures{};

  static void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) { bw::Bump(c, n); }
};

}  // namespace bw::app
