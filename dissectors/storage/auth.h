#pragma once
// What credential a request presented, classified without verifying it (a passive sensor has no
// keys). The result holds only the access key id and the credential scope — never a signature,
// secret or token — so it is safe to log.

#include <optional>
#include <string>
#include <string_view>

#include "dissectors/storage/storage_event.h"
#include "dissectors/storage/url.h"

namespace bw::storage {

struct Credential {
  AuthClass auth_class = AuthClass::kAnonymous;
  AuthScheme scheme = AuthScheme::kNone;
  std::string access_key_id;  // AKID, Azure account (SharedKey), GCS HMAC id or service account
  std::string scope_region;   // SigV4/GOOG4 credential scope, when present
  std::string scope_service;  // "s3", "storage", ... from the credential scope
  bool goog1 = false;         // GCS legacy HMAC ("GOOG1 access:sig"), reported as scheme Other
};

// The Authorization header (nullopt when absent) wins over query credentials; a request with
// neither is anonymous. Scheme tokens are matched case-insensitively, query parameter names as
// each provider spells them.
Credential ClassifyCredential(std::optional<std::string_view> authorization,
                              const QueryParams& query);
// The same into `out`, keeping its strings' capacity.
void ClassifyCredential(std::optional<std::string_view> authorization, const QueryParams& query,
                        Credential& out);

// An access key id as recorded: printable identifier characters only and at most
// kMaxAccessKeyIdBytes; anything else gives "" (a garbled value is not worth the risk of logging
// part of a secret).
inline constexpr size_t kMaxAccessKeyIdBytes = 128;
std::string SanitiseAccessKeyId(std::string_view id);
void SanitiseAccessKeyIdTo(std::string_view id, std::string& out);

}  // namespace bw::storage
