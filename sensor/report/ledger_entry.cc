#include "sensor/report/ledger_entry.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "dissectors/storage/operation.h"
#include "sensor/common/rfc3339.h"

namespace bw::report {

namespace {

// A single-pass JSON scanner that validates the whole line and hands every
// scalar to a callback with the keys leading to it. Ledger lines are flat and
// shallow, so this beats building a DOM per line by an order of magnitude on
// 10M-line ledgers; nlohmann stays the oracle in the tests.
class Scanner {
 public:
  static constexpr size_t kMaxDepth = 32;
  static constexpr size_t kMaxPath = 4;  // keys remembered; deeper values are validated only

  explicit Scanner(std::string_view text) : s_(text) {}

  template <typename OnValue>
  bool Parse(OnValue&& on_value) {
    SkipSpace();
    if (pos_ >= s_.size() || s_[pos_] != '{') return false;
    if (!Value(on_value, 0)) return false;
    SkipSpace();
    return pos_ == s_.size();
  }

  struct Scalar {
    enum Kind { kString, kInt, kNumber, kTrue, kFalse, kNull } kind;
    std::string_view text;  // kString: unescaped (may point into scratch); kInt: digits
    bool in_array;          // an element of an array (sample_keys)
  };
  const std::string_view* path() const { return path_; }
  size_t path_size() const { return path_size_; }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool Hex4(uint32_t& out) {
    if (pos_ + 4 > s_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      int h = Hex(s_[pos_++]);
      if (h < 0) return false;
      out = out * 16 + static_cast<uint32_t>(h);
    }
    return true;
  }

  static void PutUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Reads a string at pos_ ('"'); `out` views the raw bytes when there is no
  // escape, else `scratch`.
  bool String(std::string_view& out, std::string& scratch) {
    ++pos_;  // opening quote
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\') {
      if (static_cast<unsigned char>(s_[pos_]) < 0x20) return false;
      ++pos_;
    }
    if (pos_ >= s_.size()) return false;
    if (s_[pos_] == '"') {
      out = s_.substr(start, pos_ - start);
      ++pos_;
      return true;
    }
    scratch.assign(s_.substr(start, pos_ - start));
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') {
        out = scratch;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        scratch += c;
        continue;
      }
      if (pos_ >= s_.size()) return false;
      char e = s_[pos_++];
      switch (e) {
        case '"':
          scratch += '"';
          break;
        case '\\':
          scratch += '\\';
          break;
        case '/':
          scratch += '/';
          break;
        case 'b':
          scratch += '\b';
          break;
        case 'f':
          scratch += '\f';
          break;
        case 'n':
          scratch += '\n';
          break;
        case 'r':
          scratch += '\r';
          break;
        case 't':
          scratch += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (pos_ + 2 > s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') return false;
            pos_ += 2;
            if (!Hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          PutUtf8(scratch, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool Number(Scalar& v) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return false;
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    } else {
      return false;
    }
    bool integer = true;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integer = false;
      ++pos_;
      size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) return false;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integer = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) return false;
    }
    v.kind = integer ? Scalar::kInt : Scalar::kNumber;
    v.text = s_.substr(start, pos_ - start);
    if (!integer) {
      // A value beyond double's range is rejected, as JSON libraries do
      // ("1e999").
      std::string copy(v.text);
      if (std::isinf(std::strtod(copy.c_str(), nullptr))) return false;
    }
    return true;
  }

  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  template <typename OnValue>
  bool Value(OnValue& on_value, size_t depth, bool in_array = false) {
    if (depth > kMaxDepth) return false;
    SkipSpace();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      for (;;) {
        SkipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '"') return false;
        std::string_view key;
        std::string key_scratch;
        if (!String(key, key_scratch)) return false;
        SkipSpace();
        if (pos_ >= s_.size() || s_[pos_] != ':') return false;
        ++pos_;
        // Escaped keys are rare; keep them alive in a per-depth slot while
        // their value runs. Deeper keys are never reported, so they need no
        // slot.
        if (depth < kMaxPath && !key_scratch.empty() && key.data() == key_scratch.data()) {
          keys_[depth] = std::move(key_scratch);
          key = keys_[depth];
        }
        if (depth < kMaxPath) path_[depth] = key;
        size_t saved = path_size_;
        path_size_ = depth + 1;
        bool ok = Value(on_value, depth + 1);
        path_size_ = saved;
        if (!ok) return false;
        SkipSpace();
        if (pos_ >= s_.size()) return false;
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (s_[pos_] == '}') {
          ++pos_;
          return true;
        }
        return false;
      }
    }
    if (c == '[') {
      ++pos_;
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      for (;;) {
        if (!Value(on_value, depth + 1, true)) return false;
        SkipSpace();
        if (pos_ >= s_.size()) return false;
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (s_[pos_] == ']') {
          ++pos_;
          return true;
        }
        return false;
      }
    }
    Scalar v{Scalar::kNull, {}, in_array};
    if (c == '"') {
      v.kind = Scalar::kString;
      if (!String(v.text, scratch_)) return false;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      if (!Number(v)) return false;
    } else if (Literal("true")) {
      v.kind = Scalar::kTrue;
    } else if (Literal("false")) {
      v.kind = Scalar::kFalse;
    } else if (Literal("null")) {
      v.kind = Scalar::kNull;
    } else {
      return false;
    }
    if (path_size_ <= kMaxPath) on_value(*this, v);
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string_view path_[kMaxPath];
  size_t path_size_ = 0;
  std::string keys_[kMaxPath];
  std::string scratch_;
};

template <typename T>
bool ToInt(std::string_view digits, T& out) {
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  return ec == std::errc() && p == digits.data() + digits.size();
}

}  // namespace

bool LedgerEntry::ObjectRead() const {
  if (method != "GET" || key.empty()) return false;
  using storage::Operation;
  using storage::OperationName;
  if (operation == OperationName(Operation::kGetObject) ||
      operation == OperationName(Operation::kGetBlob)) {
    return true;
  }
  if (operation == OperationName(Operation::kGcsObjectsGet)) {
    // The JSON API's objects.get is metadata unless alt=media; the XML API's
    // GET is data.
    if (url_path.rfind("/storage/v1/", 0) != 0) return true;
    return url_query.find("alt=media") != std::string::npos;
  }
  return false;
}

bool ParseLedgerEntry(std::string_view line, LedgerEntry& out) {
  out = LedgerEntry{};
  std::string_view timestamp;
  std::string ts_copy;
  bool have_ts = false, storage_object = false;
  using S = Scanner::Scalar;
  auto on_value = [&](const Scanner& sc, const S& v) {
    const std::string_view* p = sc.path();
    size_t n = sc.path_size();
    auto str = [&](std::string& dst) {
      if (v.kind == S::kString && !v.in_array) dst.assign(v.text);
    };
    if (n == 1) {
      if (p[0] == "@timestamp" && v.kind == S::kString && !v.in_array) {
        ts_copy.assign(v.text);
        timestamp = ts_copy;
        have_ts = true;
      }
      return;
    }
    if (p[0] == "storage") {
      storage_object = true;
      if (n == 2) {
        if (p[1] == "provider")
          str(out.provider);
        else if (p[1] == "account")
          str(out.account);
        else if (p[1] == "bucket")
          str(out.bucket);
        else if (p[1] == "key")
          str(out.key);
        else if (p[1] == "operation")
          str(out.operation);
        else if (p[1] == "outcome")
          str(out.outcome);
        else if (p[1] == "error_code")
          str(out.error_code);
        else if (p[1] == "range")
          out.range = v.kind == S::kTrue && !v.in_array;
      } else if (n == 3 && p[1] == "auth") {
        if (p[2] == "class")
          str(out.auth_class);
        else if (p[2] == "access_key_id")
          str(out.access_key_id);
      } else if (n == 3 && p[1] == "list") {
        if (p[2] == "keys" && !v.in_array) {
          out.list_keys = -2;  // present; fixed up below
          int64_t k;
          if (v.kind == S::kInt && ToInt(v.text, k) && k >= 0) out.list_keys = k;
        } else if (p[2] == "truncated") {
          out.list_truncated = v.kind == S::kTrue && !v.in_array;
        } else if (p[2] == "sample_keys" && v.in_array && v.kind == S::kString) {
          out.sample_keys.emplace_back(v.text);
        }
      }
    } else if (n == 2 && p[0] == "source" && p[1] == "ip") {
      str(out.client_ip);
    } else if (n == 2 && p[0] == "observer" && p[1] == "name") {
      str(out.observer);
    } else if (n == 2 && p[0] == "user_agent" && p[1] == "original") {
      str(out.user_agent);
    } else if (n == 2 && p[0] == "url") {
      if (p[1] == "path")
        str(out.url_path);
      else if (p[1] == "query")
        str(out.url_query);
    } else if (n == 3 && p[0] == "http") {
      if (p[1] == "request" && p[2] == "method") {
        str(out.method);
      } else if (p[1] == "response" && v.kind == S::kInt && !v.in_array) {
        if (p[2] == "status_code" && !ToInt(v.text, out.status)) out.status = 0;
        if (p[2] == "bytes" && !ToInt(v.text, out.response_bytes)) out.response_bytes = 0;
      }
    } else if (n == 4 && p[0] == "http" && p[1] == "response" && p[2] == "body" &&
               p[3] == "bytes" && v.kind == S::kInt && !v.in_array) {
      out.has_body_bytes = ToInt(v.text, out.body_bytes);
      if (!out.has_body_bytes) out.body_bytes = 0;
    }
  };
  Scanner scanner(line);
  if (!scanner.Parse(on_value)) return false;
  // storage.list.keys marks a listing; a count that is not a non-negative
  // integer reads as 0.
  if (out.list_keys == -2) out.list_keys = 0;
  if (!have_ts || !storage_object || out.provider.empty()) return false;
  auto parsed = ParseTime(timestamp);
  if (!parsed) return false;
  out.ts = *parsed;
  return true;
}

std::optional<TimestampNs> ParseTime(std::string_view s) {
  // Nanoseconds since 1970 in int64: up to 2262-04-11.
  constexpr int64_t kMaxSeconds = INT64_MAX / kNsPerSecond - 1;
  if (s.empty()) return std::nullopt;
  if (s.find('-') == std::string_view::npos) {
    int64_t secs = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    if (secs < 0 || secs > kMaxSeconds) return std::nullopt;
    return secs * kNsPerSecond;
  }
  // A date alone is its midnight UTC; a space may stand for the 'T' (RFC 3339, 5.6, NOTE).
  std::string text(s);
  if (text.size() == 10) {
    text += "T00:00:00Z";
  } else if (text.size() > 10 && text[10] == ' ') {
    text[10] = 'T';
  }
  std::optional<TimestampNs> ts = common::ParseRfc3339(text);
  if (!ts || *ts < 0) return std::nullopt;
  return ts;
}

}  // namespace bw::report
