#include "sensor/app/app_session.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "dissectors/storage/url.h"

namespace bw::app {

const char* AppLayerName(AppLayer l) {
  switch (l) {
    case AppLayer::kUndecided:
      return "undecided";
    case AppLayer::kHttp:
      return "http";
    case AppLayer::kTls:
      return "tls";
    case AppLayer::kNone:
      return "none";
  }
  return "none";
}

AppSession::AppSession(const AppConfig& config, AppCounters& counters, EventOutput& out,
                       FlowIdentity identity)
    : config_(config), counters_(counters), out_(out), identity_(std::move(identity)) {
  if (config_.digests) {
    for (auto& d : digest_) {
      d = EVP_MD_CTX_new();
      if (d) EVP_DigestInit_ex(d, EVP_sha256(), nullptr);
    }
  }
}

size_t AppSession::MemoryBytes() const {
  // An OpenSSL SHA-256 context: the EVP_MD_CTX and its digest state.
  constexpr size_t kDigestBytes = 256;
  size_t n = sizeof(AppSession);
  if (tls_) {
    n += sizeof(TlsState) + tls_->client_hello_buffer.capacity() + tls_->server_name.capacity() +
         tls_->alpn.capacity() + tls_->own_scratch.capacity();
    if (tls_->decryptor) n += tls_->decryptor->MemoryBytes();
  }
  if (http_) n += sizeof(http::HttpConversation) + http_->held_bytes();
  if (scanner_) n += sizeof(storage::ListingScanner) + scanner_->held_bytes();
  if (socks_) n += sizeof(http::SocksHandshake);
  for (const EVP_MD_CTX* d : digest_) n += d ? kDigestBytes : 0;
  return n;
}

AppSession::~AppSession() {
  for (auto& d : digest_) {
    if (d) EVP_MD_CTX_free(d);
  }
}

std::string AppSession::Sha256Hex(Direction dir) {
  EVP_MD_CTX* d = digest_[Index(dir)];
  if (!d) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  if (!copy) return "";
  EVP_MD_CTX_copy_ex(copy, d);
  EVP_DigestFinal_ex(copy, md, &len);
  EVP_MD_CTX_free(copy);
  std::string hex;
  hex.reserve(len * 2);
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

std::string AppSession::EmptySha256Hex() {
  return "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
}

void AppSession::Decide(Direction dir, ByteView data) {
  // The client's first bytes decide; a capture that starts mid-connection may show the server
  // first, and an HTTP status line identifies HTTP from that side too.
  if (dir == Direction::kToServer) {
    if (tls::LooksLikeTls(data)) {
      layer_ = AppLayer::kTls;
      tls_ = std::make_unique<TlsState>();
    } else if (http::LooksLikeHttpRequest(data)) {
      layer_ = AppLayer::kHttp;
    } else {
      layer_ = AppLayer::kNone;
    }
  } else {
    if (http::LooksLikeHttpResponse(data)) {
      layer_ = AppLayer::kHttp;
    } else if (tls::LooksLikeTls(data)) {
      layer_ = AppLayer::kTls;
      tls_ = std::make_unique<TlsState>();
      tls_->client_hello_done = true;  // the handshake is behind us
    } else {
      layer_ = AppLayer::kNone;
    }
  }
  switch (layer_) {
    case AppLayer::kHttp:
      AppCounters::Bump(counters_.http_flows);
      StartHttp();
      break;
    case AppLayer::kTls:
      AppCounters::Bump(counters_.tls_flows);
      break;
    default:
      AppCounters::Bump(counters_.other_flows);
      break;
  }
}

void AppSession::StartHttp() {
  http_ = std::make_unique<http::HttpConversation>(
      config_.http, counters_.http, static_cast<http::HttpHandler&>(*this), config_.http_pool);
}

void AppSession::OnData(Direction dir, ByteView data, TimestampNs ts) {
  auto& acct = account_[Index(dir)];
  acct.delivered_bytes += data.size();
  if (digest_[Index(dir)]) EVP_DigestUpdate(digest_[Index(dir)], data.data(), data.size());
  if (data.empty()) return;
  if (layer_ == AppLayer::kUndecided && !socks_ && dir == Direction::kToServer &&
      http::LooksLikeSocks(data)) {
    socks_ = std::make_unique<http::SocksHandshake>();
  }
  if (socks_ && !SkipSocks(dir, data)) return;
  if (layer_ == AppLayer::kUndecided) Decide(dir, data);
  if (layer_ == AppLayer::kHttp) {
    http_->Feed(dir, data, ts);
    if (http_->gave_up()) {
      http_->Close(ts);
      if (http_->tunnel() && !tunnelled_) {
        // After CONNECT 2xx the tunnel carries the client's own protocol to the target: its
        // first bytes decide again (TLS to a storage endpoint, or plain HTTP through a proxy).
        // Once only: a tunnel inside the tunnel is not followed.
        tunnelled_ = true;
        http_.reset();
        layer_ = AppLayer::kUndecided;
      } else {
        layer_ = AppLayer::kNone;
      }
    }
  } else if (layer_ == AppLayer::kTls) {
    FeedTls(dir, data, ts);
  }
}

bool AppSession::SkipSocks(Direction dir, ByteView& data) {
  if (socks_->state() == http::SocksState::kEstablished) return true;
  http::SocksState before = socks_->state();
  data = data.subspan(socks_->Feed(dir, data));
  http::SocksState now = socks_->state();
  if (now != before) {
    switch (now) {
      case http::SocksState::kEstablished:
        counters_.http.Count(http::HttpError::kSocksPrelude);
        break;
      case http::SocksState::kRefused:
        counters_.http.Count(http::HttpError::kSocksRefused);
        break;
      case http::SocksState::kBad:
        counters_.http.Count(http::HttpError::kSocksBadHandshake);
        break;
      case http::SocksState::kInProgress:
        break;
    }
    if (now != http::SocksState::kEstablished && layer_ == AppLayer::kUndecided) {
      // Nothing after a failed handshake is parsed: the proxy tunnels nothing.
      layer_ = AppLayer::kNone;
      AppCounters::Bump(counters_.other_flows);
    }
  }
  return !data.empty();
}

void AppSession::FeedTls(Direction dir, ByteView data, TimestampNs ts) {
  TlsState& t = *tls_;
  bool fed = false;
  if (dir == Direction::kToServer && !t.client_hello_done) {
    size_t room = config_.tls_client_hello_max - t.client_hello_buffer.size();
    size_t take = std::min(room, data.size());
    t.client_hello_buffer.append(reinterpret_cast<const char*>(data.data()), take);
    tls::ClientHello hello;
    auto status = tls::ParseClientHello(AsBytes(t.client_hello_buffer), hello);
    if (status == tls::ParseStatus::kComplete) {
      AppCounters::Bump(counters_.tls_client_hellos);
      t.server_name = std::string(hello.server_name());
      for (size_t i = 0; i < hello.alpn_count(); ++i) {
        if (!t.alpn.empty()) t.alpn += ",";
        t.alpn += std::string(hello.alpn(i));
      }
      t.client_hello_done = true;
      if (config_.tls_keys != nullptr) {
        StartDecryption(hello, data.subspan(take), ts);
        fed = true;
      }
    } else if (status == tls::ParseStatus::kInvalid) {
      AppCounters::Bump(counters_.tls_client_hello_invalid);
      t.client_hello_done = true;
    } else if (t.client_hello_buffer.size() >= config_.tls_client_hello_max) {
      AppCounters::Bump(counters_.tls_client_hello_too_large);
      t.client_hello_done = true;
    }
    if (t.client_hello_done) std::string().swap(t.client_hello_buffer);
  }
  t.turns.Feed(dir, data);
  if (t.decryptor && !fed) {
    t.decryptor->Feed(dir, data, ts);
    PollTlsKeys(ts);
  }
}

// The decryptor reads the client's stream from its first byte: the buffered ClientHello, then
// what followed it in the same segment.
void AppSession::StartDecryption(const tls::ClientHello& hello, ByteView rest, TimestampNs ts) {
  TlsState& t = *tls_;
  std::span<uint8_t> scratch = config_.tls_scratch;
  if (scratch.size() < tls::kMaxPlaintextBuffer) {
    t.own_scratch.resize(tls::kMaxPlaintextBuffer);
    scratch = t.own_scratch;
  }
  t.decryptor = std::make_unique<tls::ConnectionDecryptor>(hello, config_.tls_decrypt, scratch,
                                                           static_cast<tls::PlaintextSink&>(*this));
  AppCounters::Bump(counters_.tls_decrypt_attempts);
  t.key_generation = config_.tls_keys->generation();
  LookUpTlsKeys();
  t.decryptor->Feed(Direction::kToServer, AsBytes(t.client_hello_buffer), ts);
  t.decryptor->Feed(Direction::kToServer, rest, ts);
  TrackDecryption(ts);
}

void AppSession::LookUpTlsKeys() {
  tls::ConnectionKeys keys;
  if (config_.tls_keys->Lookup(tls_->decryptor->client_random(), keys)) {
    tls_->decryptor->SetKeys(keys);
  }
}

event::TlsDecryptionOutcome AppSession::tls_decryption() const {
  event::TlsDecryptionOutcome o;
  if (!tls_ || !tls_->decryptor) return o;
  const tls::ConnectionDecryptor& d = *tls_->decryptor;
  o.attempted = true;
  o.decrypted = d.decrypted();
  o.version = d.version();
  if (d.suite() != nullptr) o.cipher = d.suite()->name;
  if (d.failed()) o.failure = tls::SessionFailureName(d.failure());
  o.http2 = tls_->http2;
  return o;
}

void AppSession::PollTlsKeys(TimestampNs now) {
  if (!tls_decrypting()) return;
  TlsState& t = *tls_;
  if (t.decryptor->waiting_for_keys()) {
    uint64_t generation = config_.tls_keys->generation();
    if (generation != t.key_generation) {
      t.key_generation = generation;
      LookUpTlsKeys();
    }
  }
  TrackDecryption(now);
}

void AppSession::TrackDecryption(TimestampNs now) {
  TlsState& t = *tls_;
  tls::ConnectionDecryptor& d = *t.decryptor;
  if (d.waiting()) {
    if (t.wait_since == 0) {
      t.wait_since = now;
    } else if (now - t.wait_since > config_.tls_key_wait) {
      d.GiveUpWaiting();
    }
  } else {
    t.wait_since = 0;
  }
  if (d.waiting_for_keys() && !t.counted_wait) {
    t.counted_wait = true;
    AppCounters::Bump(counters_.tls_waited_for_keys);
  }
  if (d.decrypted() && !t.counted_decrypted) {
    t.counted_decrypted = true;
    AppCounters::Bump(counters_.tls_decrypted);
  }
  if (d.failed() && !t.counted_failure) {
    t.counted_failure = true;
    AppCounters::Bump(counters_.tls_decrypt_failures[static_cast<size_t>(d.failure())]);
  }
  if (!d.waiting()) {
    for (Direction dir : {Direction::kToServer, Direction::kToClient}) {
      if (!t.end_waits[Index(dir)]) continue;
      t.end_waits[Index(dir)] = false;
      if (http_) http_->End(dir, now);
    }
  }
}

// Decrypted application data: HTTP/1.x goes to an HTTP conversation as a plaintext connection's
// bytes do. HTTP/2 (its connection preface) is counted, not dissected.
void AppSession::OnPlaintext(Direction dir, ByteView data, TimestampNs ts) {
  TlsState& t = *tls_;
  if (t.http2 || t.plaintext_done) return;
  if (!http_) {
    static constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n";
    std::string_view text = AsStringView(data);
    if (dir == Direction::kToServer &&
        text.substr(0, kHttp2Preface.size()) == kHttp2Preface.substr(0, text.size())) {
      t.http2 = true;
      AppCounters::Bump(counters_.tls_http2);
      return;
    }
    bool http = dir == Direction::kToServer ? http::LooksLikeHttpRequest(data)
                                            : http::LooksLikeHttpResponse(data);
    if (!http) {
      t.plaintext_done = true;
      return;
    }
    StartHttp();
  }
  http_->Feed(dir, data, ts);
  if (http_->gave_up()) {
    http_->Close(ts);
    t.plaintext_done = true;
  }
}

void AppSession::OnGap(Direction dir, uint64_t length, TimestampNs ts) {
  auto& acct = account_[Index(dir)];
  ++acct.gaps;
  acct.gap_bytes += length;
  if (socks_ && !socks_->Passed(dir) && socks_->state() == http::SocksState::kInProgress) {
    // A hole inside the handshake: where the tunnelled bytes begin is unknown.
    socks_->Gap(dir);
    counters_.http.Count(http::HttpError::kSocksBadHandshake);
    if (layer_ == AppLayer::kUndecided) {
      layer_ = AppLayer::kNone;
      AppCounters::Bump(counters_.other_flows);
    }
    return;
  }
  if (layer_ == AppLayer::kHttp) {
    http_->Gap(dir, length, ts);
  } else if (layer_ == AppLayer::kTls) {
    tls_->turns.Gap(dir, length);
    if (dir == Direction::kToServer && !tls_->client_hello_done) {
      tls_->client_hello_done = true;
      std::string().swap(tls_->client_hello_buffer);
    }
    if (tls_->decryptor) {
      tls_->decryptor->Gap(dir);
      if (http_ && !tls_->plaintext_done) http_->Gap(dir, length, ts);
      TrackDecryption(ts);
    }
  }
}

void AppSession::OnEnd(Direction dir, TimestampNs ts) {
  account_[Index(dir)].ended = true;
  if (layer_ == AppLayer::kHttp) {
    http_->End(dir, ts);
  } else if (layer_ == AppLayer::kTls && tls_->decryptor) {
    // Bytes of this direction may still wait for keys: the FIN follows them.
    if (tls_->decryptor->waiting()) {
      tls_->end_waits[Index(dir)] = true;
    } else if (http_ && !tls_->plaintext_done) {
      http_->End(dir, ts);
    }
  }
}

void AppSession::Close(TimestampNs ts) {
  if (tls_ && tls_->decryptor) {
    TlsState& t = *tls_;
    if (t.decryptor->waiting_for_keys()) {
      LookUpTlsKeys();  // a last look: the keys may have come since the last packet
    }
    t.decryptor->GiveUpWaiting();
    TrackDecryption(ts);
    const tls::ConnectionDecryptorCounts& n = t.decryptor->counts();
    AppCounters::Bump(counters_.tls_early_data_bytes, n.early_data_bytes);
    AppCounters::Bump(counters_.tls_early_data_rejected_bytes, n.early_data_rejected_bytes);
    AppCounters::Bump(counters_.tls_early_records_skipped, n.early_records_skipped);
    config_.tls_keys->Forget(t.decryptor->client_random());
  }
  if (http_) http_->Close(ts);
}

storage::ServerHint AppSession::Hint(TimestampNs now) const {
  storage::ServerHint hint;
  if (config_.known_servers) {
    hint.known_provider =
        config_.known_servers->Lookup(identity_.server_ip, identity_.server_port, now);
  }
  return hint;
}

void AppSession::OnResponseBody(const http::HttpTransaction& tx, ByteView chunk) {
  if (!config_.recognise) return;
  if (!scan_decided_) {
    scan_decided_ = true;
    body_use_ = storage::DecideBodyUse(tx, config_.storage, Hint(tx.response.first_ts), Scratch());
    if (body_use_ == storage::BodyUse::kScan) {
      scanner_ = std::make_unique<storage::ListingScanner>(config_.storage.sample_keys);
    } else {
      scanner_.reset();
    }
    // Nothing in the head said storage (kPrefix) and the server is not known: an object read
    // can still prove itself by its bytes.
    object_digest_.reset();
    if (body_use_ == storage::BodyUse::kPrefix && config_.storage.fingerprint &&
        !Hint(tx.response.first_ts).known_provider) {
      if (auto claimed = storage::ClaimedObjectMd5(tx)) {
        auto d = std::make_unique<ObjectDigest>();
        d->claimed = *claimed;
        d->md5 = EVP_MD_CTX_new();
        if (d->md5 && EVP_DigestInit_ex(d->md5, EVP_md5(), nullptr) == 1) {
          object_digest_ = std::move(d);
        }
      }
    }
  }
  if (scanner_) scanner_->Feed(chunk);
  if (object_digest_) EVP_DigestUpdate(object_digest_->md5, chunk.data(), chunk.size());
}

bool AppSession::ObjectDigestMatches(const http::HttpTransaction& tx) {
  std::unique_ptr<ObjectDigest> d = std::move(object_digest_);
  if (!d || tx.end != http::TransactionEnd::kComplete || tx.response.missing_bytes) return false;
  std::array<uint8_t, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  bool match = EVP_DigestFinal_ex(d->md5, out.data(), &len) == 1 && len == d->claimed.size() &&
               std::equal(d->claimed.begin(), d->claimed.end(), out.begin());
  AppCounters::Bump(match ? counters_.object_digest_matches : counters_.object_digest_mismatches);
  return match;
}

bool AppSession::WantsBodyPrefix(const http::HttpTransaction&) const {
  return body_use_ == storage::BodyUse::kPrefix;
}

storage::RecogniserScratch& AppSession::Scratch() {
  if (config_.recogniser_scratch != nullptr) return *config_.recogniser_scratch;
  if (!own_scratch_) own_scratch_ = std::make_unique<storage::RecogniserScratch>();
  return *own_scratch_;
}

void AppSession::OnTransaction(http::HttpTransaction& tx) {
  ++http_transactions_;
  if (!config_.recognise) return;
  const storage::ListingSummary* body = scanner_ ? &scanner_->summary() : nullptr;
  TimestampNs now = tx.has_response ? tx.response.last_ts : tx.request.last_ts;
  // Built in the output's buffer, which comes back from the queue with an earlier request's
  // storage: no allocation once its strings have grown.
  event::StorageRequest& request = out_.storage_request_buffer();
  storage::StorageEvent& ev = request.event;
  storage::RecogniserScratch& scratch = Scratch();
  bool is_storage = storage::RecogniseInto(tx, body, config_.storage, Hint(now), scratch, ev);
  if (!is_storage && ObjectDigestMatches(tx)) {
    storage::ServerHint as_store;
    as_store.known_provider = storage::Provider::kS3Compatible;
    is_storage = storage::RecogniseInto(tx, body, config_.storage, as_store, scratch, ev);
    if (is_storage) ev.recognised_by = storage::RecognisedBy::kObjectDigest;
  }
  object_digest_.reset();
  auto logged = event::HttpLogEntry::Storage::kNo;
  if (is_storage) {
    logged = event::HttpLogEntry::Storage::kYes;
    if (storage::TeachesServer(ev.recognised_by) && config_.known_servers) {
      config_.known_servers->Learn(identity_.server_ip, identity_.server_port, ev.provider, now);
    }
    ++storage_events_;
    AppCounters::Bump(counters_.storage_events);
    FillContext(tx, request.ctx);
    out_.OnStorageRequest(std::move(request));
  } else {
    AppCounters::Bump(counters_.non_storage_http);
    if (config_.storage.fingerprint && OfferToKnownServers(tx, body)) {
      logged = event::HttpLogEntry::Storage::kCandidate;
    }
  }
  if (config_.http_log) LogRequest(tx, logged);
  scanner_.reset();
  scan_decided_ = false;
}

// The server may have spoken storage on a connection another worker saw: read the request as
// each provider family would address it and let the output stage decide.
bool AppSession::OfferToKnownServers(const http::HttpTransaction& tx,
                                     const storage::ListingSummary* body) {
  using event::KnownServerCandidate;
  KnownServerCandidate candidate;
  constexpr std::array<storage::Provider, KnownServerCandidate::kFamilies> kAs = {
      storage::Provider::kS3Compatible, storage::Provider::kAzureBlob, storage::Provider::kGcs};
  candidate.as.reserve(kAs.size());
  for (storage::Provider provider : kAs) {
    storage::ServerHint hint;
    hint.known_provider = provider;
    auto event = storage::Recognise(tx, body, config_.storage, hint);
    // Refused whatever the server (a tunnel, a preflight, an unparsable target): not storage.
    if (!event) return false;
    candidate.as.push_back(std::move(*event));
  }
  candidate.ctx = Context(tx);
  AppCounters::Bump(counters_.known_server_candidates);
  out_.OnKnownServerCandidate(std::move(candidate));
  return true;
}

// The target as the log may show it: an absolute-form target loses its userinfo, the query its
// credential values (as the ledger's url.query does), and what is left is cut at the bound.
void AppSession::LogRequest(const http::HttpTransaction& tx, event::HttpLogEntry::Storage storage) {
  event::HttpLogEntry e;
  e.ts = tx.request.first_ts;
  e.decide_ts = tx.has_response ? tx.response.last_ts : tx.request.last_ts;
  e.client_ip = identity_.client_ip;
  e.client_port = identity_.client_port;
  e.server_ip = identity_.server_ip;
  e.server_port = identity_.server_port;
  e.community_id = identity_.community_id;
  e.method = tx.request.method;
  std::string_view host = tx.request.host;
  if (size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  e.host.assign(host);
  std::string_view target = tx.request.target;
  std::string_view fragment;
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    fragment = target.substr(hash);
    target = target.substr(0, hash);
  }
  std::string_view query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q + 1);
  }
  // scheme://userinfo@authority/...: only an absolute form has "://" before its path.
  if (size_t scheme = target.find("://");
      scheme != std::string_view::npos &&
      target.substr(0, scheme).find('/') == std::string_view::npos) {
    size_t authority = scheme + 3;
    size_t path = target.find('/', authority);
    size_t at = target.substr(0, path).rfind('@');
    if (at != std::string_view::npos && at >= authority) {
      e.target.append(target.substr(0, authority));
      target = target.substr(at + 1);
    }
  }
  e.target.append(target);
  if (!query.empty()) e.target.append(storage::RedactQuery(query));
  // A fragment is not sent by conforming clients; one that was may hold a token too.
  if (!fragment.empty()) e.target.append("#REDACTED");
  if (e.target.size() > event::HttpLogEntry::kMaxTargetBytes) {
    e.target.resize(event::HttpLogEntry::kMaxTargetBytes);
    e.target_truncated = true;
  }
  e.version_major = tx.request.version_major;
  e.version_minor = tx.request.version_minor;
  e.status = tx.has_response ? tx.response.status : 0;
  e.request_body_bytes = tx.request.body_bytes;
  e.response_body_bytes = tx.has_response ? tx.response.body_bytes : 0;
  e.missing_bytes = tx.request.missing_bytes || (tx.has_response && tx.response.missing_bytes);
  e.storage = storage;
  out_.OnHttpRequest(std::move(e));
}

event::RequestContext AppSession::Context(const http::HttpTransaction& tx) const {
  event::RequestContext ctx;
  FillContext(tx, ctx);
  return ctx;
}

// Assigns every field, so that a context reused from an earlier request keeps only its capacity.
void AppSession::FillContext(const http::HttpTransaction& tx, event::RequestContext& ctx) const {
  ctx.start_ts = tx.request.first_ts;
  ctx.end_ts = tx.has_response ? tx.response.last_ts : tx.request.last_ts;
  ctx.client_ip = identity_.client_ip;
  ctx.client_port = identity_.client_port;
  ctx.server_ip = identity_.server_ip;
  ctx.server_port = identity_.server_port;
  ctx.community_id.assign(identity_.community_id);
  ctx.method.assign(tx.request.method);
  ctx.status = tx.has_response ? tx.response.status : 0;
  ctx.request_bytes = tx.request.header_bytes + tx.request.body_bytes;
  ctx.response_bytes = tx.has_response ? tx.response.header_bytes + tx.response.body_bytes : 0;
  ctx.response_body_bytes = tx.has_response ? tx.response.body_content_bytes : 0;
  ctx.user_agent.assign(tx.request.Find("User-Agent").value_or(std::string_view()));
  ctx.sni.assign(server_name());
  ctx.tls_decrypted = tls_ && tls_->decryptor && tls_->decryptor->suite() != nullptr;
  ctx.tls_version = ctx.tls_decrypted ? tls_->decryptor->version() : 0;
  ctx.tls_cipher = ctx.tls_decrypted ? tls_->decryptor->suite()->name : std::string_view();
  ctx.missing_bytes = tx.request.missing_bytes || (tx.has_response && tx.response.missing_bytes);
}

}  // namespace bw::app
