#include "dissectors/storage/url.h"

#include <array>

#include "dissectors/storage/text.h"

namespace bw::storage {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Secrets by exact name. Signature-bearing names of every provider plus the usual OAuth and
// password parameters; "key" is a Google API key, "code" an OAuth authorisation code.
constexpr std::array<std::string_view, 24> kSecretParams = {
    "x-amz-signature",
    "x-amz-security-token",
    "signature",
    "sig",
    "x-goog-signature",
    "token",
    "access_token",
    "id_token",
    "refresh_token",
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
    "code",
    "key",
    "sessiontoken",
    "session_token",
    "apikey",
    "api_key",
    "x-ms-signature",
    "auth",
    "authorization",
    "x-goog-security-token",
};

// Secrets by fragment, for the long tail (x-amz-security-token variants, "clientSecret", ...).
constexpr std::array<std::string_view, 5> kSecretFragments = {"token", "secret", "passw",
                                                              "signature", "apikey"};

// Pagination cursors contain "token" but are opaque positions, not credentials; keeping them
// lets an analyst follow a listing page by page.
constexpr std::array<std::string_view, 3> kNotSecret = {"continuation-token", "pagetoken",
                                                        "nextpagetoken"};

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

}  // namespace

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

RequestTarget SplitRequestTarget(std::string_view target) {
  RequestTarget out;
  std::string_view rest = target;
  if (StartsWithIgnoreCase(rest, "http://") || StartsWithIgnoreCase(rest, "https://")) {
    rest.remove_prefix(rest.find("//") + 2);
    size_t slash = rest.find_first_of("/?#");
    if (slash == std::string_view::npos) {
      rest = "/";
    } else if (rest[slash] != '/') {
      // "http://host?q": the path is empty, which HTTP treats as "/". Keep the query.
      out.ok = true;
      out.path = "/";
      rest = rest.substr(slash);
      size_t hash = rest.find('#');
      if (hash != std::string_view::npos) rest = rest.substr(0, hash);
      if (!rest.empty() && rest.front() == '?') out.query = rest.substr(1);
      return out;
    } else {
      rest = rest.substr(slash);
    }
  }
  if (rest.empty() || rest.front() != '/') return out;
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t q = rest.find('?');
  out.ok = true;
  if (q == std::string_view::npos) {
    out.path = rest;
  } else {
    out.path = rest.substr(0, q);
    out.query = rest.substr(q + 1);
  }
  return out;
}

QueryParams::QueryParams(std::string_view query) {
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view seg = query.substr(pos, amp - pos);
    if (!seg.empty()) {
      if (params_.size() >= kMaxParams) {
        ++dropped_;
      } else {
        QueryParam p;
        size_t eq = seg.find('=');
        if (eq == std::string_view::npos) {
          p.raw_key = seg;
        } else {
          p.raw_key = seg.substr(0, eq);
          p.raw_value = seg.substr(eq + 1);
          p.has_value = true;
        }
        p.key = PercentDecode(p.raw_key, true);
        p.value = PercentDecode(p.raw_value, true);
        params_.push_back(std::move(p));
      }
    }
    if (amp == query.size()) break;
    pos = amp + 1;
  }
}

const QueryParam* QueryParams::Find(std::string_view key) const {
  for (const auto& p : params_) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

const QueryParam* QueryParams::FindIgnoreCase(std::string_view key) const {
  for (const auto& p : params_) {
    if (EqualsIgnoreCase(p.key, key)) return &p;
  }
  return nullptr;
}

std::string_view QueryParams::Value(std::string_view key) const {
  const QueryParam* p = Find(key);
  return p == nullptr ? std::string_view() : std::string_view(p->value);
}

bool IsCredentialParam(std::string_view decoded_key) {
  std::string_view k = TrimAscii(decoded_key);
  for (std::string_view s : kNotSecret) {
    if (EqualsIgnoreCase(k, s)) return false;
  }
  for (std::string_view s : kSecretParams) {
    if (EqualsIgnoreCase(k, s)) return true;
  }
  for (std::string_view f : kSecretFragments) {
    if (ContainsIgnoreCase(k, f)) return true;
  }
  return false;
}

std::string RedactQuery(std::string_view query) {
  static constexpr std::string_view kRedacted = "REDACTED";
  std::string out;
  out.reserve(query.size());
  size_t pos = 0;
  while (true) {
    size_t amp = query.find('&', pos);
    size_t end = amp == std::string_view::npos ? query.size() : amp;
    std::string_view seg = query.substr(pos, end - pos);
    size_t eq = seg.find('=');
    if (eq != std::string_view::npos && IsCredentialParam(PercentDecode(seg.substr(0, eq), true))) {
      out.append(seg.substr(0, eq + 1));
      out.append(kRedacted);
    } else {
      out.append(seg);
    }
    if (amp == std::string_view::npos) break;
    out.push_back('&');
    pos = amp + 1;
  }
  return out;
}

}  // namespace bw::storage
