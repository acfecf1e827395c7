#pragma once
// One storage API request as the ledger and the detection engine see it: who it addressed
// (provider, account, bucket, key), what it did (an operation of the table in operation.h), what
// credential it presented, and what the server answered. Never holds a signature, SAS `sig`,
// token or password: only the access key id, and a query string with such values REDACTED.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dissectors/storage/names.h"
#include "dissectors/storage/operation.h"

namespace bw::storage {

// Bounds on what one event carries, whatever the traffic: S3 keys are at most 1024 bytes and a
// ledger line must stay small, so longer keys are cut (at a UTF-8 boundary) and samples capped.
inline constexpr size_t kMaxSampleKeyBytes = 1024;
inline constexpr size_t kMaxSampleKeys = 1000;

// How the provider was recognised: by its own endpoint names, by a configured endpoint rule,
// by a wire fingerprint of this transaction, or because the server endpoint was recognised
// earlier (a store such as s3rver answers object reads with no fingerprint of its own).
// kObjectDigest: an object read whose body has the MD5 its ETag claims (object_digest.h).
enum class RecognisedBy : uint8_t {
  kName,
  kEndpointRule,
  kFingerprint,
  kKnownServer,
  kObjectDigest
};

// The server showed it is storage of its own accord: its later requests that do not say so are
// storage too (known servers).
constexpr bool TeachesServer(RecognisedBy by) {
  return by == RecognisedBy::kFingerprint || by == RecognisedBy::kObjectDigest;
}

struct StorageEvent {
  Provider provider = Provider::kS3;
  RecognisedBy recognised_by = RecognisedBy::kName;
  std::string account;  // Azure storage account; AWS account is not on the wire (empty)
  std::string bucket;   // bucket or container; empty for account-level operations
  std::string key;      // object key or blob name, URL-decoded
  Operation operation = Operation::kUnknown;  // OperationName() gives the wire name
  // Usually OperationKindOf(operation); differs where the API overloads a name (operation.h).
  OperationKind kind = OperationKind::kOther;

  AuthClass auth_class = AuthClass::kAnonymous;
  AuthScheme auth_scheme = AuthScheme::kNone;
  std::string access_key_id;  // when the credential carries one; never the secret or signature

  Outcome outcome = Outcome::kNoResponse;
  std::string error_code;  // x-ms-error-code, XML <Code>, or JSON error reason

  std::string url_domain;      // host the request addressed (Host or absolute-form authority)
  std::string url_path;        // path as sent (still percent-encoded)
  std::string url_query;       // query with credential values replaced by REDACTED
  bool range_request = false;  // a Range header asked for part of the object

  int64_t list_keys = -1;       // keys (and prefixes) a listing returned; -1 when not a listing
  bool list_truncated = false;  // the listing says more pages exist
  // Object names disclosed: the first keys of a listing (at most RecogniserConfig::sample_keys,
  // each at most kMaxSampleKeyBytes), or the key of an object read.
  std::vector<std::string> sample_keys;

  uint64_t request_bytes = 0;   // request header + body bytes on the wire
  uint64_t response_bytes = 0;  // response header + body bytes on the wire; 0 without response
  // Object bytes: the content of the response body (de-chunked; Content-Length, or the
  // Content-Range span of a 206, when it was complete; bytes lost in a capture gap inside a
  // body of known length included). What a read took away, for detection and the exposure
  // report; response_bytes is the message on the wire.
  uint64_t response_body_bytes = 0;
};

}  // namespace bw::storage
