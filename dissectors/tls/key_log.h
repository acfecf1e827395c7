#pragma once
// NSS key log lines (SSLKEYLOGFILE, HAProxy's tune.ssl.keylog), one line at a time, and the
// bounded store that keeps the secrets of each connection until it ends.
//
// Guarantees:
// - ParseKeyLogLine is pure (no I/O, clock, globals, exceptions or allocation) and reads nothing
//   outside the line it is given. A line is accepted only when every field is exactly what the
//   label requires; anything else is a named KeyLogError, never a guess.
// - KeyLogLineSplitter keeps at most kMaxKeyLogLine bytes of a line whatever the chunking; a
//   longer line is skipped up to its newline and counted, and the lines it delivers do not depend
//   on how the input was cut into chunks. The buffered bytes are wiped once a line is delivered.
// - KeyLogStore holds at most `limits.max_connections` connections; beyond that the connection
//   whose first key arrived earliest is evicted and counted. Every secret is wiped with
//   OPENSSL_cleanse when it is replaced, erased, evicted, or the store is destroyed.
// - Key material is never printable: Secret has no stream operator, no string conversion, and
//   gtest's PrintTo for it prints only its length.

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dissectors/common/bytes.h"

namespace bw::tls {

// Counts the entries of an X-macro list (`0 LIST(BW_TLS_COUNT_ONE)`), so that a count cannot
// fall behind its list. record_decryptor.h uses it too.
#define BW_TLS_COUNT_ONE(name, text) +1

// The labels of the NSS key log format that carry keys this sensor can use.
#define BW_TLS_KEY_LOG_LABELS(X)                                      \
  X(kClientRandom, "CLIENT_RANDOM")                                   \
  X(kClientHandshakeTrafficSecret, "CLIENT_HANDSHAKE_TRAFFIC_SECRET") \
  X(kServerHandshakeTrafficSecret, "SERVER_HANDSHAKE_TRAFFIC_SECRET") \
  X(kClientTrafficSecret0, "CLIENT_TRAFFIC_SECRET_0")                 \
  X(kServerTrafficSecret0, "SERVER_TRAFFIC_SECRET_0")                 \
  X(kExporterSecret, "EXPORTER_SECRET")                               \
  X(kClientEarlyTrafficSecret, "CLIENT_EARLY_TRAFFIC_SECRET")

enum class KeyLogLabel : uint8_t {
#define BW_X(name, text) name,
  BW_TLS_KEY_LOG_LABELS(BW_X)
#undef BW_X
};
inline constexpr size_t kKeyLogLabelCount = 0 BW_TLS_KEY_LOG_LABELS(BW_TLS_COUNT_ONE);

// Why a line was refused; the names are the `reason` label of a counter.
#define BW_TLS_KEY_LOG_ERRORS(X)                                                    \
  X(kNone, "none")                                                                  \
  X(kUnknownLabel, "unknown_label")        /* not one of the labels above */        \
  X(kMissingField, "missing_field")        /* fewer than three fields */            \
  X(kExtraField, "extra_field")            /* more than three fields */             \
  X(kBadRandomLength, "bad_random_length") /* client random not 64 hex digits */    \
  X(kBadSecretLength, "bad_secret_length") /* wrong secret size for the label */    \
  X(kBadHex, "bad_hex")                    /* a non-hex character in a hex field */ \
  X(kUnusedLabel, "unused_label") /* a label without use here: status kIgnored, not malformed */

enum class KeyLogError : uint8_t {
#define BW_X(name, text) name,
  BW_TLS_KEY_LOG_ERRORS(BW_X)
#undef BW_X
};
inline constexpr size_t kKeyLogErrorCount = 0 BW_TLS_KEY_LOG_ERRORS(BW_TLS_COUNT_ONE);

std::string_view KeyLogLabelName(KeyLogLabel label);
std::string_view KeyLogErrorName(KeyLogError error);

inline constexpr size_t kClientRandomLength = 32;
// SHA-384 secrets are the largest TLS 1.3 defines; the TLS 1.2 master secret is 48 bytes.
inline constexpr size_t kMaxSecretLength = 64;
// The longest valid line is 27 + 1 + 64 + 1 + 128 = 221 bytes; the bound leaves room for a
// CR and stray trailing blanks.
inline constexpr size_t kMaxKeyLogLine = 512;

using ClientRandom = std::array<uint8_t, kClientRandomLength>;

// A secret of up to kMaxSecretLength bytes, wiped when it is overwritten or destroyed.
class Secret {
 public:
  Secret() = default;
  Secret(const Secret& other) { *this = other; }
  Secret& operator=(const Secret& other);
  ~Secret() { Wipe(); }

  // False (and the secret emptied) when `bytes` is longer than kMaxSecretLength.
  bool Assign(ByteView bytes);
  void Wipe();

  bool empty() const { return length_ == 0; }
  size_t size() const { return length_; }
  ByteView view() const { return {bytes_.data(), length_}; }
  // Constant-time comparison: a secret is never compared byte by byte with early exit.
  bool Equals(ByteView other) const;

 private:
  std::array<uint8_t, kMaxSecretLength> bytes_{};
  uint8_t length_ = 0;
};

// gtest prints a failing value through PrintTo; this one prints the length only.
void PrintTo(const Secret& secret, std::ostream* os);

struct KeyLogEntry {
  KeyLogLabel label = KeyLogLabel::kClientRandom;
  ClientRandom client_random{};
  Secret secret;
};

enum class KeyLogLineStatus : uint8_t {
  kEntry,      // `entry` holds the line's key
  kIgnored,    // a blank line, a # comment, or a label without use here (error kUnusedLabel)
  kMalformed,  // `error` says why
};

struct KeyLogLineResult {
  KeyLogLineStatus status = KeyLogLineStatus::kIgnored;
  KeyLogError error = KeyLogError::kNone;
};

// Parses one line, without its newline (a trailing CR and blanks are tolerated). Fields are
// separated by one or more spaces or tabs; hex is accepted in either case (HAProxy writes upper
// case). CLIENT_RANDOM needs a 48-byte master secret; the TLS 1.3 labels a 32- or 48-byte secret.
KeyLogLineResult ParseKeyLogLine(std::string_view line, KeyLogEntry& entry);

struct KeyLogSplitterCounts {
  uint64_t lines = 0;           // lines delivered
  uint64_t overlong_lines = 0;  // lines longer than kMaxKeyLogLine, skipped
  uint64_t bytes = 0;           // every byte fed
};

// Cuts a byte stream (a file followed while it grows, a FIFO) into lines. The bytes of a line
// that has not ended yet are kept, up to kMaxKeyLogLine, until the chunk that ends it arrives.
class KeyLogLineSplitter {
 public:
  KeyLogLineSplitter() = default;
  KeyLogLineSplitter(const KeyLogLineSplitter&) = delete;
  KeyLogLineSplitter& operator=(const KeyLogLineSplitter&) = delete;
  ~KeyLogLineSplitter();

  // Calls on_line(std::string_view) for every line that ends within `chunk`, without its '\n'.
  // The view is valid only during the call.
  template <typename OnLine>
  void Feed(ByteView chunk, OnLine&& on_line);

  // The input ended: a last line without a newline is delivered (a file that ends without one).
  template <typename OnLine>
  void Finish(OnLine&& on_line);

  const KeyLogSplitterCounts& counts() const { return counts_; }
  size_t pending() const { return length_; }

 private:
  void Clear();

  std::array<char, kMaxKeyLogLine> line_{};
  size_t length_ = 0;
  bool overlong_ = false;  // the current line passed the bound: skip to its newline
  KeyLogSplitterCounts counts_;
};

// The secrets logged for one connection, by label; an empty Secret was not logged.
class ConnectionKeys {
 public:
  const Secret& Get(KeyLogLabel label) const { return secrets_[static_cast<size_t>(label)]; }
  bool Has(KeyLogLabel label) const { return !Get(label).empty(); }
  // Wipes every secret: a value reused for copies out of a shared store is emptied this way.
  void Clear() {
    for (Secret& s : secrets_) s.Wipe();
  }

 private:
  friend class KeyLogStore;
  std::array<Secret, kKeyLogLabelCount> secrets_;
};

struct KeyLogStoreLimits {
  // Each connection costs a fixed kKeyLogStoreBytesPerConnection, so this is the byte budget.
  size_t max_connections = 16384;
};

struct KeyLogStoreCounts {
  uint64_t entries_added = 0;      // keys stored for a label the connection did not have yet
  uint64_t entries_duplicate = 0;  // the same key again (a log read twice): nothing changed
  uint64_t entries_replaced = 0;   // a different key for a label already held: the new one wins
  uint64_t connections_added = 0;
  uint64_t connections_evicted = 0;  // dropped at the cap before their connection ended
  uint64_t connections_erased = 0;   // dropped because their connection ended
  uint64_t secrets_wiped = 0;        // secrets cleansed on replace, erase, evict or Clear
};

enum class KeyLogInsert : uint8_t { kAdded, kDuplicate, kReplaced };

class KeyLogStore {
 public:
  explicit KeyLogStore(KeyLogStoreLimits limits = {});
  KeyLogStore(const KeyLogStore&) = delete;
  KeyLogStore& operator=(const KeyLogStore&) = delete;
  ~KeyLogStore() { Clear(); }

  // Stores the entry's secret under its client random, evicting the oldest connection first
  // when the store is full and the connection is new.
  KeyLogInsert Insert(const KeyLogEntry& entry);
  // The keys of a connection, or nullptr. The pointer is valid until the next Insert, Erase or
  // Clear.
  const ConnectionKeys* Find(const ClientRandom& client_random) const;
  // Drops (and wipes) a connection's keys; false when none were held.
  bool Erase(const ClientRandom& client_random);
  void Clear();

  size_t size() const { return index_.size(); }
  size_t capacity() const { return limits_.max_connections; }
  size_t bytes_used() const;
  const KeyLogStoreCounts& counts() const { return counts_; }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Slot {
    ClientRandom client_random{};
    ConnectionKeys keys;
    uint32_t older = kNil;  // insertion order: towards the oldest
    uint32_t newer = kNil;
  };
  struct RandomHash {
    size_t operator()(const ClientRandom& r) const;
  };

  uint32_t Allocate();
  void Unlink(uint32_t slot);
  void Release(uint32_t slot);

  KeyLogStoreLimits limits_;
  std::vector<Slot> slots_;  // grows up to limits_.max_connections, then slots are reused
  std::vector<uint32_t> free_;
  std::unordered_map<ClientRandom, uint32_t, RandomHash> index_;
  uint32_t oldest_ = kNil;
  uint32_t newest_ = kNil;
  KeyLogStoreCounts counts_;
};

inline constexpr size_t kKeyLogStoreBytesPerConnection =
    sizeof(ClientRandom) + sizeof(ConnectionKeys) + 2 * sizeof(uint32_t) + 48;

// --- template definitions -------------------------------------------------------------------

template <typename OnLine>
void KeyLogLineSplitter::Feed(ByteView chunk, OnLine&& on_line) {
  counts_.bytes += chunk.size();
  for (uint8_t b : chunk) {
    if (b == '\n') {
      if (!overlong_) {
        ++counts_.lines;
        on_line(std::string_view(line_.data(), length_));
      }
      Clear();
      overlong_ = false;
      continue;
    }
    if (overlong_) continue;
    if (length_ == line_.size()) {
      ++counts_.overlong_lines;
      overlong_ = true;
      Clear();
      continue;
    }
    line_[length_++] = static_cast<char>(b);
  }
}

template <typename OnLine>
void KeyLogLineSplitter::Finish(OnLine&& on_line) {
  if (!overlong_ && length_ > 0) {
    ++counts_.lines;
    on_line(std::string_view(line_.data(), length_));
  }
  Clear();
  overlong_ = false;
}

}  // namespace bw::tls
