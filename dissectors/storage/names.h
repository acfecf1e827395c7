#pragma once
// The closed sets a StorageEvent is described by (provider, auth class and scheme, outcome, kind of
// operation) and their stable wire names. Guarantees: every name is a ledger value and a bounded
// Prometheus label value; it never changes once released, because dashboards and saved queries
// match on it.

#include <cstdint>
#include <optional>
#include <string_view>

namespace bw::storage {

enum class Provider : uint8_t { kS3, kAzureBlob, kGcs, kS3Compatible };
enum class AuthClass : uint8_t { kAnonymous, kSigned, kPresigned, kBearer, kUnknown };
enum class AuthScheme : uint8_t {
  kNone,
  kSigV2,
  kSigV4,
  kSigV4a,
  kSharedKey,
  kSharedKeyLite,
  kSas,
  kGoog4,
  kBearer,
  kOther,
};
enum class Outcome : uint8_t { kSuccess, kDenied, kNotFound, kError, kNoResponse };

// What an operation does to data, for detection (listing, reading objects, probing, ...).
enum class OperationKind : uint8_t {
  kListBuckets,  // enumerate buckets/containers of an account
  kList,         // enumerate objects of a bucket
  kRead,         // object data served
  kHead,         // object or bucket metadata
  kWrite,
  kDelete,
  kConfig,  // ACL, policy, CORS, website, ... of a bucket or object
  kOther,
};

// Stable wire names (ledger values and Prometheus label values).
std::string_view ProviderName(Provider p);      // "s3", "azure_blob", "gcs", "s3_compatible"
std::string_view AuthClassName(AuthClass a);    // "anonymous", "signed", "presigned", ...
std::string_view AuthSchemeName(AuthScheme s);  // "SigV4", "SAS", ... ; "" for kNone
std::string_view OutcomeName(Outcome o);        // "success", "denied", "not_found", ...
std::string_view OperationKindName(OperationKind k);
// Inverse of ProviderName, for configuration files; nullopt for an unknown name.
std::optional<Provider> ProviderFromName(std::string_view name);

}  // namespace bw::storage
