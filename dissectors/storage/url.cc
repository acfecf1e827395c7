#include "dissectors/storage/url.h"

#include <array>

#include "dissectors/common/buffer_capacity.h"
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

// Gateways differ in what they take apart: some split a query on ';' as well as '&', and some
// decode the query once or twice more before splitting, so an encoded "%3D" (or "%253D") is a
// separator to them. Redaction must cut wherever any of them would, or a signature survives
// verbatim. Returns the length of the separator at `pos` (a raw char from `chars`, or its
// percent-encoding nested up to kMaxEncodingDepth times), 0 if there is none.
constexpr int kMaxEncodingDepth = 3;

size_t EncodedCharAt(std::string_view s, size_t pos, std::string_view chars) {
  if (chars.find(s[pos]) != std::string_view::npos) return 1;
  if (s[pos] != '%') return 0;
  // Depth d is '%', then "25" d-1 times, then the character's two hex digits.
  size_t p = pos + 1;
  for (int depth = 1; depth <= kMaxEncodingDepth && p + 2 <= s.size(); ++depth, p += 2) {
    int hi = HexValue(s[p]);
    int lo = HexValue(s[p + 1]);
    if (hi < 0 || lo < 0) return 0;
    char c = static_cast<char>(hi * 16 + lo);
    if (chars.find(c) != std::string_view::npos) return p + 2 - pos;
    if (c != '%') return 0;
  }
  return 0;
}

}  // namespace

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  PercentDecodeTo(in, plus_is_space, out);
  return out;
}

void PercentDecodeTo(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  // Most names carry no escape: one copy.
  if (in.find('%') == std::string_view::npos &&
      (!plus_is_space || in.find('+') == std::string_view::npos)) {
    out.assign(in);
    return;
  }
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

void QueryParams::Parse(std::string_view query) {
  // Kept storage stays within kMaxParams x 2 x kRetainedBytes, plus the last query's size.
  for (size_t i = 0; i < count_; ++i) {
    ClearKeepingUpTo(params_[i].key, kRetainedBytes);
    ClearKeepingUpTo(params_[i].value, kRetainedBytes);
  }
  count_ = 0;
  dropped_ = 0;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view seg = query.substr(pos, amp - pos);
    if (!seg.empty()) {
      if (count_ >= kMaxParams) {
        ++dropped_;
      } else {
        if (count_ == params_.size()) params_.emplace_back();
        QueryParam& p = params_[count_++];
        size_t eq = seg.find('=');
        p.raw_key = eq == std::string_view::npos ? seg : seg.substr(0, eq);
        p.raw_value = eq == std::string_view::npos ? std::string_view() : seg.substr(eq + 1);
        p.has_value = eq != std::string_view::npos;
        PercentDecodeTo(p.raw_key, true, p.key);
        PercentDecodeTo(p.raw_value, true, p.value);
      }
    }
    if (amp == query.size()) break;
    pos = amp + 1;
  }
}

size_t QueryParams::heap_bytes() const {
  size_t n = params_.capacity() * sizeof(QueryParam);
  for (const QueryParam& p : params_) n += StringHeapBytes(p.key) + StringHeapBytes(p.value);
  return n;
}

const QueryParam* QueryParams::Find(std::string_view key) const {
  for (const QueryParam& p : all()) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

const QueryParam* QueryParams::FindIgnoreCase(std::string_view key) const {
  for (const QueryParam& p : all()) {
    if (EqualsIgnoreCase(p.key, key)) return &p;
  }
  return nullptr;
}

std::string_view QueryParams::Value(std::string_view key) const {
  const QueryParam* p = Find(key);
  return p == nullptr ? std::string_view() : std::string_view(p->value);
}

namespace {

// A key name as the most-decoding gateway would read it.
std::string DecodeNested(std::string_view raw) {
  std::string key = PercentDecode(raw, true);
  for (int depth = 1; depth < kMaxEncodingDepth && key.find('%') != std::string::npos; ++depth) {
    key = PercentDecode(key, true);
  }
  return key;
}

}  // namespace

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

namespace {

// Where a credential's value starts inside one segment between `separators`, or npos. The key may
// also hide behind an encoded separator inside the segment ("prefix=a%26sig%3Dx"), which a
// gateway that decodes before splitting reads as a parameter of its own.
size_t CredentialValueStart(std::string_view seg, std::string_view separators) {
  size_t pos = 0;
  while (pos < seg.size()) {
    size_t end = pos;
    size_t sep_len = 0;
    while (end < seg.size() && (sep_len = EncodedCharAt(seg, end, separators)) == 0) ++end;
    std::string_view sub = seg.substr(pos, end - pos);
    size_t eq = 0;
    size_t eq_len = 0;
    while (eq < sub.size() && (eq_len = EncodedCharAt(sub, eq, "=")) == 0) ++eq;
    if (eq_len != 0 && IsCredentialParam(DecodeNested(sub.substr(0, eq)))) {
      return pos + eq + eq_len;
    }
    pos = end + sep_len;
  }
  return std::string_view::npos;
}

}  // namespace

namespace {

// One reading of the query: parameters separated by the raw `separators`.
std::string RedactSplitAt(std::string_view query, std::string_view separators) {
  static constexpr std::string_view kRedacted = "REDACTED";
  std::string out;
  out.reserve(query.size());
  size_t pos = 0;
  while (true) {
    size_t end = query.find_first_of(separators, pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view seg = query.substr(pos, end - pos);
    size_t value = CredentialValueStart(seg, separators);
    if (value != std::string_view::npos) {
      // Everything to the next raw separator goes: a value cut at an encoded one would leak the
      // rest to a gateway that does not decode first.
      out.append(seg.substr(0, value));
      out.append(kRedacted);
    } else {
      out.append(seg);
    }
    if (end == query.size()) break;
    out.push_back(query[end]);
    pos = end + 1;
  }
  return out;
}

}  // namespace

// A value is redacted when any reader would take it for a credential: one that splits at '&'
// only (a ';' inside "pageToken;x=v" leaves the key a token's) and one that splits at ';' too
// ("a=1;sig=v"). The first pass redacts more where they disagree; the second finds what hides
// behind a ';'.
std::string RedactQuery(std::string_view query) {
  return RedactSplitAt(RedactSplitAt(query, "&"), "&;");
}

}  // namespace bw::storage
