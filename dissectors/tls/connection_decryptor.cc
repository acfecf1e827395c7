#include "dissectors/tls/connection_decryptor.h"

#include <algorithm>

namespace bw::tls {
namespace {

constexpr uint8_t kChangeCipherSpec = 20;
constexpr uint8_t kAlert = 21;
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kApplicationData = 23;
constexpr size_t kHeaderLength = 5;

constexpr uint8_t kEndOfEarlyData = 5;
constexpr uint8_t kEncryptedExtensions = 8;
constexpr uint8_t kFinished = 20;
constexpr uint16_t kExtEarlyData = 42;
// An EncryptedExtensions larger than this is not read: the early data it answers is dropped.
constexpr size_t kMaxEncryptedExtensions = 16 * 1024;

SessionFailure FailureOf(DecryptStatus status) {
  switch (status) {
    case DecryptStatus::kBadRecordMac:
    case DecryptStatus::kBadPadding:  // CBC: a wrong key shows here as often as in the MAC
      return SessionFailure::kBadRecordMac;
    case DecryptStatus::kUnsupportedSuite:
      return SessionFailure::kUnsupportedSuite;
    case DecryptStatus::kBadKeys:
      return SessionFailure::kBadKeys;
    default:
      return SessionFailure::kBadRecord;
  }
}

// Whether an EncryptedExtensions body carries early_data (the server accepted 0-RTT).
bool HasEarlyDataExtension(ByteView body) {
  uint16_t total = 0;
  if (!LoadBe16(body, 0, total) || size_t{2} + total > body.size()) return false;
  for (size_t off = 2; off + 4 <= size_t{2} + total;) {
    uint16_t type = 0;
    uint16_t length = 0;
    (void)LoadBe16(body, off, type);
    (void)LoadBe16(body, off + 2, length);
    if (type == kExtEarlyData) return true;
    off += 4 + size_t{length};
  }
  return false;
}

// Calls on_body(type, piece) for the body bytes of each handshake message and on_end(type) when
// a message ends, across calls.
template <typename Walker, typename OnBody, typename OnEnd>
void WalkMessages(Walker& w, ByteView bytes, OnBody&& on_body, OnEnd&& on_end) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (w.header_have < w.header.size()) {
      w.header[w.header_have++] = bytes[i++];
      if (w.header_have == w.header.size()) {
        w.body_left = (uint32_t{w.header[1]} << 16) | (uint32_t{w.header[2]} << 8) | w.header[3];
        if (w.body_left == 0) {
          w.header_have = 0;
          on_end(w.header[0]);
        }
      }
      continue;
    }
    size_t take = std::min<size_t>(w.body_left, bytes.size() - i);
    on_body(w.header[0], bytes.subspan(i, take));
    i += take;
    w.body_left -= static_cast<uint32_t>(take);
    if (w.body_left == 0) {
      w.header_have = 0;
      on_end(w.header[0]);
    }
  }
}

}  // namespace

std::string_view SessionFailureName(SessionFailure failure) {
  switch (failure) {
#define BW_X(name, text)     \
  case SessionFailure::name: \
    return text;
    BW_TLS_SESSION_FAILURES(BW_X)
#undef BW_X
  }
  return "none";
}

ConnectionDecryptor::ConnectionDecryptor(const ClientHello& hello, ConnectionDecryptorLimits limits,
                                         std::span<uint8_t> scratch, PlaintextSink& sink)
    : limits_(limits),
      scratch_(scratch),
      sink_(sink),
      client_random_(hello.random),
      offers_early_data_(hello.offers_early_data && hello.has_supported_versions_tls13) {}

uint32_t ConnectionDecryptor::key_updates() const {
  return sides_[0].decryptor.key_updates() + sides_[1].decryptor.key_updates();
}

size_t ConnectionDecryptor::buffered_bytes() const {
  return sides_[0].pending.size() + sides_[1].pending.size() + early_plaintext_.size();
}

size_t ConnectionDecryptor::MemoryBytes() const {
  // An EVP_CIPHER_CTX with its fetched cipher, and an HMAC context for CBC suites.
  constexpr size_t kCryptoContextBytes = 1024;
  size_t n = sizeof(*this) + 2 * kCryptoContextBytes;
  for (const Side& s : sides_) n += s.pending.capacity();
  n +=
      arrivals_.capacity() * sizeof(Arrival) + early_plaintext_.capacity() + extensions_.capacity();
  return n;
}

void ConnectionDecryptor::Feed(Direction dir, ByteView bytes, TimestampNs ts) {
  if (bytes.empty()) return;
  ts_ = ts;
  if (dir == Direction::kToClient && !hello_known_ && !failed()) ScanServerHello(bytes);
  Side& s = side(dir);
  if (s.phase != Phase::kStopped) {
    if (waiting_) {
      Keep(dir, bytes);
    } else if (s.pending.empty()) {
      size_t used = Process(dir, bytes);
      if (s.phase != Phase::kStopped && used < bytes.size()) {
        ByteView rest = bytes.subspan(used);
        s.pending.assign(reinterpret_cast<const char*>(rest.data()), rest.size());
        s.released = s.pending.size();
        s.released_ts = ts;
      }
    } else {
      s.pending.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      s.released = s.pending.size();
      s.released_ts = ts;
      ProcessPending(dir);
    }
  }
  if (resume_ && waiting_ && !failed()) Resume();
  resume_ = false;
  Tidy();
}

void ConnectionDecryptor::Gap(Direction dir) {
  if (!hello_known_) {
    Fail(SessionFailure::kGap);
    return;
  }
  StopSide(dir, SessionFailure::kGap);
  // What the stopped direction held back is gone; the other may go on.
  if (waiting_) Resume();
  Tidy();
}

void ConnectionDecryptor::SetKeys(const ConnectionKeys& keys) {
  for (size_t i = 0; i < kKeyLogLabelCount; ++i) {
    const Secret& secret = keys.Get(static_cast<KeyLogLabel>(i));
    if (!secret.empty() && keys_[i].empty()) keys_[i] = secret;
  }
  if (waiting_ && !failed()) Resume();
  Tidy();
}

void ConnectionDecryptor::GiveUpWaiting() {
  if (waiting_) Fail(blocked_on_keys_ ? SessionFailure::kNoKeys : SessionFailure::kNoHandshake);
}

void ConnectionDecryptor::Fail(SessionFailure why) {
  End(why);
  Tidy();
}

// Buffers stay until Tidy: a caller up the stack may still be reading one.
void ConnectionDecryptor::End(SessionFailure why) {
  if (failure_ == SessionFailure::kNone) failure_ = why;
  for (Side& s : sides_) s.phase = Phase::kStopped;
  waiting_ = false;
}

void ConnectionDecryptor::StopSide(Direction dir, SessionFailure why) {
  if (failure_ == SessionFailure::kNone) failure_ = why;
  side(dir).phase = Phase::kStopped;
}

// Releases what stopped directions and a finished wait hold. Called when no view into the
// buffers is live (the end of every public call).
void ConnectionDecryptor::Tidy() {
  for (Side& s : sides_) {
    if (s.phase == Phase::kStopped) {
      std::string().swap(s.pending);
      s.released = 0;
      s.decryptor.Reset();
    }
  }
  if (sides_[0].phase == Phase::kStopped && sides_[1].phase == Phase::kStopped) {
    waiting_ = false;
    std::string().swap(early_plaintext_);
    std::string().swap(extensions_);
    for (Secret& k : keys_) k.Wipe();
  }
  if (!waiting_ && arrivals_head_ > 0) {
    std::vector<Arrival>().swap(arrivals_);
    arrivals_head_ = 0;
  }
}

void ConnectionDecryptor::ScanServerHello(ByteView bytes) {
  if (hello_.status() == ServerHelloScanner::Status::kNeedMore) {
    hello_records_.Feed(bytes, &hello_observer_);
    if (!hello_records_.in_sync() && hello_.status() == ServerHelloScanner::Status::kNeedMore) {
      End(SessionFailure::kNoHandshake);
      return;
    }
  }
  if (hello_.status() == ServerHelloScanner::Status::kInvalid) {
    End(SessionFailure::kNoHandshake);
    return;
  }
  if (hello_.status() != ServerHelloScanner::Status::kComplete) return;
  const ServerHelloFacts& facts = hello_.facts();
  tls13_ = facts.tls13();
  if (!tls13_ && facts.legacy_version != 0x0303) {
    End(SessionFailure::kUnsupportedVersion);
    return;
  }
  suite_ = FindCipherSuite(facts.cipher_suite);
  if (suite_ == nullptr || suite_->tls13 != tls13_) {
    End(SessionFailure::kUnsupportedSuite);
    return;
  }
  hello_known_ = true;
  if (facts.hello_retry_seen) DecideEarly(false);
  resume_ = true;
}

void ConnectionDecryptor::Keep(Direction dir, ByteView bytes) {
  size_t kept = sides_[0].pending.size() + sides_[1].pending.size() + early_plaintext_.size();
  // Runs of one direction merge only at one time, so each record is stamped with its own.
  bool extends_last = arrivals_.size() > arrivals_head_ && arrivals_.back().dir == dir &&
                      arrivals_.back().ts == ts_ &&
                      arrivals_.back().bytes <= UINT32_MAX - bytes.size();
  if (kept + bytes.size() > limits_.wait_buffer_bytes ||
      (!extends_last && arrivals_.size() - arrivals_head_ >= kMaxArrivals)) {
    End(SessionFailure::kBufferOverflow);
    return;
  }
  Side& s = side(dir);
  s.pending.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (extends_last) {
    arrivals_.back().bytes += static_cast<uint32_t>(bytes.size());
  } else {
    arrivals_.push_back({dir, static_cast<uint32_t>(bytes.size()), ts_});
  }
  counts_.bytes_waited += bytes.size();
}

void ConnectionDecryptor::ProcessPending(Direction dir) {
  Side& s = side(dir);
  if (s.phase == Phase::kStopped || s.released == 0) return;
  ts_ = s.released_ts;
  size_t used = Process(dir, AsBytes(std::string_view(s.pending).substr(0, s.released)));
  if (s.phase == Phase::kStopped) return;  // Tidy releases the buffer
  s.pending.erase(0, used);
  s.released -= used;
}

// Releases the kept bytes in the order they arrived, until something waits again.
void ConnectionDecryptor::Resume() {
  waiting_ = false;
  // Released bytes come first: the blocked direction's arrived before anything in arrivals_,
  // and the other direction's are at most a partial record.
  for (Direction d : {Direction::kToServer, Direction::kToClient}) {
    ProcessPending(d);
    if (waiting_ || failed()) return;
  }
  while (arrivals_head_ < arrivals_.size()) {
    Arrival a = arrivals_[arrivals_head_++];
    Side& s = side(a.dir);
    if (s.phase == Phase::kStopped) continue;
    s.released += a.bytes;
    s.released_ts = a.ts;
    ProcessPending(a.dir);
    if (waiting_ || failed()) return;
  }
}

// Handles the whole records at the start of `stream`; returns the bytes consumed (all of them
// once the direction stopped).
size_t ConnectionDecryptor::Process(Direction dir, ByteView stream) {
  size_t off = 0;
  while (stream.size() - off >= kHeaderLength) {
    const uint8_t* h = stream.data() + off;
    size_t length = (size_t{h[3]} << 8) | h[4];
    if (h[0] < kChangeCipherSpec || h[0] > kApplicationData || h[1] != 3 ||
        length > kMaxRecordLength) {
      StopSide(dir, SessionFailure::kBadRecord);
      return stream.size();
    }
    if (stream.size() - off < kHeaderLength + length) break;
    Step step = HandleRecord(dir, stream.subspan(off, kHeaderLength + length));
    if (step == Step::kBlocked) break;
    if (step == Step::kStop || side(dir).phase == Phase::kStopped) return stream.size();
    off += kHeaderLength + length;
  }
  return off;
}

ConnectionDecryptor::Step ConnectionDecryptor::Block(bool on_keys) {
  waiting_ = true;
  blocked_on_keys_ = on_keys;
  return Step::kBlocked;
}

ConnectionDecryptor::Step ConnectionDecryptor::HandleRecord(Direction dir, ByteView record) {
  if (failed() && side(dir).phase == Phase::kStopped) return Step::kStop;
  uint8_t type = record[0];
  if (!hello_known_) {
    // Before the ServerHello only plaintext handshake and alerts are readable, and 0-RTT.
    if (type == kHandshake || type == kAlert) return Step::kNext;
    // A server's ChangeCipherSpec ahead of its ServerHello (which ScanServerHello reads before
    // any server record gets here) is TLS 1.3's middlebox-compatibility one after a
    // HelloRetryRequest (RFC 8446 D.4): it carries nothing. TLS 1.2's comes after the
    // ServerHello. A client's may be TLS 1.2's, which needs the ServerHello: it waits below.
    if (type == kChangeCipherSpec && dir == Direction::kToClient) return Step::kNext;
    if (dir == Direction::kToServer && type == kApplicationData && offers_early_data_) {
      return TryEarlyBeforeHello(record);
    }
    if (dir == Direction::kToClient) {
      End(SessionFailure::kNoHandshake);
      return Step::kStop;
    }
    return Block(false);
  }
  return tls13_ ? HandleTls13(dir, record) : HandleTls12(dir, record);
}

ConnectionDecryptor::Step ConnectionDecryptor::HandleTls12(Direction dir, ByteView record) {
  Side& s = side(dir);
  uint8_t type = record[0];
  if (s.phase == Phase::kPlain) {
    if (type == kApplicationData) {
      // Application data before ChangeCipherSpec: not a handshake this sensor can follow.
      End(SessionFailure::kNoHandshake);
      return Step::kStop;
    }
    if (type != kChangeCipherSpec) return Step::kNext;
    if (!Has(KeyLogLabel::kClientRandom)) return Block(true);
    if (!ArmTls12(dir)) return Step::kStop;
    s.phase = Phase::kApplication;
    return Step::kNext;
  }
  if (type == kChangeCipherSpec) {
    End(SessionFailure::kRenegotiation);
    return Step::kStop;
  }
  return ReadApplicationRecord(dir, record);
}

// A record under the application keys: its application data is delivered; handshake messages
// (TLS 1.3 NewSessionTicket and KeyUpdate, which the record decryptor follows; a TLS 1.2
// Finished) and alerts (the FIN ends the connection) are not.
ConnectionDecryptor::Step ConnectionDecryptor::ReadApplicationRecord(Direction dir,
                                                                     ByteView record) {
  DecryptedRecord r;
  DecryptStatus status = side(dir).decryptor.Decrypt(record, scratch_, r);
  if (status != DecryptStatus::kOk) {
    End(FailureOf(status));
    return Step::kStop;
  }
  ++counts_.records[Index(dir)];
  if (r.content_type == kApplicationData) Deliver(dir, r.plaintext);
  return Step::kNext;
}

ConnectionDecryptor::Step ConnectionDecryptor::HandleTls13(Direction dir, ByteView record) {
  Side& s = side(dir);
  // Outside type 23 everything is plaintext: a second ClientHello after a HelloRetryRequest,
  // the compatibility ChangeCipherSpec, an unprotected alert.
  if (record[0] != kApplicationData) return Step::kNext;
  for (;;) {
    switch (s.phase) {
      case Phase::kStopped:
        return Step::kStop;
      case Phase::kPlain:
        s.phase = dir == Direction::kToServer && offers_early_data_ && early_ != Early::kRejected
                      ? Phase::kEarly
                      : Phase::kHandshake;
        if (s.phase == Phase::kHandshake && dir == Direction::kToServer && offers_early_data_) {
          early_skippable_ = true;
        }
        s.armed = false;
        continue;
      case Phase::kEarly: {
        if (!Has(KeyLogLabel::kClientEarlyTrafficSecret)) {
          // Loggers write the early secret before the handshake ones: without it now, it is
          // not coming. The handshake key tells early records from handshake ones.
          if (!Has(KeyLogLabel::kClientHandshakeTrafficSecret)) return Block(true);
          s.phase = Phase::kHandshake;
          s.armed = false;
          early_skippable_ = true;
          continue;
        }
        if (!s.armed && !ArmTls13(dir, KeyLogLabel::kClientEarlyTrafficSecret)) {
          return Step::kStop;
        }
        DecryptedRecord r;
        DecryptStatus status = s.decryptor.Decrypt(record, scratch_, r);
        if (status == DecryptStatus::kBadRecordMac) {
          // Past the early data (or it was not ours to read): the handshake key reads on.
          s.phase = Phase::kHandshake;
          s.armed = false;
          early_skippable_ = true;
          continue;
        }
        if (status != DecryptStatus::kOk) {
          End(FailureOf(status));
          return Step::kStop;
        }
        return OnEarlyPlaintext(r);
      }
      case Phase::kHandshake: {
        KeyLogLabel label = dir == Direction::kToServer
                                ? KeyLogLabel::kClientHandshakeTrafficSecret
                                : KeyLogLabel::kServerHandshakeTrafficSecret;
        if (!Has(label)) return Block(true);
        if (!s.armed && !ArmTls13(dir, label)) return Step::kStop;
        DecryptedRecord r;
        DecryptStatus status = s.decryptor.Decrypt(record, scratch_, r);
        if (status == DecryptStatus::kBadRecordMac && dir == Direction::kToServer &&
            early_skippable_ && !s.handshake_read) {
          ++counts_.early_records_skipped;
          return Step::kNext;
        }
        if (status != DecryptStatus::kOk) {
          End(FailureOf(status));
          return Step::kStop;
        }
        s.handshake_read = true;
        ++counts_.records[Index(dir)];
        if (r.content_type == kHandshake) OnHandshakeMessages(dir, r.plaintext);
        return Step::kNext;
      }
      case Phase::kApplication: {
        KeyLogLabel label = dir == Direction::kToServer ? KeyLogLabel::kClientTrafficSecret0
                                                        : KeyLogLabel::kServerTrafficSecret0;
        if (!Has(label)) return Block(true);
        if (!s.armed && !ArmTls13(dir, label)) return Step::kStop;
        return ReadApplicationRecord(dir, record);
      }
    }
  }
}

// A client record ahead of the ServerHello: 0-RTT data, whose suite is the one of the resumed
// session; the secret's size says its hash, and the record tells which suite of that hash.
ConnectionDecryptor::Step ConnectionDecryptor::TryEarlyBeforeHello(ByteView record) {
  Side& s = side(Direction::kToServer);
  if (!Has(KeyLogLabel::kClientEarlyTrafficSecret)) {
    if (!Has(KeyLogLabel::kClientHandshakeTrafficSecret)) return Block(true);
    ++counts_.early_records_skipped;
    early_skippable_ = true;
    return Step::kNext;
  }
  if (s.phase == Phase::kPlain) {
    const Secret& secret = Key(KeyLogLabel::kClientEarlyTrafficSecret);
    constexpr uint16_t kCandidates[] = {0x1301, 0x1303, 0x1302};
    for (uint16_t id : kCandidates) {
      const CipherSuiteInfo* info = FindCipherSuite(id);
      if (info == nullptr || HashLength(info->prf) != secret.size()) continue;
      if (s.decryptor.InitTls13(id, secret.view()) != DecryptStatus::kOk) continue;
      DecryptedRecord r;
      if (s.decryptor.Decrypt(record, scratch_, r) == DecryptStatus::kOk) {
        s.phase = Phase::kEarly;
        s.armed = true;
        return OnEarlyPlaintext(r);
      }
    }
    s.decryptor.Reset();
    ++counts_.early_records_skipped;
    early_skippable_ = true;
    s.phase = Phase::kHandshake;
    return Step::kNext;
  }
  if (s.phase != Phase::kEarly) {
    ++counts_.early_records_skipped;
    return Step::kNext;
  }
  DecryptedRecord r;
  DecryptStatus status = s.decryptor.Decrypt(record, scratch_, r);
  if (status != DecryptStatus::kOk) {
    ++counts_.early_records_skipped;
    return Step::kNext;
  }
  return OnEarlyPlaintext(r);
}

ConnectionDecryptor::Step ConnectionDecryptor::OnEarlyPlaintext(const DecryptedRecord& r) {
  Side& s = side(Direction::kToServer);
  ++counts_.records[Index(Direction::kToServer)];
  if (r.content_type == kApplicationData) {
    if (early_ == Early::kAccepted) {
      counts_.early_data_bytes += r.plaintext.size();
      Deliver(Direction::kToServer, r.plaintext);
    } else if (early_ == Early::kRejected) {
      counts_.early_data_rejected_bytes += r.plaintext.size();
    } else if (early_plaintext_.size() + r.plaintext.size() > limits_.wait_buffer_bytes) {
      End(SessionFailure::kBufferOverflow);
      return Step::kStop;
    } else {
      if (early_plaintext_.empty()) early_ts_ = ts_;
      early_plaintext_.append(reinterpret_cast<const char*>(r.plaintext.data()),
                              r.plaintext.size());
    }
  } else if (r.content_type == kHandshake) {
    // EndOfEarlyData: the handshake key reads the client's next records.
    WalkMessages(
        s.walker, r.plaintext, [](uint8_t, ByteView) {},
        [&](uint8_t type) {
          if (type == kEndOfEarlyData) {
            s.phase = Phase::kHandshake;
            s.armed = false;
          }
        });
  }
  return Step::kNext;
}

void ConnectionDecryptor::OnHandshakeMessages(Direction dir, ByteView bytes) {
  Side& s = side(dir);
  bool reading_extensions = dir == Direction::kToClient && early_ == Early::kUndecided;
  WalkMessages(
      s.walker, bytes,
      [&](uint8_t type, ByteView piece) {
        if (!reading_extensions || type != kEncryptedExtensions) return;
        if (extensions_.size() + piece.size() > kMaxEncryptedExtensions) return;
        extensions_.append(reinterpret_cast<const char*>(piece.data()), piece.size());
      },
      [&](uint8_t type) {
        if (type == kEncryptedExtensions && reading_extensions) {
          DecideEarly(HasEarlyDataExtension(AsBytes(extensions_)));
          std::string().swap(extensions_);
        } else if (type == kFinished) {
          // Finished ends the flight and is the last message under the handshake key.
          s.phase = Phase::kApplication;
          s.armed = false;
          if (dir == Direction::kToClient && early_ == Early::kUndecided) DecideEarly(false);
        }
      });
}

void ConnectionDecryptor::DecideEarly(bool accepted) {
  if (early_ != Early::kUndecided) return;
  early_ = accepted ? Early::kAccepted : Early::kRejected;
  if (accepted) {
    counts_.early_data_bytes += early_plaintext_.size();
    if (!early_plaintext_.empty()) {
      TimestampNs now = ts_;
      ts_ = early_ts_;
      Deliver(Direction::kToServer, AsBytes(early_plaintext_));
      ts_ = now;
    }
  } else {
    counts_.early_data_rejected_bytes += early_plaintext_.size();
  }
  std::string().swap(early_plaintext_);
}

bool ConnectionDecryptor::ArmTls12(Direction dir) {
  const Secret& master = Key(KeyLogLabel::kClientRandom);
  const ServerHelloFacts& facts = hello_.facts();
  Tls12KeyBlock block;
  if (!DeriveTls12KeyBlock(*suite_, master.view(), client_random_, facts.random, block)) {
    End(SessionFailure::kBadKeys);
    return false;
  }
  const TrafficKeys& keys = dir == Direction::kToServer ? block.client_write : block.server_write;
  DecryptStatus status = side(dir).decryptor.InitTls12(suite_->id, keys, facts.encrypt_then_mac);
  if (status != DecryptStatus::kOk) {
    End(FailureOf(status));
    return false;
  }
  side(dir).armed = true;
  return true;
}

bool ConnectionDecryptor::ArmTls13(Direction dir, KeyLogLabel label) {
  DecryptStatus status = side(dir).decryptor.InitTls13(suite_->id, Key(label).view());
  if (status != DecryptStatus::kOk) {
    End(FailureOf(status));
    return false;
  }
  side(dir).armed = true;
  return true;
}

void ConnectionDecryptor::Deliver(Direction dir, ByteView plaintext) {
  if (plaintext.empty()) return;
  counts_.plaintext_bytes[Index(dir)] += plaintext.size();
  sink_.OnPlaintext(dir, plaintext, ts_);
}

}  // namespace bw::tls
