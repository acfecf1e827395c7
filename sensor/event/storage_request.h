#pragma once
// The contract between the application layer (which recognises storage requests on a worker)
// and everything after it (ledger, detection, metrics, which run on the output stage): one
// storage request with the connection it travelled on. Guarantees: plain values, owning their
// strings, never pointing into packet memory; nothing here can carry a credential (the query is
// redacted by the recogniser and no header other than User-Agent is copied).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dissectors/common/buffer_capacity.h"
#include "dissectors/common/timestamp.h"
#include "dissectors/storage/storage_event.h"
#include "sensor/decode/ip_address.h"

namespace bw::event {

struct RequestContext {
  TimestampNs start_ts = 0;  // first byte of the request
  TimestampNs end_ts = 0;    // last byte of the response (or of the request without one)
  decode::IpAddress client_ip;
  uint16_t client_port = 0;
  decode::IpAddress server_ip;
  uint16_t server_port = 0;
  std::string community_id;
  std::string method;
  uint16_t status = 0;               // 0 without response
  uint64_t request_bytes = 0;        // headers + body as sent
  uint64_t response_bytes = 0;       // headers + body as sent
  uint64_t response_body_bytes = 0;  // the body's content (object bytes), see StorageEvent
  std::string user_agent;
  std::string sni;  // TLS server name when the request was decrypted from TLS
  // Decrypted from TLS with a key log: the version (0x0303, 0x0304) and the suite's IANA name
  // (static storage, cipher_suite.h).
  bool tls_decrypted = false;
  uint16_t tls_version = 0;
  std::string_view tls_cipher;
  bool missing_bytes = false;  // a capture gap fell inside the request or response
};

struct StorageRequest {
  RequestContext ctx;
  storage::StorageEvent event;
};

// Heap bytes the request's strings and sample list hold (capacity, not length).
inline size_t HeapBytes(const StorageRequest& r) {
  auto heap = StringHeapBytes;
  const RequestContext& c = r.ctx;
  const storage::StorageEvent& e = r.event;
  size_t n = heap(c.community_id) + heap(c.method) + heap(c.user_agent) + heap(c.sni) +
             heap(e.account) + heap(e.bucket) + heap(e.key) + heap(e.access_key_id) +
             heap(e.error_code) + heap(e.url_domain) + heap(e.url_path) + heap(e.url_query) +
             e.sample_keys.capacity() * sizeof(std::string);
  for (const std::string& k : e.sample_keys) n += heap(k);
  return n;
}

// An HTTP request to a server that neither named nor fingerprinted itself as storage, read the
// way each provider family would address it. Whether it is storage depends on what the sensor
// learned of that server from earlier requests, possibly on other workers; only the output stage
// sees every worker's requests in packet-time order, so it decides, and the result does not
// depend on which worker saw what first.
struct KnownServerCandidate {
  enum Family : uint8_t { kS3Family, kAzureFamily, kGcsFamily, kFamilies };
  RequestContext ctx;
  // kFamilies readings, out of line: a queue slot is as large as its largest record kind, and
  // candidates are the rare kind.
  std::vector<storage::StorageEvent> as;
};

// The family whose addressing a provider uses (S3 and S3-compatible stores share it).
inline KnownServerCandidate::Family FamilyOf(storage::Provider p) {
  switch (p) {
    case storage::Provider::kAzureBlob:
      return KnownServerCandidate::kAzureFamily;
    case storage::Provider::kGcs:
      return KnownServerCandidate::kGcsFamily;
    case storage::Provider::kS3:
    case storage::Provider::kS3Compatible:
      break;
  }
  return KnownServerCandidate::kS3Family;
}

}  // namespace bw::event
