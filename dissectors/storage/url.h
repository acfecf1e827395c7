#pragma once
// URL pieces of a storage request: the request-target split into path and query, percent
// decoding, a bounded query parameter list, and credential redaction. Decoding never fails:
// malformed escapes are kept literally, as servers do, so a hostile URL still yields a value.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bw::storage {

// %XX escapes decoded; with plus_is_space, '+' becomes ' ' (query strings).
std::string PercentDecode(std::string_view in, bool plus_is_space);
// The same into `out`, replacing its content and keeping its capacity.
void PercentDecodeTo(std::string_view in, bool plus_is_space, std::string& out);

struct RequestTarget {
  bool ok = false;         // origin-form or absolute-form with a path
  std::string_view path;   // starts with '/', still percent-encoded
  std::string_view query;  // after '?', without the fragment; may be empty
};
// Splits an origin-form ("/p?q") or absolute-form ("http://h/p?q") target. Authority and
// asterisk forms are not storage requests and give ok == false.
RequestTarget SplitRequestTarget(std::string_view target);

struct QueryParam {
  std::string_view raw_key;    // as sent
  std::string_view raw_value;  // as sent
  std::string key;             // decoded
  std::string value;           // decoded
  bool has_value = false;      // "k=" vs "k"
};

// The parameters of one query string, in order. Holds at most kMaxParams; the rest are ignored
// (and counted in dropped()) so a hostile query cannot grow it.
class QueryParams {
 public:
  static constexpr size_t kMaxParams = 128;
  // Capacity a parameter's decoded key or value keeps for the next query; a longer one is
  // released when the next query is parsed.
  static constexpr size_t kRetainedBytes = 1024;

  QueryParams() = default;
  explicit QueryParams(std::string_view query) { Parse(query); }
  // Replaces the parameters with those of `query`. The storage of earlier parameters is reused,
  // so parsing query after query into one object allocates only to grow.
  void Parse(std::string_view query);

  // Exact (case-sensitive) key match on the decoded key; first occurrence.
  const QueryParam* Find(std::string_view key) const;
  const QueryParam* FindIgnoreCase(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // Decoded value, "" when absent.
  std::string_view Value(std::string_view key) const;
  std::span<const QueryParam> all() const { return {params_.data(), count_}; }
  size_t dropped() const { return dropped_; }
  // Heap bytes held, kept storage included, for memory accounting and tests.
  size_t heap_bytes() const;

 private:
  std::vector<QueryParam> params_;  // the first count_ are this query's; the rest are kept
  size_t count_ = 0;
  size_t dropped_ = 0;
};

// Whether a query parameter carries a secret (signature, SAS sig, token, password, API key, ...).
// Case-insensitive on the decoded key.
bool IsCredentialParam(std::string_view decoded_key);

// The query with every credential value replaced by REDACTED; keys, order and all other values
// are kept byte for byte. A value goes when any reader takes it for a credential: one that
// separates parameters at '&' only, and one that also separates at ';'; a key counts however
// many times (up to three) it and its '=' are percent-encoded, as some S3-compatible gateways
// read them. A redacted value runs to the reader's next raw separator.
std::string RedactQuery(std::string_view query);

}  // namespace bw::storage
