#pragma once
// A map key given as the pieces of its text (client bytes, provider, account, bucket, ...), so
// the engine finds the state of an event without concatenating a string for every lookup; the
// text is built only for a key that is stored (a new entry) or shown (an alert). Guarantees:
//  - KeyHash(text) and PieceKey::Hash() are the same function of the bytes, however they are
//    split: a key stored as text and the same key given as pieces land in the same bucket.
//  - Matches() compares the whole text byte by byte, so two different keys are never taken for
//    one another, whatever their hashes (a 64-bit FNV-1a, not seeded).
//  - Nothing allocates but Text(). Pieces are views: what they point into must outlive the key.
//  - At most kMaxPieces pieces; more is a programming error, and the extra pieces are dropped.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace bw::detect {

inline constexpr uint64_t kKeyHashSeed = 14695981039346656037ull;

// FNV-1a over `text`, continuing from `h`: byte-serial, so it can be fed piece by piece.
constexpr uint64_t KeyHash(std::string_view text, uint64_t h = kKeyHashSeed) {
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

class PieceKey {
 public:
  static constexpr size_t kMaxPieces = 10;

  PieceKey() = default;
  PieceKey(std::initializer_list<std::string_view> pieces) {
    for (std::string_view p : pieces) Add(p);
  }

  PieceKey& Add(std::string_view piece) {
    if (count_ < kMaxPieces) {
      pieces_[count_++] = piece;
      size_ += piece.size();
    }
    return *this;
  }
  // One byte of binary data (an address family, a provider), as a piece that needs no storage
  // of the caller's.
  PieceKey& AddByte(uint8_t b) { return Add(std::string_view(&kBytes[b], 1)); }

  size_t size() const { return size_; }
  uint64_t Hash() const {
    uint64_t h = kKeyHashSeed;
    for (size_t i = 0; i < count_; ++i) h = KeyHash(pieces_[i], h);
    return h;
  }
  bool Matches(std::string_view text) const {
    if (text.size() != size_) return false;
    for (size_t i = 0; i < count_; ++i) {
      if (text.substr(0, pieces_[i].size()) != pieces_[i]) return false;
      text.remove_prefix(pieces_[i].size());
    }
    return true;
  }
  // The concatenation, its capacity exactly its length (what the heap estimate counts for a
  // copied key).
  std::string Text() const {
    std::string out(size_, '\0');
    size_t at = 0;
    for (size_t i = 0; i < count_; ++i) {
      pieces_[i].copy(out.data() + at, pieces_[i].size());
      at += pieces_[i].size();
    }
    return out;
  }

 private:
  static constexpr std::array<char, 256> kBytes = [] {
    std::array<char, 256> a{};
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>(i);
    return a;
  }();

  std::array<std::string_view, kMaxPieces> pieces_{};
  size_t count_ = 0;
  size_t size_ = 0;
};

// Hash and equality for maps whose keys are text (views into the entries) and that are looked
// up by PieceKey as well. operator() is deliberately not noexcept: libstdc++ then keeps each
// node's hash, as it does for std::hash<std::string_view>, so a rehash does not hash the keys
// again and the node sizes in heap_estimate terms stay as the maps' estimates count them.
struct KeyTextHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return KeyHash(text); }
  size_t operator()(const PieceKey& key) const { return key.Hash(); }
};

struct KeyTextEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  bool operator()(const PieceKey& a, std::string_view b) const { return a.Matches(b); }
  bool operator()(std::string_view a, const PieceKey& b) const { return b.Matches(a); }
};

}  // namespace bw::detect
