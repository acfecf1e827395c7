// bw_bench_make_storage_capture: writes a deterministic pcap of object-storage traffic (S3, Azure
// Blob, GCS; plaintext HTTP/1.1 and TLS) for the throughput benchmarks, plus a JSON sidecar that
// says what is inside. The same arguments and seed give the same bytes on every machine: the
// randomness is our own xoshiro256** (std::*_distribution differ between standard libraries).
//
// Model: `--flows` connection slots run side by side, each slot opening a new connection when its
// previous one closed, so the flow table holds about `--flows` connections at every moment and
// their packets are interleaved by timestamp. A connection is a TCP handshake, optionally a TLS
// handshake (ClientHello with SNI, server flight), keep-alive HTTP/1.1 request/response pairs cut
// into MSS-sized segments with correct seq/ack, an ACK from the receiver every two segments, and
// a FIN handshake. Requests are planned one at a time against the byte budget (`--bytes`), so the
// file ends close to the asked size without cutting a response short. Optionally a share of the
// connections make a single request (`--one-shot-share`), and a share belong to a crawler
// (`--crawler-share`): a few client hosts listing buckets and fetching small objects anonymously.
//
// TLS connections are shaped like TLS 1.3 (record sizes, handshake flights) but carry random bytes,
// unless `--tls-keylog FILE` is given: then they are real TLS 1.3 with TLS_AES_128_GCM_SHA256,
// sealed with OpenSSL's EVP under traffic secrets drawn from the seed and written to FILE in the
// NSS key log format, so that a decrypting reader (the sensor, tshark) sees the HTTP inside.
// `--tls-as-plaintext` makes the same draws and writes those connections' HTTP in plaintext on
// port 80 instead: with the same seed and flags, the plaintext twin of a `--tls-keylog` capture.
// For the twin to hold exactly the same requests, size the capture by `--connections` (every
// connection makes all its requests) rather than by `--bytes`, whose budget depends on timing.

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bw::bench {
namespace {

constexpr uint64_t kUs = 1000;
constexpr uint64_t kMs = 1000 * kUs;
constexpr uint64_t kSec = 1000 * kMs;

// ---------------------------------------------------------------------------------------------
// Randomness

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : s_) {
      seed += 0x9E3779B97F4A7C15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      word = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi], both inclusive.
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Next() % (hi - lo + 1); }
  bool Chance(double p) { return Uniform() < p; }
  double LogUniform(double lo, double hi) {
    return std::exp(std::log(lo) + Uniform() * (std::log(hi) - std::log(lo)));
  }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Next() % N];
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

std::string Hex(Rng& rng, size_t n, bool upper = false) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out(n, '0');
  for (auto& c : out) c = digits[rng.Next() & 15];
  return out;
}

std::string Base64ish(Rng& rng, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(n, 'A');
  for (auto& c : out) c = kAlphabet[rng.Next() & 63];
  return out;
}

std::string Uuid(Rng& rng) {
  std::string h = Hex(rng, 32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-a" + h.substr(17, 3) +
         "-" + h.substr(20, 12);
}

std::string PercentEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    bool plain = std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
                 (c == '/' && !encode_slash);
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string FormatTime(uint64_t ts_ns, const char* format) {
  time_t secs = static_cast<time_t>(ts_ns / kSec);
  struct tm tm_utc {};
  gmtime_r(&secs, &tm_utc);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), format, &tm_utc);
  return std::string(buf, n);
}

std::string HttpDate(uint64_t ts_ns) { return FormatTime(ts_ns, "%a, %d %b %Y %H:%M:%S GMT"); }

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string out;
  std::string sidecar;
  std::string shape = "default";
  uint64_t bytes = 100ULL << 20;
  uint64_t seed = 1;
  uint32_t flows = 200;
  uint32_t requests_per_flow = 8;
  uint32_t clients = 1000;
  double https_share = 0.3;
  double anonymous_share = 0.3;
  double presigned_share = 0.2;  // of the credentialed connections
  double list_share = 0.1;
  double head_share = 0.05;
  double ipv6_share = 0.1;
  double one_shot_share = 0;  // connections that make one request and close
  double crawler_share = 0;   // connections of a crawler (see kCrawlerHosts)
  double link_mbps = 1000;
  uint64_t object_min = 1024;
  uint64_t object_max = 16ULL << 20;
  std::array<double, 3> mix{6, 2, 2};
  uint64_t start_time = 1795428000;  // 2026-11-23T10:00:00Z
  uint64_t connections = 0;          // > 0: this many connections, whatever --bytes says
  std::string tls_keylog;            // real TLS 1.3, secrets written here
  bool tls_as_plaintext = false;     // the TLS connections' HTTP in plaintext on port 80
};

// "512", "64K", "1.5M", "2G" (binary multiples); false when malformed.
bool ParseSize(const std::string& text, uint64_t& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value < 0) return false;
  std::string suffix(end);
  double mult = 1;
  if (suffix == "K" || suffix == "k" || suffix == "KiB") {
    mult = 1024.0;
  } else if (suffix == "M" || suffix == "m" || suffix == "MiB") {
    mult = 1024.0 * 1024;
  } else if (suffix == "G" || suffix == "g" || suffix == "GiB") {
    mult = 1024.0 * 1024 * 1024;
  } else if (!suffix.empty()) {
    return false;
  }
  out = static_cast<uint64_t>(value * mult);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Storage model

enum class Provider : uint8_t { kS3, kAzure, kGcs };
enum class Auth : uint8_t { kAnonymous, kSigned, kPresigned, kBearer };
enum class Op : uint8_t { kGet, kHead, kList };
enum class Outcome : uint8_t { kSuccess, kDenied, kNotFound };

const char* ProviderName(Provider p) {
  switch (p) {
    case Provider::kS3:
      return "s3";
    case Provider::kAzure:
      return "azure";
    case Provider::kGcs:
      return "gcs";
  }
  return "?";
}

const char* AuthName(Auth a) {
  switch (a) {
    case Auth::kAnonymous:
      return "anonymous";
    case Auth::kSigned:
      return "signed";
    case Auth::kPresigned:
      return "presigned";
    case Auth::kBearer:
      return "bearer";
  }
  return "?";
}

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kDenied:
      return "denied";
    case Outcome::kNotFound:
      return "not_found";
  }
  return "?";
}

const char* OperationName(Provider p, Op op) {
  static constexpr const char* kNames[3][3] = {
      {"GetObject", "HeadObject", "ListObjectsV2"},
      {"GetBlob", "GetBlobProperties", "ListBlobs"},
      {"objects.get", "objects.get", "objects.list"},
  };
  return kNames[static_cast<int>(p)][static_cast<int>(op)];
}

// A bucket (S3, GCS) or container (Azure) and where it is served from.
struct Site {
  Provider provider = Provider::kS3;
  std::string bucket;
  std::string account;  // Azure storage account
  std::string region;   // S3
  std::array<uint8_t, 4> ip4{};
  std::array<uint8_t, 16> ip6{};
};

constexpr std::array<const char*, 12> kOrgs = {"acme",  "globex",   "initech", "umbrella",
                                               "stark", "wayne",    "tyrell",  "cyberdyne",
                                               "hooli", "vandelay", "wonka",   "soylent"};
constexpr std::array<const char*, 12> kPurposes = {"prod",      "staging", "backup", "logs",
                                                   "data",      "media",   "public", "archive",
                                                   "analytics", "exports", "assets", "reports"};
constexpr std::array<const char*, 6> kRegions = {"us-east-1",    "us-west-2",  "eu-west-1",
                                                 "eu-central-1", "ap-south-1", "ap-southeast-2"};

struct KeyTemplate {
  const char* prefix;
  const char* format;  // printf with one %d
  int max_index;
  const char* content_type;
};
constexpr std::array<KeyTemplate, 8> kKeyTemplates = {{
    {"logs/", "logs/2026/11/%02d/app-server.log.gz", 28, "application/gzip"},
    {"images/", "images/IMG_%04d.jpg", 9999, "image/jpeg"},
    {"exports/", "exports/customers-2026-%02d.csv", 12, "text/csv"},
    {"data/", "data/warehouse/part-%05d.parquet", 99999, "application/octet-stream"},
    {"backups/", "backups/db-2026-11-%02d.sql.gz", 28, "application/gzip"},
    {"docs/", "docs/contract-%05d.pdf", 99999, "application/pdf"},
    {"videos/", "videos/clip-%04d.mp4", 9999, "video/mp4"},
    {"reports/", "reports/Q3 board report %d.pdf", 99, "application/pdf"},
}};

struct ObjectName {
  std::string key;
  const char* content_type;
};

ObjectName RandomKey(Rng& rng, const KeyTemplate& t) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), t.format, static_cast<int>(rng.Range(1, t.max_index)));
  return {buf, t.content_type};
}

// ---------------------------------------------------------------------------------------------
// Byte streams

constexpr size_t kPoolSize = 1 << 20;
constexpr size_t kPoolMask = kPoolSize - 1;
constexpr size_t kPoolSlack = 4096;  // a segment read never wraps
constexpr uint64_t kTlsMaxPlain = 16384;
constexpr uint64_t kTlsOverhead = 17;  // inner content type + AEAD tag
constexpr uint64_t kTlsRecord = 5 + kTlsMaxPlain + kTlsOverhead;

uint64_t TlsWireSize(uint64_t plain) {
  uint64_t full = plain / kTlsMaxPlain, rest = plain % kTlsMaxPlain;
  return full * kTlsRecord + (rest ? 5 + rest + kTlsOverhead : 0);
}

// ---------------------------------------------------------------------------------------------
// Real TLS 1.3 records (--tls-keylog): TLS_AES_128_GCM_SHA256 under secrets the generator picks.

// A self-signed certificate (P-256, CN=*.s3.amazonaws.com, made once with `openssl req -x509
// -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=*.s3.amazonaws.com -outform DER`)
// for the real handshake's Certificate message: tshark parses certificates, and one of random
// bytes would end its dissection of the flight before the Finished that switches keys.
constexpr std::string_view kCertificateDerHex =
    "3082019030820135a0030201020214694218dfc38e96cbcead2281db307d9ac11501be300a06082a8648ce3d04"
    "0302301d311b301906035504030c122a2e73332e616d617a6f6e6177732e636f6d301e170d3236313230363130"
    "343530305a170d3336313230333130343530305a301d311b301906035504030c122a2e73332e616d617a6f6e61"
    "77732e636f6d3059301306072a8648ce3d020106082a8648ce3d03010703420004bc2a28af0c1ac7f7f251b18b"
    "1bcbacb29f827a4af5dc472051bfdbcc87d499540cc3b09fc2b2479de15e33e72f2504db4071554caeecc915c7"
    "73c05789b9fd9da3533051301d0603551d0e04160414185daa37a7eae8df11c32098c8cb0e191d6b70b0301f06"
    "03551d23041830168014185daa37a7eae8df11c32098c8cb0e191d6b70b0300f0603551d130101ff0405300301"
    "01ff300a06082a8648ce3d0403020349003046022100e953203fd11a510e8b024059e1d403ea32b2d6a23ed0cf"
    "d524708055119cca0d022100e6c69ae714b3d2a4c1adb3eea73faa497e0ad9548427cf61d0da49cd92967ab3";

// The key and IV of one direction under one traffic secret (RFC 8446 7.3).
struct TrafficKeys {
  std::array<uint8_t, 16> key{};
  std::array<uint8_t, 12> iv{};
};

// HKDF-Expand-Label(secret, label, "", length) with SHA-256, for length <= 32 (one HMAC block).
void ExpandLabel(const std::array<uint8_t, 32>& secret, std::string_view label, uint8_t* out,
                 size_t length) {
  std::string info;
  info.push_back(0);
  info.push_back(static_cast<char>(length));
  info.push_back(static_cast<char>(6 + label.size()));
  info += "tls13 ";
  info += label;
  info.push_back(0);  // empty context
  info.push_back(1);  // T(1)
  uint8_t block[EVP_MAX_MD_SIZE];
  unsigned int block_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const uint8_t*>(info.data()), info.size(), block, &block_len);
  std::memcpy(out, block, length);
}

TrafficKeys KeysFor(const std::array<uint8_t, 32>& secret) {
  TrafficKeys k;
  ExpandLabel(secret, "key", k.key.data(), k.key.size());
  ExpandLabel(secret, "iv", k.iv.data(), k.iv.size());
  return k;
}

// What one side sends in one turn: literal bytes (HTTP head, a materialised body, TLS handshake),
// then `opaque` synthetic body bytes, then TLS application-data records carrying `tls_plain`
// bytes. Synthetic bytes come from a shared random pool, so a 64 MiB object costs no memory.
// Without `keys` the records hold pool bytes; with them, the records are real: their plaintext
// is `inner` then `inner_opaque` pool bytes, sealed record by record (as the segments reach
// them) under `keys` from sequence number `seq`, with inner content type `inner_type`.
struct Message {
  bool from_client = true;
  std::string literal;
  uint64_t opaque = 0;
  uint64_t tls_plain = 0;
  uint64_t pool_offset = 0;
  const TrafficKeys* keys = nullptr;
  uint64_t seq = 0;
  uint8_t inner_type = 0x17;
  std::string inner;
  uint64_t inner_opaque = 0;
  mutable std::vector<uint8_t> sealed;  // the record last sealed, header included
  mutable uint64_t sealed_index = UINT64_MAX;

  uint64_t size() const { return literal.size() + opaque + TlsWireSize(tls_plain); }
  // Handshake records: `literal` goes in the clear, then `plain` sealed under `k` from sequence 0.
  void SealAfterLiteral(std::string plain, const TrafficKeys& k) {
    inner = std::move(plain);
    tls_plain = inner.size();
    keys = &k;
    seq = 0;
  }
  uint64_t records() const { return (tls_plain + kTlsMaxPlain - 1) / kTlsMaxPlain; }

  void Fill(const uint8_t* pool, EVP_CIPHER_CTX* gcm, uint64_t offset, uint8_t* dst,
            size_t n) const {
    while (n > 0) {
      size_t take;
      if (offset < literal.size()) {
        take = std::min<uint64_t>(n, literal.size() - offset);
        std::memcpy(dst, literal.data() + offset, take);
      } else if (offset < literal.size() + opaque) {
        uint64_t o = offset - literal.size();
        take = std::min<uint64_t>(n, opaque - o);
        std::memcpy(dst, pool + ((pool_offset + o) & kPoolMask), take);
      } else {
        uint64_t q = offset - literal.size() - opaque;
        uint64_t record = q / kTlsRecord, within = q % kTlsRecord;
        uint64_t plain_in_record = std::min(kTlsMaxPlain, tls_plain - record * kTlsMaxPlain);
        uint64_t record_len = plain_in_record + kTlsOverhead;
        if (keys) {
          if (sealed_index != record) Seal(pool, gcm, record, plain_in_record);
          take = std::min<uint64_t>(n, 5 + record_len - within);
          std::memcpy(dst, sealed.data() + within, take);
        } else if (within < 5) {
          const uint8_t header[5] = {0x17, 0x03, 0x03, static_cast<uint8_t>(record_len >> 8),
                                     static_cast<uint8_t>(record_len & 0xff)};
          take = std::min<uint64_t>(n, 5 - within);
          std::memcpy(dst, header + within, take);
        } else {
          take = std::min<uint64_t>(n, 5 + record_len - within);
          std::memcpy(dst, pool + ((pool_offset + q) & kPoolMask), take);
        }
      }
      dst += take;
      offset += take;
      n -= take;
    }
  }

 private:
  // The plaintext of the records from `offset`: `inner`, then pool bytes.
  void Plain(const uint8_t* pool, uint64_t offset, uint8_t* dst, size_t n) const {
    while (n > 0) {
      size_t take;
      if (offset < inner.size()) {
        take = std::min<uint64_t>(n, inner.size() - offset);
        std::memcpy(dst, inner.data() + offset, take);
      } else {
        take = std::min<size_t>(n, kPoolSlack);  // a read of at most the slack never wraps
        std::memcpy(dst, pool + ((pool_offset + offset - inner.size()) & kPoolMask), take);
      }
      dst += take;
      offset += take;
      n -= take;
    }
  }

  // Record `index` as TLSInnerPlaintext sealed with AES-128-GCM (RFC 8446 5.2): the nonce is the
  // IV XOR the sequence number, the additional data the record header.
  void Seal(const uint8_t* pool, EVP_CIPHER_CTX* gcm, uint64_t index, uint64_t plain_len) const {
    const size_t record_len = plain_len + kTlsOverhead;
    std::vector<uint8_t> plain(plain_len + 1);
    Plain(pool, index * kTlsMaxPlain, plain.data(), plain_len);
    plain[plain_len] = inner_type;
    sealed.resize(5 + record_len);
    const uint8_t header[5] = {0x17, 0x03, 0x03, static_cast<uint8_t>(record_len >> 8),
                               static_cast<uint8_t>(record_len & 0xff)};
    std::memcpy(sealed.data(), header, 5);
    std::array<uint8_t, 12> nonce = keys->iv;
    const uint64_t sequence = seq + index;
    for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<uint8_t>(sequence >> (8 * i));
    int len = 0;
    bool ok =
        EVP_EncryptInit_ex(gcm, EVP_aes_128_gcm(), nullptr, keys->key.data(), nonce.data()) == 1 &&
        EVP_EncryptUpdate(gcm, nullptr, &len, header, 5) == 1 &&
        EVP_EncryptUpdate(gcm, sealed.data() + 5, &len, plain.data(),
                          static_cast<int>(plain.size())) == 1 &&
        EVP_EncryptFinal_ex(gcm, sealed.data() + 5 + len, &len) == 1 &&
        EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_GET_TAG, 16, sealed.data() + 5 + plain.size()) == 1;
    if (!ok) {
      std::fprintf(stderr, "make_storage_capture: AES-128-GCM failed\n");
      std::abort();
    }
    sealed_index = index;
  }
};

// ---------------------------------------------------------------------------------------------
// TLS handshake bytes

void Put16(std::string& s, uint32_t v) {
  s.push_back(static_cast<char>((v >> 8) & 0xff));
  s.push_back(static_cast<char>(v & 0xff));
}
void Put24(std::string& s, uint32_t v) {
  s.push_back(static_cast<char>((v >> 16) & 0xff));
  Put16(s, v & 0xffff);
}
void PutRandom(std::string& s, Rng& rng, size_t n) {
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(rng.Next() & 0xff));
}
void PutExtension(std::string& s, uint16_t type, const std::string& body) {
  Put16(s, type);
  Put16(s, static_cast<uint32_t>(body.size()));
  s += body;
}
std::string Record(uint8_t type, uint16_t version, const std::string& body) {
  std::string r;
  r.push_back(static_cast<char>(type));
  Put16(r, version);
  Put16(r, static_cast<uint32_t>(body.size()));
  return r + body;
}

std::string ClientHello(Rng& rng, const std::string& sni, std::string& session_id) {
  std::string hello;
  Put16(hello, 0x0303);
  PutRandom(hello, rng, 32);
  session_id.clear();
  PutRandom(session_id, rng, 32);
  hello.push_back(32);
  hello += session_id;
  static constexpr uint16_t kSuites[] = {0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0xc02b,
                                         0xc02f, 0xcca9, 0xcca8, 0x009f, 0x009e, 0x00ff};
  Put16(hello, sizeof(kSuites));
  for (uint16_t suite : kSuites) Put16(hello, suite);
  hello.push_back(1);
  hello.push_back(0);
  std::string ext, body;
  Put16(body, static_cast<uint32_t>(sni.size() + 3));
  body.push_back(0);
  Put16(body, static_cast<uint32_t>(sni.size()));
  body += sni;
  PutExtension(ext, 0x0000, body);
  PutExtension(ext, 0x000b, std::string("\x01\x00", 2));
  PutExtension(ext, 0x000a, std::string("\x00\x06\x00\x1d\x00\x17\x00\x18", 8));
  PutExtension(ext, 0x0023, "");
  PutExtension(ext, 0x0010, std::string("\x00\x09\x08http/1.1", 11));
  PutExtension(ext, 0x0016, "");
  PutExtension(ext, 0x0017, "");
  PutExtension(ext, 0x000d,
               std::string("\x00\x10\x04\x03\x08\x04\x04\x01\x05\x03\x08\x05\x05\x01\x08\x06"
                           "\x06\x01",
                           18));
  PutExtension(ext, 0x002b, std::string("\x04\x03\x04\x03\x03", 5));
  PutExtension(ext, 0x002d, std::string("\x01\x01", 2));
  body.assign("\x00\x24\x00\x1d\x00\x20", 6);
  PutRandom(body, rng, 32);
  PutExtension(ext, 0x0033, body);
  Put16(hello, static_cast<uint32_t>(ext.size()));
  hello += ext;
  std::string handshake;
  handshake.push_back(1);
  Put24(handshake, static_cast<uint32_t>(hello.size()));
  return Record(0x16, 0x0301, handshake + hello);
}

std::string ServerHelloAndCcs(Rng& rng, const std::string& session_id) {
  std::string hello;
  Put16(hello, 0x0303);
  PutRandom(hello, rng, 32);
  hello.push_back(static_cast<char>(session_id.size()));
  hello += session_id;
  Put16(hello, 0x1301);
  hello.push_back(0);
  std::string ext, body;
  PutExtension(ext, 0x002b, std::string("\x03\x04", 2));
  body.assign("\x00\x1d\x00\x20", 4);
  PutRandom(body, rng, 32);
  PutExtension(ext, 0x0033, body);
  Put16(hello, static_cast<uint32_t>(ext.size()));
  hello += ext;
  std::string handshake;
  handshake.push_back(2);
  Put24(handshake, static_cast<uint32_t>(hello.size()));
  return Record(0x16, 0x0303, handshake + hello) + Record(0x14, 0x0303, std::string("\x01", 1));
}

// ---------------------------------------------------------------------------------------------
// HTTP messages

class Head {
 public:
  explicit Head(std::string first_line) : text_(std::move(first_line)) { text_ += "\r\n"; }
  Head& Add(std::string_view name, std::string_view value) {
    text_.append(name).append(": ").append(value).append("\r\n");
    return *this;
  }
  std::string Finish() { return text_ + "\r\n"; }

 private:
  std::string text_;
};

std::string Chunked(const std::string& body, Rng& rng) {
  std::string out;
  out.reserve(body.size() + body.size() / 1024 * 8 + 16);
  size_t pos = 0;
  while (pos < body.size()) {
    size_t n = std::min<size_t>(body.size() - pos, rng.Range(2048, 16384));
    char size_line[24];
    std::snprintf(size_line, sizeof(size_line), "%zx\r\n", n);
    out += size_line;
    out.append(body, pos, n);
    out += "\r\n";
    pos += n;
  }
  out += "0\r\n\r\n";
  return out;
}

struct Listing {
  std::string prefix;
  std::vector<ObjectName> objects;
  std::vector<uint64_t> sizes;
  bool truncated = false;
};

std::string IsoTime(Rng& rng) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "2026-%02d-%02dT%02d:%02d:%02d.%03dZ",
                static_cast<int>(rng.Range(1, 11)), static_cast<int>(rng.Range(1, 28)),
                static_cast<int>(rng.Range(0, 23)), static_cast<int>(rng.Range(0, 59)),
                static_cast<int>(rng.Range(0, 59)), static_cast<int>(rng.Range(0, 999)));
  return buf;
}

std::string S3ListXml(Rng& rng, const std::string& bucket, const Listing& l, bool gcs) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"";
  x += gcs ? "http://doc.s3.amazonaws.com/2006-03-01" : "http://s3.amazonaws.com/doc/2006-03-01/";
  x += "\"><Name>" + bucket + "</Name><Prefix>" + l.prefix + "</Prefix><KeyCount>" +
       std::to_string(l.objects.size()) + "</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>" +
       (l.truncated ? "true" : "false") + "</IsTruncated>";
  if (l.truncated) x += "<NextContinuationToken>" + Base64ish(rng, 88) + "</NextContinuationToken>";
  for (size_t i = 0; i < l.objects.size(); ++i) {
    x += "<Contents><Key>" + PercentEncode(l.objects[i].key, false) + "</Key><LastModified>" +
         IsoTime(rng) + "</LastModified><ETag>&quot;" + Hex(rng, 32) + "&quot;</ETag><Size>" +
         std::to_string(l.sizes[i]) + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
  }
  return x + "</ListBucketResult>";
}

std::string AzureListXml(Rng& rng, const Site& s, const Listing& l) {
  std::string x =
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
      "ServiceEndpoint=\"https://" +
      s.account + ".blob.core.windows.net/\" ContainerName=\"" + s.bucket + "\"><Prefix>" +
      l.prefix + "</Prefix><MaxResults>5000</MaxResults><Blobs>";
  for (size_t i = 0; i < l.objects.size(); ++i) {
    std::string when = HttpDate(1790000000ULL * kSec + rng.Range(0, 5000000) * kSec);
    x += "<Blob><Name>" + l.objects[i].key + "</Name><Properties><Creation-Time>" + when +
         "</Creation-Time><Last-Modified>" + when + "</Last-Modified><Etag>0x8DB" +
         Hex(rng, 13, true) + "</Etag><Content-Length>" + std::to_string(l.sizes[i]) +
         "</Content-Length><Content-Type>" + l.objects[i].content_type +
         "</Content-Type><Content-MD5>" + Base64ish(rng, 22) +
         "==</Content-MD5><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier>"
         "<AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus>"
         "<LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>"
         "</Properties><OrMetadata /></Blob>";
  }
  x += "</Blobs>";
  x += l.truncated ? "<NextMarker>2!" + Base64ish(rng, 40) + "</NextMarker>" : "<NextMarker />";
  return x + "</EnumerationResults>";
}

std::string GcsListJson(Rng& rng, const std::string& bucket, const Listing& l) {
  std::string j = "{\n  \"kind\": \"storage#objects\",\n";
  if (l.truncated) j += "  \"nextPageToken\": \"" + Base64ish(rng, 40) + "\",\n";
  j += "  \"items\": [";
  for (size_t i = 0; i < l.objects.size(); ++i) {
    std::string gen = std::to_string(1700000000000000ULL + rng.Range(0, 99999999999999ULL));
    std::string enc = PercentEncode(l.objects[i].key, true);
    std::string when = IsoTime(rng);
    j += i ? ",\n    {" : "\n    {";
    j += "\"kind\": \"storage#object\", \"id\": \"" + bucket + "/" + l.objects[i].key + "/" + gen +
         "\", \"selfLink\": \"https://www.googleapis.com/storage/v1/b/" + bucket + "/o/" + enc +
         "\", \"mediaLink\": \"https://storage.googleapis.com/download/storage/v1/b/" + bucket +
         "/o/" + enc + "?generation=" + gen + "&alt=media\", \"name\": \"" + l.objects[i].key +
         "\", \"bucket\": \"" + bucket + "\", \"generation\": \"" + gen +
         "\", \"metageneration\": \"1\", \"contentType\": \"" + l.objects[i].content_type +
         "\", \"storageClass\": \"STANDARD\", \"size\": \"" + std::to_string(l.sizes[i]) +
         "\", \"md5Hash\": \"" + Base64ish(rng, 22) + "==\", \"crc32c\": \"" + Base64ish(rng, 6) +
         "==\", \"etag\": \"C" + Base64ish(rng, 13) + "=\", \"timeCreated\": \"" + when +
         "\", \"updated\": \"" + when + "\", \"timeStorageClassUpdated\": \"" + when + "\"}";
  }
  return j + "\n  ]\n}\n";
}

// One planned request/response exchange and what the sidecar records about it.
struct Exchange {
  Message request;
  Message response;
  Op op = Op::kGet;
  Outcome outcome = Outcome::kSuccess;
  uint64_t object_bytes = 0;
  uint64_t list_keys = 0;
};

// How a connection presents itself; fixed for its lifetime.
struct Client {
  Auth auth = Auth::kAnonymous;
  bool path_style = false;  // S3 path style / GCS XML API path style
  bool gcs_json = false;    // GCS JSON API instead of the XML API
  std::string host;
  std::string user_agent;
  std::string access_key;
};

constexpr std::array<const char*, 4> kAnonymousAgents = {
    "curl/7.88.1", "python-requests/2.31.0", "Wget/1.21.3",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"};

// A crawler: a few client hosts at the top of the client range (no other connection uses them)
// sweeping buckets anonymously: many listings, small objects, guessed names that are not there.
constexpr uint32_t kCrawlerHosts = 4;
constexpr uint64_t kCrawlerObjectMax = 64 * 1024;
constexpr double kCrawlerListShare = 0.25;
constexpr double kCrawlerNotFound = 0.30, kCrawlerDenied = 0.10;
constexpr std::array<const char*, 4> kCrawlerAgents = {
    "python-requests/2.31.0",
    "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0-18-amd64 exe/x86_64.debian.12 prompt/off "
    "command/s3.ls",
    "s3scanner/3.0.4", "Go-http-client/1.1"};

std::string SignedAgent(Provider p, Rng& rng) {
  switch (p) {
    case Provider::kS3: {
      static constexpr std::array<const char*, 3> kAgents = {
          "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0-18-amd64 exe/x86_64.debian.12 prompt/off "
          "command/s3.cp",
          "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 md/arch#x86_64 "
          "lang/python#3.11.8 "
          "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
          "rclone/v1.65.2"};
      return rng.Pick(kAgents);
    }
    case Provider::kAzure: {
      static constexpr std::array<const char*, 2> kAgents = {
          "azsdk-python-storage-blob/12.19.1 Python/3.11.8 "
          "(Linux-6.1.0-18-amd64-x86_64-with-glibc2.36)",
          "AzCopy/10.22.2 azsdk-go-azblob/v1.2.1 (go1.21.6; linux)"};
      return rng.Pick(kAgents);
    }
    case Provider::kGcs: {
      static constexpr std::array<const char*, 2> kAgents = {
          "gcloud-python/2.14.0 gl-python/3.11.8 grpc/1.62.0 gax/2.17.1 gccl/2.14.0",
          "google-cloud-sdk gcloud/463.0.0 command/gcloud.storage.cp"};
      return rng.Pick(kAgents);
    }
  }
  return "";
}

class ExchangeBuilder {
 public:
  ExchangeBuilder(Rng& rng, const Site& site, const Client& client, uint64_t ts)
      : rng_(rng), site_(site), client_(client), ts_(ts) {}

  Exchange Build(Op op, Outcome outcome, uint64_t object_size, uint32_t list_keys) {
    Exchange x;
    x.op = op;
    x.outcome = outcome;
    const KeyTemplate& t = rng_.Pick(kKeyTemplates);
    ObjectName object = RandomKey(rng_, t);
    Listing listing;
    if (op == Op::kList) {
      listing.prefix = t.prefix;
      listing.truncated = list_keys >= 1000;
      for (uint32_t i = 0; i < list_keys; ++i) {
        listing.objects.push_back(RandomKey(rng_, t));
        listing.sizes.push_back(static_cast<uint64_t>(rng_.LogUniform(200, 50e6)));
      }
      x.list_keys = outcome == Outcome::kSuccess ? list_keys : 0;
    }
    switch (site_.provider) {
      case Provider::kS3:
        BuildS3(x, object, listing, object_size);
        break;
      case Provider::kAzure:
        BuildAzure(x, object, listing, object_size);
        break;
      case Provider::kGcs:
        BuildGcs(x, object, listing, object_size);
        break;
    }
    x.request.from_client = true;
    x.response.from_client = false;
    x.response.pool_offset = rng_.Next();
    if (op == Op::kGet && outcome == Outcome::kSuccess) x.object_bytes = object_size;
    return x;
  }

 private:
  std::string AmzDate() const { return FormatTime(ts_, "%Y%m%dT%H%M%SZ"); }
  std::string ShortDate() const { return FormatTime(ts_, "%Y%m%d"); }

  void Body(Exchange& x, std::string head, const std::string& body) {
    x.response.literal = std::move(head);
    if (x.op != Op::kHead) x.response.literal += body;
  }

  void BuildS3(Exchange& x, const ObjectName& object, const Listing& listing, uint64_t size) {
    std::string path = client_.path_style ? "/" + site_.bucket : "";
    if (x.op == Op::kList) {
      path += "/?list-type=2&prefix=" + PercentEncode(listing.prefix, true) + "&encoding-type=url";
    } else {
      path += "/" + PercentEncode(object.key, false);
    }
    if (client_.auth == Auth::kPresigned) {
      path += path.find('?') == std::string::npos ? "?" : "&";
      path += "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + client_.access_key + "%2F" +
              ShortDate() + "%2F" + site_.region + "%2Fs3%2Faws4_request&X-Amz-Date=" + AmzDate() +
              "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + Hex(rng_, 64);
    }
    Head req(std::string(x.op == Op::kHead ? "HEAD " : "GET ") + path + " HTTP/1.1");
    req.Add("Host", client_.host).Add("User-Agent", client_.user_agent);
    if (client_.auth == Auth::kSigned) {
      req.Add("Accept-Encoding", "identity")
          .Add("X-Amz-Date", AmzDate())
          .Add("X-Amz-Content-SHA256",
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
          .Add("Authorization", "AWS4-HMAC-SHA256 Credential=" + client_.access_key + "/" +
                                    ShortDate() + "/" + site_.region +
                                    "/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;"
                                    "x-amz-date, Signature=" +
                                    Hex(rng_, 64))
          .Add("amz-sdk-invocation-id", Uuid(rng_))
          .Add("amz-sdk-request", "attempt=1; max=3");
    } else {
      req.Add("Accept", "*/*");
    }
    x.request.literal = req.Finish();

    static constexpr const char* kStatus[] = {"200 OK", "403 Forbidden", "404 Not Found"};
    Head resp(std::string("HTTP/1.1 ") + kStatus[static_cast<int>(x.outcome)]);
    resp.Add("x-amz-id-2", Base64ish(rng_, 76))
        .Add("x-amz-request-id", Hex(rng_, 16, true))
        .Add("Date", HttpDate(ts_));
    if (x.outcome != Outcome::kSuccess) {
      const char* code = x.outcome == Outcome::kDenied ? "AccessDenied"
                         : x.op == Op::kList           ? "NoSuchBucket"
                                                       : "NoSuchKey";
      const char* message = x.outcome == Outcome::kDenied ? "Access Denied"
                            : x.op == Op::kList           ? "The specified bucket does not exist"
                                                          : "The specified key does not exist.";
      std::string body = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>") +
                         code + "</Code><Message>" + message + "</Message>" +
                         (x.op == Op::kList ? "<BucketName>" + site_.bucket + "</BucketName>"
                                            : "<Key>" + object.key + "</Key>") +
                         "<RequestId>" + Hex(rng_, 16, true) + "</RequestId><HostId>" +
                         Base64ish(rng_, 76) + "</HostId></Error>";
      resp.Add("Content-Type", "application/xml").Add("Transfer-Encoding", "chunked");
      resp.Add("Server", "AmazonS3");
      Body(x, resp.Finish(), Chunked(body, rng_));
      return;
    }
    if (x.op == Op::kList) {
      resp.Add("x-amz-bucket-region", site_.region)
          .Add("Content-Type", "application/xml")
          .Add("Transfer-Encoding", "chunked")
          .Add("Server", "AmazonS3");
      x.response.literal =
          resp.Finish() + Chunked(S3ListXml(rng_, site_.bucket, listing, false), rng_);
      return;
    }
    resp.Add("Last-Modified", HttpDate(ts_ - rng_.Range(3600, 90 * 86400) * kSec))
        .Add("ETag", "\"" + Hex(rng_, 32) + "\"")
        .Add("x-amz-server-side-encryption", "AES256")
        .Add("Accept-Ranges", "bytes")
        .Add("Content-Type", object.content_type)
        .Add("Content-Length", std::to_string(size))
        .Add("Server", "AmazonS3");
    x.response.literal = resp.Finish();
    if (x.op == Op::kGet) x.response.opaque = size;
  }

  void BuildAzure(Exchange& x, const ObjectName& object, const Listing& listing, uint64_t size) {
    std::string path = "/" + site_.bucket;
    if (x.op == Op::kList) {
      path += "?restype=container&comp=list&prefix=" + PercentEncode(listing.prefix, true) +
              "&maxresults=5000";
    } else {
      path += "/" + PercentEncode(object.key, false);
    }
    if (client_.auth == Auth::kPresigned) {
      path += path.find('?') == std::string::npos ? "?" : "&";
      path += std::string("sp=") + (x.op == Op::kList ? "rl" : "r") +
              "&st=2026-11-23T09:00:00Z&se=2026-11-23T18:00:00Z&spr=https&sv=2022-11-02&sr=" +
              (x.op == Op::kList ? "c" : "b") +
              "&sig=" + PercentEncode(Base64ish(rng_, 43) + "=", true);
    }
    Head req(std::string(x.op == Op::kHead ? "HEAD " : "GET ") + path + " HTTP/1.1");
    req.Add("Host", client_.host);
    if (client_.auth != Auth::kAnonymous) {
      req.Add("x-ms-version", "2023-11-03")
          .Add("x-ms-date", HttpDate(ts_))
          .Add("x-ms-client-request-id", Uuid(rng_));
    }
    req.Add("User-Agent", client_.user_agent)
        .Add("Accept", x.op == Op::kList ? "application/xml" : "*/*");
    if (client_.auth == Auth::kSigned) {
      req.Add("Authorization", "SharedKey " + site_.account + ":" + Base64ish(rng_, 43) + "=");
    }
    x.request.literal = req.Finish();

    static constexpr const char* kStatus[] = {"200 OK", "409 Public access is not permitted",
                                              "404 The specified blob does not exist."};
    Head resp(std::string("HTTP/1.1 ") + kStatus[static_cast<int>(x.outcome)]);
    std::string request_id = Uuid(rng_);
    if (x.outcome != Outcome::kSuccess) {
      const char* code = x.outcome == Outcome::kDenied ? "PublicAccessNotPermitted"
                         : x.op == Op::kList           ? "ContainerNotFound"
                                                       : "BlobNotFound";
      std::string body =
          std::string("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>") +
          code + "</Code><Message>" +
          (x.outcome == Outcome::kDenied ? "Public access is not permitted on this storage account."
                                         : "The specified resource does not exist.") +
          "\nRequestId:" + request_id + "\nTime:" + IsoTime(rng_) + "</Message></Error>";
      resp.Add("Content-Length", std::to_string(body.size()))
          .Add("Content-Type", "application/xml")
          .Add("Server", "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0")
          .Add("x-ms-request-id", request_id)
          .Add("x-ms-version", "2023-11-03")
          .Add("x-ms-error-code", code)
          .Add("Date", HttpDate(ts_));
      Body(x, resp.Finish(), body);
      return;
    }
    if (x.op == Op::kList) {
      std::string body = AzureListXml(rng_, site_, listing);
      resp.Add("Content-Type", "application/xml")
          .Add("Server", "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0")
          .Add("x-ms-request-id", request_id)
          .Add("x-ms-version", "2023-11-03")
          .Add("Date", HttpDate(ts_))
          .Add("Transfer-Encoding", "chunked");
      x.response.literal = resp.Finish() + Chunked(body, rng_);
      return;
    }
    std::string when = HttpDate(ts_ - rng_.Range(3600, 90 * 86400) * kSec);
    resp.Add("Content-Length", std::to_string(size))
        .Add("Content-Type", object.content_type)
        .Add("Content-MD5", Base64ish(rng_, 22) + "==")
        .Add("Last-Modified", when)
        .Add("Accept-Ranges", "bytes")
        .Add("ETag", "\"0x8DB" + Hex(rng_, 13, true) + "\"")
        .Add("Server", "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0")
        .Add("x-ms-request-id", request_id)
        .Add("x-ms-version", "2023-11-03")
        .Add("x-ms-creation-time", when)
        .Add("x-ms-lease-status", "unlocked")
        .Add("x-ms-lease-state", "available")
        .Add("x-ms-blob-type", "BlockBlob")
        .Add("x-ms-server-encrypted", "true")
        .Add("Date", HttpDate(ts_));
    x.response.literal = resp.Finish();
    if (x.op == Op::kGet) x.response.opaque = size;
  }

  void BuildGcs(Exchange& x, const ObjectName& object, const Listing& listing, uint64_t size) {
    // The JSON API has no HEAD and no signed URLs: those go to the XML API.
    bool json = client_.gcs_json && x.op != Op::kHead && client_.auth != Auth::kPresigned;
    std::string path;
    if (json) {
      path = "/storage/v1/b/" + site_.bucket + "/o";
      if (x.op == Op::kList) {
        path += "?prefix=" + PercentEncode(listing.prefix, true) +
                "&maxResults=1000&projection=noAcl&prettyPrint=false";
      } else {
        path += "/" + PercentEncode(object.key, true) + "?alt=media";
      }
    } else {
      path =
          client_.path_style || client_.host == "storage.googleapis.com" ? "/" + site_.bucket : "";
      if (x.op == Op::kList) {
        path += "/?list-type=2&prefix=" + PercentEncode(listing.prefix, true);
      } else {
        path += "/" + PercentEncode(object.key, false);
      }
      if (client_.auth == Auth::kPresigned) {
        path += path.find('?') == std::string::npos ? "?" : "&";
        path += "X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=" +
                PercentEncode("reader@acme-analytics.iam.gserviceaccount.com", true) + "%2F" +
                ShortDate() + "%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=" + AmzDate() +
                "&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=" + Hex(rng_, 512);
      }
    }
    Head req(std::string(x.op == Op::kHead ? "HEAD " : "GET ") + path + " HTTP/1.1");
    req.Add("Host", client_.host)
        .Add("User-Agent", client_.user_agent)
        .Add("Accept-Encoding", "gzip, deflate")
        .Add("Accept", "*/*");
    if (client_.auth == Auth::kBearer || (client_.auth == Auth::kSigned && json)) {
      req.Add("Authorization", "Bearer ya29.a0" + Base64ish(rng_, 180));
      req.Add("x-goog-api-client", "gl-python/3.11.8 gccl/2.14.0");
    } else if (client_.auth == Auth::kSigned) {
      req.Add("x-goog-date", AmzDate())
          .Add("x-goog-content-sha256", "UNSIGNED-PAYLOAD")
          .Add("Authorization", "GOOG4-HMAC-SHA256 Credential=" + client_.access_key + "/" +
                                    ShortDate() +
                                    "/auto/storage/goog4_request, SignedHeaders=host;"
                                    "x-goog-content-sha256;x-goog-date, Signature=" +
                                    Hex(rng_, 64));
    }
    x.request.literal = req.Finish();

    static constexpr const char* kStatus[] = {"200 OK", "403 Forbidden", "404 Not Found"};
    Head resp(std::string("HTTP/1.1 ") + kStatus[static_cast<int>(x.outcome)]);
    resp.Add("X-GUploader-UploadID", "ABPtcP" + Base64ish(rng_, 80));
    if (x.outcome != Outcome::kSuccess) {
      std::string body;
      bool denied = x.outcome == Outcome::kDenied;
      const char* what = x.op == Op::kList ? "storage.objects.list" : "storage.objects.get";
      if (json) {
        std::string message = denied ? std::string("Anonymous caller does not have ") + what +
                                           " access to the Google Cloud Storage " +
                                           (x.op == Op::kList ? "bucket." : "object.") +
                                           " Permission '" + what +
                                           "' denied on resource (or it may not exist)."
                                     : "No such object: " + site_.bucket + "/" + object.key;
        body = "{\n  \"error\": {\n    \"code\": " + std::string(denied ? "403" : "404") +
               ",\n    \"message\": \"" + message + "\",\n    \"errors\": [\n      {\n" +
               "        \"message\": \"" + message +
               "\",\n        \"domain\": \"global\",\n        \"reason\": \"" +
               (denied ? "forbidden" : "notFound") + "\"\n      }\n    ]\n  }\n}\n";
        resp.Add("Content-Type", "application/json; charset=UTF-8");
      } else {
        body = std::string("<?xml version='1.0' encoding='UTF-8'?><Error><Code>") +
               (denied              ? "AccessDenied"
                : x.op == Op::kList ? "NoSuchBucket"
                                    : "NoSuchKey") +
               "</Code><Message>" +
               (denied ? "Access denied." : "The specified key does not exist.") + "</Message>" +
               (denied ? std::string("<Details>Anonymous caller does not have ") + what +
                             " access to the Google Cloud Storage object.</Details>"
                       : "") +
               "</Error>";
        resp.Add("Content-Type", "application/xml; charset=UTF-8");
      }
      resp.Add("Content-Length", std::to_string(body.size()))
          .Add("Date", HttpDate(ts_))
          .Add("Expires", HttpDate(ts_))
          .Add("Cache-Control", "private, max-age=0")
          .Add("Server", "UploadServer");
      Body(x, resp.Finish(), body);
      return;
    }
    if (x.op == Op::kList) {
      std::string body = json ? GcsListJson(rng_, site_.bucket, listing)
                              : S3ListXml(rng_, site_.bucket, listing, true);
      resp.Add("Content-Type",
               json ? "application/json; charset=UTF-8" : "application/xml; charset=UTF-8")
          .Add("Date", HttpDate(ts_))
          .Add("Cache-Control", "private, max-age=0, must-revalidate, no-transform")
          .Add("Vary", "Origin")
          .Add("Vary", "X-Origin")
          .Add("Server", "UploadServer")
          .Add("Transfer-Encoding", "chunked");
      x.response.literal = resp.Finish() + Chunked(body, rng_);
      return;
    }
    std::string generation = std::to_string(1700000000000000ULL + rng_.Range(0, 99999999999999ULL));
    resp.Add("x-goog-generation", generation)
        .Add("x-goog-metageneration", "1")
        .Add("x-goog-stored-content-encoding", "identity")
        .Add("x-goog-stored-content-length", std::to_string(size))
        .Add("x-goog-hash", "crc32c=" + Base64ish(rng_, 6) + "==,md5=" + Base64ish(rng_, 22) + "==")
        .Add("x-goog-storage-class", "STANDARD")
        .Add("Content-Type", object.content_type)
        .Add("Content-Length", std::to_string(size))
        .Add("Date", HttpDate(ts_))
        .Add("Last-Modified", HttpDate(ts_ - rng_.Range(3600, 90 * 86400) * kSec))
        .Add("ETag", "\"" + Hex(rng_, 32) + "\"")
        .Add("Accept-Ranges", "bytes")
        .Add("Server", "UploadServer");
    x.response.literal = resp.Finish();
    if (x.op == Op::kGet) x.response.opaque = size;
  }

  Rng& rng_;
  const Site& site_;
  const Client& client_;
  uint64_t ts_;
};

// ---------------------------------------------------------------------------------------------
// Packets and the pcap file

uint64_t SumBytes(const uint8_t* p, size_t n, uint64_t acc) {
  while (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n) {
    uint16_t w = 0;
    std::memcpy(&w, p, 1);  // the pad byte follows in memory order, whatever the host order
    acc += w;
  }
  return acc;
}

// RFC 1071: the ones' complement sum is byte-order independent, so summing native-order words
// and storing the result in native order gives the right bytes on the wire.
uint16_t FoldChecksum(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Store32(uint8_t* p, uint32_t v) {
  Store16(p, static_cast<uint16_t>(v >> 16));
  Store16(p + 2, static_cast<uint16_t>(v));
}

class PcapWriter {
 public:
  ~PcapWriter() {
    if (file_) std::fclose(file_);
  }
  bool Open(const std::string& path, std::string& error) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) {
      error = "cannot open " + path + ": " + std::strerror(errno);
      return false;
    }
    std::setvbuf(file_, nullptr, _IOFBF, 8 << 20);
    uint8_t header[24] = {};
    const uint32_t magic = 0xa1b2c3d4, snaplen = 262144, linktype = 1;
    const uint16_t major = 2, minor = 4;
    std::memcpy(header, &magic, 4);
    std::memcpy(header + 4, &major, 2);
    std::memcpy(header + 6, &minor, 2);
    std::memcpy(header + 16, &snaplen, 4);
    std::memcpy(header + 20, &linktype, 4);
    return Put(header, sizeof(header), error);
  }
  // `record` holds 16 free bytes for the record header, then `frame_len` bytes of frame.
  bool Write(uint64_t ts_ns, uint8_t* record, uint32_t frame_len, std::string& error) {
    const uint32_t fields[4] = {static_cast<uint32_t>(ts_ns / kSec),
                                static_cast<uint32_t>(ts_ns % kSec / kUs), frame_len, frame_len};
    std::memcpy(record, fields, sizeof(fields));
    return Put(record, 16 + frame_len, error);
  }
  bool Close(std::string& error) {
    FILE* f = file_;
    file_ = nullptr;
    if (std::fclose(f) != 0) {
      error = std::string("closing the capture: ") + std::strerror(errno);
      return false;
    }
    return true;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  bool Put(const uint8_t* p, size_t n, std::string& error) {
    if (std::fwrite(p, 1, n, file_) != n) {
      error = std::string("writing the capture: ") + std::strerror(errno);
      return false;
    }
    bytes_ += n;
    return true;
  }
  FILE* file_ = nullptr;
  uint64_t bytes_ = 0;
};

struct Stats {
  uint64_t packets = 0;
  uint64_t frame_bytes = 0;
  uint64_t payload_bytes = 0;
  uint64_t flows = 0;
  uint64_t flows_ipv6 = 0;
  uint64_t flows_https = 0;
  uint64_t peak_concurrent_flows = 0;
  uint64_t flows_one_shot = 0;
  uint64_t flows_crawler = 0;
  uint64_t requests = 0;
  uint64_t requests_plaintext = 0;
  uint64_t requests_encrypted = 0;
  uint64_t requests_crawler = 0;
  uint64_t requests_crawler_plaintext = 0;
  uint64_t object_bytes = 0;
  uint64_t list_keys = 0;
  uint64_t first_ts = 0;
  uint64_t last_ts = 0;
  std::map<std::string, uint64_t> by_provider, by_operation, by_auth, by_outcome;
  std::map<std::string, uint64_t> plaintext_by_operation, plaintext_by_auth, plaintext_by_outcome;
  std::map<std::string, uint64_t> crawler_by_outcome;
};

// Everything the connections share.
struct World {
  Options options;
  std::vector<uint8_t> pool;
  std::array<std::vector<Site>, 3> sites;
  std::vector<uint16_t> next_port;  // per client host
  PcapWriter writer;
  Stats stats;
  uint64_t planned_bytes = 0;  // file bytes of everything planned so far
  uint64_t active = 0;
  std::vector<uint8_t> record;  // scratch: pcap record header + frame
  std::string error;
  EVP_CIPHER_CTX* gcm = nullptr;  // seals the records of real TLS connections
  FILE* keylog = nullptr;         // their secrets, NSS key log format
  uint64_t opened = 0;            // connections opened so far

  ~World() {
    if (gcm) EVP_CIPHER_CTX_free(gcm);
    if (keylog) std::fclose(keylog);
  }
  bool ByCount() const { return options.connections > 0; }
  bool BudgetLeft() const { return planned_bytes < options.bytes; }
  // Whether another connection opens: by count, or while the byte budget lasts.
  bool MoreConnections() const { return ByCount() ? opened < options.connections : BudgetLeft(); }
  // Real TLS 1.3 (--tls-keylog), or its plaintext twin (--tls-as-plaintext): either way the
  // connections draw the same secrets, so the two captures hold the same HTTP.
  bool RealTls() const { return !options.tls_keylog.empty() || options.tls_as_plaintext; }
};

constexpr std::array<uint8_t, 6> kGatewayMac = {0x00, 0x1c, 0x73, 0x5a, 0x10, 0x01};
constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpPsh = 0x08, kTcpAck = 0x10;

class Connection {
 public:
  Connection(World& world, uint64_t start_ts, uint64_t seed)
      : world_(world), rng_(seed), timing_rng_(seed ^ 0x6A09E667F3BCC908ULL), next_ts_(start_ts) {
    const Options& o = world.options;
    v6_ = rng_.Chance(o.ipv6_share);
    https_ = rng_.Chance(o.https_share);
    // The draws for the optional shares happen only when a share is asked for, so a capture made
    // without those flags keeps its bytes.
    if (o.crawler_share > 0) crawler_ = rng_.Chance(o.crawler_share);
    mss_ = v6_ ? 1440 : 1460;
    double total = o.mix[0] + o.mix[1] + o.mix[2];
    double u = rng_.Uniform() * total;
    auto provider = u < o.mix[0]              ? Provider::kS3
                    : u < o.mix[0] + o.mix[1] ? Provider::kAzure
                                              : Provider::kGcs;
    const auto& sites = world.sites[static_cast<int>(provider)];
    if (crawler_) {
      // A crawler sweeps buckets whatever their popularity, anonymously.
      site_ = &sites[rng_.Range(0, sites.size() - 1)];
      client_.auth = Auth::kAnonymous;
      client_.user_agent = rng_.Pick(kCrawlerAgents);
    } else {
      // Popularity is skewed: a few buckets get most of the traffic.
      double skew = rng_.Uniform();
      site_ = &sites[static_cast<size_t>(skew * skew * static_cast<double>(sites.size()))];

      double a = rng_.Uniform();
      client_.auth = a < o.anonymous_share            ? Auth::kAnonymous
                     : rng_.Chance(o.presigned_share) ? Auth::kPresigned
                                                      : Auth::kSigned;
      if (provider == Provider::kGcs && client_.auth == Auth::kSigned && rng_.Chance(0.3)) {
        client_.auth = Auth::kBearer;
      }
      client_.user_agent = client_.auth == Auth::kAnonymous || client_.auth == Auth::kPresigned
                               ? std::string(rng_.Pick(kAnonymousAgents))
                               : SignedAgent(provider, rng_);
    }
    switch (provider) {
      case Provider::kS3:
        client_.path_style = !https_ && rng_.Chance(0.3);
        client_.host = client_.path_style ? "s3." + site_->region + ".amazonaws.com"
                       : https_           ? site_->bucket + ".s3.amazonaws.com"
                                : site_->bucket + ".s3." + site_->region + ".amazonaws.com";
        client_.access_key = "AKIA" + Hex(rng_, 16, true);
        break;
      case Provider::kAzure:
        client_.host = site_->account + ".blob.core.windows.net";
        break;
      case Provider::kGcs:
        client_.gcs_json = client_.auth == Auth::kBearer || rng_.Chance(0.5);
        client_.path_style = client_.gcs_json || rng_.Chance(0.6);
        client_.host = client_.path_style ? "storage.googleapis.com"
                                          : site_->bucket + ".storage.googleapis.com";
        client_.access_key = "GOOG1E" + Hex(rng_, 54, true);
        break;
    }
    if (o.one_shot_share > 0) one_shot_ = rng_.Chance(o.one_shot_share);
    requests_left_ =
        one_shot_ ? 1 : static_cast<uint32_t>(rng_.Range(1, 2ULL * o.requests_per_flow - 1));

    // Addresses: clients on a private /16 (or ULA /64), servers by provider. The crawler's hosts
    // are the last of the client range, which other connections leave to it.
    const uint32_t crawler_hosts = std::min(kCrawlerHosts, o.clients);
    uint32_t host;
    if (crawler_) {
      host = o.clients - 1 - static_cast<uint32_t>(rng_.Range(0, crawler_hosts - 1));
    } else if (o.crawler_share > 0 && o.clients > crawler_hosts) {
      host = static_cast<uint32_t>(rng_.Range(0, o.clients - crawler_hosts - 1));
    } else {
      host = static_cast<uint32_t>(rng_.Range(0, o.clients - 1));
    }
    client_port_ = world.next_port[host];
    world.next_port[host] = client_port_ >= 60999 ? 32768 : client_port_ + 1;
    tls_wire_ = https_ && !o.tls_as_plaintext;
    server_port_ = tls_wire_ ? 443 : 80;
    if (v6_) {
      const uint8_t prefix[8] = {0xfd, 0x00, 0x0b, 0xc7, 0x00, 0x01, 0x00, 0x00};
      std::memcpy(client_ip_.data(), prefix, 8);
      client_ip_[12] = 0x0a;
      client_ip_[14] = static_cast<uint8_t>(host >> 8);
      client_ip_[15] = static_cast<uint8_t>(host);
      server_ip_ = site_->ip6;
    } else {
      const uint8_t ip[4] = {10, 20, static_cast<uint8_t>(host / 250),
                             static_cast<uint8_t>(host % 250 + 2)};
      std::memcpy(client_ip_.data(), ip, 4);
      std::memcpy(server_ip_.data(), site_->ip4.data(), 4);
    }
    client_mac_ = {0x02,
                   0x42,
                   0xac,
                   static_cast<uint8_t>(host >> 8),
                   static_cast<uint8_t>(host),
                   static_cast<uint8_t>(v6_)};
    client_isn_ = static_cast<uint32_t>(rng_.Next());
    server_isn_ = static_cast<uint32_t>(rng_.Next());
    client_ip_id_ = static_cast<uint16_t>(rng_.Next());
    server_ip_id_ = static_cast<uint16_t>(rng_.Next());
    flow_label_ = static_cast<uint32_t>(rng_.Next() & 0xfffff);
    rtt_ = rng_.Range(300 * kUs, 40 * kMs);
    // Each connection gets a share of the link, so the capture's timeline is plausible.
    double rate = o.link_mbps * 1e6 / 8 / o.flows * (0.5 + rng_.Uniform());
    ns_per_byte_ = 1e9 / std::max(rate, 1000.0);

    if (https_ && world.RealTls()) {
      PlanRealHandshake();
    } else if (https_) {
      std::string session_id;
      Message hello;
      hello.from_client = true;
      hello.literal = ClientHello(rng_, client_.host, session_id);
      Message flight;
      flight.from_client = false;
      flight.literal = ServerHelloAndCcs(rng_, session_id);
      flight.tls_plain = rng_.Range(2500, 5500);  // certificates, verify, finished
      flight.pool_offset = rng_.Next();
      Message finished;
      finished.from_client = true;
      finished.literal = Record(0x14, 0x0303, std::string("\x01", 1));
      finished.tls_plain = 36;
      finished.pool_offset = rng_.Next();
      for (Message* m : {&hello, &flight, &finished}) {
        world.planned_bytes += Estimate(*m);
        queue_.push_back(std::move(*m));
      }
    }
    world.planned_bytes += 7 * (16 + HeaderBytes() + 12);  // handshake and teardown
    // The first request is planned now, not after the handshake, so that connections opening
    // during one round trip cannot all see the same budget left.
    PlanNext();
    ++world.stats.flows;
    world.stats.flows_ipv6 += v6_;
    world.stats.flows_https += tls_wire_;
    world.stats.flows_one_shot += one_shot_;
    world.stats.flows_crawler += crawler_;
  }

  uint64_t next_ts() const { return next_ts_; }
  bool done() const { return step_ == Step::kDone; }

  // Writes the packet due at next_ts() and schedules the following one.
  bool EmitNext() {
    const uint64_t t = next_ts_;
    switch (step_) {
      case Step::kSyn:
        if (!Send(true, kTcpSyn, nullptr, 0, 0)) return false;
        step_ = Step::kSynAck;
        next_ts_ = t + rtt_;
        return true;
      case Step::kSynAck:
        if (!Send(false, kTcpSyn | kTcpAck, nullptr, 0, 0)) return false;
        step_ = Step::kAck;
        next_ts_ = t + Timing().Range(5 * kUs, 60 * kUs);
        return true;
      case Step::kAck:
        if (!Send(true, kTcpAck, nullptr, 0, 0)) return false;
        if (queue_.empty()) PlanNext();
        step_ = queue_.empty() ? Step::kFinClient : Step::kData;
        next_ts_ = t + Timing().Range(20 * kUs, 500 * kUs);
        return true;
      case Step::kData:
        return EmitData(t);
      case Step::kAckDue: {
        if (!Send(ack_from_client_, kTcpAck, nullptr, 0, 0)) return false;
        unacked_ = 0;
        step_ = queue_.empty() ? Step::kFinClient : Step::kData;
        next_ts_ = std::max(resume_ts_, t + 1 * kUs);
        return true;
      }
      case Step::kFinClient:
        if (!Send(true, kTcpFin | kTcpAck, nullptr, 0, 0)) return false;
        step_ = Step::kFinServer;
        next_ts_ = t + rtt_;
        return true;
      case Step::kFinServer:
        if (!Send(false, kTcpFin | kTcpAck, nullptr, 0, 0)) return false;
        step_ = Step::kLastAck;
        next_ts_ = t + Timing().Range(5 * kUs, 60 * kUs);
        return true;
      case Step::kLastAck:
        if (!Send(true, kTcpAck, nullptr, 0, 0)) return false;
        step_ = Step::kDone;
        return true;
      case Step::kDone:
        break;
    }
    return true;
  }

 private:
  enum class Step : uint8_t {
    kSyn,
    kSynAck,
    kAck,
    kData,
    kAckDue,
    kFinClient,
    kFinServer,
    kLastAck,
    kDone
  };

  uint32_t HeaderBytes() const { return 14 + (v6_ ? 40 : 20) + 20; }

  uint64_t Estimate(const Message& m) const {
    uint64_t segments = (m.size() + mss_ - 1) / mss_;
    uint64_t acks = segments / 2 + 1;
    return m.size() + (segments + acks) * (16 + HeaderBytes());
  }

  // Turns an exchange's message into TLS 1.3 application data sealed under `keys`, continuing the
  // direction's sequence numbers.
  static void Seal(Message& m, const TrafficKeys& keys, uint64_t& seq) {
    m.inner = std::move(m.literal);
    m.literal.clear();
    m.inner_opaque = m.opaque;
    m.opaque = 0;
    m.tls_plain = m.inner.size() + m.inner_opaque;
    m.keys = &keys;
    m.seq = seq;
    seq += m.records();
  }

  // A TLS 1.3 handshake a decrypting reader can follow: ClientHello; ServerHello and
  // ChangeCipherSpec, then EncryptedExtensions, Certificate, CertificateVerify and Finished under
  // the server handshake secret; ChangeCipherSpec and Finished under the client's. Certificate,
  // signature and Finished hold pool bytes: a reader with the key log does not verify them. The
  // secrets are drawn here in either mode, so the plaintext twin makes the same draws.
  void PlanRealHandshake() {
    std::string session_id;
    Message hello;
    hello.from_client = true;
    hello.literal = ClientHello(rng_, client_.host, session_id);
    Message flight;
    flight.from_client = false;
    flight.literal = ServerHelloAndCcs(rng_, session_id);
    const uint64_t cert_len = rng_.Range(2500, 5500);
    flight.pool_offset = rng_.Next();
    std::array<std::array<uint8_t, 32>, 4> secrets;  // client and server handshake, then app
    for (auto& secret : secrets) {
      for (size_t i = 0; i < secret.size(); i += 8) {
        uint64_t v = rng_.Next();
        std::memcpy(secret.data() + i, &v, 8);
      }
    }
    if (!tls_wire_) return;

    client_handshake_ = KeysFor(secrets[0]);
    server_handshake_ = KeysFor(secrets[1]);
    client_app_ = KeysFor(secrets[2]);
    server_app_ = KeysFor(secrets[3]);
    // The client random follows the record header (5), handshake header (4) and version (2).
    const std::string client_random = hello.literal.substr(11, 32);
    WriteKeys(client_random, secrets);

    auto message = [](uint8_t type, const std::string& body) {
      std::string m(1, static_cast<char>(type));
      Put24(m, static_cast<uint32_t>(body.size()));
      return m + body;
    };
    auto pool_bytes = [&](uint64_t offset, size_t n) {
      std::string b(n, '\0');
      for (size_t i = 0; i < n; ++i) {
        b[i] = static_cast<char>(world_.pool[(flight.pool_offset + offset + i) & kPoolMask]);
      }
      return b;
    };
    std::string ext, body;
    PutExtension(ext, 0x0010, std::string("\x00\x09\x08http/1.1", 11));
    Put16(body, static_cast<uint32_t>(ext.size()));
    std::string inner = message(8, body + ext);  // EncryptedExtensions
    // A chain of copies of one certificate, about as long as a real chain.
    std::string cert, list;
    for (size_t i = 0; i + 1 < kCertificateDerHex.size(); i += 2) {
      cert.push_back(
          static_cast<char>(std::stoi(std::string(kCertificateDerHex.substr(i, 2)), nullptr, 16)));
    }
    for (uint64_t chain = 0; chain < cert_len; chain += cert.size() + 5) {
      Put24(list, static_cast<uint32_t>(cert.size()));
      list += cert;
      Put16(list, 0);  // no certificate extensions
    }
    body.assign(1, '\0');  // empty request context
    Put24(body, static_cast<uint32_t>(list.size()));
    inner += message(11, body + list);
    body.clear();
    Put16(body, 0x0804);  // rsa_pss_rsae_sha256
    Put16(body, 256);
    body += pool_bytes(cert_len, 256);
    inner += message(15, body);
    inner += message(20, pool_bytes(cert_len + 256, 32));
    flight.inner_type = 0x16;
    flight.SealAfterLiteral(inner, server_handshake_);

    Message finished;
    finished.from_client = true;
    finished.literal = Record(0x14, 0x0303, std::string("\x01", 1));
    finished.inner_type = 0x16;
    finished.SealAfterLiteral(message(20, pool_bytes(cert_len + 288, 32)), client_handshake_);
    for (Message* m : {&hello, &flight, &finished}) {
      world_.planned_bytes += Estimate(*m);
      queue_.push_back(std::move(*m));
    }
  }

  void WriteKeys(const std::string& client_random,
                 const std::array<std::array<uint8_t, 32>, 4>& secrets) {
    static constexpr const char* kLabels[4] = {
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"};
    auto hex = [](const uint8_t* p, size_t n) {
      static constexpr char kDigits[] = "0123456789abcdef";
      std::string out;
      for (size_t i = 0; i < n; ++i) {
        out.push_back(kDigits[p[i] >> 4]);
        out.push_back(kDigits[p[i] & 15]);
      }
      return out;
    };
    const std::string random =
        hex(reinterpret_cast<const uint8_t*>(client_random.data()), client_random.size());
    for (int i = 0; i < 4; ++i) {
      std::fprintf(world_.keylog, "%s %s %s\n", kLabels[i], random.c_str(),
                   hex(secrets[i].data(), secrets[i].size()).c_str());
    }
  }

  // Plans the next request/response pair, unless this connection is done or the budget is
  // spent (the first request of a connection is always made).
  void PlanNext() {
    const Options& o = world_.options;
    if (requests_left_ == 0) return;
    if (made_requests_ > 0 && !world_.ByCount() && !world_.BudgetLeft()) return;
    --requests_left_;
    ++made_requests_;
    Op op;
    Outcome outcome;
    uint64_t object_max = o.object_max;
    if (crawler_) {
      // Listings to find names, then GETs of small objects, many of them guessed wrong.
      op = rng_.Chance(kCrawlerListShare) ? Op::kList : Op::kGet;
      double r = rng_.Uniform();
      outcome = r < kCrawlerNotFound                    ? Outcome::kNotFound
                : r < kCrawlerNotFound + kCrawlerDenied ? Outcome::kDenied
                                                        : Outcome::kSuccess;
      object_max = std::max(o.object_min, std::min(o.object_max, kCrawlerObjectMax));
    } else {
      op = rng_.Chance(o.list_share) ? Op::kList : rng_.Chance(o.head_share) ? Op::kHead : Op::kGet;
      double r = rng_.Uniform();
      outcome = client_.auth == Auth::kAnonymous
                    ? (r < 0.85   ? Outcome::kSuccess
                       : r < 0.95 ? Outcome::kDenied
                                  : Outcome::kNotFound)
                    : (r < 0.96 ? Outcome::kSuccess : Outcome::kNotFound);
    }
    uint64_t size = static_cast<uint64_t>(
        rng_.LogUniform(static_cast<double>(o.object_min), static_cast<double>(object_max)));
    // Near the end of the budget, objects shrink so the file lands close to the asked size.
    if (!world_.ByCount()) {
      uint64_t remaining = world_.BudgetLeft() ? o.bytes - world_.planned_bytes : 0;
      uint64_t budget_for_body = remaining - std::min<uint64_t>(remaining, remaining / 16 + 4096);
      if (size > budget_for_body) size = std::max(o.object_min, budget_for_body);
    }
    uint32_t list_keys = static_cast<uint32_t>(std::min(1000.0, rng_.LogUniform(5, 1400)));

    ExchangeBuilder builder(rng_, *site_, client_, next_ts_);
    Exchange x = builder.Build(op, outcome, size, list_keys);
    if (https_ && world_.RealTls()) {
      // Real TLS (or its plaintext twin, which leaves the exchange as it is).
      if (tls_wire_) {
        Seal(x.request, client_app_, client_app_seq_);
        Seal(x.response, server_app_, server_app_seq_);
      }
    } else if (https_) {
      // Encrypted: the same exchange, as TLS application data of the same plaintext length.
      x.request.tls_plain = x.request.size();
      x.request.literal.clear();
      x.request.pool_offset = rng_.Next();
      x.response.tls_plain = x.response.size();
      x.response.literal.clear();
      x.response.opaque = 0;
    }
    world_.planned_bytes += Estimate(x.request) + Estimate(x.response);

    Stats& s = world_.stats;
    std::string operation =
        std::string(ProviderName(site_->provider)) + "." + OperationName(site_->provider, op);
    ++s.requests;
    ++s.by_provider[ProviderName(site_->provider)];
    ++s.by_operation[operation];
    ++s.by_auth[AuthName(client_.auth)];
    ++s.by_outcome[OutcomeName(outcome)];
    if (tls_wire_) {
      ++s.requests_encrypted;
    } else {
      ++s.requests_plaintext;
      ++s.plaintext_by_operation[operation];
      ++s.plaintext_by_auth[AuthName(client_.auth)];
      ++s.plaintext_by_outcome[OutcomeName(outcome)];
    }
    if (crawler_) {
      ++s.requests_crawler;
      s.requests_crawler_plaintext += !tls_wire_;
      ++s.crawler_by_outcome[OutcomeName(outcome)];
    }
    s.object_bytes += x.object_bytes;
    s.list_keys += x.list_keys;
    queue_.push_back(std::move(x.request));
    queue_.push_back(std::move(x.response));
  }

  bool EmitData(uint64_t t) {
    Message& m = queue_.front();
    const uint64_t size = m.size();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(mss_, size - offset_));
    const bool last = offset_ + n == size;
    const bool from_client = m.from_client;
    if (!Send(from_client, last ? kTcpPsh | kTcpAck : kTcpAck, &m, offset_, n)) return false;
    offset_ += n;
    ++unacked_;
    const uint64_t dt = static_cast<uint64_t>(static_cast<double>(n) * ns_per_byte_);
    if (!last) {
      if (unacked_ >= 2) {
        step_ = Step::kAckDue;
        ack_from_client_ = !from_client;
        resume_ts_ = t + dt;
        next_ts_ = t + std::max<uint64_t>(kUs, std::min<uint64_t>(dt / 2, 200 * kUs));
      } else {
        next_ts_ = t + dt;
      }
      return true;
    }
    queue_.pop_front();
    offset_ = 0;
    if (queue_.empty()) PlanNext();
    // The server answers after its processing time; the client thinks before the next request.
    const uint64_t gap = queue_.empty()                ? Timing().Range(1 * kMs, 30 * kMs)
                         : !queue_.front().from_client ? Timing().Range(2 * kMs, 30 * kMs)
                                                       : Timing().Range(100 * kUs, 5 * kMs);
    const bool other_side_next = !queue_.empty() && queue_.front().from_client != from_client;
    if (!other_side_next) {
      // Nobody piggybacks the acknowledgement: the receiver sends a pure ACK.
      step_ = Step::kAckDue;
      ack_from_client_ = !from_client;
      resume_ts_ = t + dt + gap;
      next_ts_ = t + std::max<uint64_t>(kUs, std::min<uint64_t>(dt / 2, 200 * kUs));
    } else {
      unacked_ = 0;  // the next segment carries the acknowledgement
      step_ = Step::kData;
      next_ts_ = t + dt + gap;
    }
    return true;
  }

  // Builds one frame (Ethernet, IPv4/IPv6, TCP, payload) and writes it.
  bool Send(bool from_client, uint8_t flags, const Message* m, uint64_t offset, size_t n) {
    const bool syn = flags & kTcpSyn;
    const size_t options_len = syn ? 12 : 0;
    const size_t ip_len = v6_ ? 40 : 20;
    const size_t tcp_len = 20 + options_len;
    const uint32_t frame_len = static_cast<uint32_t>(14 + ip_len + tcp_len + n);
    auto& rec = world_.record;
    uint8_t* frame = rec.data() + 16;

    const auto& src_ip = from_client ? client_ip_ : server_ip_;
    const auto& dst_ip = from_client ? server_ip_ : client_ip_;
    std::memcpy(frame, from_client ? kGatewayMac.data() : client_mac_.data(), 6);
    std::memcpy(frame + 6, from_client ? client_mac_.data() : kGatewayMac.data(), 6);
    Store16(frame + 12, v6_ ? 0x86dd : 0x0800);

    uint8_t* ip = frame + 14;
    const size_t addr_len = v6_ ? 16 : 4;
    if (v6_) {
      Store32(ip, 0x60000000u | flow_label_);
      Store16(ip + 4, static_cast<uint16_t>(tcp_len + n));
      ip[6] = 6;
      ip[7] = from_client ? 64 : 52;
      std::memcpy(ip + 8, src_ip.data(), 16);
      std::memcpy(ip + 24, dst_ip.data(), 16);
    } else {
      ip[0] = 0x45;
      ip[1] = 0;
      Store16(ip + 2, static_cast<uint16_t>(ip_len + tcp_len + n));
      Store16(ip + 4, from_client ? client_ip_id_++ : server_ip_id_++);
      Store16(ip + 6, 0x4000);
      ip[8] = from_client ? 64 : 52;
      ip[9] = 6;
      Store16(ip + 10, 0);
      std::memcpy(ip + 12, src_ip.data(), 4);
      std::memcpy(ip + 16, dst_ip.data(), 4);
      uint16_t sum = FoldChecksum(SumBytes(ip, 20, 0));
      std::memcpy(ip + 10, &sum, 2);
    }

    uint8_t* tcp = ip + ip_len;
    uint32_t& own_seq = from_client ? client_seq_ : server_seq_;
    if (syn) own_seq = from_client ? client_isn_ : server_isn_;
    const uint32_t other_seq = from_client ? server_seq_ : client_seq_;
    Store16(tcp, from_client ? client_port_ : server_port_);
    Store16(tcp + 2, from_client ? server_port_ : client_port_);
    Store32(tcp + 4, own_seq);
    Store32(tcp + 8, (flags & kTcpAck) ? other_seq : 0);
    tcp[12] = static_cast<uint8_t>((tcp_len / 4) << 4);
    tcp[13] = flags;
    Store16(tcp + 14, syn ? 65535 : (from_client ? 2058 : 501));
    Store16(tcp + 16, 0);
    Store16(tcp + 18, 0);
    if (syn) {
      const uint8_t opts[12] = {2,
                                4,
                                static_cast<uint8_t>(mss_ >> 8),
                                static_cast<uint8_t>(mss_ & 0xff),
                                1,
                                1,
                                4,
                                2,
                                1,
                                3,
                                3,
                                static_cast<uint8_t>(from_client ? 7 : 9)};
      std::memcpy(tcp + 20, opts, sizeof(opts));
    }
    if (n) m->Fill(world_.pool.data(), world_.gcm, offset, tcp + tcp_len, n);

    uint8_t pseudo[8] = {};
    uint64_t acc = SumBytes(src_ip.data(), addr_len, 0);
    acc = SumBytes(dst_ip.data(), addr_len, acc);
    Store32(pseudo, static_cast<uint32_t>(tcp_len + n));
    pseudo[7] = 6;
    acc = SumBytes(pseudo, 8, acc);
    acc = SumBytes(tcp, tcp_len + n, acc);
    uint16_t sum = FoldChecksum(acc);
    std::memcpy(tcp + 16, &sum, 2);

    own_seq += static_cast<uint32_t>(n) + ((flags & (kTcpSyn | kTcpFin)) ? 1 : 0);

    Stats& s = world_.stats;
    ++s.packets;
    s.frame_bytes += frame_len;
    s.payload_bytes += n;
    if (s.first_ts == 0) s.first_ts = next_ts_;
    s.last_ts = next_ts_;
    return world_.writer.Write(next_ts_, rec.data(), frame_len, world_.error);
  }

  // Draws for timestamps. With real TLS (and its twin) they come from their own generator, so
  // that the extra handshake messages of the TLS capture leave the HTTP content's draws alone;
  // otherwise from rng_, as captures made before real TLS existed did.
  Rng& Timing() { return world_.RealTls() ? timing_rng_ : rng_; }

  World& world_;
  Rng rng_;
  Rng timing_rng_;
  const Site* site_ = nullptr;
  Client client_;
  bool v6_ = false;
  bool https_ = false;
  bool tls_wire_ = false;  // TLS on the wire (https_, unless written as its plaintext twin)
  TrafficKeys client_handshake_, server_handshake_, client_app_, server_app_;
  uint64_t client_app_seq_ = 0, server_app_seq_ = 0;
  bool crawler_ = false;
  bool one_shot_ = false;
  uint32_t mss_ = 1460;
  std::array<uint8_t, 16> client_ip_{};
  std::array<uint8_t, 16> server_ip_{};
  std::array<uint8_t, 6> client_mac_{};
  uint16_t client_port_ = 0;
  uint16_t server_port_ = 0;
  uint16_t client_ip_id_ = 0;
  uint16_t server_ip_id_ = 0;
  uint32_t flow_label_ = 0;
  uint32_t client_isn_ = 0;
  uint32_t server_isn_ = 0;
  uint32_t client_seq_ = 0;
  uint32_t server_seq_ = 0;
  uint64_t rtt_ = 0;
  double ns_per_byte_ = 0;

  Step step_ = Step::kSyn;
  uint64_t next_ts_ = 0;
  uint64_t resume_ts_ = 0;
  std::deque<Message> queue_;
  uint64_t offset_ = 0;
  uint32_t unacked_ = 0;
  bool ack_from_client_ = false;
  uint32_t requests_left_ = 0;
  uint32_t made_requests_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The whole capture

void BuildSites(World& world, Rng& rng) {
  for (int p = 0; p < 3; ++p) {
    auto& sites = world.sites[p];
    for (int i = 0; i < 48; ++i) {
      Site s;
      s.provider = static_cast<Provider>(p);
      std::string org = rng.Pick(kOrgs), purpose = rng.Pick(kPurposes);
      std::string suffix = std::to_string(rng.Range(1, 99));
      s.region = rng.Pick(kRegions);
      switch (s.provider) {
        case Provider::kS3:
          s.bucket = org + "-" + purpose + "-" + suffix;
          s.ip4 = {52, 216, static_cast<uint8_t>(rng.Range(0, 255)),
                   static_cast<uint8_t>(rng.Range(1, 254))};
          s.ip6 = {0x26, 0x00, 0x1f, 0xa0, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0x34, 0xd8};
          break;
        case Provider::kAzure:
          s.account = org + purpose.substr(0, 4) + suffix;
          s.bucket = purpose;
          s.ip4 = {20, 60, static_cast<uint8_t>(rng.Range(0, 255)),
                   static_cast<uint8_t>(rng.Range(1, 254))};
          s.ip6 = {0x26, 0x03, 0x10, 0x30, 0x04, 0x0b, 0, 0, 0, 0, 0, 0, 0x14, 0x3c};
          break;
        case Provider::kGcs:
          s.bucket = org + "-" + purpose + "-" + suffix;
          s.ip4 = {142, 250, static_cast<uint8_t>(rng.Range(0, 255)),
                   static_cast<uint8_t>(rng.Range(1, 254))};
          s.ip6 = {0x26, 0x07, 0xf8, 0xb0, 0x40, 0x04, 0x0c, 0x1b, 0, 0, 0, 0, 0, 0};
          break;
      }
      s.ip6[14] = s.ip4[2];
      s.ip6[15] = s.ip4[3];
      sites.push_back(std::move(s));
    }
  }
}

nlohmann::json SidecarJson(const World& world, double seconds) {
  const Options& o = world.options;
  const Stats& s = world.stats;
  nlohmann::json j;
  j["generator"] = "bw_bench_make_storage_capture";
  j["file"] = o.out;
  j["parameters"] = {{"shape", o.shape},
                     {"bytes", o.bytes},
                     {"seed", o.seed},
                     {"flows", o.flows},
                     {"requests_per_flow", o.requests_per_flow},
                     {"clients", o.clients},
                     {"https_share", o.https_share},
                     {"anonymous_share", o.anonymous_share},
                     {"presigned_share", o.presigned_share},
                     {"list_share", o.list_share},
                     {"head_share", o.head_share},
                     {"ipv6_share", o.ipv6_share},
                     {"one_shot_share", o.one_shot_share},
                     {"crawler_share", o.crawler_share},
                     {"object_sizes", {o.object_min, o.object_max}},
                     {"mix", {{"s3", o.mix[0]}, {"azure", o.mix[1]}, {"gcs", o.mix[2]}}},
                     {"link_mbps", o.link_mbps},
                     {"connections", o.connections}};
  j["tls"] = o.tls_as_plaintext      ? "plaintext twin (--tls-as-plaintext)"
             : !o.tls_keylog.empty() ? "TLS 1.3 TLS_AES_128_GCM_SHA256, keys in --tls-keylog"
                                     : "TLS-shaped records of random bytes (no keys)";
  if (!o.tls_keylog.empty()) j["tls_keylog"] = o.tls_keylog;
  j["file_bytes"] = world.writer.bytes();
  j["packets"] = s.packets;
  j["frame_bytes"] = s.frame_bytes;
  j["tcp_payload_bytes"] = s.payload_bytes;
  j["flows"] = {{"total", s.flows},
                {"ipv6", s.flows_ipv6},
                {"https", s.flows_https},
                {"http", s.flows - s.flows_https},
                {"peak_concurrent", s.peak_concurrent_flows},
                {"one_shot", s.flows_one_shot},
                {"crawler", s.flows_crawler},
                {"crawler_hosts", o.crawler_share > 0 ? std::min(kCrawlerHosts, o.clients) : 0}};
  j["requests"] = {{"total", s.requests},
                   {"plaintext", s.requests_plaintext},
                   {"encrypted", s.requests_encrypted},
                   {"crawler", s.requests_crawler},
                   {"crawler_plaintext", s.requests_crawler_plaintext},
                   {"crawler_by_outcome", s.crawler_by_outcome},
                   {"by_provider", s.by_provider},
                   {"by_operation", s.by_operation},
                   {"by_auth", s.by_auth},
                   {"by_outcome", s.by_outcome},
                   {"plaintext_by_operation", s.plaintext_by_operation},
                   {"plaintext_by_auth", s.plaintext_by_auth},
                   {"plaintext_by_outcome", s.plaintext_by_outcome}};
  j["object_bytes_served"] = s.object_bytes;
  j["listed_keys"] = s.list_keys;
  j["capture_seconds"] = static_cast<double>(s.last_ts - s.first_ts) / 1e9;
  j["first_timestamp"] = static_cast<double>(s.first_ts) / 1e9;
  j["generation_seconds"] = seconds;
  return j;
}

int Generate(const Options& options) {
  auto started = std::chrono::steady_clock::now();
  World world;
  world.options = options;
  Rng master(options.seed);
  world.pool.resize(kPoolSize + kPoolSlack);
  for (size_t i = 0; i < kPoolSize; i += 8) {
    uint64_t v = master.Next();
    std::memcpy(world.pool.data() + i, &v, 8);
  }
  std::memcpy(world.pool.data() + kPoolSize, world.pool.data(), kPoolSlack);
  BuildSites(world, master);
  world.next_port.resize(options.clients);
  for (auto& port : world.next_port) port = static_cast<uint16_t>(master.Range(32768, 60999));
  world.record.resize(16 + 14 + 40 + 32 + 2048);
  if (!world.writer.Open(options.out, world.error)) {
    std::fprintf(stderr, "make_storage_capture: %s\n", world.error.c_str());
    return 1;
  }
  world.gcm = EVP_CIPHER_CTX_new();
  if (!options.tls_keylog.empty()) {
    // Mode 0600: readers of key logs (the sensor) refuse group- or world-accessible ones.
    int fd = open(options.tls_keylog.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || !(world.keylog = fdopen(fd, "w"))) {
      std::fprintf(stderr, "make_storage_capture: cannot write %s: %s\n",
                   options.tls_keylog.c_str(), std::strerror(errno));
      if (fd >= 0) close(fd);
      return 1;
    }
  }

  // Slots start staggered over the first 200 ms; a slot replaces a closed connection after a
  // short pause while budget is left.
  const uint64_t t0 = options.start_time * kSec;
  std::vector<std::unique_ptr<Connection>> slots(options.flows);
  using Entry = std::pair<uint64_t, uint32_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> due;
  for (uint32_t i = 0; i < options.flows; ++i) {
    due.emplace(t0 + 200 * kMs * i / options.flows, i);
  }
  while (!due.empty()) {
    auto [ts, slot] = due.top();
    due.pop();
    auto& conn = slots[slot];
    if (!conn) {
      if (!world.MoreConnections()) continue;  // this slot retires
      // By count, a connection's seed depends only on its index, not on the order in which
      // slots free up (which depends on timing, and so on whether it was written as TLS).
      const uint64_t seed = world.ByCount()
                                ? Rng(options.seed ^ (world.opened * 0xD1B54A32D192ED03ULL)).Next()
                                : master.Next();
      ++world.opened;
      conn = std::make_unique<Connection>(world, ts, seed);
      ++world.active;
      world.stats.peak_concurrent_flows = std::max(world.stats.peak_concurrent_flows, world.active);
    }
    if (!conn->EmitNext()) {
      std::fprintf(stderr, "make_storage_capture: %s\n", world.error.c_str());
      return 1;
    }
    if (conn->done()) {
      --world.active;
      conn.reset();
      due.emplace(ts + master.Range(100 * kUs, 50 * kMs), slot);
    } else {
      due.emplace(conn->next_ts(), slot);
    }
  }
  if (world.keylog) {
    FILE* keylog = world.keylog;
    world.keylog = nullptr;
    if (std::fclose(keylog) != 0) {
      std::fprintf(stderr, "make_storage_capture: cannot write %s\n", options.tls_keylog.c_str());
      return 1;
    }
  }
  if (!world.writer.Close(world.error)) {
    std::fprintf(stderr, "make_storage_capture: %s\n", world.error.c_str());
    return 1;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  nlohmann::json sidecar = SidecarJson(world, seconds);
  std::string sidecar_path = options.sidecar.empty() ? options.out + ".json" : options.sidecar;
  FILE* f = std::fopen(sidecar_path.c_str(), "w");
  std::string text = sidecar.dump(2) + "\n";
  if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
    std::fprintf(stderr, "make_storage_capture: cannot write %s\n", sidecar_path.c_str());
    return 1;
  }
  std::fprintf(stderr,
               "make_storage_capture: %s: %llu packets, %.1f MiB, %llu flows, %llu requests "
               "(%llu plaintext) in %.2f s\n",
               options.out.c_str(), static_cast<unsigned long long>(world.stats.packets),
               static_cast<double>(world.writer.bytes()) / (1 << 20),
               static_cast<unsigned long long>(world.stats.flows),
               static_cast<unsigned long long>(world.stats.requests),
               static_cast<unsigned long long>(world.stats.requests_plaintext), seconds);
  return 0;
}

}  // namespace
}  // namespace bw::bench

int main(int argc, char** argv) {
  using bw::bench::Options;
  Options o;
  std::string bytes_text, sizes_text, mix_text;
  CLI::App app{"Writes a deterministic pcap of object-storage traffic and a JSON sidecar"};
  app.add_option("--out", o.out, "Capture to write (pcap, Ethernet)")->required();
  app.add_option("--sidecar", o.sidecar, "JSON description (default: OUT.json)");
  app.add_option("--shape", o.shape,
                 "Preset: default, many-small-objects, small-objects, many-flows, tls-bulk")
      ->check(CLI::IsMember(
          {"default", "many-small-objects", "small-objects", "many-flows", "tls-bulk"}));
  app.add_option("--bytes", bytes_text, "Approximate file size, e.g. 500M (default 100M)");
  app.add_option("--seed", o.seed, "Seed; the same seed and flags give the same file");
  app.add_option("--flows", o.flows, "Connections open at the same time")
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("--requests-per-flow", o.requests_per_flow,
                 "Mean keep-alive requests per connection (uniform 1..2R-1)")
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("--clients", o.clients, "Distinct client hosts")->check(CLI::Range(1u, 60000u));
  app.add_option("--https-share", o.https_share, "Share of TLS connections")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--anonymous-share", o.anonymous_share, "Share of anonymous connections")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--presigned-share", o.presigned_share,
                 "Share of credentialed connections using presigned URLs")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--list-share", o.list_share, "Share of list requests")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--head-share", o.head_share, "Share of HEAD requests among the rest")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--ipv6-share", o.ipv6_share, "Share of IPv6 connections")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--one-shot-share", o.one_shot_share,
                 "Share of connections that make one request and close (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--crawler-share", o.crawler_share,
                 "Share of connections from a crawler: 4 client hosts, anonymous, 25% listings, "
                 "small GETs, 30% not found, 10% denied (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--object-sizes", sizes_text, "min:max object size, log-uniform (e.g. 1K:64M)");
  app.add_option("--mix", mix_text, "Provider weights s3:azure:gcs (e.g. 6:2:2)");
  app.add_option("--link-mbps", o.link_mbps, "Aggregate link rate that spaces the timestamps")
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--start-time", o.start_time, "Unix time of the first packet");
  app.add_option("--connections", o.connections,
                 "Open this many connections, each making all its requests (--bytes is ignored)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100000000}));
  auto* keylog = app.add_option("--tls-keylog", o.tls_keylog,
                                "TLS connections are real TLS 1.3 (AES-128-GCM); write their "
                                "secrets to this NSS key log (mode 0600)");
  app.add_flag("--tls-as-plaintext", o.tls_as_plaintext,
               "Write the TLS connections' HTTP in plaintext on port 80: the plaintext twin of "
               "the --tls-keylog capture with the same seed and flags")
      ->excludes(keylog);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto given = [&](const char* name) { return app.count(name) > 0; };
  if (o.shape == "many-small-objects") {
    if (!given("--object-sizes")) sizes_text = "128:32K";
    if (!given("--requests-per-flow")) o.requests_per_flow = 200;
    if (!given("--list-share")) o.list_share = 0.02;
    if (!given("--flows")) o.flows = 100;
  } else if (o.shape == "small-objects") {
    // bench/run --profile small: small objects over keep-alive and one-shot connections,
    // listings, TLS and a crawler.
    if (!given("--object-sizes")) sizes_text = "256:64K";
    if (!given("--requests-per-flow")) o.requests_per_flow = 16;
    if (!given("--one-shot-share")) o.one_shot_share = 0.3;
    if (!given("--list-share")) o.list_share = 0.05;
    if (!given("--https-share")) o.https_share = 0.3;
    if (!given("--anonymous-share")) o.anonymous_share = 0.3;
    if (!given("--crawler-share")) o.crawler_share = 0.1;
    if (!given("--flows")) o.flows = 200;
  } else if (o.shape == "tls-bulk") {
    // bench/run --profile tls: anonymous S3 GetObject bulk downloads over keep-alive TLS (real
    // with --tls-keylog, or their plaintext twin).
    if (!given("--object-sizes")) sizes_text = "64K:4M";
    if (!given("--requests-per-flow")) o.requests_per_flow = 8;
    if (!given("--https-share")) o.https_share = 1;
    if (!given("--anonymous-share")) o.anonymous_share = 1;
    if (!given("--list-share")) o.list_share = 0;
    if (!given("--head-share")) o.head_share = 0;
    if (!given("--ipv6-share")) o.ipv6_share = 0;
    if (!given("--mix")) mix_text = "1:0:0";
    if (!given("--flows")) o.flows = 16;
  } else if (o.shape == "many-flows") {
    if (!given("--object-sizes")) sizes_text = "512:256K";
    if (!given("--requests-per-flow")) o.requests_per_flow = 1;
    if (!given("--flows")) o.flows = 20000;
    if (!given("--https-share")) o.https_share = 0.5;
    if (!given("--clients")) o.clients = 20000;
  }
  if (!bytes_text.empty() && !bw::bench::ParseSize(bytes_text, o.bytes)) {
    std::fprintf(stderr, "make_storage_capture: bad --bytes '%s'\n", bytes_text.c_str());
    return 2;
  }
  if (!sizes_text.empty()) {
    auto colon = sizes_text.find(':');
    if (colon == std::string::npos ||
        !bw::bench::ParseSize(sizes_text.substr(0, colon), o.object_min) ||
        !bw::bench::ParseSize(sizes_text.substr(colon + 1), o.object_max) || o.object_min < 1 ||
        o.object_max < o.object_min) {
      std::fprintf(stderr, "make_storage_capture: bad --object-sizes '%s' (want min:max)\n",
                   sizes_text.c_str());
      return 2;
    }
  }
  if (!mix_text.empty()) {
    double a = -1, b = -1, c = -1;
    char tail = 0;
    if (std::sscanf(mix_text.c_str(), "%lf:%lf:%lf%c", &a, &b, &c, &tail) != 3 || a < 0 || b < 0 ||
        c < 0 || a + b + c <= 0) {
      std::fprintf(stderr, "make_storage_capture: bad --mix '%s' (want s3:azure:gcs)\n",
                   mix_text.c_str());
      return 2;
    }
    o.mix = {a, b, c};
  }
  return bw::bench::Generate(o);
}
