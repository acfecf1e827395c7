#include "dissectors/tls/key_log.h"

#include <openssl/crypto.h>

#include <ostream>

namespace bw::tls {
namespace {

constexpr std::array<std::string_view, kKeyLogLabelCount> kLabelNames = {
#define BW_X(name, text) text,
    BW_TLS_KEY_LOG_LABELS(BW_X)
#undef BW_X
};
constexpr std::array<std::string_view, kKeyLogErrorCount> kErrorNames = {
#define BW_X(name, text) text,
    BW_TLS_KEY_LOG_ERRORS(BW_X)
#undef BW_X
};

// Labels other writers log that carry nothing this sensor decrypts with: OpenSSL logs the
// secrets after each KeyUpdate (derived here from _0 anyway), NSS the pre-1.3 RSA premaster
// and early exporter. Not malformed, so not counted as such.
constexpr std::array<std::string_view, 5> kUnusedLabels = {
    "CLIENT_TRAFFIC_SECRET_N", "SERVER_TRAFFIC_SECRET_N", "EARLY_EXPORTER_SECRET",
    "EARLY_EXPORTER_MASTER_SECRET", "RSA"};

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `hex` (even length, checked by the caller) into `out`; false on a non-hex digit.
bool DecodeHex(std::string_view hex, uint8_t* out) {
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

// Splits off the next blank-separated field; empty when none is left.
std::string_view NextField(std::string_view& rest) {
  size_t start = 0;
  while (start < rest.size() && IsBlank(rest[start])) ++start;
  size_t end = start;
  while (end < rest.size() && !IsBlank(rest[end])) ++end;
  std::string_view field = rest.substr(start, end - start);
  rest.remove_prefix(end);
  return field;
}

bool SecretLengthFits(KeyLogLabel label, size_t bytes) {
  if (label == KeyLogLabel::kClientRandom) return bytes == 48;
  return bytes == 32 || bytes == 48;
}

}  // namespace

std::string_view KeyLogLabelName(KeyLogLabel label) {
  return kLabelNames[static_cast<size_t>(label)];
}

std::string_view KeyLogErrorName(KeyLogError error) {
  return kErrorNames[static_cast<size_t>(error)];
}

Secret& Secret::operator=(const Secret& other) {
  if (this == &other) return *this;
  Wipe();
  bytes_ = other.bytes_;
  length_ = other.length_;
  return *this;
}

bool Secret::Assign(ByteView bytes) {
  Wipe();
  if (bytes.size() > bytes_.size()) return false;
  std::copy(bytes.begin(), bytes.end(), bytes_.begin());
  length_ = static_cast<uint8_t>(bytes.size());
  return true;
}

void Secret::Wipe() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
  length_ = 0;
}

bool Secret::Equals(ByteView other) const {
  return other.size() == length_ && CRYPTO_memcmp(bytes_.data(), other.data(), length_) == 0;
}

void PrintTo(const Secret& secret, std::ostream* os) {
  *os << "<secret, " << secret.size() << " bytes>";
}

KeyLogLineResult ParseKeyLogLine(std::string_view line, KeyLogEntry& entry) {
  auto malformed = [](KeyLogError e) { return KeyLogLineResult{KeyLogLineStatus::kMalformed, e}; };
  std::string_view rest = line;
  std::string_view label_text = NextField(rest);
  if (label_text.empty() || label_text.front() == '#') return {};
  size_t label = 0;
  while (label < kLabelNames.size() && kLabelNames[label] != label_text) ++label;
  if (label == kLabelNames.size()) {
    for (std::string_view unused : kUnusedLabels) {
      if (unused == label_text) return {KeyLogLineStatus::kIgnored, KeyLogError::kUnusedLabel};
    }
    return malformed(KeyLogError::kUnknownLabel);
  }
  std::string_view random_hex = NextField(rest);
  std::string_view secret_hex = NextField(rest);
  if (secret_hex.empty()) return malformed(KeyLogError::kMissingField);
  if (!NextField(rest).empty()) return malformed(KeyLogError::kExtraField);
  if (random_hex.size() != 2 * kClientRandomLength) {
    return malformed(KeyLogError::kBadRandomLength);
  }
  auto kind = static_cast<KeyLogLabel>(label);
  if (secret_hex.size() % 2 != 0 || !SecretLengthFits(kind, secret_hex.size() / 2)) {
    return malformed(KeyLogError::kBadSecretLength);
  }
  std::array<uint8_t, kMaxSecretLength> secret{};
  bool ok =
      DecodeHex(random_hex, entry.client_random.data()) && DecodeHex(secret_hex, secret.data());
  if (ok) {
    entry.label = kind;
    ok = entry.secret.Assign(ByteView(secret.data(), secret_hex.size() / 2));
  }
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!ok) {
    entry.secret.Wipe();
    return malformed(KeyLogError::kBadHex);
  }
  return {KeyLogLineStatus::kEntry, KeyLogError::kNone};
}

KeyLogLineSplitter::~KeyLogLineSplitter() { Clear(); }

void KeyLogLineSplitter::Clear() {
  OPENSSL_cleanse(line_.data(), length_);
  length_ = 0;
}

size_t KeyLogStore::RandomHash::operator()(const ClientRandom& r) const {
  // Client randoms are random, but a hostile client chooses its own: hash all of it rather than
  // taking a few bytes as the bucket index.
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(r.data()), r.size()));
}

KeyLogStore::KeyLogStore(KeyLogStoreLimits limits) : limits_(limits) {
  if (limits_.max_connections == 0) limits_.max_connections = 1;
  if (limits_.max_connections >= kNil) limits_.max_connections = kNil - 1;
}

size_t KeyLogStore::bytes_used() const { return index_.size() * kKeyLogStoreBytesPerConnection; }

uint32_t KeyLogStore::Allocate() {
  if (!free_.empty()) {
    uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  if (slots_.size() < limits_.max_connections) {
    slots_.emplace_back();
    return static_cast<uint32_t>(slots_.size() - 1);
  }
  // Full: the connection whose first key is oldest makes room.
  uint32_t victim = oldest_;
  ++counts_.connections_evicted;
  index_.erase(slots_[victim].client_random);
  Unlink(victim);
  for (Secret& s : slots_[victim].keys.secrets_) {
    if (!s.empty()) ++counts_.secrets_wiped;
    s.Wipe();
  }
  return victim;
}

void KeyLogStore::Unlink(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.older != kNil) slots_[s.older].newer = s.newer;
  if (s.newer != kNil) slots_[s.newer].older = s.older;
  if (oldest_ == slot) oldest_ = s.newer;
  if (newest_ == slot) newest_ = s.older;
  s.older = s.newer = kNil;
}

void KeyLogStore::Release(uint32_t slot) {
  Unlink(slot);
  for (Secret& s : slots_[slot].keys.secrets_) {
    if (!s.empty()) ++counts_.secrets_wiped;
    s.Wipe();
  }
  free_.push_back(slot);
}

KeyLogInsert KeyLogStore::Insert(const KeyLogEntry& entry) {
  uint32_t slot = kNil;
  if (auto it = index_.find(entry.client_random); it != index_.end()) {
    slot = it->second;
  } else {
    slot = Allocate();
    Slot& s = slots_[slot];
    s.client_random = entry.client_random;
    s.older = newest_;
    s.newer = kNil;
    if (newest_ != kNil) slots_[newest_].newer = slot;
    newest_ = slot;
    if (oldest_ == kNil) oldest_ = slot;
    index_.emplace(entry.client_random, slot);
    ++counts_.connections_added;
  }
  Secret& held = slots_[slot].keys.secrets_[static_cast<size_t>(entry.label)];
  if (held.empty()) {
    held = entry.secret;
    ++counts_.entries_added;
    return KeyLogInsert::kAdded;
  }
  if (held.Equals(entry.secret.view())) {
    ++counts_.entries_duplicate;
    return KeyLogInsert::kDuplicate;
  }
  held = entry.secret;  // the assignment wipes the old value first
  ++counts_.secrets_wiped;
  ++counts_.entries_replaced;
  return KeyLogInsert::kReplaced;
}

const ConnectionKeys* KeyLogStore::Find(const ClientRandom& client_random) const {
  auto it = index_.find(client_random);
  return it == index_.end() ? nullptr : &slots_[it->second].keys;
}

bool KeyLogStore::Erase(const ClientRandom& client_random) {
  auto it = index_.find(client_random);
  if (it == index_.end()) return false;
  uint32_t slot = it->second;
  index_.erase(it);
  Release(slot);
  ++counts_.connections_erased;
  return true;
}

void KeyLogStore::Clear() {
  for (auto& [random, slot] : index_) Release(slot);
  index_.clear();
  free_.clear();
  slots_.clear();
  oldest_ = newest_ = kNil;
}

}  // namespace bw::tls
