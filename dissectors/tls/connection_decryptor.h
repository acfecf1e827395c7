#pragma once
// One TLS connection decrypted from its two reassembled byte streams with the secrets a key log
// holds for its client random: the record layer over each stream (records split across segments
// or coalesced into one), the phases that decide which key reads which record, and the order of
// delivery. Application data comes out in plaintext, in the order in which the two directions'
// bytes arrived, so that an HTTP/1.x parser sees each response after its request.
//
// Phases of each direction:
// - TLS 1.2: records are plaintext until that direction's ChangeCipherSpec, then protected with
//   the key block derived from the logged master secret (CLIENT_RANDOM), the server random and
//   the suite. Resumption by session ID or ticket needs nothing more: the key log holds the
//   resumed connection's master secret under its own client random. Renegotiation is not
//   followed (kRenegotiation).
// - TLS 1.3: the ServerHello (a HelloRetryRequest and the server's compatibility
//   ChangeCipherSpec after it are stepped over) fixes the suite; each direction's records are
//   then read with its handshake traffic secret up to its Finished, and with traffic secret 0
//   after it (KeyUpdate ratchets inside record_decryptor.h).
// - TLS 1.3 0-RTT: client records ahead of its handshake records are early data, read with the
//   early traffic secret (before the ServerHello is read, the suite is found by trial among those
//   of the secret's hash). The early plaintext is held until the server's EncryptedExtensions say
//   whether the server accepted it; when it did not (no early_data extension, or a
//   HelloRetryRequest), the client sends the requests again after the handshake, so the early
//   plaintext is dropped and counted, never delivered. Without the early secret, records that do
//   not authenticate under the client handshake key before its first one that does are skipped
//   as early data (counted).
//
// Keys that have not arrived yet: from the first record that needs a secret this connection does
// not hold (or, for a client record, the ServerHello not read yet), the bytes of both directions
// are kept with the order in which they arrived, until SetKeys supplies the secret (or the
// ServerHello arrives); they are then decrypted and delivered in that order. The caller decides
// how long to wait and ends it with Fail(kNoKeys). What is kept is bounded by
// limits.wait_buffer_bytes (and the arrival log by kMaxArrivals); passing a bound ends
// decryption (kBufferOverflow).
//
// Failures: a gap stops decryption of its direction only (the other goes on); everything else (a
// record that does not authenticate, an unsupported version or suite, renegotiation, a wrong-size
// secret, a bound) ends it for the connection. failure() is the first reason; buffers are
// released and nothing more is delivered from a stopped direction.
//
// Guarantees: pure (no I/O, clock, globals or exceptions). Steady state costs no allocation: a
// direction keeps at most one partial record, plaintext goes through the caller's scratch buffer.
// The secrets it holds are copies, wiped on destruction (key_log.h's Secret); nothing here
// formats a key.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dissectors/common/bytes.h"
#include "dissectors/common/direction.h"
#include "dissectors/common/timestamp.h"
#include "dissectors/tls/cipher_suite.h"
#include "dissectors/tls/client_hello.h"
#include "dissectors/tls/key_log.h"
#include "dissectors/tls/record_decryptor.h"
#include "dissectors/tls/record_tracker.h"
#include "dissectors/tls/server_hello.h"

namespace bw::tls {

// Why decryption of a connection (or a direction) ended; the names are the `reason` label of a
// failure counter.
#define BW_TLS_SESSION_FAILURES(X)                                                            \
  X(kNone, "none")                                                                            \
  X(kNoHandshake, "no_handshake")               /* the hellos were not seen or readable */    \
  X(kUnsupportedVersion, "unsupported_version") /* SSL 3.0, TLS 1.0 or 1.1 */                 \
  X(kUnsupportedSuite, "unsupported_suite")     /* not in cipher_suite.h */                   \
  X(kRenegotiation, "renegotiation")            /* TLS 1.2 ChangeCipherSpec once protected */ \
  X(kNoKeys, "no_keys")                         /* the caller stopped waiting for keys */     \
  X(kBadKeys, "bad_keys")                       /* a logged secret of the wrong size */       \
  X(kBadRecordMac, "bad_record_mac")            /* wrong keys, or corrupted bytes */          \
  X(kBadRecord, "bad_record")                   /* framing, padding, or a refused record */   \
  X(kGap, "gap")                                /* bytes missing from a direction */          \
  X(kBufferOverflow, "buffer_overflow")         /* waiting bytes passed their bound */

enum class SessionFailure : uint8_t {
#define BW_X(name, text) name,
  BW_TLS_SESSION_FAILURES(BW_X)
#undef BW_X
};
inline constexpr size_t kSessionFailureCount = 0 BW_TLS_SESSION_FAILURES(BW_TLS_COUNT_ONE);
std::string_view SessionFailureName(SessionFailure failure);

// Receives the decrypted application data.
class PlaintextSink {
 public:
  // The next application-data bytes of one direction; valid only during the call. Must not
  // call back into the decryptor. `ts` is the time passed to Feed with the bytes that completed
  // the record, also when they waited for keys and are delivered later (0-RTT data: those of its
  // first record).
  virtual void OnPlaintext(Direction dir, ByteView data, TimestampNs ts) = 0;

 protected:
  ~PlaintextSink() = default;
};

struct ConnectionDecryptorLimits {
  // Bytes of both directions kept while waiting for keys (and 0-RTT plaintext held for the
  // server's answer).
  size_t wait_buffer_bytes = 256 * 1024;
};

struct ConnectionDecryptorCounts {
  std::array<uint64_t, 2> records{};          // records decrypted, by Direction
  std::array<uint64_t, 2> plaintext_bytes{};  // application data delivered, by Direction
  uint64_t early_data_bytes = 0;              // 0-RTT plaintext delivered (the server took it)
  uint64_t early_data_rejected_bytes = 0;     // 0-RTT plaintext dropped (the server refused it)
  uint64_t early_records_skipped = 0;         // 0-RTT records not decrypted (no early secret)
  uint64_t bytes_waited = 0;                  // bytes kept while waiting for keys
};

class ConnectionDecryptor {
 public:
  // The most arrivals (runs of bytes of one direction) remembered while waiting.
  static constexpr size_t kMaxArrivals = 4096;

  // `hello` is the connection's ClientHello; the client bytes fed from the start include it.
  // `scratch` holds one record's plaintext (kMaxPlaintextBuffer bytes) and may be shared by
  // connections that are not fed concurrently; it and `sink` must outlive this object.
  ConnectionDecryptor(const ClientHello& hello, ConnectionDecryptorLimits limits,
                      std::span<uint8_t> scratch, PlaintextSink& sink);
  ConnectionDecryptor(const ConnectionDecryptor&) = delete;
  ConnectionDecryptor& operator=(const ConnectionDecryptor&) = delete;
  ~ConnectionDecryptor() = default;

  // The next bytes of one direction's stream, from its first byte, which arrived at `ts`.
  void Feed(Direction dir, ByteView bytes, TimestampNs ts);
  // Bytes of one direction are missing.
  void Gap(Direction dir);
  // The secrets logged for client_random() so far; secrets already held are kept (a key logger
  // may write a connection's secrets at different times), new ones added, and what waited for
  // them goes on.
  void SetKeys(const ConnectionKeys& keys);
  // Ends decryption of the connection.
  void Fail(SessionFailure why);
  // The caller stopped waiting: fails as kNoKeys, or kNoHandshake when what waited was the
  // ServerHello. Nothing when nothing waits.
  void GiveUpWaiting();

  const ClientRandom& client_random() const { return client_random_; }
  // Something waits: for a secret not held (waiting_for_keys()) or for the ServerHello.
  bool waiting() const { return waiting_; }
  bool waiting_for_keys() const { return waiting_ && blocked_on_keys_; }
  bool stopped(Direction d) const { return side(d).phase == Phase::kStopped; }
  bool failed() const { return failure_ != SessionFailure::kNone; }
  SessionFailure failure() const { return failure_; }
  // Whether any record authenticated under the logged keys.
  bool decrypted() const { return counts_.records[0] + counts_.records[1] > 0; }
  // After the ServerHello: 0x0303 or 0x0304; 0 before.
  uint16_t version() const { return hello_known_ ? (tls13_ ? 0x0304 : 0x0303) : 0; }
  const CipherSuiteInfo* suite() const { return suite_; }
  uint32_t key_updates() const;
  const ConnectionDecryptorCounts& counts() const { return counts_; }
  size_t buffered_bytes() const;
  size_t MemoryBytes() const;

 private:
  enum class Phase : uint8_t { kPlain, kEarly, kHandshake, kApplication, kStopped };
  enum class Step : uint8_t { kNext, kBlocked, kStop };
  enum class Early : uint8_t { kUndecided, kAccepted, kRejected };

  // Handshake messages of a decrypted stream, whatever their split across records.
  struct MessageWalker {
    std::array<uint8_t, 4> header{};
    uint8_t header_have = 0;
    uint32_t body_left = 0;
  };

  struct Side {
    RecordDecryptor decryptor;
    std::string pending;          // bytes not yet consumed
    size_t released = 0;          // pending[0, released) may be processed; the rest is in arrivals_
    TimestampNs released_ts = 0;  // when the last of pending[0, released) arrived
    Phase phase = Phase::kPlain;
    bool armed = false;           // `decryptor` holds this phase's key
    bool handshake_read = false;  // a record authenticated under the handshake key
    MessageWalker walker;
  };

  struct Arrival {
    Direction dir;
    uint32_t bytes;
    TimestampNs ts;
  };

  // Reads the server's handshake records as they arrive, ahead of the ordered processing, so
  // that the ServerHello unblocks client records that wait for it.
  class HelloObserver final : public RecordObserver {
   public:
    explicit HelloObserver(ServerHelloScanner& scanner) : scanner_(&scanner) {}
    void OnRecord(ContentType, uint16_t) override {}
    void OnHandshakeBytes(ByteView bytes) override { scanner_->Feed(bytes); }

   private:
    ServerHelloScanner* scanner_;
  };

  Side& side(Direction d) { return sides_[Index(d)]; }
  const Side& side(Direction d) const { return sides_[Index(d)]; }

  void ScanServerHello(ByteView bytes);
  void Keep(Direction dir, ByteView bytes);
  void ProcessPending(Direction dir);
  size_t Process(Direction dir, ByteView stream);
  void Resume();
  void Tidy();
  Step Block(bool on_keys);
  Step HandleRecord(Direction dir, ByteView record);
  Step HandleTls12(Direction dir, ByteView record);
  Step HandleTls13(Direction dir, ByteView record);
  Step ReadApplicationRecord(Direction dir, ByteView record);
  Step TryEarlyBeforeHello(ByteView record);
  Step OnEarlyPlaintext(const DecryptedRecord& r);
  void OnHandshakeMessages(Direction dir, ByteView bytes);
  void OnEncryptedExtensions();
  void DecideEarly(bool accepted);
  bool ArmTls12(Direction dir);
  bool ArmTls13(Direction dir, KeyLogLabel label);
  void Deliver(Direction dir, ByteView plaintext);
  void End(SessionFailure why);
  void StopSide(Direction dir, SessionFailure why);
  bool Has(KeyLogLabel label) const { return !keys_[static_cast<size_t>(label)].empty(); }
  const Secret& Key(KeyLogLabel label) const { return keys_[static_cast<size_t>(label)]; }

  ConnectionDecryptorLimits limits_;
  std::span<uint8_t> scratch_;
  PlaintextSink& sink_;
  ClientRandom client_random_{};
  bool offers_early_data_ = false;

  std::array<Side, 2> sides_;
  std::vector<Arrival> arrivals_;  // while waiting: the order in which kept bytes arrived
  TimestampNs ts_ = 0;             // arrival time of the bytes being processed
  TimestampNs early_ts_ = 0;       // of the first 0-RTT record held for the server's answer
  size_t arrivals_head_ = 0;
  std::array<Secret, kKeyLogLabelCount> keys_;

  TlsRecordTracker hello_records_;
  ServerHelloScanner hello_;
  HelloObserver hello_observer_{hello_};
  bool hello_known_ = false;
  bool tls13_ = false;
  const CipherSuiteInfo* suite_ = nullptr;

  bool waiting_ = false;
  bool blocked_on_keys_ = false;
  bool resume_ = false;  // the ServerHello unblocked what waited for it
  SessionFailure failure_ = SessionFailure::kNone;

  Early early_ = Early::kUndecided;
  bool early_skippable_ = false;  // client records failing the handshake key may be 0-RTT
  std::string early_plaintext_;   // 0-RTT data held for the server's answer
  std::string extensions_;        // the EncryptedExtensions body being read (server)

  ConnectionDecryptorCounts counts_;
};

}  // namespace bw::tls
