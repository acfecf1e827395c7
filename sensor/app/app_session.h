#pragma once
// The application layer of one TCP connection: receives the reassembled streams, decides from
// the first bytes whether they carry HTTP/1.x or TLS, and runs our own dissectors on them:
// HTTP transactions become storage events (ledger), TLS yields the full SNI and ALPN and the
// request/response turns of encrypted traffic. Anything else stops being dissected at once.
// With a key log (AppConfig::tls_keys), a TLS connection whose secrets are logged is decrypted
// (tls/connection_decryptor.h) and its plaintext dissected as HTTP exactly as a plaintext
// connection's; its bytes wait, bounded, up to AppConfig::tls_key_wait for keys logged late.
// An HTTP tunnel (CONNECT 2xx, 101) ends the HTTP conversation; the tunnel's first bytes then
// decide the layer once more, as a new connection's would.
// It also keeps per-direction stream accounting (delivered bytes, gaps, optional SHA-256) for
// the flow log.

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dissectors/common/direction.h"
#include "dissectors/http/http_conversation.h"
#include "dissectors/http/socks_handshake.h"
#include "dissectors/http/start_line.h"
#include "dissectors/http/transaction_pool.h"
#include "dissectors/storage/listing_scanner.h"
#include "dissectors/storage/object_digest.h"
#include "dissectors/storage/recogniser.h"
#include "dissectors/tls/client_hello.h"
#include "dissectors/tls/connection_decryptor.h"
#include "dissectors/tls/turn_counter.h"
#include "sensor/app/app_counters.h"
#include "sensor/app/known_servers.h"
#include "sensor/app/tls_key_source.h"
#include "sensor/decode/ip_address.h"
#include "sensor/event/http_log_entry.h"
#include "sensor/event/storage_request.h"
#include "sensor/event/tls_decryption_outcome.h"
#include "sensor/reassembly/stream_sink.h"

namespace bw::app {

struct AppConfig {
  http::HttpLimits http;
  storage::RecogniserConfig storage;
  KnownServers* known_servers = nullptr;       // the worker's own; may be null
  http::TransactionPool* http_pool = nullptr;  // the worker's own; may be null
  // The worker's own; null: each session makes one when it first needs it.
  storage::RecogniserScratch* recogniser_scratch = nullptr;
  bool digests = false;
  bool http_log = false;  // hand every parsed request on (EventOutput::OnHttpRequest)
  size_t tls_client_hello_max = 16 * 1024;  // client bytes buffered to find the ClientHello
  // false: transactions are parsed and counted, nothing more (no body scan, no recogniser).
  // Only bench/run's stage split turns it off (pipeline::StopAfter::kParse).
  bool recognise = true;
  // TLS decryption: null means none (SNI, bytes and turns only).
  TlsKeySource* tls_keys = nullptr;
  tls::ConnectionDecryptorLimits tls_decrypt;
  TimestampNs tls_key_wait = 10 * kNsPerSecond;  // packet time a connection's bytes wait for keys
  // The worker's record plaintext buffer (tls::kMaxPlaintextBuffer bytes); empty: each
  // decrypting session allocates its own.
  std::span<uint8_t> tls_scratch;
};

// Where finished storage requests go (the worker's queue to the output stage).
class EventOutput {
 public:
  virtual ~EventOutput() = default;
  // Where the session builds a storage request before handing it to OnStorageRequest. Its
  // content is whatever the last hand-over left (an output may swap in an earlier request's
  // storage); the session assigns every field.
  event::StorageRequest& storage_request_buffer() { return storage_request_buffer_; }
  // `request` is left valid with unspecified content.
  virtual void OnStorageRequest(event::StorageRequest&& request) = 0;
  // A request to a server that did not say it is storage; storage if the output stage knows the
  // server as such.
  virtual void OnKnownServerCandidate(event::KnownServerCandidate&& candidate) = 0;
  // Every parsed request, storage or not, after its storage record; only with AppConfig::http_log.
  virtual void OnHttpRequest(event::HttpLogEntry&& entry) = 0;

 private:
  event::StorageRequest storage_request_buffer_;
};

struct FlowIdentity {
  decode::IpAddress client_ip;
  uint16_t client_port = 0;
  decode::IpAddress server_ip;
  uint16_t server_port = 0;
  std::string community_id;
};

enum class AppLayer : uint8_t { kUndecided, kHttp, kTls, kNone };
const char* AppLayerName(AppLayer l);

struct StreamAccount {
  uint64_t delivered_bytes = 0;
  uint64_t gaps = 0;
  uint64_t gap_bytes = 0;
  bool ended = false;
};

class AppSession final : public reassembly::StreamSink,
                         private http::HttpHandler,
                         private tls::PlaintextSink {
 public:
  AppSession(const AppConfig& config, AppCounters& counters, EventOutput& out,
             FlowIdentity identity);
  ~AppSession() override;
  AppSession(const AppSession&) = delete;
  AppSession& operator=(const AppSession&) = delete;

  void OnData(Direction dir, ByteView data, TimestampNs ts) override;
  void OnGap(Direction dir, uint64_t length, TimestampNs ts) override;
  void OnEnd(Direction dir, TimestampNs ts) override;
  // The connection is over (closed, timed out or evicted): flush pending transactions.
  void Close(TimestampNs ts);

  AppLayer layer() const { return layer_; }
  const FlowIdentity& identity() const { return identity_; }
  const StreamAccount& account(Direction d) const { return account_[Index(d)]; }
  std::string Sha256Hex(Direction d);   // "" unless digests are on
  static std::string EmptySha256Hex();  // digest of a stream that carried no byte
  // Bytes this session holds (itself, HTTP buffers and pending requests, listing scan, TLS
  // buffers), for the worker's memory cap. O(pending requests x headers).
  size_t MemoryBytes() const;
  const std::string& server_name() const { return tls_ ? tls_->server_name : kNoText; }
  // The CONNECT target when the connection is a client's to its SOCKS proxy, else empty.
  std::string_view socks_target_host() const {
    return socks_ ? socks_->target_host() : std::string_view();
  }
  uint16_t socks_target_port() const { return socks_ ? socks_->target_port() : 0; }
  const std::string& alpn() const { return tls_ ? tls_->alpn : kNoText; }
  uint64_t http_transactions() const { return http_transactions_; }
  uint64_t storage_events() const { return storage_events_; }
  // Encrypted flows: client->server application-data bursts that followed server data, and
  // application-data record bytes each way (tls/turn_counter.h says which records those are).
  uint64_t tls_turns() const { return tls_ ? tls_->turns.turns() : 0; }
  uint64_t tls_app_bytes(Direction d) const { return tls_ ? tls_->turns.application_bytes(d) : 0; }
  // Decryption: under way or done (not given up), so that encrypted-flow detection by turns
  // stands aside for the full requests; and whether bytes wait for keys now.
  bool tls_decrypting() const { return tls_ && tls_->decryptor && !tls_->decryptor->failed(); }
  bool WaitingForTlsKeys() const {
    return tls_ && tls_->decryptor && tls_->decryptor->waiting_for_keys();
  }
  bool tls_http2() const { return tls_ && tls_->http2; }
  // What decryption came to, for the flow log.
  event::TlsDecryptionOutcome tls_decryption() const;
  // Looks the keys up again if the key source has news, and gives up a wait that outlasted
  // AppConfig::tls_key_wait. For connections with no packet to prompt it (idle, or closed while
  // waiting: the worker keeps those a while).
  void PollTlsKeys(TimestampNs now);

 private:
  void Decide(Direction dir, ByteView data);
  // The HTTP conversation of a plaintext connection, or of a decrypted one.
  void StartHttp();
  // Skips a SOCKS handshake ahead of the tunnelled protocol; false when nothing is left.
  bool SkipSocks(Direction dir, ByteView& data);
  void FeedTls(Direction dir, ByteView data, TimestampNs ts);
  void StartDecryption(const tls::ClientHello& hello, ByteView rest, TimestampNs ts);
  void LookUpTlsKeys();
  // Counts what the decryptor did, ends an expired wait, and passes on FINs that waited.
  void TrackDecryption(TimestampNs now);
  // tls::PlaintextSink
  void OnPlaintext(Direction dir, ByteView data, TimestampNs ts) override;
  storage::ServerHint Hint(TimestampNs now) const;
  // http::HttpHandler
  void OnResponseBody(const http::HttpTransaction& tx, ByteView chunk) override;
  bool WantsBodyPrefix(const http::HttpTransaction& tx) const override;
  void OnTransaction(http::HttpTransaction& tx) override;
  // Whether it handed a candidate on.
  bool OfferToKnownServers(const http::HttpTransaction& tx, const storage::ListingSummary* body);
  void LogRequest(const http::HttpTransaction& tx, event::HttpLogEntry::Storage storage);
  event::RequestContext Context(const http::HttpTransaction& tx) const;
  void FillContext(const http::HttpTransaction& tx, event::RequestContext& ctx) const;
  storage::RecogniserScratch& Scratch();

  static inline const std::string kNoText;

  const AppConfig& config_;
  AppCounters& counters_;
  EventOutput& out_;
  FlowIdentity identity_;
  AppLayer layer_ = AppLayer::kUndecided;
  std::array<StreamAccount, 2> account_{};
  std::array<EVP_MD_CTX*, 2> digest_{nullptr, nullptr};

  // A SOCKS handshake ahead of HTTP or TLS; allocated only for connections that start with one.
  std::unique_ptr<http::SocksHandshake> socks_;

  // HTTP
  std::unique_ptr<http::HttpConversation> http_;
  bool tunnelled_ = false;  // an HTTP tunnel was established; the layer was decided again
  // Allocated only while a response body is scanned: most sessions never scan, and an idle
  // connection should not carry the scanner's ~500 bytes.
  std::unique_ptr<storage::ListingScanner> scanner_;
  std::unique_ptr<storage::RecogniserScratch> own_scratch_;  // without the worker's
  bool scan_decided_ = false;
  storage::BodyUse body_use_ = storage::BodyUse::kNone;  // of the response being read
  // Allocated only while the body of an object-shaped answer from a server not known as storage
  // is hashed (storage/object_digest.h).
  struct ObjectDigest {
    storage::Md5 claimed{};
    EVP_MD_CTX* md5 = nullptr;
    ~ObjectDigest() { EVP_MD_CTX_free(md5); }
  };
  std::unique_ptr<ObjectDigest> object_digest_;
  // Whether the body hashed had the claimed MD5; resets object_digest_.
  bool ObjectDigestMatches(const http::HttpTransaction& tx);
  uint64_t http_transactions_ = 0;
  uint64_t storage_events_ = 0;

  // TLS: allocated when the connection turns out to be TLS, so that HTTP and other sessions
  // do not carry it (the turn counter alone is ~400 bytes).
  struct TlsState {
    std::string client_hello_buffer;
    bool client_hello_done = false;
    tls::TlsTurnCounter turns;
    std::string server_name;
    std::string alpn;
    // Decryption, with a key log only.
    std::unique_ptr<tls::ConnectionDecryptor> decryptor;
    std::vector<uint8_t> own_scratch;  // without the worker's
    TimestampNs wait_since = 0;        // 0: not waiting
    uint64_t key_generation = 0;       // of the key source at the last lookup
    std::array<bool, 2> end_waits{};   // a FIN that came while bytes waited for keys
    bool counted_wait = false;
    bool counted_decrypted = false;
    bool counted_failure = false;
    bool http2 = false;
    bool plaintext_done = false;  // not HTTP/1.x, or the HTTP parser gave up
  };
  std::unique_ptr<TlsState> tls_;
};

}  // namespace bw::app
