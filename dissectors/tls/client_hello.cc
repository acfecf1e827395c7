#include "dissectors/tls/client_hello.h"

#include <algorithm>

namespace bw::tls {
namespace {

constexpr uint8_t kContentHandshake = 22;
constexpr uint8_t kHandshakeClientHello = 1;
constexpr uint16_t kExtServerName = 0;
constexpr uint16_t kExtAlpn = 16;
constexpr uint16_t kExtSupportedVersions = 43;
constexpr uint16_t kExtEarlyData = 42;
constexpr uint8_t kServerNameHostName = 0;
constexpr uint16_t kTls13 = 0x0304;

bool PlausibleRecordHeader(uint8_t type, uint8_t major, uint8_t minor) {
  return type == kContentHandshake && major == 3 && minor <= 4;
}

// Reads the handshake byte stream out of consecutive handshake records, so that the parser can
// walk the message as if it were contiguous. Every read checks the record bounds and the input
// bounds; running out of input is kNeedMore, a bad record header is kInvalid.
class HandshakeCursor {
 public:
  explicit HandshakeCursor(ByteView stream) : stream_(stream) {}

  ParseStatus ReadU8(uint8_t& out) {
    if (ParseStatus s = EnsureFragment(); s != ParseStatus::kComplete) return s;
    out = stream_[pos_++];
    ++consumed_;
    return ParseStatus::kComplete;
  }

  ParseStatus ReadBe(size_t width, uint32_t& out) {
    out = 0;
    for (size_t i = 0; i < width; ++i) {
      uint8_t b = 0;
      if (ParseStatus s = ReadU8(b); s != ParseStatus::kComplete) return s;
      out = (out << 8) | b;
    }
    return ParseStatus::kComplete;
  }

  // Copies up to `cap` of the next `n` bytes into `dst` and skips the rest.
  ParseStatus Copy(size_t n, char* dst, size_t cap) {
    size_t copied = 0;
    while (n > 0) {
      if (ParseStatus s = EnsureFragment(); s != ParseStatus::kComplete) return s;
      size_t take = std::min({n, fragment_end_ - pos_, stream_.size() - pos_});
      if (copied < cap) {
        size_t c = std::min(take, cap - copied);
        std::copy_n(stream_.data() + pos_, c, dst + copied);
        copied += c;
      }
      pos_ += take;
      consumed_ += take;
      n -= take;
    }
    return ParseStatus::kComplete;
  }

  ParseStatus Skip(size_t n) { return Copy(n, nullptr, 0); }

  size_t consumed() const { return consumed_; }  // handshake bytes read so far
  size_t fragment_end() const { return fragment_end_; }

 private:
  // Makes pos_ point at an available byte of a handshake record fragment.
  ParseStatus EnsureFragment() {
    while (pos_ == fragment_end_) {
      // Zero-length records are stepped over; each costs 5 input bytes, so this ends.
      size_t header = fragment_end_;
      if (!InBounds(stream_.size(), header, 5)) return ParseStatus::kNeedMore;
      uint16_t length = Be16(stream_.data() + header + 3);
      if (!PlausibleRecordHeader(stream_[header], stream_[header + 1], stream_[header + 2]) ||
          length > kMaxRecordLength) {
        return ParseStatus::kInvalid;
      }
      pos_ = header + 5;
      fragment_end_ = pos_ + length;
    }
    if (pos_ >= stream_.size()) return ParseStatus::kNeedMore;
    return ParseStatus::kComplete;
  }

  ByteView stream_;
  size_t pos_ = 0;           // stream offset of the next handshake byte
  size_t fragment_end_ = 0;  // stream offset just past the current record
  size_t consumed_ = 0;
};

// Once the whole message is known to be present, running out of data inside it means a
// length field pointed past its enclosing structure: that is malformed, not incomplete.
ParseStatus Malformed(ParseStatus s) {
  return s == ParseStatus::kComplete ? s : ParseStatus::kInvalid;
}

#define BW_TLS_TRY(expr)                                                                        \
  do {                                                                                          \
    if (ParseStatus bw_tls_status = Malformed(expr); bw_tls_status != ParseStatus::kComplete) { \
      return bw_tls_status;                                                                     \
    }                                                                                           \
  } while (false)

ParseStatus ParseServerName(HandshakeCursor& c, size_t ext_end, ClientHello& out) {
  uint32_t list_len = 0;
  BW_TLS_TRY(c.ReadBe(2, list_len));
  if (c.consumed() + list_len != ext_end) return ParseStatus::kInvalid;
  while (c.consumed() < ext_end) {
    uint32_t type = 0;
    uint32_t len = 0;
    BW_TLS_TRY(c.ReadBe(1, type));
    BW_TLS_TRY(c.ReadBe(2, len));
    if (c.consumed() + len > ext_end) return ParseStatus::kInvalid;
    if (type == kServerNameHostName && !out.has_sni) {
      out.has_sni = true;
      out.sni_length = static_cast<uint16_t>(std::min<size_t>(len, kMaxSniLength));
      out.sni_truncated = len > kMaxSniLength;
      BW_TLS_TRY(c.Copy(len, out.sni_storage.data(), kMaxSniLength));
    } else {
      BW_TLS_TRY(c.Skip(len));
    }
  }
  return ParseStatus::kComplete;
}

ParseStatus ParseAlpn(HandshakeCursor& c, size_t ext_end, ClientHello& out) {
  uint32_t list_len = 0;
  BW_TLS_TRY(c.ReadBe(2, list_len));
  if (c.consumed() + list_len != ext_end) return ParseStatus::kInvalid;
  out.has_alpn = true;
  while (c.consumed() < ext_end) {
    uint32_t len = 0;
    BW_TLS_TRY(c.ReadBe(1, len));
    if (len == 0 || c.consumed() + len > ext_end) return ParseStatus::kInvalid;
    ++out.alpn_total;
    if (out.alpn_stored < kMaxAlpnIds) {
      AlpnId& id = out.alpn_ids[out.alpn_stored++];
      id.length = static_cast<uint8_t>(std::min<size_t>(len, kMaxAlpnIdLength));
      id.truncated = len > kMaxAlpnIdLength;
      BW_TLS_TRY(c.Copy(len, id.bytes.data(), kMaxAlpnIdLength));
    } else {
      BW_TLS_TRY(c.Skip(len));
    }
  }
  return ParseStatus::kComplete;
}

ParseStatus ParseSupportedVersions(HandshakeCursor& c, size_t ext_end, ClientHello& out) {
  uint32_t list_len = 0;
  BW_TLS_TRY(c.ReadBe(1, list_len));
  if (list_len % 2 != 0 || c.consumed() + list_len != ext_end) return ParseStatus::kInvalid;
  while (c.consumed() < ext_end) {
    uint32_t v = 0;
    BW_TLS_TRY(c.ReadBe(2, v));
    if (v == kTls13) out.has_supported_versions_tls13 = true;
  }
  return ParseStatus::kComplete;
}

ParseStatus ParseExtensions(HandshakeCursor& c, size_t end, ClientHello& out) {
  uint32_t total = 0;
  BW_TLS_TRY(c.ReadBe(2, total));
  if (c.consumed() + total != end) return ParseStatus::kInvalid;
  bool seen_sni = false;
  bool seen_alpn = false;
  bool seen_versions = false;
  while (c.consumed() < end) {
    uint32_t type = 0;
    uint32_t len = 0;
    BW_TLS_TRY(c.ReadBe(2, type));
    BW_TLS_TRY(c.ReadBe(2, len));
    size_t ext_end = c.consumed() + len;
    if (ext_end > end) return ParseStatus::kInvalid;
    ++out.extension_count;
    if (type == kExtEarlyData) out.offers_early_data = true;
    // A repeated extension is a protocol violation (RFC 8446 4.2) and would let a client show
    // the sensor one name and the server another; refuse to pick one.
    bool* seen = type == kExtServerName          ? &seen_sni
                 : type == kExtAlpn              ? &seen_alpn
                 : type == kExtSupportedVersions ? &seen_versions
                                                 : nullptr;
    if (seen != nullptr) {
      if (*seen) return ParseStatus::kInvalid;
      *seen = true;
    }
    ParseStatus s = ParseStatus::kComplete;
    if (type == kExtServerName && len > 0) {  // an empty server_name is the server's echo
      s = ParseServerName(c, ext_end, out);
    } else if (type == kExtAlpn) {
      s = ParseAlpn(c, ext_end, out);
    } else if (type == kExtSupportedVersions) {
      s = ParseSupportedVersions(c, ext_end, out);
    } else {
      s = c.Skip(len);
    }
    BW_TLS_TRY(s);
    if (c.consumed() != ext_end) return ParseStatus::kInvalid;
  }
  return ParseStatus::kComplete;
}

ParseStatus ParseBody(HandshakeCursor& c, size_t end, ClientHello& out) {
  uint32_t version = 0;
  BW_TLS_TRY(c.ReadBe(2, version));
  out.legacy_version = static_cast<uint16_t>(version);
  BW_TLS_TRY(
      c.Copy(out.random.size(), reinterpret_cast<char*>(out.random.data()), out.random.size()));
  uint32_t session_id_len = 0;
  BW_TLS_TRY(c.ReadBe(1, session_id_len));
  if (session_id_len > 32) return ParseStatus::kInvalid;
  BW_TLS_TRY(c.Skip(session_id_len));
  uint32_t suites_len = 0;
  BW_TLS_TRY(c.ReadBe(2, suites_len));
  if (suites_len < 2 || suites_len % 2 != 0) return ParseStatus::kInvalid;
  out.cipher_suite_count = static_cast<uint16_t>(suites_len / 2);
  BW_TLS_TRY(c.Skip(suites_len));
  uint32_t compression_len = 0;
  BW_TLS_TRY(c.ReadBe(1, compression_len));
  if (compression_len < 1) return ParseStatus::kInvalid;
  BW_TLS_TRY(c.Skip(compression_len));
  if (c.consumed() > end) return ParseStatus::kInvalid;
  if (c.consumed() == end) return ParseStatus::kComplete;  // no extensions (pre-TLS 1.2)
  return ParseExtensions(c, end, out);
}

#undef BW_TLS_TRY

}  // namespace

ParseStatus ParseClientHello(ByteView stream_prefix, ClientHello& out) {
  out = ClientHello{};
  if (stream_prefix.size() >= 3) {
    out.record_version = Be16(stream_prefix.data() + 1);
  }
  // Pass 1: read the handshake header and check the whole message is present, so that every
  // shortfall in pass 2 can be called malformed rather than incomplete.
  HandshakeCursor scan(stream_prefix);
  uint8_t type = 0;
  if (ParseStatus s = scan.ReadU8(type); s != ParseStatus::kComplete) return s;
  if (type != kHandshakeClientHello) return ParseStatus::kInvalid;
  uint32_t length = 0;
  if (ParseStatus s = scan.ReadBe(3, length); s != ParseStatus::kComplete) return s;
  // The fixed part alone (version, random, three length bytes, one suite, one method) is 41.
  if (length < 41 || length > kMaxClientHelloLength) return ParseStatus::kInvalid;
  if (ParseStatus s = scan.Skip(length); s != ParseStatus::kComplete) return s;
  out.handshake_length = length;
  out.records_end = scan.fragment_end();

  // Pass 2: parse the body, bounded by the declared length.
  HandshakeCursor c(stream_prefix);
  if (Malformed(c.Skip(4)) != ParseStatus::kComplete) return ParseStatus::kInvalid;
  ParseStatus s = ParseBody(c, 4 + size_t{length}, out);
  if (s == ParseStatus::kComplete && c.consumed() != 4 + size_t{length}) {
    s = ParseStatus::kInvalid;
  }
  if (s != ParseStatus::kComplete) {
    size_t records_end = out.records_end;
    out = ClientHello{};
    out.records_end = records_end;
  }
  return s;
}

bool LooksLikeTls(ByteView first_bytes) {
  if (first_bytes.size() < 3) return false;
  uint8_t type = first_bytes[0];
  if (type < 20 || type > 24 || first_bytes[1] != 3 || first_bytes[2] > 4) return false;
  uint16_t length = 0;
  if (LoadBe16(first_bytes, 3, length) && (length == 0 || length > kMaxRecordLength)) {
    return false;
  }
  return true;
}

bool LooksLikeClientHello(ByteView first_bytes) {
  if (!LooksLikeTls(first_bytes) || first_bytes[0] != kContentHandshake) return false;
  uint8_t handshake_type = 0;
  if (LoadU8(first_bytes, 5, handshake_type) && handshake_type != kHandshakeClientHello) {
    return false;
  }
  return true;
}

}  // namespace bw::tls
