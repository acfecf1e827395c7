#pragma once
// Request/response turns of an encrypted connection, from TLS record headers alone: a turn is
// a burst of client application data that follows server application data (or opens the
// connection), i.e. one request of a keep-alive HTTP/1.x connection. Only records that carry
// application data count; which records those are is inferred without decryption.
//
// TLS <= 1.2: every application_data record (type 23) is application data; the handshake,
// alerts and change_cipher_spec have their own visible types.
// TLS 1.3 (RFC 8446) hides everything after the ServerHello in type-23 records, so the version
// and cipher suite are read from the ServerHello (server_hello.h) and the records classified:
//  - control: a record too short to hold any request, <= 5 + 1 + tag bytes: an encrypted
//    alert (close_notify: 2 + 1 + tag), KeyUpdate (4 + 1 + 1 + tag), EndOfEarlyData
//    (4 + 1 + tag). An HTTP/1.x request line alone is longer.
//  - the server's handshake flight (EncryptedExtensions ... Finished): server records after the
//    ServerHello until the client's Finished; records after one of exactly the Finished size
//    (4 + hash + 1 + tag) are 0.5-RTT data.
//  - the client's handshake completion: its first records after the ServerHello up to the one of
//    exactly the Finished size (client certificate and CertificateVerify come before it), or
//    the first one when the suite is unknown; at most kMaxClientHandshakeRecords.
//  - 0-RTT: client records before the server's first record are early data (a turn). If the
//    server rejected it (no EndOfEarlyData from the client and no 0.5-RTT data from the server
//    before the client's Finished), the client sends the request again after the handshake, so
//    the early turn is taken back.
//  - NewSessionTicket records are indistinguishable from responses; they come before any
//    response and so never end a client burst of their own accord (see "what can miscount").
// Version unknown (the ServerHello was not seen: a capture that starts mid-connection, a gap):
// only the control rule applies.
//
// What can still miscount: a TLS 1.3 stack that pads records (RFC 8446 5.4) past the control
// size makes its alerts and KeyUpdates look like data (+1 per closing client, + per KeyUpdate);
// a client that coalesces its Finished with other handshake messages into one record makes
// its first request look like handshake (-1 unless it sends a second record first); a
// NewSessionTicket that lands between two records of the first request (an upload's headers and
// body) splits it into two turns; a rejected 0-RTT whose EndOfEarlyData signal is coalesced
// costs one turn; without the ServerHello the client Finished counts as a turn (+1); requests
// pipelined in one burst count once, and an upload answered by 100 Continue twice; HTTP/2
// multiplexes many requests into bursts (turns are then not requests).
//
// Guarantees: fixed memory (two record trackers and a ServerHello scanner, no buffers); counts
// do not depend on how each direction's bytes are cut into Feed() calls, only on the order of
// the calls across directions (packet order). Pure: no I/O, clock, globals, exceptions or
// allocation.

#include <array>
#include <cstdint>

#include "dissectors/common/bytes.h"
#include "dissectors/common/direction.h"
#include "dissectors/tls/record_tracker.h"
#include "dissectors/tls/server_hello.h"

namespace bw::tls {

enum class TlsVersionSeen : uint8_t { kUnknown, kTls12OrOlder, kTls13 };

struct TurnCounts {
  uint64_t turns = 0;
  std::array<uint64_t, 2> application_records{};  // by Direction
  std::array<uint64_t, 2> application_bytes{};    // declared lengths of those records
  uint64_t handshake_records = 0;  // TLS 1.3 type-23 records read as handshake messages
  uint64_t control_records = 0;    // type-23 records too short for data (alerts, KeyUpdate, ...)
  uint64_t early_data_records = 0;
  uint64_t early_data_rejected = 0;  // early turns taken back
};

class TlsTurnCounter {
 public:
  // Records the client sends after the ServerHello that may precede its Finished (Certificate,
  // possibly in several records, CertificateVerify).
  static constexpr uint8_t kMaxClientHandshakeRecords = 4;

  TlsTurnCounter()
      : observers_{Observer(*this, Direction::kToServer), Observer(*this, Direction::kToClient)} {}
  TlsTurnCounter(const TlsTurnCounter&) = delete;
  TlsTurnCounter& operator=(const TlsTurnCounter&) = delete;

  // The next bytes of one direction of the stream.
  void Feed(Direction dir, ByteView bytes);
  // `length` bytes of one direction are missing (a reassembly gap).
  void Gap(Direction dir, uint64_t length);

  uint64_t turns() const { return counts_.turns; }
  uint64_t application_bytes(Direction d) const { return counts_.application_bytes[Index(d)]; }
  const TurnCounts& counts() const { return counts_; }
  TlsVersionSeen version() const { return version_; }
  const ServerHelloScanner& server_hello() const { return hello_; }
  const TlsRecordTracker& tracker(Direction d) const { return trackers_[Index(d)]; }

 private:
  class Observer final : public RecordObserver {
   public:
    Observer(TlsTurnCounter& owner, Direction dir) : owner_(&owner), dir_(dir) {}
    void OnRecord(ContentType type, uint16_t length) override {
      owner_->OnRecord(dir_, type, length);
    }
    void OnHandshakeBytes(ByteView bytes) override { owner_->OnHandshakeBytes(dir_, bytes); }

   private:
    TlsTurnCounter* owner_;
    Direction dir_;
  };

  void OnRecord(Direction dir, ContentType type, uint16_t length);
  void OnHandshakeBytes(Direction dir, ByteView bytes);
  void OnServerHello();
  void OnApplicationData(Direction dir, uint16_t length);
  void OnClientFinished();

  std::array<TlsRecordTracker, 2> trackers_{};
  std::array<Observer, 2> observers_;
  ServerHelloScanner hello_;
  TurnCounts counts_;
  TlsVersionSeen version_ = TlsVersionSeen::kUnknown;
  uint16_t finished_length_ = 0;  // record length of a TLS 1.3 Finished; 0 when unknown
  uint8_t tag_length_ = 16;       // AEAD tag of the suite (16 unless CCM_8)
  bool server_spoke_ = false;     // the server sent any record
  bool hello_done_ = false;       // the ServerHello was read (or could not be)
  bool client_finished_ = false;  // TLS 1.3: the client's handshake completion was seen
  uint8_t client_handshake_records_ = 0;
  bool server_finished_ = false;  // TLS 1.3: a Finished-sized server record was seen
  bool early_turn_ = false;       // the first turn was early data, not yet confirmed
  bool end_of_early_data_ = false;
  bool half_rtt_data_ = false;
  int last_application_dir_ = -1;
};

}  // namespace bw::tls
