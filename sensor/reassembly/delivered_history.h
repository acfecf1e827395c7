#pragma once
// DeliveredHistory: what one direction of a TCP stream recently delivered, kept as the sequence
// range and a 32-bit keyed hash of its last kEntries delivered pieces (one piece per OnData), so
// that a later segment carrying bytes already delivered can be compared with them. 32 bytes,
// inline, never allocates, so a tracked flow pays 64 bytes for both directions.
//
// Why: Linux keeps the first copy of in-order data and drops a retransmission of it unread
// (tcp_data_queue), and so does the reassembler. An attacker can send a request and then
// "retransmit" its sequence range with other bytes, or send a first copy the server never gets
// (short TTL) and the real one second. Whether the sensor and the server then agree depends on
// which copy reached the server; either way the analyst should learn that two versions of the
// same bytes were on the wire (Suricata: stream.reassembly.check-overlap-different-data). Bytes
// still buffered out of order are compared byte for byte by the reassembler itself
// (overlap_conflicts); this covers the bytes it no longer holds.
//
// Detected (Differs): a segment whose already-delivered part covers a recorded piece entirely
// and whose bytes over that piece hash differently from the delivered ones. That is the same
// range resent with other bytes (the classic case), a resend that coalesces several recorded
// pieces, and a segment that starts in delivered space and carries new bytes after it, as long
// as it covers at least one recorded piece from its first to its last byte.
// Not detected:
//  - a segment that overlaps a recorded piece only in part (it starts or ends strictly inside
//    it, e.g. a resend of the tail of a segment after a partial ACK): the hash covers the whole
//    piece, so that piece is not compared (pieces it does cover still are);
//  - ranges older than the last kEntries pieces (the ring rotated past them) or delivered before
//    a gap of more than kReach bytes;
//  - differences in the middle of a piece: a piece longer than 2 * kEdgeBytes is hashed over its
//    first and last kEdgeBytes only (an HTTP request or response head, what a fake copy would
//    change, sits at the start of the piece carrying it). Hashing every delivered byte cost 6%
//    of the sensor's CPU on the bench/ captures; the edges cost a fixed ~10 ns per segment;
//  - differences past the first kMaxPiece bytes of a longer piece (only that prefix is hashed);
//  - bytes declared lost (gaps): nothing was delivered, nothing is compared.
// An attacker who knows this can hide a conflict by sending more than kEntries segments in
// between; the counter is a signal that two versions existed, not a proof that none did.
//
// False positives: none from the hash. Equal bytes always hash equally, so an honest
// retransmission of a recorded piece never counts, whatever its segmentation. Collisions only
// cause misses: two different byte strings over one piece collide with probability about 2^-32
// per comparison, and because the key is random per worker (HistoryKey::Random), an attacker
// cannot choose a fake copy that collides with the real one offline, nor watch the sensor to
// learn whether it did.
//
// The hash reads 64 bytes per round in four independent lanes, each folding a 64x64->128-bit
// multiply (the wyhash construction), so it runs at several bytes per cycle; it runs over at
// most 2 * kEdgeBytes of every delivered piece. Keyed lane secrets keep a data word from zeroing a
// lane (a known weakness of the unkeyed construction). A retransmission hashes only recorded pieces
// lying inside it, which are disjoint, so a segment never costs more hashing than its own length.

#include <cstddef>
#include <cstdint>

namespace bw::reassembly {

// The secrets the history hash is keyed with; one per worker.
struct HistoryKey {
  uint64_t secret[4] = {};
  // Derived from `seed` (deterministic; for tests).
  static HistoryKey FromSeed(uint64_t seed);
  // From the system's random source (std::random_device); the default for a sensor.
  static HistoryKey Random();
};

// The keyed hash of `len` bytes at `data`, 32 bits. Exposed for tests and benchmarks.
uint32_t HistoryHash(const uint8_t* data, size_t len, const HistoryKey& key);

class DeliveredHistory {
 public:
  static constexpr int kEntries = 3;
  // Longest piece recorded; a longer one keeps its first kMaxPiece bytes.
  static constexpr uint32_t kMaxPiece = 0xFFFF;
  // A piece longer than twice this is hashed over its first and last kEdgeBytes.
  static constexpr uint32_t kEdgeBytes = 128;

  // The hash a piece is recorded and compared by.
  static uint32_t PieceHash(const uint8_t* data, uint32_t len, const HistoryKey& key) {
    if (len <= 2 * kEdgeBytes) return HistoryHash(data, len, key);
    const uint32_t tail = HistoryHash(data + len - kEdgeBytes, kEdgeBytes, key);
    return HistoryHash(data, kEdgeBytes, key) ^ ((tail << 16) | (tail >> 16));
  }
  // Pieces further behind the stream than this are forgotten when a gap moves the stream
  // (serial arithmetic must never alias a piece that is 2^32 bytes old).
  static constexpr uint32_t kReach = uint32_t{1} << 30;

  // [seq, seq + len) was just delivered with these bytes; it replaces the oldest entry.
  void Record(uint32_t seq, const uint8_t* data, uint32_t len, const HistoryKey& key) {
    if (len == 0) return;
    const uint32_t n = len < kMaxPiece ? len : kMaxPiece;
    const int i = next_;
    seq_[i] = seq;
    len_[i] = static_cast<uint16_t>(n);
    hash_[i] = PieceHash(data, n, key);
    next_ = static_cast<uint8_t>(i + 1 == kEntries ? 0 : i + 1);
  }

  // `data` holds [seq, seq + len), all of it already delivered. True when a recorded piece lies
  // wholly inside that range and its bytes there hash differently.
  bool Differs(uint32_t seq, const uint8_t* data, uint32_t len, const HistoryKey& key) const {
    for (int i = 0; i < kEntries; ++i) {
      if (len_[i] == 0) continue;
      const uint32_t off = seq_[i] - seq;  // serial: a piece starting before `seq` wraps high
      if (off >= len || len - off < len_[i]) continue;
      if (PieceHash(data + off, len_[i], key) != hash_[i]) return true;
    }
    return false;
  }

  // The stream's next expected byte moved to `next` over a gap: forget pieces now too far back.
  void Prune(uint32_t next) {
    for (int i = 0; i < kEntries; ++i) {
      if (next - seq_[i] > kReach) len_[i] = 0;
    }
  }

  // Entries holding a piece (for tests).
  int size() const {
    int n = 0;
    for (int i = 0; i < kEntries; ++i) n += len_[i] != 0 ? 1 : 0;
    return n;
  }

 private:
  uint32_t seq_[kEntries] = {};
  uint32_t hash_[kEntries] = {};
  uint16_t len_[kEntries] = {};  // 0: the entry is empty
  uint8_t next_ = 0;             // the entry the next piece replaces (the oldest)
};

static_assert(sizeof(DeliveredHistory) <= 32, "the history must stay within 32 bytes");

}  // namespace bw::reassembly
