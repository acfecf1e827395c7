#include "dissectors/storage/auth.h"

#include "dissectors/storage/text.h"

namespace bw::storage {
namespace {

// "AKID/20240101/us-east-1/s3/aws4_request" (SigV4, GOOG4) or
// "AKID/20240101/s3/aws4_request" (SigV4a: no region, the region set is signed separately).
void ParseCredentialScope(std::string_view scope, bool has_region, Credential& out) {
  size_t slash = scope.find('/');
  SanitiseAccessKeyIdTo(scope.substr(0, slash), out.access_key_id);
  if (slash == std::string_view::npos) return;
  std::string_view rest = scope.substr(slash + 1);
  size_t date_end = rest.find('/');
  if (date_end == std::string_view::npos) return;
  rest = rest.substr(date_end + 1);
  if (has_region) {
    size_t region_end = rest.find('/');
    if (region_end == std::string_view::npos) return;
    SanitiseAccessKeyIdTo(rest.substr(0, region_end), out.scope_region);
    rest = rest.substr(region_end + 1);
  }
  SanitiseAccessKeyIdTo(rest.substr(0, rest.find('/')), out.scope_service);
}

// Value of "Name=value" inside "ALG Credential=..., SignedHeaders=..., Signature=...".
std::string_view AuthParam(std::string_view params, std::string_view name) {
  size_t pos = 0;
  while (pos < params.size()) {
    size_t end = params.find(',', pos);
    if (end == std::string_view::npos) end = params.size();
    std::string_view item = TrimAscii(params.substr(pos, end - pos));
    size_t eq = item.find('=');
    if (eq != std::string_view::npos && EqualsIgnoreCase(TrimAscii(item.substr(0, eq)), name)) {
      return TrimAscii(item.substr(eq + 1));
    }
    pos = end + 1;
  }
  return {};
}

void FromHeader(std::string_view value, Credential& c) {
  value = TrimAscii(value);
  size_t sp = 0;
  while (sp < value.size() && !IsAsciiSpace(value[sp])) ++sp;
  std::string_view scheme = value.substr(0, sp);
  std::string_view params = TrimAscii(value.substr(sp));
  c.auth_class = AuthClass::kSigned;
  if (EqualsIgnoreCase(scheme, "AWS4-HMAC-SHA256")) {
    c.scheme = AuthScheme::kSigV4;
    ParseCredentialScope(AuthParam(params, "Credential"), true, c);
  } else if (EqualsIgnoreCase(scheme, "AWS4-ECDSA-P256-SHA256")) {
    c.scheme = AuthScheme::kSigV4a;
    ParseCredentialScope(AuthParam(params, "Credential"), false, c);
  } else if (EqualsIgnoreCase(scheme, "GOOG4-HMAC-SHA256") ||
             EqualsIgnoreCase(scheme, "GOOG4-RSA-SHA256")) {
    c.scheme = AuthScheme::kGoog4;
    ParseCredentialScope(AuthParam(params, "Credential"), true, c);
  } else if (EqualsIgnoreCase(scheme, "AWS") || EqualsIgnoreCase(scheme, "SharedKey") ||
             EqualsIgnoreCase(scheme, "SharedKeyLite") || EqualsIgnoreCase(scheme, "GOOG1")) {
    // "<id>:<signature>": only the part before the colon is an identifier.
    if (EqualsIgnoreCase(scheme, "AWS")) {
      c.scheme = AuthScheme::kSigV2;
    } else if (EqualsIgnoreCase(scheme, "SharedKey")) {
      c.scheme = AuthScheme::kSharedKey;
    } else if (EqualsIgnoreCase(scheme, "SharedKeyLite")) {
      c.scheme = AuthScheme::kSharedKeyLite;
    } else {
      c.scheme = AuthScheme::kOther;
      c.goog1 = true;
    }
    size_t colon = params.rfind(':');
    if (colon != std::string_view::npos)
      SanitiseAccessKeyIdTo(params.substr(0, colon), c.access_key_id);
  } else if (EqualsIgnoreCase(scheme, "Bearer")) {
    c.auth_class = AuthClass::kBearer;
    c.scheme = AuthScheme::kBearer;
  } else {
    c.auth_class = AuthClass::kUnknown;
    c.scheme = AuthScheme::kOther;
  }
}

bool FromQuery(const QueryParams& q, Credential& c) {
  // AWS SigV4/SigV4a query authentication.
  if (q.Has("X-Amz-Signature") || q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Credential")) {
    c.auth_class = AuthClass::kPresigned;
    bool v4a = EqualsIgnoreCase(q.Value("X-Amz-Algorithm"), "AWS4-ECDSA-P256-SHA256");
    c.scheme = v4a ? AuthScheme::kSigV4a : AuthScheme::kSigV4;
    ParseCredentialScope(q.Value("X-Amz-Credential"), !v4a, c);
    return true;
  }
  // GCS V4 signed URL (HMAC or RSA).
  if (q.Has("X-Goog-Signature") || q.Has("X-Goog-Algorithm") || q.Has("X-Goog-Credential")) {
    c.auth_class = AuthClass::kPresigned;
    c.scheme = AuthScheme::kGoog4;
    ParseCredentialScope(q.Value("X-Goog-Credential"), true, c);
    return true;
  }
  // AWS SigV2 query authentication.
  if (q.Has("AWSAccessKeyId") && q.Has("Signature")) {
    c.auth_class = AuthClass::kPresigned;
    c.scheme = AuthScheme::kSigV2;
    SanitiseAccessKeyIdTo(q.Value("AWSAccessKeyId"), c.access_key_id);
    return true;
  }
  // GCS V2 signed URL.
  if (q.Has("GoogleAccessId") && q.Has("Signature")) {
    c.auth_class = AuthClass::kPresigned;
    c.scheme = AuthScheme::kOther;
    SanitiseAccessKeyIdTo(q.Value("GoogleAccessId"), c.access_key_id);
    return true;
  }
  // Azure SAS: a signature plus the signed version or the signed fields that define a SAS.
  if (q.Has("sig") && (q.Has("sv") || q.Has("se") || q.Has("sp") || q.Has("sr") || q.Has("ss"))) {
    c.auth_class = AuthClass::kPresigned;
    c.scheme = AuthScheme::kSas;
    // A user delegation SAS names the Entra object that signed it; account/service SAS name none.
    SanitiseAccessKeyIdTo(q.Value("skoid"), c.access_key_id);
    return true;
  }
  // OAuth access token in the query (GCS JSON API accepts it).
  if (q.Has("access_token")) {
    c.auth_class = AuthClass::kBearer;
    c.scheme = AuthScheme::kBearer;
    return true;
  }
  // A bare signature with nothing else: something signed it, we cannot tell how.
  if (q.Has("Signature") || q.Has("sig")) {
    c.auth_class = AuthClass::kUnknown;
    c.scheme = AuthScheme::kOther;
    return true;
  }
  return false;
}

}  // namespace

std::string SanitiseAccessKeyId(std::string_view id) {
  std::string out;
  SanitiseAccessKeyIdTo(id, out);
  return out;
}

void SanitiseAccessKeyIdTo(std::string_view id, std::string& out) {
  out.clear();
  id = TrimAscii(id);
  if (id.empty() || id.size() > kMaxAccessKeyIdBytes) return;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsAsciiDigit(c) || c == '-' ||
              c == '_' || c == '.' || c == '@';
    if (!ok) return;
  }
  out.assign(id);
}

Credential ClassifyCredential(std::optional<std::string_view> authorization,
                              const QueryParams& query) {
  Credential c;
  ClassifyCredential(authorization, query, c);
  return c;
}

void ClassifyCredential(std::optional<std::string_view> authorization, const QueryParams& query,
                        Credential& c) {
  c.auth_class = AuthClass::kAnonymous;
  c.scheme = AuthScheme::kNone;
  c.access_key_id.clear();
  c.scope_region.clear();
  c.scope_service.clear();
  c.goog1 = false;
  if (authorization && !TrimAscii(*authorization).empty()) {
    FromHeader(*authorization, c);
  } else {
    FromQuery(query, c);
  }
}

}  // namespace bw::storage
