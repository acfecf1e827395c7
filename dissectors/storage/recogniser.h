#pragma once
// The storage meaning of one HTTP transaction: which provider, account, bucket and key it
// addressed, the provider's name for the operation, the credential presented and what the server
// answered. Recognition is by endpoint name (configured rules first, then the providers' own
// names) and, when enabled, by wire fingerprint, so S3-compatible stores on any host and port are
// seen too. A transaction that matches nothing is not storage traffic (nullopt).
//
// Guarantees: pure functions of their arguments (no I/O, clock or global state; safe on any
// thread); bounded output (sample keys, error codes and key ids are capped); the event never
// holds a signature, SAS sig, token, password or Authorization value. Nothing here throws or
// asserts on traffic content.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dissectors/http/http_transaction.h"
#include "dissectors/storage/auth.h"
#include "dissectors/storage/azure.h"
#include "dissectors/storage/endpoint.h"
#include "dissectors/storage/gcs.h"
#include "dissectors/storage/listing_scanner.h"
#include "dissectors/storage/request_view.h"
#include "dissectors/storage/s3.h"
#include "dissectors/storage/storage_event.h"
#include "dissectors/storage/url.h"  // RedactQuery

namespace bw::storage {

struct RecogniserConfig {
  std::vector<EndpointRule> endpoints;
  bool fingerprint = true;  // recognise unnamed hosts by S3/Azure/GCS wire fingerprints
  size_t sample_keys = 20;  // keys carried per listing (clamped to kMaxSampleKeys)
};

// What the sensor already knows about the server of this connection (never derived from the
// transaction itself): the provider its earlier traffic was fingerprinted as.
struct ServerHint {
  std::optional<Provider> known_provider;
};

// Working storage for recognising one transaction at a time, reused from transaction to
// transaction so that recognition allocates nothing once its strings have grown to the traffic's
// names. One per thread (the worker's); what a call leaves in it means nothing to the next. The
// overloads without one use a fresh one each call.
struct RecogniserScratch {
  // What the transaction was classified as.
  Provider provider = Provider::kS3;
  RecognisedBy by = RecognisedBy::kName;
  ResourceRef ref;
  Credential cred;
  HostPort hp;
  std::string_view path;   // of the request target, still percent-encoded
  std::string_view query;  // likewise
  // Parsed on the way.
  QueryParams params;
  S3Host s3;
  AzureHost azure;
  GcsHost gcs;
  std::string vhost_prefix;
};

// What Recognise needs of a response body, decided once the response head is known
// (tx.has_response and tx.response headers filled):
//  kScan   a ListingScanner over the whole body (listings, error documents, operations that can
//          fail with 200), whose summary is passed to Recognise;
//  kPrefix the decoded prefix the HTTP layer keeps (body_prefix), for a store not recognised
//          yet whose body might still carry an error document that names it;
//  kNone   object data of a recognised store: its bytes are never a document.
enum class BodyUse : uint8_t { kNone, kPrefix, kScan };
BodyUse DecideBodyUse(const http::HttpTransaction& tx, const RecogniserConfig& cfg,
                      const ServerHint& hint = {});
BodyUse DecideBodyUse(const http::HttpTransaction& tx, const RecogniserConfig& cfg,
                      const ServerHint& hint, RecogniserScratch& scratch);
inline bool WantsBodyScan(const http::HttpTransaction& tx, const RecogniserConfig& cfg,
                          const ServerHint& hint = {}) {
  return DecideBodyUse(tx, cfg, hint) == BodyUse::kScan;
}

// The storage meaning of one transaction, or nullopt when it is not storage traffic. `body` is
// the scan of the full response body when the glue ran one (may be null; then the response's
// body_prefix is scanned for an error document). A transaction with no name and no fingerprint
// of its own is still storage when `hint` says its server was recognised before.
std::optional<StorageEvent> Recognise(const http::HttpTransaction& tx, const ListingSummary* body,
                                      const RecogniserConfig& cfg, const ServerHint& hint = {});
// The same into `out`, whose strings keep their capacity (the glue reuses one event per worker,
// so that recognising a request copies into memory it already has). True when it is storage;
// otherwise `out` is left emptied.
bool RecogniseInto(const http::HttpTransaction& tx, const ListingSummary* body,
                   const RecogniserConfig& cfg, const ServerHint& hint, StorageEvent& out);
bool RecogniseInto(const http::HttpTransaction& tx, const ListingSummary* body,
                   const RecogniserConfig& cfg, const ServerHint& hint, RecogniserScratch& scratch,
                   StorageEvent& out);

// Outcome of a response given the provider error code ("" when none). A headless answer to
// HTTP/0.9 (version 0, no status) that carried body bytes is success: the object was served.
Outcome ClassifyOutcome(const http::HttpTransaction& tx, std::string_view error_code);

}  // namespace bw::storage
